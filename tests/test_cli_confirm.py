"""`policybot log resolve` as a real process: a preview, then a confirmation on a terminal (or
--yes); refused when piped; a re-answer goes out as a 【更正】; a lone 「y」 is a slip."""

from __future__ import annotations

import asyncio
import sqlite3
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot import messages
from bot.review import probable_slip
from bot.store import Store
from bot.web.forms import answer_problem
from tests.cli_helpers import DOG, LAMP, lamp_log, record, run_log, run_log_on_a_terminal
from tests.fakes.botapi import FakeBotAPI, running_fake

ANSWER = "路灯归村委会管，请打村委会电话报修。"


@pytest.fixture
def fake() -> Iterator[FakeBotAPI]:
    with running_fake() as api:
        yield api


@pytest.fixture
def lamp(tmp_path: Path) -> tuple[Path, int]:
    """A log with one street-light question (from villager 4242) and one about a dog bite."""
    return lamp_log(tmp_path)


def resolve(
    db: Path, fake: FakeBotAPI, *args: str, stdin: str = ""
) -> subprocess.CompletedProcess[str]:
    """`policybot log resolve …` (the token, the fake's URL) with `stdin` piped in."""
    return run_log(db, "resolve", *args, fake=fake, stdin=stdin)


def resolve_on_a_terminal(db: Path, fake: FakeBotAPI, typed: str, *args: str) -> tuple[int, str]:
    """`policybot log resolve …` whose stdin is a terminal on which `typed` is typed."""
    return run_log_on_a_terminal(db, "resolve", typed.encode(), *args, fake=fake)


def status(db: Path, qid: int) -> tuple[object, ...]:
    with sqlite3.connect(db) as conn:
        row = conn.execute(
            "SELECT status, answer FROM unanswered WHERE question_id = ?", (qid,)
        ).fetchone()
    return tuple(row)


def test_piped_without_yes_shows_the_preview_and_refuses_in_one_line(
    lamp: tuple[Path, int], fake: FakeBotAPI
) -> None:
    db, qid = lamp
    done = resolve(db, fake, str(qid), "--answer", ANSWER, stdin="y\n")
    assert done.returncode == 1
    assert done.stderr.strip() == f"policybot: {messages.CONFIRM_NO_TERMINAL}"
    assert f"「{LAMP}」" in done.stdout  # the question the editor is answering
    assert DOG not in done.stdout  # not someone else's
    assert messages.EDITOR_REPLY.format(question=LAMP, answer=ANSWER) in done.stdout
    assert fake.messages() == []
    assert status(db, qid) == ("open", None)


def test_yes_sends_once_and_a_second_answer_is_a_correction_keeping_the_first(
    lamp: tuple[Path, int], fake: FakeBotAPI
) -> None:
    db, qid = lamp
    first = resolve(db, fake, str(qid), "--answer", ANSWER, "--yes")
    fixed = "路灯归乡镇管，请打乡镇电话报修。"
    again = resolve(db, fake, str(qid), "--answer", fixed, "--yes")
    assert first.returncode == 0, first.stderr
    assert again.returncode == 0, again.stderr
    correction = messages.CORRECTION.format(answer=fixed)
    assert [m.text for m in fake.messages(4242)] == [
        messages.EDITOR_REPLY.format(question=LAMP, answer=ANSWER),
        messages.EDITOR_REPLY.format(question=LAMP, answer=correction),
    ]
    assert fake.messages(4343) == []
    assert "【更正】" in again.stdout
    assert messages.PREVIEW_EARLIER.format(answer=ANSWER) in again.stdout
    assert status(db, qid) == ("resolved", correction)
    with sqlite3.connect(db) as conn:
        kept = conn.execute("SELECT answer FROM answer_history").fetchall()
        audit = conn.execute("SELECT staff, action FROM audit ORDER BY id").fetchall()
    assert kept == [(ANSWER,)]
    assert audit == [("命令行", "answer"), ("命令行", "correct")]


