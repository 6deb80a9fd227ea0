"""Per-villager flood limit, channel-agnostic: allow, warn once, or drop a message."""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from enum import StrEnum

# A villager typing by hand sends a few messages a minute; 20 is far above that and well below
# what a stuck key, a forwarding loop or a script produces.
FLOOD_LIMIT = 20
FLOOD_WINDOW = 60.0
# Forget villagers idle for a window once this many are tracked (bounds memory under attack).
_PRUNE_AT = 10_000


class Verdict(StrEnum):
    """What to do with one incoming message."""

    ALLOW = "allow"  # answer it
    WARN = "warn"  # the first message over the limit: say messages.SLOW_DOWN once
    DROP = "drop"  # still flooding: neither answer nor store it


class _Sender:
    __slots__ = ("times", "warned")

    def __init__(self, limit: int) -> None:
        self.times: deque[float] = deque(maxlen=limit)
        self.warned = False


class FloodLimiter:
    """Allow `limit` messages per `window` seconds per sender; warn once, then drop the rest.

    Every message counts, dropped ones too, so a sender who keeps flooding stays limited until
    they pause; the first message after the pause is answered again.
    """

    def __init__(
        self,
        *,
        limit: int = FLOOD_LIMIT,
        window: float = FLOOD_WINDOW,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Limit each key to `limit` messages in any `window` seconds, timed by `clock`."""
        if limit < 1 or window <= 0:
            raise ValueError("limit must be ≥ 1 and window > 0")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._senders: dict[str, _Sender] = {}

    def check(self, key: str) -> Verdict:
        """Count one message from `key` and say whether to answer it."""
        now = self._clock()
        if len(self._senders) >= _PRUNE_AT:
            self._prune(now)
        sender = self._senders.get(key)
        if sender is None:
            sender = self._senders[key] = _Sender(self.limit)
        times = sender.times
        flooding = len(times) == self.limit and now - times[0] < self.window
        times.append(now)
        if not flooding:
            sender.warned = False
            return Verdict.ALLOW
        if sender.warned:
            return Verdict.DROP
        sender.warned = True
        return Verdict.WARN

    @property
    def tracked(self) -> int:
        """How many senders are remembered."""
        return len(self._senders)

    def _prune(self, now: float) -> None:
        idle = [k for k, s in self._senders.items() if now - s.times[-1] >= self.window]
        for key in idle:
            del self._senders[key]
