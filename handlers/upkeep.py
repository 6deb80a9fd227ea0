"""Work besides answering: deliver editors' answers, pick up an edited knowledge base."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from pathlib import Path

from telegram import Bot

from bot.knowledge import LEXICON_NAME, KnowledgeError, load_knowledge
from bot.review import Delivery, Recipient, Sender, deliver, pending_replies
from bot.understand import Matcher
from handlers.outbox import send_each
from handlers.render import send_text
from handlers.runtime import Runtime, store_of

logger = logging.getLogger(__name__)


def bot_sender(bot: Bot) -> Sender:
    """Send editors' answers with the running bot (its rate limits and retries apply)."""

    async def send(recipients: Sequence[Recipient]) -> Delivery:
        return await send_each(recipients, lambda chat_id, text: send_text(bot, chat_id, text))

    return send


async def deliver_pending(bot: Bot, rt: Runtime) -> Delivery:
    """Send every answer resolved but not delivered yet (e.g. by `policybot log resolve`)."""
    store = store_of(rt)
    async with rt.delivery_lock:
        return await deliver(store, await pending_replies(store), bot_sender(bot))


async def reload_knowledge(rt: Runtime) -> list[str]:
    """Re-read and validate the knowledge base and serve it; return its problems if it is broken.

    A broken file changes nothing: the knowledge base being served stays.
    """
    try:
        matcher = await asyncio.to_thread(_build_matcher, rt.kb_path)
    except KnowledgeError as exc:
        logger.warning("reload refused: %d problem(s) in %s", len(exc.problems), rt.kb_path)
        return [str(p) for p in exc.problems]
    rt.service.replace_matcher(matcher)
    logger.info("knowledge base reloaded: %d entries", len(matcher.kb.entries))
    return []


class KnowledgeWatch:
    """Notice edits of the knowledge base file and the lexicon beside it."""

    def __init__(self, kb_path: Path) -> None:
        """Watch `kb_path`; its current state counts as already served."""
        self._paths = (kb_path, kb_path.with_name(LEXICON_NAME))
        self._seen = self._signature()
        self._settling: tuple[tuple[int, int] | None, ...] | None = None

    def changed(self) -> bool:
        """Whether a watched file changed since it was last served (blocking: a few stat calls).

        A change counts once the files have stayed the same for one more call: an editor's save
        (or a copy) that is still being written is not read half-way.
        """
        now = self._signature()
        if now == self._seen:
            self._settling = None
            return False
        if now != self._settling:
            self._settling = now
            return False
        self._seen, self._settling = now, None
        return True

    def _signature(self) -> tuple[tuple[int, int] | None, ...]:
        signature: list[tuple[int, int] | None] = []
        for path in self._paths:
            try:
                stat = path.stat()
            except OSError:
                signature.append(None)
            else:
                signature.append((stat.st_mtime_ns, stat.st_size))
        return tuple(signature)


async def upkeep_forever(bot: Bot, rt: Runtime, watch: KnowledgeWatch, interval: float) -> None:
    """Every `interval` seconds until cancelled: write questions kept in memory while the
    database failed, prune the shared flood counts, reload an edited KB, deliver pending
    answers."""
    while True:
        try:
            await store_of(rt).flush_kept()  # a no-op unless the database failed
            await rt.flood.prune()  # the shared flood counts no longer judged
            # before deliveries: a knowledge base edit does not wait for a failing database
            if await asyncio.to_thread(watch.changed):
                await reload_knowledge(rt)
            done = await deliver_pending(bot, rt)
            if done.sent or done.failed:
                logger.info(
                    "delivered %d pending answer(s); %d undeliverable",
                    len(done.sent),
                    len(done.failed),
                )
        except Exception:  # the edge of a background task: log, and try again next time
            logger.exception("upkeep failed; trying again in %s s", interval)
        await asyncio.sleep(interval)


def _build_matcher(path: Path) -> Matcher:
    """Load, validate and index the knowledge base (slow: runs in a thread)."""
    return Matcher(load_knowledge(path))
