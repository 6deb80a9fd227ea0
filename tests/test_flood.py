"""The per-villager flood limit (bot/flood.py)."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.dialogue import FLOOD_LIMIT, FLOOD_WINDOW, FloodLimiter, Verdict


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_twenty_a_minute_are_answered_then_one_warning_then_silence() -> None:
    clock = Clock()
    flood = FloodLimiter(clock=clock)
    verdicts = []
    for _ in range(25):
        verdicts.append(flood.check("a"))
        clock.now += 0.5
    assert FLOOD_LIMIT == 20
    assert verdicts == [Verdict.ALLOW] * 20 + [Verdict.WARN] + [Verdict.DROP] * 4


def test_villagers_are_limited_separately() -> None:
    flood = FloodLimiter(clock=Clock())
    for _ in range(30):
        flood.check("a")
    assert flood.check("b") is Verdict.ALLOW


def test_a_pause_of_a_window_lets_the_villager_ask_again_and_be_warned_again() -> None:
    clock = Clock()
    flood = FloodLimiter(clock=clock)
    for _ in range(40):
        flood.check("a")
    clock.now += FLOOD_WINDOW
    assert flood.check("a") is Verdict.ALLOW
    for _ in range(19):
        flood.check("a")
    assert flood.check("a") is Verdict.WARN


def test_a_steady_flood_stays_silenced_because_dropped_messages_count() -> None:
    clock = Clock()
    flood = FloodLimiter(clock=clock)
    seen = []
    for _ in range(600):  # one message a second for ten minutes
        seen.append(flood.check("a"))
        clock.now += 1.0
    # 1 msg/s is 60 a minute: the first 20, then every 20th as the window slides.
    assert seen.count(Verdict.WARN) >= 1
    assert seen.count(Verdict.ALLOW) <= 20 * (600 // 60 + 1)


def test_idle_villagers_are_forgotten_when_many_are_tracked() -> None:
    clock = Clock()
    flood = FloodLimiter(clock=clock)
    for i in range(10_000):
        flood.check(f"v{i}")
    clock.now += FLOOD_WINDOW
    flood.check("late")
    assert flood.tracked == 1


def test_invalid_limits_are_refused() -> None:
    with pytest.raises(ValueError, match="limit"):
        FloodLimiter(limit=0)
    with pytest.raises(ValueError, match="window"):
        FloodLimiter(window=0)


@given(
    st.lists(
        st.tuples(st.sampled_from("abc"), st.floats(min_value=0, max_value=30)),
        max_size=300,
    )
)
def test_never_more_than_limit_answers_in_any_window_and_one_warning_per_flood(
    events: list[tuple[str, float]],
) -> None:
    clock = Clock()
    flood = FloodLimiter(limit=5, window=10, clock=clock)
    answered: dict[str, list[float]] = {}
    last: dict[str, Verdict] = {}
    for key, gap in events:
        clock.now += gap
        verdict = flood.check(key)
        if verdict is Verdict.ALLOW:
            times = answered.setdefault(key, [])
            times.append(clock.now)
            assert sum(1 for t in times if clock.now - t < 10) <= 5
        if verdict is Verdict.WARN:
            assert last.get(key) is not Verdict.WARN
        if verdict is Verdict.DROP:
            assert last.get(key) in (Verdict.WARN, Verdict.DROP)
        last[key] = verdict
