"""The store's inbox: fetched updates kept until handled, deduplicated by update_id, bounded."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot.store import Store

AT = "2026-01-01T00:00:00+00:00"


async def test_kept_updates_come_back_unhandled_oldest_first_and_a_second_copy_is_known(
    tmp_path: Path,
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
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
    tmp_path: Path,
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
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
