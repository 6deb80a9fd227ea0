"""The editors' loop over unanswered questions: group them, answer or ignore, reply to askers.

Resolving or ignoring acts on a whole group: with a matcher, the group `unanswered_clusters`
shows (its id is its oldest question); without one, every question with the same normalized
text. A villager who asked several questions of the group gets one reply.
"""

from __future__ import annotations

import asyncio
import datetime as dt
from collections import defaultdict
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import messages
from bot.review.cluster import group_similar
from bot.review.delivery import Recipient, editor_reply, now_utc, shorten
from bot.review.stats import LOCAL_TZ, utc_iso
from bot.store import OPEN, PENDING, QUEUE_STATES, SKIPPED, LoggedQuestion, Store
from bot.understand import Matcher, normalize_text

# Channels an editor's answer can be delivered on (a console user has gone when it comes).
REPLYABLE_CHANNELS = frozenset({"telegram"})
MAX_EXAMPLES = 3
# Telegram's limit is 4096; the villager's question is quoted, the editor's answer in full.
MAX_ANSWER = 3500


class ReviewError(Exception):
    """An editor's request cannot be carried out; the message says why (for stderr)."""


@dataclass(frozen=True)
class Cluster:
    """Questions asking for one thing, with the knowledge-base entry nearest to them."""

    id: int
    count: int
    first_seen: str
    last_seen: str
    examples: tuple[str, ...]
    question_ids: tuple[int, ...]
    nearest_entry: str | None
    nearest_score: float
    status: str = OPEN
    texts: tuple[str, ...] = ()
    disliked: int = 0  # questions whose answer got 👎 (不满意)
    comments: tuple[str, ...] = ()  # what those villagers said after 👎

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict (without the full list of texts)."""
        return {
            "id": self.id,
            "status": self.status,
            "count": self.count,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
            "examples": list(self.examples),
            "question_ids": list(self.question_ids),
            "nearest_entry": self.nearest_entry,
            "nearest_score": self.nearest_score,
            "disliked": self.disliked,
            "comments": list(self.comments),
        }


async def unanswered_clusters(
    store: Store, matcher: Matcher | None, *, status: str = OPEN
) -> list[Cluster]:
    """Group the queue's questions in state `status` by need, biggest group first.

    Without a matcher, questions group only by identical normalized text, with no nearest entry.
    """
    if status not in QUEUE_STATES:
        raise ValueError(f"status must be one of {', '.join(QUEUE_STATES)}")
    questions = await store.queued_questions(status)
    # ~2.5 s for 1000 questions: off the event loop, so the bot keeps answering meanwhile
    return await asyncio.to_thread(_clusters, questions, matcher, status)


def _clusters(
    questions: list[LoggedQuestion], matcher: Matcher | None, status: str
) -> list[Cluster]:
    groups = _groups([q.text for q in questions], matcher)
    clusters = [_cluster([questions[i] for i in g], matcher, status) for g in groups]
    clusters.sort(key=lambda c: (-c.count, c.id))
    return clusters


def _groups(texts: Sequence[str], matcher: Matcher | None) -> list[list[int]]:
    return group_similar(texts, matcher) if matcher else _same_text(texts)


def _same_text(texts: Sequence[str]) -> list[list[int]]:
    groups: dict[str, list[int]] = {}
    for i, text in enumerate(texts):
        groups.setdefault(normalize_text(text), []).append(i)
    return list(groups.values())


def _cluster(members: list[LoggedQuestion], matcher: Matcher | None, status: str) -> Cluster:
    votes: dict[str, int] = defaultdict(int)
    best: dict[str, float] = defaultdict(float)
    for q in members:
        ranked = matcher.rank(q.text) if matcher else []
        if ranked:
            votes[ranked[0].id] += 1
            best[ranked[0].id] = max(best[ranked[0].id], ranked[0].score)
    nearest = max(votes, key=lambda e: (votes[e], best[e]), default=None)
    texts = tuple(dict.fromkeys(q.text for q in members))
    return Cluster(
        id=members[0].id,
        count=len(members),
        first_seen=min(q.asked_at for q in members),
        last_seen=max(q.asked_at for q in members),
        examples=texts[:MAX_EXAMPLES],
        question_ids=tuple(q.id for q in members),
        nearest_entry=nearest,
        nearest_score=best[nearest] if nearest else 0.0,
        status=status,
        texts=texts,
        disliked=sum(1 for q in members if q.not_useful),
        comments=tuple(dict.fromkeys(q.comment for q in members if q.comment)),
    )


def format_clusters(
    clusters: Sequence[Cluster], *, titles: Mapping[str, str] | None = None, limit: int = 10
) -> str:
    """Chinese text for /unanswered: one block per group, biggest first."""
    if not clusters:
        return messages.UNANSWERED_NONE
    total = sum(c.count for c in clusters)
    lines = [messages.UNANSWERED_HEADER.format(groups=len(clusters), questions=total)]
    for c in clusters[:limit]:
        examples = " ".join(f"「{shorten(t, 40)}」" for t in c.examples)
        lines.append(
            messages.UNANSWERED_GROUP.format(
                id=c.id,
                count=c.count,
                first=local_date(c.first_seen),
                last=local_date(c.last_seen),
                examples=examples,
            )
        )
        if c.disliked:
            said = " ".join(f"「{shorten(t, 40)}」" for t in c.comments[:MAX_EXAMPLES])
            lines.append(messages.UNANSWERED_DISLIKED.format(count=c.disliked, comments=said))
        if c.nearest_entry:
            title = (titles or {}).get(c.nearest_entry, c.nearest_entry)
            lines.append(messages.UNANSWERED_NEAREST.format(title=title, score=c.nearest_score))
    if len(clusters) > limit:
        lines.append(messages.UNANSWERED_MORE.format(more=len(clusters) - limit))
    return "\n".join(lines)


def local_date(iso: str) -> str:
    """MM-DD of an ISO UTC time in local (China) time; the text itself if it is no time."""
    try:
        return dt.datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%m-%d")
    except ValueError:
        return iso


async def _group_of(
    store: Store, question: LoggedQuestion, matcher: Matcher | None
) -> list[LoggedQuestion]:
    """The questions the editor means by `question`: its group among the open questions."""
    open_questions = [q for q in await store.queued_questions(OPEN) if q.id != question.id]
    pool = sorted([*open_questions, question], key=lambda q: q.id)
    groups = await asyncio.to_thread(_groups, [q.text for q in pool], matcher)
    for group in groups:
        members = [pool[i] for i in group]
        if question in members:
            return members
    return [question]


async def resolve(
    store: Store,
    question_id: int,
    answer: str,
    *,
    matcher: Matcher | None = None,
    now: dt.datetime | None = None,
) -> list[Recipient]:
    """Answer question `question_id` and its group; return who to send the answer to.

    Every question gets the answer; each villager on a replyable channel gets one message
    (their delivery is pending until `mark_sent`).
    """
    _, recipients = await resolve_group(store, question_id, answer, matcher=matcher, now=now)
    return recipients


async def resolve_group(
    store: Store,
    question_id: int,
    answer: str,
    *,
    matcher: Matcher | None = None,
    now: dt.datetime | None = None,
) -> tuple[list[int], list[Recipient]]:
    """Like `resolve`, also returning the ids of every question answered."""
    answer = checked_answer(answer)
    question = await store.get_question(question_id)
    if question is None or question.status is None:
        raise ReviewError(f"question {question_id} is not in the unanswered queue")
    group = await _group_of(store, question, matcher)
    deliveries, recipients = recipients_of(group, answer)
    await store.resolve_questions(deliveries, answer, utc_iso(now or now_utc()))
    return [q.id for q in group], recipients


def recipients_of(
    group: Sequence[LoggedQuestion], answer: str
) -> tuple[list[tuple[int, str]], list[Recipient]]:
    """Each question's delivery state and the messages to send: one per villager's chat."""
    deliveries: list[tuple[int, str]] = []
    recipients: list[Recipient] = []
    seen: set[tuple[str, str]] = set()
    for q in group:
        chat = (q.channel, q.reply_to)
        if q.channel in REPLYABLE_CHANNELS and q.reply_to and chat not in seen:
            seen.add(chat)
            deliveries.append((q.id, PENDING))
            recipients.append(Recipient(q.id, q.reply_to, editor_reply(q.text, answer)))
        else:
            deliveries.append((q.id, SKIPPED))
    return deliveries, recipients


def checked_answer(answer: str) -> str:
    """The answer stripped, or ReviewError when it is empty or too long for Telegram."""
    answer = answer.strip()
    if not answer:
        raise ReviewError("the answer is empty")
    if len(answer) > MAX_ANSWER:
        raise ReviewError(f"the answer is longer than {MAX_ANSWER} characters")
    return answer


async def ignore(
    store: Store,
    question_id: int,
    *,
    matcher: Matcher | None = None,
    now: dt.datetime | None = None,
) -> bool:
    """Set open question `question_id` and its open group aside (not worth an answer)."""
    return bool(await ignore_group(store, question_id, matcher=matcher, now=now))


async def ignore_group(
    store: Store,
    question_id: int,
    *,
    matcher: Matcher | None = None,
    now: dt.datetime | None = None,
) -> list[int]:
    """Like `ignore`, returning the ids of the questions set aside: none unless question
    `question_id` is open (an answered group keeps its answer and its waiting messages)."""
    question = await store.get_question(question_id)
    if question is None or question.status != OPEN:
        return []
    ids = [q.id for q in await _group_of(store, question, matcher)]
    await store.ignore_questions(ids, utc_iso(now or now_utc()))
    return ids
