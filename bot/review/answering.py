"""Answering a group in two steps, as the workbench does: a plan to preview (exactly what each
villager will receive), then sending that plan, refused if the group changed meanwhile."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace

from bot import messages
from bot.review.delivery import Delivery, Recipient, now_utc
from bot.review.stats import utc_iso
from bot.review.unanswered import ReviewError, _group_of, checked_answer, recipients_of
from bot.store import OPEN, LoggedQuestion, Store
from bot.understand import Matcher

MAX_GUESSES = 3


class GroupChanged(ReviewError):
    """The group is no longer the one previewed (new questions, or answered meanwhile)."""


@dataclass(frozen=True)
class AnswerPlan:
    """What answering group `group_id` with `answer` does: the questions it settles and the
    message each villager gets (one per chat; the other questions need no message)."""

    group_id: int
    answer: str
    question_ids: tuple[int, ...]
    recipients: tuple[Recipient, ...]
    deliveries: tuple[tuple[int, str], ...]
    texts: tuple[str, ...] = ()  # the group's (masked) questions, each phrasing once

    @property
    def silent(self) -> int:
        """Questions settled without a message (console, or the same villager again)."""
        return len(self.question_ids) - len(self.recipients)


async def plan_answer(
    store: Store, group_id: int, answer: str, *, matcher: Matcher | None
) -> AnswerPlan:
    """Work out what answering the open group `group_id` would send; write nothing."""
    answer = checked_answer(answer)
    question = await store.get_question(group_id)
    if question is None or question.status != OPEN:
        raise ReviewError(f"question {group_id} is not open in the unanswered queue")
    return _plan(group_id, answer, await _group_of(store, question, matcher))


def _plan(group_id: int, answer: str, group: Sequence[LoggedQuestion]) -> AnswerPlan:
    deliveries, recipients = recipients_of(group, answer)
    return AnswerPlan(
        group_id=group_id,
        answer=answer,
        question_ids=tuple(q.id for q in group),
        recipients=tuple(recipients),
        deliveries=tuple(deliveries),
        texts=tuple(dict.fromkeys(q.text for q in group)),
    )


async def send_plan(
    store: Store,
    group_id: int,
    answer: str,
    previewed: Sequence[int],
    *,
    matcher: Matcher | None,
    now: dt.datetime | None = None,
) -> AnswerPlan:
    """Resolve the group as previewed; GroupChanged when it is not the previewed one any more.

    The returned plan's recipients are pending until delivered (`deliver`) or picked up by the
    running bot.
    """
    plan = await plan_answer(store, group_id, answer, matcher=matcher)
    if sorted(plan.question_ids) != sorted(previewed):
        raise GroupChanged(f"group {group_id} changed since it was previewed")
    at = utc_iso(now or now_utc())
    if not await store.resolve_open_questions(plan.deliveries, plan.answer, at):
        raise GroupChanged(f"group {group_id} was answered or ignored meanwhile")
    return plan


async def ignore_as_shown(
    store: Store,
    group_id: int,
    shown: Sequence[int],
    *,
    matcher: Matcher | None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Set the open group `group_id` aside as it was shown (question ids `shown`);
    GroupChanged when it is not that group any more, ReviewError when it is not open."""
    question = await store.get_question(group_id)
    if question is None or question.status != OPEN:
        raise ReviewError(f"question {group_id} is not open in the unanswered queue")
    ids = [q.id for q in await _group_of(store, question, matcher)]
    if sorted(ids) != sorted(shown):
        raise GroupChanged(f"group {group_id} changed since it was shown")
    if not await store.ignore_open_questions(ids, utc_iso(now or now_utc())):
        raise GroupChanged(f"group {group_id} was answered or ignored meanwhile")
    return ids


async def plan_correction(
    store: Store, group_id: int, text: str, *, now: dt.datetime | None = None
) -> AnswerPlan:
    """Work out the correction of the answered group of question `group_id`: a new message
    marked 「更正」 to each villager whose chat is still kept; write nothing."""
    text = checked_answer(text)
    group = await store.answered_together(group_id)
    if not group:
        raise ReviewError(f"question {group_id} has no answer to correct")
    kept = await store.kept_chats([q.id for q in group], utc_iso(now or now_utc()))
    group = [replace(q, reply_to=kept.get(q.id, q.reply_to)) for q in group]
    return _plan(group_id, messages.CORRECTION.format(answer=text), group)


async def send_correction(
    store: Store,
    group_id: int,
    text: str,
    previewed: Sequence[int],
    *,
    now: dt.datetime | None = None,
) -> AnswerPlan:
    """Store the correction as previewed (the answer it replaces is kept) and leave its
    messages pending; GroupChanged when the group is not the previewed one any more."""
    now = now or now_utc()
    plan = await plan_correction(store, group_id, text, now=now)
    if sorted(plan.question_ids) != sorted(previewed):
        raise GroupChanged(f"group {group_id} changed since it was previewed")
    if not await store.correct_questions(plan.deliveries, plan.answer, utc_iso(now)):
        raise GroupChanged(f"group {group_id} changed since it was previewed")
    return plan


def best_guesses(matcher: Matcher, texts: Sequence[str]) -> list[tuple[str, float]]:
    """The entries the bot thought nearest to a group's questions, best first (id, score)."""
    best: dict[str, float] = defaultdict(float)
    for text in texts:
        for candidate in matcher.rank(text)[:MAX_GUESSES]:
            best[candidate.id] = max(best[candidate.id], candidate.score)
    ranked = sorted(best.items(), key=lambda item: -item[1])
    return ranked[:MAX_GUESSES]


def waiting_villagers(questions: Sequence[LoggedQuestion]) -> int:
    """How many villagers an answer to these questions would reach (one message per chat)."""
    return len(recipients_of(questions, "-")[1])


def sent_notice(template: str, group_id: int, plan: AnswerPlan, done: Delivery) -> str:
    """The notice after sending: how many got it, cannot get it, get it later (and why, when
    Telegram refused the bot's token)."""
    pending = len(plan.recipients) - len(done.sent) - len(done.failed)
    notice = template.format(
        id=group_id,
        questions=len(plan.question_ids),
        sent=len(done.sent),
        failed=len(done.failed),
        pending=pending,
    )
    if done.rejected:
        notice += "\n" + messages.TOKEN_REJECTED.format(pending=pending)
    return notice
