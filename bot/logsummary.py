"""Summarise repeated log lines: a Bot API outage must not write thousands of the same line.

The first warning or error of a kind goes through; the same kind again within `window`
seconds is counted instead of written; the first one after the window goes through with the
count ("… (and 212 more like it in the last 60 s)"). A kind is the logger, the level, the
message before its arguments are filled in (so each endpoint's retries count together) and the
exception type. Info and debug lines are never held back.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

WINDOW_S = 60.0
_MAX_KINDS = 1000  # kinds remembered; older ones are forgotten first


@dataclass
class _Seen:
    first: float
    held: int = 0


class RepeatSummary(logging.Filter):
    """A handler filter that holds back repeats of a warning or error (see the module)."""

    def __init__(self, window: float = WINDOW_S, clock: Callable[[], float] = time.monotonic):
        """Hold back repeats for `window` seconds, timed by `clock`."""
        super().__init__()
        self._window = window
        self._clock = clock
        self._seen: dict[tuple[str, int, str, str], _Seen] = {}

    def filter(self, record: logging.LogRecord) -> bool:
        """Whether to write `record` now (a summarising one gets the count appended)."""
        if record.levelno < logging.WARNING:
            return True
        exc = record.exc_info[0].__name__ if record.exc_info and record.exc_info[0] else ""
        kind = (record.name, record.levelno, str(record.msg), exc)
        now = self._clock()
        seen = self._seen.get(kind)
        if seen is not None and now - seen.first < self._window:
            seen.held += 1
            return False
        if seen is not None and seen.held:
            record.msg = (
                f"{record.getMessage()} (and {seen.held} more like it in the last "
                f"{now - seen.first:.0f} s)"
            )
            record.args = None
        self._seen.pop(kind, None)
        self._seen[kind] = _Seen(now)
        if len(self._seen) > _MAX_KINDS:
            del self._seen[next(iter(self._seen))]
        return True
