"""The store's leases: held by one holder until it expires, renewed by its holder, dropped at
a clean stop; on both backends, and taken by exactly one of two connections at once."""

from __future__ import annotations

import asyncio
from pathlib import Path

from bot.store import Held, Store

NOW = 1_800_000_000.0
NAME = "polling:abc"


async def test_a_lease_is_refused_to_others_until_it_expires_and_renewed_by_its_holder(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        assert await store.take_lease(NAME, "a", 30, now=NOW) is None
        assert await store.take_lease(NAME, "b", 30, now=NOW + 10) == Held("a", 20)
        assert await store.take_lease(NAME, "a", 30, now=NOW + 20) is None  # renewed
        assert await store.take_lease(NAME, "b", 30, now=NOW + 40) == Held("a", 10)
        assert await store.take_lease("polling:other", "b", 30, now=NOW) is None
        # a holder killed without a word: its lease runs out, the next one takes it
        assert await store.take_lease(NAME, "b", 30, now=NOW + 50) is None
        assert await store.take_lease(NAME, "a", 30, now=NOW + 51) == Held("b", 29)


async def test_a_dropped_lease_is_free_at_once_but_only_its_holder_drops_it(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        assert await store.take_lease(NAME, "a", 30, now=NOW) is None
        await store.drop_lease(NAME, "b")
        assert await store.take_lease(NAME, "b", 30, now=NOW + 1) == Held("a", 29)
        await store.drop_lease(NAME, "a")
        assert await store.take_lease(NAME, "b", 30, now=NOW + 1) is None


async def test_two_connections_taking_one_lease_at_once_get_it_once(
    db_target: Path | str,
) -> None:
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        for round_ in range(20):
            at = NOW + round_ * 100  # the previous round's lease has expired
            got = await asyncio.gather(
                first.take_lease(NAME, "a", 30, now=at), second.take_lease(NAME, "b", 30, now=at)
            )
            assert got.count(None) == 1, f"round {round_}: {got}"
    finally:
        await first.close()
        await second.close()


async def test_a_live_lease_is_taken_over_from_a_holder_known_to_be_gone(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        assert await store.take_lease(NAME, "a", 30, now=NOW) is None
        assert await store.take_lease(NAME, "b", 30, replacing="c", now=NOW) == Held("a", 30)
        assert await store.take_lease(NAME, "b", 30, replacing="a", now=NOW) is None
        assert await store.take_lease(NAME, "a", 30, now=NOW + 1) == Held("b", 29)