def test_a_rejected_token_exits_1_and_keeps_the_answer_pending(lamp: tuple[Path, int]) -> None:
    db, qid = lamp
    with running_fake(accept_token=False) as refusing:
        done = resolve(db, refusing, str(qid), "--answer", ANSWER, "--yes")
        tried = [call.method for call in refusing.calls(ok=None)]
    assert done.returncode == 1, done.stdout
    assert (
        done.stderr.splitlines()[-1] == f"policybot: {messages.TOKEN_REJECTED.format(pending=1)}"
    )
    assert "Traceback" not in done.stderr
    assert tried == ["getMe"]  # refused at once: no sendMessage was attempted
    assert status(db, qid) == ("resolved", ANSWER)  # the editor's answer is kept
    with sqlite3.connect(db) as conn:
        delivery = conn.execute(
            "SELECT delivery, claimed_at FROM unanswered WHERE question_id = ?", (qid,)
        ).fetchone()
    assert delivery == ("pending", None)  # unclaimed: the running bot sends it later


def test_a_token_rejected_midway_keeps_what_was_sent_and_the_rest_pending(
    lamp: tuple[Path, int], fake: FakeBotAPI
) -> None:
    db, qid = lamp

    async def ask_again() -> int:
        async with await Store.open(db) as store:
            return await store.record_question(record(LAMP, "4444"))

    later = asyncio.run(ask_again())
    fake.fail("sendMessage", status=401, description="Unauthorized", chat_id=4444)
    done = resolve(db, fake, str(qid), "--answer", ANSWER, "--yes")
    assert done.returncode == 1, done.stdout
    assert (
        done.stderr.splitlines()[-1] == f"policybot: {messages.TOKEN_REJECTED.format(pending=1)}"
    )
    assert [m.text for m in fake.messages(4242)] == [
        messages.EDITOR_REPLY.format(question=LAMP, answer=ANSWER)
    ]
    with sqlite3.connect(db) as conn:
        delivery = dict(conn.execute("SELECT question_id, delivery FROM unanswered").fetchall())
    assert (delivery[qid], delivery[later]) == ("sent", "pending")


@pytest.mark.parametrize("slip", ["y", "好"])
def test_an_answer_like_y_is_refused_as_a_slip(
    lamp: tuple[Path, int], fake: FakeBotAPI, slip: str
) -> None:
    db, qid = lamp
    done = resolve(db, fake, str(qid), "--answer", slip, "--yes")
    assert done.returncode == 1
    assert done.stderr.startswith("policybot: 回答只有「")
    assert "像是误输入，没有发送" in done.stderr
    assert fake.messages() == []
    assert status(db, qid) == ("open", None)


def test_on_a_terminal_y_sends_and_enter_cancels(lamp: tuple[Path, int], fake: FakeBotAPI) -> None:
    db, qid = lamp
    code, out = resolve_on_a_terminal(db, fake, "\n", str(qid), "--answer", ANSWER)
    assert (code, fake.messages()) == (1, [])
    assert messages.CONFIRM_SEND.strip() in out
    assert messages.CONFIRM_CANCELLED in out
    assert status(db, qid) == ("open", None)
    code, out = resolve_on_a_terminal(db, fake, "y\n", str(qid), "--answer", ANSWER)
    assert code == 0, out
    assert [m.text for m in fake.messages(4242)] == [
        messages.EDITOR_REPLY.format(question=LAMP, answer=ANSWER)
    ]
    assert status(db, qid) == ("resolved", ANSWER)


@pytest.mark.parametrize(
    "slip", ["y", "Y", " yes ", "YES", "好", "好的", "好。", "ok", "是", "确认"]
)
def test_probable_slips(slip: str) -> None:
    assert probable_slip(slip)


@pytest.mark.parametrize("answer", ["好的，请找村委会。", "yes 银行", "路灯归村委会管", "否"])
def test_real_answers_are_not_slips(answer: str) -> None:
    assert not probable_slip(answer)


def test_the_workbench_refuses_the_same_slips() -> None:
    assert answer_problem("好") == messages.ANSWER_SLIP.format(answer="好")
    assert answer_problem("路灯归村委会管") == ""
