"""The store's inbox: fetched updates kept until handled, deduplicated by update_id, bounded;
on both backends, and claimed by exactly one of two connections keeping one batch at once."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.store import Store, instance_lease

AT = "2026-01-01T00:00:00+00:00"


async def test_kept_updates_come_back_unhandled_oldest_first_and_a_second_copy_is_known(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        assert await store.keep_updates([(12, '{"update_id": 12}'), (11, "{}")], AT) == set()
        assert await store.keep_updates([(12, "other"), (13, "{}")], AT) == {12}
        assert await store.unhandled_updates() == [
            (11, "{}"),
            (12, '{"update_id": 12}'),
            (13, "{}"),
        ]
        await store.mark_handled(12, AT)
        assert [i for i, _ in await store.unhandled_updates()] == [11, 13]
        # handled, its id is still known: Telegram sending it again is recognised
        assert await store.keep_updates([(12, "again")], AT) == {12}


async def test_a_handled_update_keeps_no_content(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    async with await Store.open(db) as store:
        await store.keep_updates([(1, '{"text": "我的低保"}')], AT)
        await store.mark_handled(1, AT)
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT raw, handled_at FROM inbox").fetchall() == [(None, AT)]


async def test_pruning_keeps_the_newest_handled_ids_and_every_unhandled_one(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        await store.keep_updates([(i, "{}") for i in range(1, 31)], AT)
        for i in range(1, 21):
            await store.mark_handled(i, AT)
        assert await store.prune_inbox(keep=5) == 15
        assert [i for i, _ in await store.unhandled_updates()] == list(range(21, 31))
        assert await store.keep_updates([(i, "{}") for i in range(1, 21)], AT) == set(
            range(16, 21)
        )


async def test_an_unwritable_inbox_is_reported_not_raised(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        await store._db.db.execute("DROP TABLE inbox")  # as good as a disk that refuses writes
        assert await store.keep_updates([(1, "{}")], AT) is None
        await store.mark_handled(1, AT)
        assert await store.prune_inbox() == 0


async def test_two_connections_keeping_one_batch_at_once_claim_each_update_once(
    db_target: Path | str,
) -> None:
    """Two instances fetching the same updates: each update is new to exactly one of them
    (the other sees it known and does not answer it again)."""
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        for round_ in range(20):
            batch = [(round_ * 100 + i, f'{{"update_id": {round_ * 100 + i}}}') for i in range(30)]
            ids = {i for i, _ in batch}
            known = await asyncio.gather(
                first.keep_updates(batch, AT), second.keep_updates(batch, AT)
            )
            assert None not in known, "both writes went through"
            new = [ids - k for k in known if k is not None]
            assert new[0] | new[1] == ids
            assert new[0] & new[1] == set(), f"round {round_}: both claimed {new[0] & new[1]}"
        assert len(await first.unhandled_updates()) == 20 * 30
    finally:
        await first.close()
        await second.close()


async def test_updates_held_by_an_instance_whose_lease_is_gone_are_adopted_once(
    db_target: Path | str,
) -> None:
    now = 1_800_000_000
    async with await Store.open(db_target) as store:
        await store.keep_updates([(1, "{1}")], AT, "alive")
        await store.keep_updates([(2, "{2}"), (3, "{3}")], AT, "killed")
        await store.keep_updates([(4, "{4}")], AT)  # long polling's: resumed at its start
        await store.keep_updates([(5, "{5}")], AT, "killed")
        await store.mark_handled(5, AT)
        assert await store.take_lease(instance_lease("alive"), "alive", 30, now=now) is None
        assert await store.take_lease(instance_lease("me"), "me", 30, now=now) is None
        assert await store.orphaned_updates("me", now=now) == [
            (2, "{2}", "killed"),
            (3, "{3}", "killed"),
        ]
        assert await store.adopt_update(2, "killed", "me")
        assert not await store.adopt_update(2, "killed", "other")  # moved already
        assert await store.orphaned_updates("me", now=now) == [(3, "{3}", "killed")]
        # its lease runs out: what "alive" holds is orphaned too; never one's own
        assert [i for i, _, _ in await store.orphaned_updates("me", now=now + 31)] == [1, 3]
        assert [i for i, _, _ in await store.orphaned_updates("killed", now=now)] == []


async def test_two_instances_adopting_the_same_orphans_at_once_adopt_each_once(
    db_target: Path | str,
) -> None:
    first, second = await Store.open(db_target), await Store.open(db_target)
    try:
        await first.keep_updates([(i, "{}") for i in range(1, 41)], AT, "killed")
        orphans = await first.orphaned_updates("a")
        assert len(orphans) == 40
        won = await asyncio.gather(
            *(first.adopt_update(i, was, "a") for i, _, was in orphans),
            *(second.adopt_update(i, was, "b") for i, _, was in orphans),
        )
        assert sum(won) == 40
    finally:
        await first.close()
        await second.close()
