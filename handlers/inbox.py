"""At-least-once long polling: each fetched update is kept in the store's inbox before PTB
may confirm it to Telegram, marked handled when its handlers are done, and, after a kill,
handled at the next start.

PTB confirms a getUpdates batch (the next call's `offset`) as soon as it fetches the next one;
without the inbox, what was fetched and not yet handled when the process died was gone. A
SIGTERM stops fetching and gives the updates in hand `stop_grace` seconds: those still
unfinished then are cancelled and stay in the inbox for the next start.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
import logging
from collections.abc import Awaitable, Sequence
from typing import Any

from telegram import Bot, Update
from telegram.ext import Application

from bot.store import Store, StoreUnavailable
from handlers.transport import PerChatUpdateProcessor

logger = logging.getLogger(__name__)

PRUNE_EVERY = 1000  # handled updates between two prunes of the inbox


def _now() -> str:
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


def _bare(update: Update) -> bool:
    """An update with nothing but its id: a re-sent one (or one PTB cannot read)."""
    return update.to_dict() == {"update_id": update.update_id}


class Inbox:
    """The store's inbox as the bot sees it; a no-op until `bind` (webhook mode, tests)."""

    def __init__(self) -> None:
        """Nothing kept until a store is bound."""
        self._store: Store | None = None
        self._holder: str | None = None
        self._handled = 0

    def bind(self, store: Store | None, holder: str | None = None) -> None:
        """Keep updates in `store` from now on (None: stop, before the store closes); a
        webhook instance claims them as `holder`."""
        self._store = store
        self._holder = holder

    async def keep(self, updates: Sequence[Update]) -> tuple[Update, ...]:
        """Write the batch to the inbox; return it with updates seen before made bare.

        A bare update matches no handler, but PTB still confirms its id to Telegram.
        """
        store = self._store
        fresh = [u for u in updates if not _bare(u)]
        if store is None or not fresh:
            return tuple(updates)
        known = await store.keep_updates([(u.update_id, u.to_json()) for u in fresh], _now())
        if not known:
            return tuple(updates)
        logger.info("%d update(s) fetched again were already in the inbox", len(known))
        return tuple(Update(update_id=u.update_id) if u.update_id in known else u for u in updates)

    async def claim(self, update_id: int, raw: str) -> bool:
        """Claim a webhook update (its JSON `raw`) by its id; whether this instance handles it.

        False when the id is in the inbox already: handled, or being handled by another
        instance behind the same load balancer (Telegram re-sent it after a timeout). True when
        it is new, and when the inbox cannot be written (handled unsaved, as polling does).
        """
        store = self._store
        if store is None:
            return True
        known = await store.keep_updates([(update_id, raw)], _now(), self._holder)
        if known is None or update_id not in known:
            return True
        logger.info("update %s was already in the inbox: acknowledged, not handled", update_id)
        return False

    async def done(self, update: object) -> None:
        """Mark `update` handled (its content is erased from the inbox)."""
        store = self._store
        if store is None or not isinstance(update, Update) or _bare(update):
            return
        await store.mark_handled(update.update_id, _now())
        self._handled += 1
        if self._handled % PRUNE_EVERY == 0:
            await store.prune_inbox()

    async def resume(self, app: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """Queue the updates a previous run fetched and did not handle, oldest first.

        A row that is not an update (damage, an edit by hand) is logged once by its id and
        marked handled, so that it cannot stop every later start.
        """
        store = self._store
        if store is None:
            return 0
        await store.prune_inbox()
        queued = 0
        for update_id, raw in await store.unhandled_updates():
            update = _read(update_id, raw, app.bot)
            if update is None:
                await store.mark_handled(update_id, _now())
                continue
            await app.update_queue.put(update)
            queued += 1
        if queued:
            logger.warning("resuming %d update(s) fetched before the last stop", queued)
        return queued

    async def adopt(self, app: Application[Any, Any, Any, Any, Any, Any]) -> int:
        """Queue the unhandled updates of webhook instances that stopped or were killed (their
        lease is gone), each adopted by exactly one survivor; return how many this one took."""
        store, me = self._store, self._holder
        if store is None or me is None:
            return 0
        adopted = 0
        try:
            for update_id, raw, was in await store.orphaned_updates(me):
                if not await store.adopt_update(update_id, was, me):
                    continue  # another survivor was first
                update = _read(update_id, raw, app.bot)
                if update is None:
                    await store.mark_handled(update_id, _now())
                    continue
                await app.update_queue.put(update)
                adopted += 1
        except StoreUnavailable as exc:
            logger.warning("cannot adopt the updates of a stopped instance: %s", exc)
        if adopted:
            logger.warning("adopted %d update(s) left unhandled by a stopped instance", adopted)
        return adopted


def _read(update_id: int, raw: str | None, bot: Bot) -> Update | None:
    try:
        data = json.loads(raw or "")
        if not isinstance(data, dict) or data.get("update_id") != update_id:
            raise ValueError("not this update")  # noqa: TRY301 — one line for every kind
        return Update.de_json(data, bot)
    except Exception as exc:  # anything in a bad row: it must not stop the start
        logger.warning("skipped inbox row %s: not an update (%s)", update_id, type(exc).__name__)
        return None


class InboxUpdateProcessor(PerChatUpdateProcessor):
    """PerChatUpdateProcessor that marks each update handled in the inbox when it is done,
    and at a stop cancels what is still unfinished after the grace."""

    def __init__(self, inbox: Inbox, **kwargs: Any) -> None:
        """As PerChatUpdateProcessor, marking updates done in `inbox`."""
        super().__init__(**kwargs)
        self._inbox = inbox
        self._running: set[asyncio.Task[Any]] = set()
        self.abandoned = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Process `update` (see PerChatUpdateProcessor), then mark it handled."""
        task = asyncio.current_task()
        if task is not None:
            self._running.add(task)
        try:
            await super().do_process_update(update, coroutine)
        finally:
            if task is not None:
                self._running.discard(task)
        # not reached when cancelled: a cancelled update stays in the inbox
        await self._inbox.done(update)

    def abandon(self) -> int:
        """Cancel every update not finished yet; return how many."""
        for task in self._running:
            task.cancel()
        self.abandoned += len(self._running)
        return len(self._running)


class GracefulApplication(Application[Any, Any, Any, Any, Any, Any]):
    """Application whose stop waits at most `stop_grace` seconds for the updates in hand."""

    def __init__(self, *, stop_grace: float = 20.0, **kwargs: Any) -> None:
        """As Application; `stop_grace` bounds `stop`."""
        super().__init__(**kwargs)
        self.stop_grace = stop_grace

    async def stop(self) -> None:
        """Stop, cancelling the updates still unfinished after the grace (kept in the inbox)."""
        processor = self.update_processor

        def give_up() -> None:
            if isinstance(processor, InboxUpdateProcessor) and (left := processor.abandon()):
                logger.warning(
                    "stop grace of %ss over: %d update(s) left in the inbox for the next start",
                    self.stop_grace,
                    left,
                )

        timer = asyncio.get_running_loop().call_later(self.stop_grace, give_up)
        try:
            await super().stop()
        finally:
            timer.cancel()
