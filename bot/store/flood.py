"""The flood count shared by instances on one store: messages per villager per time bucket.

A villager's message adds one to their row of the current bucket in one atomic UPSERT, so that
two instances (or connections) counting at once count exactly; the limit is judged over the
current bucket and those just before it (`span` buckets in all), which no instance writes to
any more. The total therefore rises by one per message, whichever instance counts it, and the
message taking it over the limit is seen by exactly one. Each bucket in which the limit was
exceeded is flagged, so that one slow-down reply is said per flood, not one per bucket.

Rows name the villager by the same pseudonymous user key as the question log, never a raw id,
and are pruned a span after their bucket.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from bot.store.connection import Connection
from bot.store.driver import DRIVER_ERRORS

logger = logging.getLogger(__name__)

# after a failed flood count, seconds before the store is tried again (the limiter in memory
# counts meanwhile)
FLOOD_RETRY_S = 5.0
_COUNT = (
    "INSERT INTO flood (user_key, bucket, n) VALUES (?, ?, 1)"
    " ON CONFLICT (user_key, bucket) DO UPDATE SET n = flood.n + 1 RETURNING n, flagged"
)
_BEFORE = (
    "SELECT COALESCE(SUM(n), 0), COALESCE(MAX(flagged), 0) FROM flood"
    " WHERE user_key = ? AND bucket > ? AND bucket < ?"
)
_FLAG = "UPDATE flood SET flagged = 1 WHERE user_key = ? AND bucket = ? AND flagged = 0"


@dataclass(frozen=True)
class FloodCount:
    """One message counted: the villager's messages over the span, this one included, and
    whether this is the first over the limit (the one to say the slow-down reply)."""

    total: int
    first_over: bool


class FloodStore(Connection):
    """The shared flood count (a part of Store)."""

    _flood_failing = False
    _flood_retry_at = 0.0

    async def count_flood(
        self, user_key: str, bucket: int, *, span: int, limit: int
    ) -> FloodCount | None:
        """Count one message of `user_key` in `bucket`, judged over the `span` buckets ending
        with it against `limit`; None when the count cannot be written (logged once, and not
        tried again for a few seconds: the caller counts in memory then)."""
        if self._flood_failing and time.monotonic() < self._flood_retry_at:
            return None
        try:
            async with self._transaction():
                row = await self._db.fetchone(_COUNT, (user_key, bucket))
                assert row is not None
                here, flagged = int(row[0]), bool(row[1])
                before = await self._db.fetchone(_BEFORE, (user_key, bucket - span, bucket))
                total = here + (int(before[0]) if before else 0)
                first = False
                if total > limit and not flagged:
                    # of concurrent counts in this bucket, one flags it (the row is locked)
                    moved = await self._db.execute(_FLAG, (user_key, bucket))
                    first = bool(moved) and not (before and int(before[1]))
        except DRIVER_ERRORS as exc:
            if not self._flood_failing:
                logger.warning("cannot count in the shared flood limit (%s): counting here", exc)
            self._flood_failing = True
            self._flood_retry_at = time.monotonic() + FLOOD_RETRY_S
            return None
        if self._flood_failing:
            logger.info("the shared flood limit is counted in the store again")
        self._flood_failing = False
        return FloodCount(total, first)

    async def prune_flood(self, before: int) -> int:
        """Delete the counts of buckets before `before`; return how many rows went."""
        async with self._transaction():
            return max(await self._db.execute("DELETE FROM flood WHERE bucket < ?", (before,)), 0)
