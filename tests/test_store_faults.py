"""Database faults: villagers keep getting answers and no logged question is lost.

A staff command holding the write lock, a read-only or full disk and a corrupt file at start,
each on a real SQLite file; the bot's questions wait in memory and are written when it is back.
"""

from __future__ import annotations

import asyncio
import logging
import os
import sqlite3
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiosqlite
import pytest

from bot.dialogue import DialogueService, User
from bot.store import SCHEMA_VERSION, NotOurDatabase, QuestionRecord, Store, StoreUnavailable
from bot.understand import Matcher
from tests.conftest import ROOT
from tests.fakes.telegram_app import db_rows, running_bot

VILLAGER = User("telegram", "1001", "1001")
QUESTIONS = ["低保咋申请", "雨露计划补多少钱", "美国大选谁赢了", "看病能报多少"]


async def logged(path: Path) -> list[tuple[str, str, str]]:
    """(text, outcome, user_key) of every stored question, read as staff would."""
    async with (
        aiosqlite.connect(path) as db,
        db.execute("SELECT text, outcome, user_key FROM questions ORDER BY id") as cursor,
    ):
        return [(str(t), str(o), str(u)) for t, o, u in await cursor.fetchall()]


async def pragma(store: Store, statement: str) -> None:
    """Run a PRAGMA on the store's own connection (max_page_count and query_only are
    per-connection: this is how a full or read-only disk looks to SQLite)."""
    await store._db.db.execute(statement)


@asynccontextmanager
async def staff_write_lock(path: Path) -> AsyncIterator[None]:
    """Another process holds the write lock (a long staff command in one transaction)."""
    async with aiosqlite.connect(path) as staff:
        await staff.execute("BEGIN IMMEDIATE")
        await staff.execute("UPDATE questions SET outcome = outcome")
        yield
        await staff.rollback()


async def test_a_long_read_by_staff_never_blocks_the_bot(tmp_path: Path, matcher: Matcher) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, busy_timeout=0.2) as store:
        service = DialogueService(matcher, store)
        await service.ask(QUESTIONS[0], VILLAGER)
        async with aiosqlite.connect(path) as staff:
            await staff.execute("BEGIN")  # an export reading row by row, in one snapshot
            async with staff.execute("SELECT text FROM questions") as cursor:
                await cursor.fetchone()
                reply = await service.ask(QUESTIONS[1], VILLAGER)
            await staff.rollback()
        assert reply.question_id is not None  # WAL: written at once, not kept
        assert store.kept == 0
    assert [t for t, _, _ in await logged(path)] == QUESTIONS[:2]


async def test_questions_wait_in_memory_while_staff_hold_the_write_lock(
    tmp_path: Path, matcher: Matcher, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, busy_timeout=0.2, retry_interval=0) as store:
        service = DialogueService(matcher, store)
        async with staff_write_lock(path):
            replies = [await service.ask(q, VILLAGER) for q in QUESTIONS[:3]]
            assert store.kept == 3
            assert await logged(path) == []
        assert [r.outcome for r in replies] == ["answer", "answer", "unknown"]
        assert all(r.text.strip() and r.question_id is None for r in replies)
        back = await service.ask(QUESTIONS[3], VILLAGER)
        assert back.question_id is not None
        assert store.kept == 0
        queued = [q.text for q in await store.queued_questions("open")]
    rows = await logged(path)
    assert [t for t, _, _ in rows] == QUESTIONS  # in the order they were asked
    assert {u for _, _, u in rows} == {VILLAGER.key}
    assert queued == [QUESTIONS[2]]  # the unknown one reached the editors' queue too
    warnings = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
    assert sum("keeping questions in memory" in w for w in warnings) == 1  # once per outage
    assert any("wrote 3 kept question(s)" in w for w in warnings)


