"""`policybot db migrate-to URL`: an SQLite log copied into a real PostgreSQL database reads
back the same through the store, goes on numbering after it, and is never copied twice."""

from __future__ import annotations

import asyncio
import io
from pathlib import Path

from bot.cli import main
from bot.store import PENDING, QuestionRecord, Store
from tests.pg import PgServer

AT = "2026-11-20T02:00:00+00:00"


def record(text: str, outcome: str = "unknown", user: str = "telegram:1") -> QuestionRecord:
    return QuestionRecord(
        asked_at=AT,
        channel="telegram",
        user_key=user,
        reply_to=user.split(":")[1],
        text=text,
        outcome=outcome,
        entry_id="social.dibao" if outcome == "answer" else None,
        score=71.25,
        candidates=[("social.dibao", 71.25)],
        latency_ms=1.5,
    )


async def fill(path: Path) -> None:
    async with await Store.open(path) as store:
        lamp = await store.record_question(record("路灯坏了找谁 13812345678"))
        dibao = await store.record_question(record("低保咋申请", "answer", "telegram:2"))
        await store.record_question(record("疫苗去哪打", user="telegram:3"))
        await store.record_feedback(dibao, "telegram:2", False, AT)
        await store.record_comment(dibao, "telegram:2", "没说清楚")
        await store.resolve_questions([(lamp, PENDING)], "找村委会", AT)
        await store.add_staff("wang", "hash$1", AT)
        await store.record_audit(AT, "wang", "resolve", str(lamp))
        await store.keep_updates([(7, '{"update_id": 7}')], AT)


async def snapshot(target: Path | str) -> tuple[object, ...]:
    async with await Store.open(target) as store:
        return (
            [q async for q in store.iter_questions()],
            await store.audit_entries(),
            await store.staff_password_hash("wang"),
            await store.unhandled_updates(),
            await store.pending_deliveries(),
        )


def run(argv: list[str], env: dict[str, str]) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env, stdin=io.StringIO(), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def test_migrate_to_copies_every_row_and_numbering_goes_on(
    tmp_path: Path, pg_server: PgServer
) -> None:
    path, url = tmp_path / "log.sqlite3", pg_server.create_database()
    asyncio.run(fill(path))
    code, out, err = run(["db", "migrate-to", url], {"POLICYBOT_DB": str(path)})
    assert (code, err) == (0, "")
    assert "3 questions, 1 feedback, 3 unanswered, 1 staff, 1 audit" in out
    before, after = asyncio.run(snapshot(path)), asyncio.run(snapshot(url))
    assert after == before
    assert before[0][0].text == "路灯坏了找谁 138****5678", "masked before, masked after"

    async def ask_again() -> int:
        async with await Store.open(url) as store:
            return await store.record_question(record("新问题"))

    assert asyncio.run(ask_again()) == 4, "PostgreSQL numbers on after the copied ids"


def test_migrate_to_refuses_a_log_that_is_not_empty_and_changes_nothing(
    tmp_path: Path, pg_server: PgServer
) -> None:
    path, url = tmp_path / "log.sqlite3", pg_server.create_database()
    asyncio.run(fill(path))
    assert run(["db", "migrate-to", url], {"POLICYBOT_DB": str(path)})[0] == 0
    copied = asyncio.run(snapshot(url))
    code, out, err = run(["db", "migrate-to", url], {"POLICYBOT_DB": str(path)})
    assert (code, out) == (1, "")
    assert err.startswith("policybot: the PostgreSQL log already has rows in questions")
    assert asyncio.run(snapshot(url)) == copied


def test_migrate_to_needs_an_sqlite_file_and_a_url(tmp_path: Path, pg_server: PgServer) -> None:
    url = pg_server.create_database()
    code, _, err = run(["db", "migrate-to", url], {"POLICYBOT_DB": str(tmp_path / "none.db")})
    assert (code, "no question log at" in err) == (1, True)
    code, _, err = run(["db", "migrate-to", str(tmp_path / "x.db")], {})
    assert (code, "needs a postgresql://" in err) == (1, True)
    code, _, err = run(["db", "migrate-to", url], {"POLICYBOT_DB": url})
    assert (code, "must name the SQLite file" in err) == (1, True)
