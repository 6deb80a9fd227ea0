"""`policybot log purge --before DATE`: log retention on a real SQLite file."""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import sqlite3
from pathlib import Path

import pytest

from bot.cli import main
from bot.review import local_day_start, resolve, utc_iso
from bot.store import QuestionRecord, Store
from bot.understand import Matcher
from tests.test_review import NOW, at, rec


def run(argv: list[str], db: Path) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env={"POLICYBOT_DB": str(db)}, stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


async def record(db: Path, *records: QuestionRecord) -> list[int]:
    async with await Store.open(db) as store:
        return [await store.record_question(r) for r in records]


async def fill(db: Path, matcher: Matcher) -> dict[str, int]:
    """Old and new questions, feedback on an old one, an old one with an answer still to send."""
    old, old_unknown, waiting, new = await record(
        db,
        rec("低保咋申请", outcome="answer", asked_at=at(40)),
        rec("路灯坏了找谁", asked_at=at(35)),
        rec("疫苗去哪打", user="7", asked_at=at(31)),
        rec("雨露计划咋申请", asked_at=at(2)),
    )
    async with await Store.open(db) as store:
        await store.record_feedback(old, "telegram:1", useful=True, at=at(40))
        await resolve(store, waiting, "去乡镇卫生院。", matcher=matcher, now=NOW)
    return {"old": old, "old_unknown": old_unknown, "waiting": waiting, "new": new}


def rows(db: Path, table: str, column: str = "id") -> list[int]:
    connection = sqlite3.connect(db)
    try:
        return [r[0] for r in connection.execute(f"SELECT {column} FROM {table} ORDER BY 1")]
    finally:
        connection.close()


def test_purge_deletes_what_is_older_keeps_the_rest_and_pending_answers(
    tmp_path: Path, matcher: Matcher
) -> None:
    db = tmp_path / "log.sqlite3"
    ids = asyncio.run(fill(db, matcher))
    cutoff = (NOW - dt.timedelta(days=30)).date().isoformat()
    code, out, err = run(["log", "purge", "--before", cutoff, "--dry-run"], db)
    assert (code, err) == (0, "")
    assert out.startswith(f"would purge 2 question(s) asked before {cutoff}")
    assert len(rows(db, "questions")) == 4
    code, out, _ = run(["log", "purge", "--before", cutoff], db)
    assert code == 0
    assert f"purged 2 question(s) asked before {cutoff}" in out
    assert "and 1 feedback" in out
    assert "kept 1 whose editor answer is still to be sent" in out
    assert rows(db, "questions") == [ids["waiting"], ids["new"]]
    assert rows(db, "feedback") == []
    assert rows(db, "unanswered", "question_id") == [ids["waiting"], ids["new"]]
    assert "路灯".encode() not in db.read_bytes()  # zeroed on disk, not only unlinked


def test_purge_cuts_at_local_midnight(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    day = dt.date(2026, 11, 1)
    midnight = local_day_start(day).astimezone(dt.UTC)  # 2026-10-31 16:00 UTC
    before, after = midnight - dt.timedelta(seconds=1), midnight
    _, kept = asyncio.run(
        record(db, rec("低保", asked_at=utc_iso(before)), rec("低保", asked_at=utc_iso(after)))
    )
    assert run(["log", "purge", "--before", day.isoformat()], db)[0] == 0
    assert rows(db, "questions") == [kept]


def test_purge_refuses_a_day_in_the_future(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    asyncio.run(record(db, rec("低保", asked_at=at(1))))
    code, out, err = run(["log", "purge", "--before", "2099-01-01"], db)
    assert (code, out) == (1, "")
    assert "is in the future" in err
    assert len(rows(db, "questions")) == 1


@pytest.mark.parametrize("argv", [["--before", "yesterday"], []])
def test_purge_without_a_proper_day_is_a_usage_error(
    tmp_path: Path, argv: list[str], capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as info:
        run(["log", "purge", *argv], tmp_path / "log.sqlite3")
    assert info.value.code == 2
    assert "--before" in capsys.readouterr().err


def test_purge_takes_the_same_rows_on_both_backends(
    db_target: Path | str, matcher: Matcher
) -> None:
    ids = asyncio.run(fill(db_target, matcher))  # type: ignore[arg-type]
    cutoff = (NOW - dt.timedelta(days=30)).date().isoformat()
    code, out, err = run(["log", "purge", "--before", cutoff], db_target)  # type: ignore[arg-type]
    assert (code, err) == (0, "")
    assert f"purged 2 question(s) asked before {cutoff} (UTC+8) and 1 feedback" in out

    async def left() -> list[tuple[int, str | None]]:
        async with await Store.open(db_target) as store:
            return [(q.id, q.status) async for q in store.iter_questions()]

    assert asyncio.run(left()) == [(ids["waiting"], "resolved"), (ids["new"], "open")]