async def test_while_it_fails_villagers_do_not_each_wait_for_the_lock(
    tmp_path: Path, matcher: Matcher
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, busy_timeout=0.2, retry_interval=3600) as store:
        service = DialogueService(matcher, store)
        async with staff_write_lock(path):
            await service.ask(QUESTIONS[0], VILLAGER)
        # the lock is gone, but the next try is not due: kept without touching the database
        await service.ask(QUESTIONS[1], VILLAGER)
        assert store.kept == 2
        assert await logged(path) == []
        assert await store.flush_kept() == 2  # what the bot's upkeep does every 30 s
    assert [t for t, _, _ in await logged(path)] == QUESTIONS[:2]


async def test_full_disk_keeps_questions_until_there_is_room(
    tmp_path: Path, matcher: Matcher
) -> None:
    path = tmp_path / "log.sqlite3"
    long_question = "家里困难想问问政策" * 300
    async with await Store.open(path, retry_interval=0) as store:
        service = DialogueService(matcher, store)
        async with store._db.db.execute("PRAGMA page_count") as cursor:
            row = await cursor.fetchone()
        assert row is not None
        await pragma(store, f"PRAGMA max_page_count = {row[0]}")
        replies = [await service.ask(f"{long_question}{i}", VILLAGER) for i in range(20)]
        assert all(r.text.strip() for r in replies)
        assert store.kept > 0, "the disk never filled up"
        written_while_full = 20 - store.kept
        await pragma(store, "PRAGMA max_page_count = 1073741823")
        assert await store.flush_kept() == 20 - written_while_full
    texts = [t for t, _, _ in await logged(path)]
    assert texts == [f"{long_question}{i}" for i in range(20)]


async def test_read_only_database_keeps_questions_and_button_taps_still_answer(
    tmp_path: Path, matcher: Matcher
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, retry_interval=0) as store:
        service = DialogueService(matcher, store)
        first = await service.ask(QUESTIONS[0], VILLAGER)
        await pragma(store, "PRAGMA query_only = ON")  # writes fail as on a read-only mount
        kept = await service.ask(QUESTIONS[1], VILLAGER)
        tapped = await service.press(f"f:{first.question_id}:1", VILLAGER)
        assert kept.outcome == "answer"
        assert tapped.text.strip()  # the 👍 could not be saved, but the tap gets its reply
        assert store.kept == 1
        await pragma(store, "PRAGMA query_only = OFF")
        assert await store.flush_kept() == 1
    assert [t for t, _, _ in await logged(path)] == QUESTIONS[:2]


