"""Sending editors' answers to the villagers who asked: claimed once, recorded as sent or failed.

A villager never gets an answer twice: each is claimed before it is sent, so the command line
and the running bot can deliver at the same time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass

from bot import messages
from bot.review.stats import utc_iso
from bot.store import FAILED, SENT, Store

MAX_QUOTE = 200
# A sender holds its claim on an answer this long at most (then it is taken to have crashed).
CLAIM_TIMEOUT = dt.timedelta(minutes=10)


@dataclass(frozen=True)
class Recipient:
    """A villager to send an editor's answer to."""

    question_id: int
    reply_to: str
    text: str


@dataclass(frozen=True)
class Delivery:
    """What a sender did: delivered, and undeliverable for good (blocked bot, chat gone);
    `rejected` when Telegram refused the token (401), so the sender stopped there."""

    sent: tuple[int, ...] = ()
    failed: tuple[int, ...] = ()
    rejected: bool = False


# Sends editors' answers (the Bot API in production: handlers/outbox.py); questions neither
# sent nor failed stay pending for the running bot.
Sender = Callable[[Sequence[Recipient]], Awaitable[Delivery]]


def shorten(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1] + "…"


def editor_reply(question: str, answer: str) -> str:
    """The message a villager gets: their (masked) question quoted, then the answer."""
    return messages.EDITOR_REPLY.format(question=shorten(question, MAX_QUOTE), answer=answer)


async def pending_replies(store: Store) -> list[Recipient]:
    """Answers resolved without a token, waiting for the running bot to send them."""
    return [
        Recipient(q.id, q.reply_to, editor_reply(q.text, q.answer or ""))
        for q in await store.pending_deliveries()
        if q.reply_to and q.answer
    ]


async def mark_sent(store: Store, question_ids: Sequence[int]) -> None:
    """Record that these questions' answers were delivered."""
    await store.mark_delivered(question_ids, SENT, utc_iso(now_utc()))


async def mark_failed(store: Store, question_ids: Sequence[int]) -> None:
    """Record that these answers can never be delivered (the villager blocked the bot…)."""
    await store.mark_delivered(question_ids, FAILED, utc_iso(now_utc()))


async def deliver(store: Store, recipients: Sequence[Recipient], sender: Sender) -> Delivery:
    """Send `recipients` through `sender` and record the outcome; the rest stay pending.

    Each answer is claimed first, so that a villager never gets it twice when the command line
    and the running bot deliver at the same time; a claim older than CLAIM_TIMEOUT (a sender
    that crashed) no longer counts.
    """
    now = now_utc()
    claimed = await store.claim_deliveries(
        [r.question_id for r in recipients],
        utc_iso(now),
        stale_before=utc_iso(now - CLAIM_TIMEOUT),
    )
    todo = [r for r in recipients if r.question_id in set(claimed)]
    if not todo:
        return Delivery()
    try:
        result = await sender(todo)
    except BaseException:
        await store.release_deliveries(claimed)
        raise
    await mark_sent(store, result.sent)
    await mark_failed(store, result.failed)
    await store.release_deliveries(set(claimed) - set(result.sent) - set(result.failed))
    return result


def now_utc() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
