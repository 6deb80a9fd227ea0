"""The inbox: updates fetched from Telegram, kept until handled (at-least-once delivery).

Telegram forgets an update once the next getUpdates confirms it, and python-telegram-bot
confirms a batch when it fetches the next one, before the batch is handled. An update written
here first survives a kill: the next start handles it. The update's JSON holds a villager's
words unmasked (masking would change the question re-processed), so it is erased the moment
the update is handled; the bare id stays a while to recognise Telegram sending it again.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence

from bot.store.connection import Connection
from bot.store.driver import DRIVER_ERRORS
from bot.store.lease import INSTANCE

logger = logging.getLogger(__name__)

# Handled ids kept to recognise a re-sent update: a few minutes of a busy bot; Telegram only
# re-sends the unconfirmed batch (at most 100) after a restart.
HANDLED_KEPT = 10_000
# after a failed inbox write, seconds before the next try (as the question log's backlog)
INBOX_RETRY_S = 5.0
_KEEP = "INSERT OR IGNORE INTO inbox (update_id, raw, fetched_at, holder) VALUES (?, ?, ?, ?)"
# unhandled updates held by an instance whose lease is gone (dropped at its stop, or expired)
_ORPHANS = (
    "SELECT update_id, raw, holder FROM inbox WHERE handled_at IS NULL AND holder IS NOT NULL"
    " AND holder != ? AND NOT EXISTS (SELECT 1 FROM leases WHERE leases.name = ? || inbox.holder"
    " AND leases.expires_at > ?) ORDER BY update_id"
)
_ADOPT = "UPDATE inbox SET holder = ? WHERE update_id = ? AND holder = ? AND handled_at IS NULL"


class InboxStore(Connection):
    """Fetched updates until they are handled (a part of Store)."""

    _inbox_failing = False
    _inbox_retry_at = 0.0

    def _inbox_resting(self) -> bool:
        """Whether the inbox failed a moment ago: then a write is not tried again (each try
        may wait out the busy timeout, and the connection's lock would hold every villager's
        question log write behind it)."""
        return self._inbox_failing and time.monotonic() < self._inbox_retry_at

    async def keep_updates(
        self, updates: Sequence[tuple[int, str]], at: str, holder: str | None = None
    ) -> set[int] | None:
        """Write `(update_id, json)` pairs not in the inbox yet; return the ids that were there.

        An id is claimed by its insert, so of several instances (or connections) keeping one
        update at once exactly one finds it new: the others wait for its commit and see it
        known. `holder` names the claiming instance (webhook mode). None when the inbox cannot
        be written (the batch is then handled at most once; logged once until it works again).
        """
        if self._inbox_resting():
            return None
        try:
            known: set[int] = set()
            async with self._transaction():
                # in id order: two instances inserting one batch never wait on each other in a
                # circle (a deadlock PostgreSQL would break by failing one)
                for update_id, raw in sorted(updates):
                    if not await self._db.execute(_KEEP, (update_id, raw, at, holder)):
                        known.add(update_id)
        except DRIVER_ERRORS as exc:
            self._inbox_failed("cannot write the inbox (%s): updates are handled unsaved", exc)
            return None
        self._inbox_failing = False
        return known

    async def mark_handled(self, update_id: int, at: str) -> None:
        """Record that `update_id` was handled and erase its content."""
        if self._inbox_resting():
            return  # a kept one may be answered again after a restart: at least once
        try:
            async with self._transaction():
                await self._db.execute(
                    "UPDATE inbox SET raw = NULL, handled_at = ? WHERE update_id = ?",
                    (at, update_id),
                )
        except DRIVER_ERRORS as exc:
            self._inbox_failed("cannot mark an update handled in the inbox (%s)", exc)

    async def unhandled_updates(self) -> list[tuple[int, str | None]]:
        """The updates fetched and not handled, oldest first, as `(update_id, json)`."""
        rows = await self._db.fetchall(
            "SELECT update_id, raw FROM inbox WHERE handled_at IS NULL ORDER BY update_id"
        )
        return [(int(i), None if raw is None else str(raw)) for i, raw in rows]

    async def orphaned_updates(
        self, holder: str, *, now: float | None = None
    ) -> list[tuple[int, str | None, str]]:
        """Unhandled updates another instance claimed and whose lease is gone (it stopped or
        was killed): `(update_id, json, its holder)`, oldest first; `holder` is the asker."""
        at = int(time.time() if now is None else now)
        rows = await self._db.fetchall(_ORPHANS, (holder, INSTANCE, at))
        return [(int(i), None if raw is None else str(raw), str(was)) for i, raw, was in rows]

    async def adopt_update(self, update_id: int, was: str, holder: str) -> bool:
        """Move an orphaned update from `was` to `holder`; whether this call moved it (of
        several instances adopting it at once, exactly one does)."""
        async with self._transaction():
            return bool(await self._db.execute(_ADOPT, (holder, update_id, was)))

    async def prune_inbox(self, *, keep: int = HANDLED_KEPT) -> int:
        """Delete handled updates but the newest `keep`; return how many went."""
        try:
            async with self._transaction():
                gone = await self._db.execute(
                    "DELETE FROM inbox WHERE handled_at IS NOT NULL AND update_id NOT IN"
                    " (SELECT update_id FROM inbox WHERE handled_at IS NOT NULL"
                    " ORDER BY update_id DESC LIMIT ?)",
                    (keep,),
                )
        except DRIVER_ERRORS as exc:
            self._inbox_failed("cannot prune the inbox (%s)", exc)
            return 0
        return max(gone, 0)

    def _inbox_failed(self, message: str, exc: BaseException) -> None:
        if not self._inbox_failing:
            logger.warning(message, exc)
        self._inbox_failing = True
        self._inbox_retry_at = time.monotonic() + INBOX_RETRY_S
