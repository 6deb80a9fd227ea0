"""Answering or ignoring from the command line and Telegram, forgivingly: first a proposal to
show (the group's questions and the exact message each villager will get), carried out only
once confirmed; an answered group gets a correction (a new message marked 【更正】, the old
answer kept), never a silent replace; an answer like 「y」 is taken for a slip."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from enum import Enum

from bot import messages
from bot.privacy import mask_pii
from bot.review.answering import (
    AnswerPlan,
    ignore_as_shown,
    plan_answer,
    plan_correction,
    send_correction,
    send_plan,
)
from bot.review.delivery import now_utc, shorten
from bot.review.stats import utc_iso
from bot.review.unanswered import ReviewError, _group_of, checked_answer
from bot.store import OPEN, RESOLVED, Store
from bot.understand import Matcher

# What a confirmation key, a yes or a thank-you looks like: typed where the answer should be,
# every villager of the group would receive 「工作人员的回答：y」.
SLIPS = frozenset(
    {"y", "yes", "n", "no", "ok", "好", "好的", "是", "是的", "对", "嗯", "行", "确认", "发送"}
)
_EDGES = " \t\r\n.。!！,，?？~～、'\"“”‘’"
MAX_SHOWN = 10  # questions and messages listed in a preview; the rest are counted
MAX_SHOWN_TEXT = 200


class Action(Enum):
    """What a proposal does once confirmed."""

    ANSWER = "answer"
    CORRECT = "correct"
    IGNORE = "ignore"


class ProbableSlip(ReviewError):
    """The answer is a single word like 「y」 or 「好」: most likely typed by mistake."""


@dataclass(frozen=True)
class Proposal:
    """What an editor asked for, as it will be carried out: the group, its questions, and
    (answering or correcting) the plan with every villager's message."""

    action: Action
    group_id: int
    question_ids: tuple[int, ...]
    texts: tuple[str, ...]
    plan: AnswerPlan | None = None
    answer: str = ""  # as the editor wrote it (a correction's message adds the 【更正】 mark)
    earlier: str = ""  # the answer a correction replaces


def probable_slip(answer: str) -> bool:
    """Whether `answer` is a lone 「y」, 「yes」, 「好」… rather than an answer."""
    return answer.strip(_EDGES).casefold() in SLIPS


def checked_reply(answer: str) -> str:
    """The answer stripped; ReviewError when empty or too long, ProbableSlip for 「y」."""
    answer = checked_answer(answer)
    if probable_slip(answer):
        raise ProbableSlip(messages.ANSWER_SLIP.format(answer=shorten(answer, 20)))
    return answer


async def propose_answer(
    store: Store,
    question_id: int,
    answer: str,
    *,
    matcher: Matcher | None,
    now: dt.datetime | None = None,
) -> Proposal:
    """Answering question `question_id`'s group: its open group, or a correction when it was
    answered already; write nothing."""
    answer = checked_reply(answer)
    question = await store.get_question(question_id)
    if question is not None and question.status == RESOLVED:
        plan = await plan_correction(store, question_id, answer, now=now)
        return Proposal(
            Action.CORRECT,
            question_id,
            plan.question_ids,
            plan.texts,
            plan,
            answer,
            earlier=question.answer or "",
        )
    if question is None or question.status != OPEN:
        raise ReviewError(f"question {question_id} is not open in the unanswered queue")
    plan = await plan_answer(store, question_id, answer, matcher=matcher)
    return Proposal(Action.ANSWER, question_id, plan.question_ids, plan.texts, plan, answer)


async def propose_ignore(store: Store, question_id: int, *, matcher: Matcher | None) -> Proposal:
    """Setting question `question_id`'s open group aside; write nothing."""
    question = await store.get_question(question_id)
    if question is None or question.status != OPEN:
        raise ReviewError(messages.IGNORE_NOT_OPEN.format(id=question_id))
    group = await _group_of(store, question, matcher)
    texts = tuple(dict.fromkeys(q.text for q in group))
    return Proposal(Action.IGNORE, question_id, tuple(q.id for q in group), texts)


async def carry_out(
    store: Store, proposal: Proposal, *, matcher: Matcher | None, now: dt.datetime | None = None
) -> AnswerPlan | None:
    """Do what was confirmed, exactly as shown: GroupChanged when the group is not the one
    shown any more. Returns the plan whose messages are now pending (None for ignoring)."""
    now = now or now_utc()
    group_id, ids, answer = proposal.group_id, proposal.question_ids, proposal.answer
    if proposal.action is Action.IGNORE:
        await ignore_as_shown(store, group_id, ids, matcher=matcher, now=now)
        return None
    if proposal.action is Action.CORRECT:
        return await send_correction(store, group_id, answer, ids, now=now)
    return await send_plan(store, group_id, answer, ids, matcher=matcher, now=now)


def preview_text(proposal: Proposal) -> str:
    """The preview in Chinese: what happens, the group's questions, every message sent."""
    plan, count = proposal.plan, len(proposal.question_ids)
    people = len(plan.recipients) if plan else 0
    head = {
        Action.ANSWER: messages.PREVIEW_ANSWER,
        Action.CORRECT: messages.PREVIEW_CORRECT,
        Action.IGNORE: messages.PREVIEW_IGNORE,
    }[proposal.action]
    lines = [head.format(id=proposal.group_id, questions=count, people=people)]
    if proposal.earlier:
        lines.append(messages.PREVIEW_EARLIER.format(answer=proposal.earlier))
    lines.append(messages.PREVIEW_QUESTIONS)
    lines += _listed([messages.PREVIEW_QUESTION.format(text=_shown(t)) for t in proposal.texts])
    if plan is None:
        return "\n".join(lines)
    if not plan.recipients:
        lines.append(messages.PREVIEW_NOBODY)
    sent = [
        messages.PREVIEW_MESSAGE.format(n=n, text=mask_pii(r.text))
        for n, r in enumerate(plan.recipients, 1)
    ]
    lines += _listed(sent)
    if plan.silent:
        lines.append(messages.PREVIEW_SILENT.format(count=plan.silent))
    return "\n".join(lines)


def _shown(text: str) -> str:
    return shorten(mask_pii(text), MAX_SHOWN_TEXT)


def _listed(lines: Sequence[str]) -> list[str]:
    shown = list(lines[:MAX_SHOWN])
    if len(lines) > MAX_SHOWN:
        shown.append(messages.PREVIEW_MORE.format(more=len(lines) - MAX_SHOWN))
    return shown


async def record_action(
    store: Store,
    actor: str,
    action: str,
    group_id: int,
    ids: Sequence[int],
    detail: str = "",
    *,
    now: dt.datetime | None = None,
) -> None:
    """Write who did `action` to which questions into the audit log (as the workbench does)."""
    target = f"group {group_id}: questions {','.join(map(str, ids))}"
    await store.record_audit(utc_iso(now or now_utc()), actor, action, target, detail)
