"""The store's shared flood count: on both backends, counted exactly by two connections at
once, the message over the limit seen by exactly one, one per flood, and old buckets pruned."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.store import FloodCount, Store

KEY = "telegram:0123456789abcdef"
SPAN, LIMIT = 6, 20


async def test_counts_add_up_over_the_span_and_forget_older_buckets(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        totals = [(await store.count_flood(KEY, 100, span=SPAN, limit=LIMIT)) for _ in range(3)]
        assert totals == [FloodCount(1, False), FloodCount(2, False), FloodCount(3, False)]
        got = await store.count_flood(KEY, 105, span=SPAN, limit=LIMIT)  # 100 is still in it
        assert got == FloodCount(4, False)
        got = await store.count_flood(KEY, 106, span=SPAN, limit=LIMIT)  # 100 has left it
        assert got == FloodCount(2, False)
        got = await store.count_flood("telegram:other", 106, span=SPAN, limit=LIMIT)
        assert got == FloodCount(1, False)


async def test_the_first_over_the_limit_is_flagged_once_per_flood(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:

        async def burst(bucket: int, n: int) -> list[FloodCount | None]:
            return [await store.count_flood(KEY, bucket, span=SPAN, limit=LIMIT) for _ in range(n)]

        first = await burst(100, 25)
        assert [c.total for c in first if c] == list(range(1, 26))
        assert [c.total for c in first if c and c.first_over] == [LIMIT + 1]
        # the flood goes on for minutes at 25 a bucket: no second slow-down reply
        later = [c for b in range(101, 120) for c in await burst(b, 25)]
        assert all(c and c.total > LIMIT for c in later)
        assert not any(c and c.first_over for c in later)
        # a pause of a span: answered again, and the next flood is told once again
        again = await burst(130, 22)
        assert [c.total for c in again if c and c.first_over] == [LIMIT + 1]


async def test_two_connections_counting_at_once_count_exactly_and_one_sees_the_crossing(
    db_target: Path | str,
) -> None:
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        for round_, bucket in enumerate(range(1000, 1000 + 10 * SPAN, SPAN)):
            counts = await asyncio.gather(
                *(
                    store.count_flood(KEY, bucket, span=SPAN, limit=LIMIT)
                    for _ in range(15)
                    for store in (first, second)
                )
            )
            totals = sorted(c.total for c in counts if c is not None)
            assert totals == list(range(1, 31)), f"round {round_}: {totals}"
            crossing = [c.total for c in counts if c is not None and c.first_over]
            assert crossing == [LIMIT + 1], f"round {round_}: {crossing}"
    finally:
        await first.close()
        await second.close()


async def test_old_buckets_are_pruned_and_recent_ones_kept(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:
        for bucket in (90, 95, 100, 101):
            await store.count_flood(KEY, bucket, span=SPAN, limit=LIMIT)
        assert await store.prune_flood(100) == 2
        assert await store.prune_flood(100) == 0
        got = await store.count_flood(KEY, 101, span=SPAN, limit=LIMIT)
        assert got == FloodCount(3, False)  # 100 and 101 (twice) are still counted


async def test_a_locked_database_gives_no_count_for_a_while_and_never_an_error(
    tmp_path: Path,
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, busy_timeout=0.1) as store:
        assert await store.count_flood(KEY, 100, span=SPAN, limit=LIMIT) == FloodCount(1, False)
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN EXCLUSIVE")
        try:
            assert await store.count_flood(KEY, 100, span=SPAN, limit=LIMIT) is None
        finally:
            other.execute("ROLLBACK")
            other.close()
        # not tried again at once: the next message does not wait out the busy timeout again
        assert await store.count_flood(KEY, 100, span=SPAN, limit=LIMIT) is None
