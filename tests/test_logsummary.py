"""Repeated warnings and errors are summarised, not written thousands of times (issue 14.8)."""

from __future__ import annotations

import io
import logging

from bot.logsummary import RepeatSummary


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _logger(clock: Clock) -> tuple[logging.Logger, io.StringIO]:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.addFilter(RepeatSummary(window=60, clock=clock))
    log = logging.getLogger(f"test.summary.{id(clock)}")
    log.handlers[:] = [handler]
    log.propagate = False
    log.setLevel(logging.DEBUG)
    return log, out


def test_the_first_goes_through_repeats_are_counted_and_reported_after_the_window() -> None:
    clock = Clock()
    log, out = _logger(clock)
    for i in range(500):
        clock.now = i * 0.04  # 20 s of an outage
        log.warning("%s: Bot API answered %s; retrying", "sendMessage", 502)
    clock.now = 61
    log.warning("%s: Bot API answered %s; retrying", "getUpdates", 502)
    lines = out.getvalue().splitlines()
    assert lines == [
        "sendMessage: Bot API answered 502; retrying",
        "getUpdates: Bot API answered 502; retrying (and 499 more like it in the last 61 s)",
    ]


def _fail() -> None:
    raise OSError("disk full")


def test_other_kinds_and_info_lines_are_not_held_back() -> None:
    clock = Clock()
    log, out = _logger(clock)
    for _ in range(3):
        log.warning("database is locked")
        log.error("database is locked")  # another level: another kind
        log.info("answered %s", "a villager")
        try:
            _fail()
        except OSError:
            log.warning("database is locked", exc_info=True)  # with an exception: another kind
    text = out.getvalue()
    assert text.count("answered a villager") == 3
    assert text.count("database is locked") == 3  # one per kind
    assert text.count("OSError: disk full") == 1


def test_a_flood_of_distinct_messages_does_not_grow_memory_without_bound() -> None:
    clock = Clock()
    summary = RepeatSummary(clock=clock)
    for i in range(5000):
        record = logging.LogRecord("x", logging.WARNING, __file__, 1, f"msg {i}", None, None)
        assert summary.filter(record)
    assert len(summary._seen) <= 1001
