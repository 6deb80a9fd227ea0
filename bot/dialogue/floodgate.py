"""The flood limit as the bot applies it: counted in the store when instances share one (webhook
mode), in this process's memory otherwise, and in memory whenever the store fails.

The shared count judges the limit over the current time bucket and the ones before it, `buckets`
of them making one window (`window / buckets` seconds each): what it counts is the last
(buckets - 1) / buckets of a window at least and one window at most, so it never limits more
than the in-memory sliding window does, and no villager gets more than `limit` messages
answered in any (buckets - 1) / buckets of a window (50 s of 60 with the default 6 buckets).
The instances' clocks must agree to well under a bucket (NTP), as for their leases.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from bot.dialogue.flood import FloodLimiter, Verdict
from bot.store import FloodCount, Store, StoreUnavailable

logger = logging.getLogger(__name__)

BUCKETS = 6  # a window in buckets: 10 s each for a 60 s window
# ValueError: aiosqlite's answer on a connection already closed (at shutdown)
_FAILURES = (StoreUnavailable, ValueError)


class FloodGate:
    """Count one message and say whether to answer it: in `store` (shared by instances) when
    given, and always in `local`, which answers alone without a store or while it fails."""

    def __init__(
        self,
        local: FloodLimiter,
        store: Store | None = None,
        *,
        buckets: int = BUCKETS,
        clock: Callable[[], float] = time.time,
    ) -> None:
        """Limit as `local` does (its limit and window), shared through `store` if given."""
        if buckets < 2:
            raise ValueError("buckets must be ≥ 2")
        self.local = local
        self._store = store
        self._span = buckets
        self._width = local.window / buckets
        self._clock = clock  # wall-clock seconds: every instance's buckets must agree

    @property
    def shared(self) -> bool:
        """Whether the count is kept in the store (other instances see it)."""
        return self._store is not None

    async def check(self, key: str) -> Verdict:
        """Count one message from `key` (a pseudonymous user key) and say what to do with it."""
        here = self.local.check(key)  # counted here too: the fallback knows the recent past
        if self._store is None:
            return here
        try:
            count = await self._store.count_flood(
                key, self._bucket(), span=self._span, limit=self.local.limit
            )
        except _FAILURES as exc:
            logger.debug("shared flood count failed (%s): counted here", exc)
            count = None
        return here if count is None else self._verdict(count)

    async def prune(self) -> int:
        """Forget the shared counts no longer judged; return how many went (0 on a failure)."""
        if self._store is None:
            return 0
        try:
            return await self._store.prune_flood(self._bucket() - self._span)
        except _FAILURES as exc:
            logger.debug("could not prune the shared flood count (%s)", exc)
            return 0

    def _bucket(self) -> int:
        return int(self._clock() // self._width)

    def _verdict(self, count: FloodCount) -> Verdict:
        if count.total <= self.local.limit:
            return Verdict.ALLOW
        return Verdict.WARN if count.first_over else Verdict.DROP
