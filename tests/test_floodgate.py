"""The flood limit as the bot applies it (bot/dialogue/floodgate.py): shared by two instances'
gates on one store (both backends), in memory without a store or while it fails."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.dialogue import FLOOD_LIMIT, FloodGate, FloodLimiter, Verdict
from bot.store import Store

KEY = "telegram:0123456789abcdef"
NOW = 1_800_000_000.0


class Clock:
    """A clock the test moves by hand."""

    def __init__(self, now: float = NOW) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


async def test_two_instances_share_one_limit_and_say_slow_down_once(
    db_target: Path | str,
) -> None:
    clock = Clock()
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        gates = [FloodGate(FloodLimiter(clock=clock), s, clock=clock) for s in (first, second)]
        verdicts = []
        for i in range(50):  # alternately, as a load balancer spreads them
            verdicts.append(await gates[i % 2].check(KEY))
            clock.now += 0.5  # 25 s in all: one window, across three buckets
        assert verdicts == [Verdict.ALLOW] * FLOOD_LIMIT + [Verdict.WARN] + [Verdict.DROP] * 29
        # each instance alone would have answered 20 of its 25
        assert await gates[0].check("telegram:another") is Verdict.ALLOW
        clock.now += 60  # a pause of a window: answered again
        assert await gates[1].check(KEY) is Verdict.ALLOW
    finally:
        await first.close()
        await second.close()


async def test_without_a_store_the_limit_is_this_process_s_own() -> None:
    clock = Clock()
    gate = FloodGate(FloodLimiter(clock=clock), clock=clock)
    assert not gate.shared
    verdicts = [await gate.check(KEY) for _ in range(22)]
    assert verdicts == [Verdict.ALLOW] * FLOOD_LIMIT + [Verdict.WARN, Verdict.DROP]
    assert await gate.prune() == 0


async def test_a_failing_store_falls_back_to_the_count_in_memory(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    clock = Clock()
    store = await Store.open(path, busy_timeout=0.1)
    gate = FloodGate(FloodLimiter(clock=clock), store, clock=clock)
    other = sqlite3.connect(path, isolation_level=None)
    try:
        for _ in range(5):
            assert await gate.check(KEY) is Verdict.ALLOW  # counted in both
        other.execute("BEGIN EXCLUSIVE")  # the store is locked: counted in memory only
        verdicts = [await gate.check(KEY) for _ in range(17)]
        assert verdicts == [Verdict.ALLOW] * 15 + [Verdict.WARN, Verdict.DROP]
        assert await gate.prune() == 0  # no error either
    finally:
        other.execute("ROLLBACK")
        other.close()
        await store.close()
    # a closed store (at shutdown) neither raises nor drops the villager
    closed = await Store.open(path)
    await closed.close()
    gate = FloodGate(FloodLimiter(clock=clock), closed, clock=clock)
    assert [await gate.check(KEY) for _ in range(2)] == [Verdict.ALLOW] * 2


async def test_old_shared_counts_are_pruned_a_window_later(db_target: Path | str) -> None:
    clock = Clock()
    async with await Store.open(db_target) as store:
        gate = FloodGate(FloodLimiter(clock=clock), store, clock=clock)
        assert gate.shared
        for _ in range(3):
            await gate.check(KEY)
            clock.now += 10  # one bucket each
        assert await gate.prune() == 0  # all three still judged
        clock.now += 60
        assert await gate.prune() == 3
