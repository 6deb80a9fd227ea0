"""The question log on real SQLite files and a real PostgreSQL server (`db_target`):
migrations, concurrency, masking, the queue."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

import aiosqlite
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.privacy import mask_pii
from bot.store import (
    FAILED,
    IGNORED,
    MIGRATIONS,
    OPEN,
    PENDING,
    RESOLVED,
    SCHEMA_VERSION,
    SENT,
    SKIPPED,
    LoggedQuestion,
    QuestionRecord,
    Store,
    migrate,
)

ID_CARD = "130602199001011234"
MOBILE = "13812345678"
BANK = "6222021234567890123"

# The v1 schema as released; _v1 must never change (append a migration instead).
V1_SCHEMA = {
    "questions": "CREATE TABLE questions (\n            id INTEGER PRIMARY KEY,\n"
    "            asked_at TEXT NOT NULL,\n            channel TEXT NOT NULL,\n"
    "            user_key TEXT NOT NULL,\n            reply_to TEXT NOT NULL DEFAULT '',\n"
    "            text TEXT NOT NULL,\n            outcome TEXT NOT NULL,\n"
    "            entry_id TEXT,\n            score REAL NOT NULL DEFAULT 0,\n"
    "            candidates TEXT NOT NULL DEFAULT '[]',\n"
    "            latency_ms REAL NOT NULL DEFAULT 0\n        )",
    "feedback": "CREATE TABLE feedback (\n            id INTEGER PRIMARY KEY,\n"
    "            question_id INTEGER NOT NULL REFERENCES questions(id),\n"
    "            user_key TEXT NOT NULL,\n            useful INTEGER NOT NULL,\n"
    "            at TEXT NOT NULL,\n            UNIQUE (question_id, user_key)\n        )",
}


def record(
    text: str = "低保咋申请",
    *,
    outcome: str = "unknown",
    asked_at: str = "2026-11-20T02:00:00+00:00",
    user: str = "telegram:u1",
    reply_to: str = "1001",
    entry_id: str | None = None,
) -> QuestionRecord:
    return QuestionRecord(
        asked_at=asked_at,
        channel=user.split(":")[0],
        user_key=user,
        reply_to=reply_to,
        text=text,
        outcome=outcome,
        entry_id=entry_id,
        score=12.5,
        candidates=[("social.dibao", 12.5)],
        latency_ms=1.25,
    )


async def get(store: Store, question_id: int) -> LoggedQuestion:
    question = await store.get_question(question_id)
    assert question is not None
    return question


async def _raw_db_at(path: Path, version: int) -> None:
    """Create a database stopped at schema `version`, with rows that version can hold."""
    async with aiosqlite.connect(path) as db:
        await migrate(db, target=version)
        if version >= 1:
            await db.executemany(
                "INSERT INTO questions (asked_at, channel, user_key, reply_to, text, outcome,"
                " entry_id) VALUES (?, 'telegram', ?, ?, ?, ?, ?)",
                [
                    (
                        "2026-11-01T01:00:00+00:00",
                        "telegram:a",
                        "11",
                        "路灯坏了找谁",
                        "unknown",
                        None,
                    ),
                    (
                        "2026-11-01T02:00:00+00:00",
                        "telegram:b",
                        "12",
                        "低保咋申请",
                        "answer",
                        "x.y",
                    ),
                    (
                        "2026-11-01T03:00:00+00:00",
                        "telegram:c",
                        "13",
                        "看病咋报销",
                        "clarify",
                        None,
                    ),
                    # written by an older, weaker masker
                    (
                        "2026-11-01T04:00:00+00:00",
                        "telegram:d",
                        "14",
                        f"电话{MOBILE}",
                        "unknown",
                        None,
                    ),
                ],
            )
            await db.execute(
                "INSERT INTO feedback (question_id, user_key, useful, at) VALUES (2, 'telegram:b',"
                " 1, '2026-11-01T02:01:00+00:00')"
            )
        if version >= 2:  # what record_question did from v2 on: mask, queue, drop chat ids
            await db.execute("UPDATE questions SET text = ? WHERE id = 4", ("电话138****5678",))
            await db.execute("UPDATE questions SET reply_to = '' WHERE outcome = 'answer'")
            await db.execute(
                "INSERT INTO unanswered (question_id) SELECT id FROM questions"
                " WHERE outcome = 'unknown'"
            )
        await db.commit()


async def test_new_database_is_at_latest_version_in_wal_mode(tmp_path: Path) -> None:
    async with (
        await Store.open(tmp_path / "log.sqlite3"),
        aiosqlite.connect(tmp_path / "log.sqlite3") as db,
    ):
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone()) == (SCHEMA_VERSION,)
        async with db.execute("PRAGMA journal_mode") as cur:
            assert (await cur.fetchone()) == ("wal",)


@pytest.mark.parametrize("version", range(SCHEMA_VERSION))
async def test_migrates_from_every_earlier_version(tmp_path: Path, version: int) -> None:
    path = tmp_path / "log.sqlite3"
    await _raw_db_at(path, version)
    async with await Store.open(path) as store:
        if version == 0:
            assert await store.get_question(1) is None
            return
        lamp, dibao, clinic, phone = [await get(store, i) for i in (1, 2, 3, 4)]
        assert (lamp.status, lamp.reply_to) == (OPEN, "11")
        assert (dibao.status, dibao.useful) == (None, 1)
        assert dibao.reply_to == "", "answered questions keep no chat id"
        assert clinic.reply_to == "13"
        assert phone.text == "电话138****5678"
        assert [q.id for q in await store.queued_questions(OPEN)] == [1, 4]
    async with aiosqlite.connect(path) as db, db.execute("PRAGMA user_version") as cur:
        assert (await cur.fetchone()) == (SCHEMA_VERSION,)


async def test_every_migration_can_run_twice(tmp_path: Path) -> None:
    await _raw_db_at(tmp_path / "log.sqlite3", SCHEMA_VERSION)
    async with aiosqlite.connect(tmp_path / "log.sqlite3") as db:
        for step in MIGRATIONS:
            await step(db)
        async with db.execute("SELECT COUNT(*) FROM unanswered") as cur:
            assert (await cur.fetchone()) == (2,)


async def test_v1_schema_is_frozen(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "v1.sqlite3") as db:
        await migrate(db, target=1)
        async with db.execute("SELECT name, sql FROM sqlite_master WHERE type = 'table'") as cur:
            tables = {name: sql for name, sql in await cur.fetchall()}
    assert tables == V1_SCHEMA


async def test_eight_first_starts_at_once_on_a_new_file_all_open_it_migrated_once(
    tmp_path: Path,
) -> None:
    """Eight connections (each its own thread) open new files together, 10 times: every open
    succeeds; the migration ran in one BEGIN IMMEDIATE transaction, so no start meets a
    half-migrated file (two ALTER TABLEs of one column failed 2 starts in 120 before)."""
    for n in range(10):
        path = tmp_path / f"log{n}.sqlite3"
        stores = await asyncio.gather(*(Store.open(path) for _ in range(8)))
        for store in stores:
            await store.close()
        async with aiosqlite.connect(path) as db:
            async with db.execute("PRAGMA user_version") as cur:
                assert (await cur.fetchone()) == (SCHEMA_VERSION,)
            async with db.execute("SELECT name FROM pragma_table_info('unanswered')") as cur:
                assert ("claimed_at",) in list(await cur.fetchall())


async def test_a_failed_migration_leaves_the_file_at_its_old_version(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    async with aiosqlite.connect(path) as db:
        await migrate(db, target=2)
        await db.execute("CREATE TABLE staff (name TEXT)")  # v6 then fails on its index
        await db.execute("CREATE TABLE audit (x TEXT)")
        await db.commit()
        with pytest.raises(aiosqlite.OperationalError):
            await migrate(db)
        async with db.execute("PRAGMA user_version") as cur:
            assert (await cur.fetchone()) == (2,), "v3…v5 rolled back with the failed v6"
        async with db.execute("SELECT name FROM pragma_table_info('unanswered')") as cur:
            assert ("claimed_at",) not in list(await cur.fetchall())


async def test_newer_schema_is_refused(tmp_path: Path) -> None:
    async with aiosqlite.connect(tmp_path / "log.sqlite3") as db:
        await db.execute(f"PRAGMA user_version = {SCHEMA_VERSION + 1}")
        await db.commit()
    with pytest.raises(aiosqlite.DatabaseError, match="newer"):
        await Store.open(tmp_path / "log.sqlite3")


async def test_200_concurrent_writes_on_one_connection_none_lost(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:
        ids = await asyncio.gather(
            *(store.record_question(record(f"问题{i}", user=f"telegram:{i}")) for i in range(200))
        )
        assert len(set(ids)) == 200
        texts = {q.text async for q in store.iter_questions()}
    assert texts == {f"问题{i}" for i in range(200)}


async def test_200_concurrent_writes_from_four_connections_none_lost(
    db_target: Path | str,
) -> None:
    path = db_target
    stores = [await Store.open(path) for _ in range(4)]
    try:
        await asyncio.gather(
            *(
                stores[i % 4].record_question(record(f"问题{i}", user=f"telegram:{i}"))
                for i in range(200)
            )
        )
    finally:
        for store in stores:
            await store.close()
    async with await Store.open(path) as store:
        assert len([q async for q in store.iter_questions()]) == 200
        assert await store.queue_size(OPEN) == 200


async def test_no_raw_number_reaches_the_database_file_or_its_wal(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    text = f"身份证{ID_CARD} 手机 {MOBILE[:3]} {MOBILE[3:7]} {MOBILE[7:]} 卡号{BANK}"
    async with await Store.open(path) as store:
        qid = await store.record_question(record(text))
        got = await store.get_question(qid)
        assert got is not None
        assert got.text == "身份证1306**********1234 手机 138****5678 卡号6222***********0123"
        names = _assert_no_raw_numbers(tmp_path)
        assert "log.sqlite3-wal" in names, "checked while the WAL is live"
    _assert_no_raw_numbers(tmp_path)


def _assert_no_raw_numbers(folder: Path) -> list[str]:
    files = sorted(folder.iterdir())
    for path in files:
        data = path.read_bytes()
        for raw in (ID_CARD, MOBILE, BANK, ID_CARD[4:-4], BANK[4:-4]):
            assert raw.encode() not in data, f"{raw} found in {path.name}"
    return [p.name for p in files]


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.text(max_size=300))
def test_store_round_trips_any_text_masked(text: str) -> None:
    async def run() -> str | None:
        with tempfile.TemporaryDirectory() as folder:
            async with await Store.open(Path(folder) / "log.sqlite3") as store:
                got = await store.get_question(await store.record_question(record(text)))
        return got.text if got else None

    assert asyncio.run(run()) == mask_pii(text)


async def test_only_questions_that_may_need_a_reply_keep_the_chat_id(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        ids = [
            await store.record_question(record(outcome=o))
            for o in ("answer", "clarify", "unknown", "empty")
        ]
        kept = [(await store.get_question(i)) for i in ids]
    assert [q.reply_to if q else None for q in kept] == ["", "1001", "1001", ""]


async def test_clarified_and_none_of_these_questions_wait_in_the_queue(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        answered = await store.record_question(record(outcome="answer"))
        qid = await store.record_question(record(outcome="clarify"))
        assert [q.id for q in await store.queued_questions(OPEN)] == [qid]
        assert not await store.mark_unanswered(qid, "telegram:someone-else")
        assert await store.mark_unanswered(answered, "telegram:u1")
        assert await store.mark_unanswered(qid, "telegram:u1")
        assert [q.id for q in await store.queued_questions(OPEN)] == [answered, qid]


async def test_a_vote_target_is_the_asker_and_the_entry_answered(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:
        answered = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        unknown = await store.record_question(record(user="telegram:u2"))
        targets = [await store.vote_target(qid) for qid in (answered, unknown, unknown + 99)]
    assert targets == [("telegram:u1", "social.dibao"), ("telegram:u2", None), None]


async def test_resolve_ignore_and_delivery_states(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:
        a, b, c, d = [await store.record_question(record(f"问{i}")) for i in range(4)]
        await store.resolve_questions([(a, PENDING), (b, SKIPPED)], "去村委会问", "2026-11-21")
        assert await store.ignore_questions([c], "2026-11-21") == 1
        assert [q.id for q in await store.queued_questions(OPEN)] == [d]
        assert [q.id for q in await store.queued_questions(RESOLVED)] == [a, b]
        assert [q.id for q in await store.queued_questions(IGNORED)] == [c]
        assert [q.id for q in await store.pending_deliveries()] == [a]
        qa, qb, qc = [await get(store, i) for i in (a, b, c)]
        assert (qa.answer, qa.reply_to, qa.delivery) == ("去村委会问", "1001", PENDING)
        assert (qb.reply_to, qb.delivery) == ("", SKIPPED)
        assert qc.reply_to == ""
        await store.mark_delivered([a], SENT, "2026-11-21T01:00:00+00:00")
        assert await store.pending_deliveries() == []
        qa = await get(store, a)
        assert (qa.delivery, qa.sent_at, qa.reply_to) == (SENT, "2026-11-21T01:00:00+00:00", "")
        await store.mark_delivered([a], FAILED, "later")
        assert (await get(store, a)).delivery == SENT, "only pending deliveries change"


async def test_a_delivery_is_claimed_by_one_sender_until_the_claim_is_stale(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        a, b = [await store.record_question(record(f"问{i}")) for i in range(2)]
        await store.resolve_questions([(a, PENDING), (b, SKIPPED)], "答", "t0")
        assert await store.claim_deliveries([a, b], "10:00", stale_before="09:50") == [a]
        assert await store.claim_deliveries([a], "10:05", stale_before="09:55") == []
        assert await store.claim_deliveries([a], "10:11", stale_before="10:01") == [a]
        await store.release_deliveries([a])
        assert await store.claim_deliveries([a], "10:12", stale_before="10:02") == [a]
        await store.mark_delivered([a], SENT, "10:13")
        assert await store.claim_deliveries([a], "10:30", stale_before="10:20") == []


async def test_counts_by_window_day_and_entry(db_target: Path | str) -> None:
    async with await Store.open(db_target) as store:
        # 23:30 UTC on the 19th is 07:30 on the 20th in China (UTC+8)
        times = ["2026-11-19T15:00:00+00:00", "2026-11-19T23:30:00+00:00"]
        await store.record_question(record(outcome="answer", asked_at=times[0], entry_id="a.b"))
        qid = await store.record_question(
            record(outcome="answer", asked_at=times[1], entry_id="a.b")
        )
        await store.record_question(record(outcome="answer", asked_at=times[1], entry_id="c.d"))
        await store.record_question(record(outcome="unknown", asked_at=times[1]))
        await store.record_feedback(qid, "telegram:u1", False, times[1])
        counts = await store.outcome_counts("2026-11-19T16:00:00+00:00", "2026-11-21")
        assert (counts.answer, counts.unknown, counts.questions) == (2, 1, 3)
        days = await store.daily_outcomes("2026-11-01", "2026-12-01", utc_offset_minutes=480)
        assert [(d, c.questions) for d, c in days] == [("2026-11-19", 1), ("2026-11-20", 3)]
        assert await store.top_entries("2026-11-01", "2026-12-01", limit=5) == [
            ("a.b", 2),
            ("c.d", 1),
        ]
        assert await store.feedback_counts("2026-11-01", "2026-12-01") == (0, 1)


async def test_search_by_window_outcome_and_a_text_fragment_taken_literally(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        ids = [
            await store.record_question(record(text, outcome=o, asked_at=t))
            for text, o, t in (
                ("低保 100% 咋申请", "unknown", "2026-11-19T01:00:00+00:00"),
                ("低保1000咋申请", "answer", "2026-11-20T01:00:00+00:00"),
                ("DiBao a_b", "unknown", "2026-11-21T01:00:00+00:00"),
            )
        ]
        found = await store.search_questions(text="100%")
        assert [q.id for q in found] == [ids[0]], "% is a character, not a wildcard"
        assert [q.id for q in await store.search_questions(text="a_b")] == [ids[2]]
        assert [q.id for q in await store.search_questions(text="dibao")] == [ids[2]]
        assert [q.id for q in await store.search_questions(text="低保")] == [ids[1], ids[0]]
        window = await store.search_questions(
            since="2026-11-20", until="2026-11-21T12:00", outcome="unknown"
        )
        assert [q.id for q in window] == [ids[2]]
        assert len(await store.search_questions(limit=2)) == 2


async def test_the_rarer_reads_and_writes_answer_alike_on_both_backends(
    db_target: Path | str,
) -> None:
    """Every statement the store sends runs on each backend (a dialect slip fails here)."""
    t = "2026-11-20T02:00:00+00:00"
    async with await Store.open(db_target) as store:
        a = await store.record_question(
            record(outcome="answer", entry_id="a.b", user="telegram:9")
        )
        b = await store.record_question(record("路灯坏了", user="telegram:8"))
        await store.record_feedback(a, "telegram:9", False, t)
        await store.record_feedback(a, "telegram:7", True, t)
        assert await store.feedback_by_entry("2026-11-01", "2026-12-01", limit=5) == [
            ("a.b", 1, 1)
        ]
        assert await store.question_owner(b) == "telegram:8"
        assert await store.hand_off(a, "telegram:9", "99", t)
        assert not await store.hand_off(a, "telegram:9", "99", t), "a second tap changes nothing"
        assert await store.handoff_count("2026-11-01", "2026-12-01") == 1
        assert await store.resolve_open_questions([(b, PENDING)], "找村委会", t)
        assert not await store.ignore_open_questions([b], t), "no longer open"
        assert [q.id for q in await store.answered_together(b)] == [b]
        assert [q.id for q in await store.answered_questions()] == [b]
        await store.mark_delivered([b], SENT, t)
        assert await store.kept_chats([b], t) == {b: "1001"}
        assert await store.correct_questions([(b, PENDING)], "找乡镇", "2026-11-21")
        assert await store.earlier_answers(b) == [("找村委会", t)]
        assert (await get(store, b)).reply_to == "1001", "the correction goes to the kept chat"
        assert await store.add_staff("王", "h1", t)
        assert not await store.add_staff("王", "h2", t), "the account exists"
        assert await store.set_staff_password("王", "h3")
        assert not await store.set_staff_password("李", "h3")
        assert await store.staff_password_hash("王") == "h3"
        await store.record_audit(t, "王", "resolve", str(b), "找乡镇")
        assert [(e.staff, e.action) for e in await store.audit_entries()] == [("王", "resolve")]
        await store.keep_updates([(5, "{}"), (6, "{}")], t)
        await store.mark_handled(5, t)
        await store.mark_handled(6, t)
        assert await store.prune_inbox(keep=1) == 1
        dry = await store.purge_before("2026-12-01", dry_run=True)
        assert (dry.questions, dry.feedback, dry.kept_pending) == (1, 2, 1)