async def test_backlog_is_bounded_and_counts_what_it_drops(
    tmp_path: Path, matcher: Matcher, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(
        path, busy_timeout=0.1, retry_interval=3600, backlog_limit=3
    ) as store:
        service = DialogueService(matcher, store)
        async with staff_write_lock(path):
            replies = [await service.ask(f"{q}吗", VILLAGER) for q in [*QUESTIONS, "谢谢"]]
        assert all(r.text.strip() for r in replies)
        assert (store.kept, store.dropped) == (3, 2)
        assert await store.flush_kept() == 3
    assert [t for t, _, _ in await logged(path)] == [f"{q}吗" for q in QUESTIONS[:3]]
    assert any("2 dropped" in r.getMessage() for r in caplog.records)


async def test_kept_questions_are_written_when_the_bot_stops(
    tmp_path: Path, matcher: Matcher
) -> None:
    path = tmp_path / "log.sqlite3"
    store = await Store.open(path, busy_timeout=0.1, retry_interval=3600)
    service = DialogueService(matcher, store)
    async with staff_write_lock(path):
        await service.ask(QUESTIONS[0], VILLAGER)
    await store.close()
    assert [t for t, _, _ in await logged(path)] == [QUESTIONS[0]]


async def test_a_write_that_fails_leaves_no_half_transaction_behind(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, busy_timeout=0.1) as store:
        qid = await store.record_question(_record())
        async with staff_write_lock(path):
            with pytest.raises(StoreUnavailable, match="locked"):
                await store.record_feedback(qid, "telegram:x", True, "t")
        assert not store._db.db.in_transaction
        # the connection is usable at once (no stale transaction, no stale snapshot)
        async with aiosqlite.connect(path) as other:
            await other.execute(
                "INSERT INTO feedback (question_id, user_key, useful, at)"
                " VALUES (?, 'telegram:y', 1, 't')",
                (qid,),
            )
            await other.commit()
        await store.record_feedback(qid, "telegram:z", False, "t")
    async with aiosqlite.connect(path) as db, db.execute("SELECT COUNT(*) FROM feedback") as c:
        assert await c.fetchone() == (2,)


# -- a corrupt file at start -------------------------------------------------------------------


def aside_files(folder: Path) -> list[Path]:
    """The files a corrupt database was moved to."""
    return [p for p in folder.iterdir() if ".corrupt-" in p.name]


def corrupt(path: Path, *, how: str) -> bytes:
    """Damage the database file `path` (garbage, or a healthy header over garbage pages)."""
    if how == "garbage":
        data = os.urandom(64 * 1024)
    else:
        with sqlite3.connect(path) as db:
            db.execute("PRAGMA journal_mode=DELETE")
            db.execute("CREATE TABLE IF NOT EXISTS filler (x TEXT)")
            db.executemany("INSERT INTO filler VALUES (?)", [("x" * 500,)] * 400)
        db.close()
        data = bytearray(path.read_bytes())
        data[4096:] = os.urandom(len(data) - 4096)  # page 1 (schema root) intact, rest not
        data = bytes(data)
    path.write_bytes(data)
    return data


@pytest.mark.parametrize("how", ["garbage", "damaged pages"])
async def test_corrupt_file_at_start_is_moved_aside_with_one_log_line(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.sqlite3"
    if how != "garbage":
        async with await Store.open(path):
            pass
    damaged = corrupt(path, how=how)
    with caplog.at_level(logging.INFO, logger="bot.store"):
        async with await Store.open(path, recover=True) as store:
            qid = await store.record_question(_record())
            assert await store.question_owner(qid) == VILLAGER.key
    [aside] = aside_files(tmp_path)
    assert aside.name.startswith("log.sqlite3.corrupt-")
    assert await asyncio.to_thread(aside.read_bytes) == damaged  # kept for salvage, untouched
    lines = [r for r in caplog.records if r.name.startswith("bot.store")]
    assert len(lines) == 1
    assert lines[0].levelno == logging.ERROR
    assert "corrupt" in lines[0].getMessage()
    assert aside.name in lines[0].getMessage()
    assert lines[0].exc_info is None


async def test_staff_tools_never_move_a_corrupt_file(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    damaged = corrupt(path, how="garbage")
    with pytest.raises(sqlite3.DatabaseError):
        await Store.open(path)
    assert aside_files(tmp_path) == []
    assert await asyncio.to_thread(path.read_bytes) == damaged


async def test_healthy_or_newer_files_are_not_taken_for_corrupt(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path, recover=True) as store:
        await store.record_question(_record())
    async with await Store.open(path, recover=True) as store:
        assert await store.question_owner(1) == VILLAGER.key
    async with aiosqlite.connect(path) as db:
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        await db.commit()
    with pytest.raises(sqlite3.DatabaseError, match="newer"):
        await Store.open(path, recover=True)
    assert aside_files(tmp_path) == []


def chat_on(db: Path) -> subprocess.CompletedProcess[str]:
    """`policybot chat` as a process on the log `db`, asked one question."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("POLICYBOT_")}
    return subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="低保咋申请\n",
        cwd=ROOT,
        env={**env, "POLICYBOT_DB": str(db)},
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_console_chat_on_a_corrupt_log_starts_a_fresh_one(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    corrupt(path, how="garbage")
    done = chat_on(path)
    assert done.returncode == 0
    assert "低保" in done.stdout
    [line] = done.stderr.splitlines()
    assert "is corrupt" in line
    assert "moved it aside" in line
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT text FROM questions").fetchall() == [("低保咋申请",)]
    db.close()
    assert len(aside_files(tmp_path)) == 1


def _record() -> QuestionRecord:
    return QuestionRecord(
        asked_at="2026-11-20T02:00:00+00:00",
        channel="telegram",
        user_key=VILLAGER.key,
        reply_to="1001",
        text="低保咋申请",
        outcome="answer",
        entry_id="social.dibao",
        score=90.0,
        candidates=[("social.dibao", 90.0)],
        latency_ms=1.0,
    )


# -- the same over Telegram: the real Application, the fake Bot API ----------------------------


@pytest.mark.slow  # a real process or real seconds of waiting
async def test_telegram_villagers_are_answered_while_the_log_is_locked_and_it_catches_up(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, upkeep_interval=0.2) as bot:
        path = bot.settings.db_path
        async with staff_write_lock(path):
            # the first waits out the busy timeout (5 s); the next ones are kept at once
            [first] = await bot.say(2001, QUESTIONS[0], within=30)
            [second] = await bot.say(2002, QUESTIONS[1])
            [third] = await bot.say(2003, QUESTIONS[2])
            assert await db_rows(path, "SELECT COUNT(*) FROM questions") == [(0,)]
        await bot.wait_for(lambda: bot.service.store is not None and not bot.service.store.kept)
        rows = await db_rows(path, "SELECT text FROM questions ORDER BY id")
    assert "低保" in first.text
    assert "3000元" in second.text
    assert "帮扶责任人" in third.text
    assert [str(t) for (t,) in rows] == QUESTIONS[:3]


async def test_telegram_bot_on_a_corrupt_log_moves_it_aside_and_answers(
    tmp_path: Path, matcher: Matcher
) -> None:
    damaged = corrupt(tmp_path / "bot.sqlite3", how="garbage")
    async with running_bot(tmp_path, matcher) as bot:
        [reply] = await bot.say(2001, QUESTIONS[0])
        rows = await db_rows(bot.settings.db_path, "SELECT text FROM questions")
    [aside] = aside_files(tmp_path)
    assert "低保" in reply.text
    assert rows == [(QUESTIONS[0],)]
    assert await asyncio.to_thread(aside.read_bytes) == damaged


@pytest.mark.parametrize("name", ["policies.yaml", "notes.txt", "config"])
async def test_a_file_that_is_no_database_of_ours_is_refused_never_moved(
    tmp_path: Path, name: str
) -> None:
    # issue 14.5: a swapped POLICYBOT_DB naming the knowledge base got it renamed away
    path = tmp_path / name
    content = b"version: 1\nentries: []\n"
    path.write_bytes(content)
    with pytest.raises(NotOurDatabase, match="not an SQLite database"):
        await Store.open(path, recover=True)
    assert await asyncio.to_thread(path.read_bytes) == content
    assert aside_files(tmp_path) == []
    assert sorted(await asyncio.to_thread(os.listdir, tmp_path)) == [name]  # no -wal, -shm


def test_chat_on_a_file_that_is_no_database_says_so_in_one_line_and_exits_2(
    tmp_path: Path,
) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text("version: 1\n", encoding="utf-8")
    done = chat_on(path)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "not an SQLite database" in line
    assert "POLICYBOT_DB" in line
    assert path.read_text(encoding="utf-8") == "version: 1\n"


@pytest.mark.parametrize("how", ["deleted", "replaced"])
async def test_a_database_file_deleted_or_replaced_while_running_gets_a_fresh_log(
    tmp_path: Path, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    # issue 14.5: SQLite wrote on into the deleted inode; 32 of 32 later questions were lost
    path = tmp_path / "log.sqlite3"
    other = tmp_path / "other.sqlite3"
    async with await Store.open(other):
        pass  # a healthy database of ours, to be moved in
    with caplog.at_level(logging.ERROR, logger="bot.store"):
        async with await Store.open(path, recover=True) as store:
            assert await store.record_or_keep(_record()) is not None
            for suffix in ("", "-wal", "-shm"):
                await asyncio.to_thread(Path(f"{path}{suffix}").unlink, missing_ok=True)
            if how == "replaced":
                await asyncio.to_thread(other.rename, path)
            for _ in range(3):
                assert await store.record_or_keep(_record()) is not None
    with sqlite3.connect(path) as db:
        assert db.execute("SELECT COUNT(*) FROM questions").fetchone() == (3,)
    db.close()
    [line] = [r.getMessage() for r in caplog.records if r.name.startswith("bot.store")]
    assert str(path) in line
    assert ("deleted" if how == "deleted" else "replaced") in line
