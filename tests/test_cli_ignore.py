"""`policybot log ignore` as a real process: it shows the group it would set aside and acts only
on a 'y' typed on a terminal, or with --yes; piped or empty input, EOF and anything else change
nothing and say so in Chinese."""

from __future__ import annotations

import sqlite3
import subprocess
from pathlib import Path

import pytest

from bot import messages
from tests.cli_helpers import DOG, LAMP, lamp_log, run_log, run_log_on_a_terminal


@pytest.fixture
def lamp(tmp_path: Path) -> tuple[Path, int]:
    """A log with one street-light question and one about a dog bite (another group)."""
    return lamp_log(tmp_path)


def ignore(db: Path, *args: str, stdin: str | None = "") -> subprocess.CompletedProcess[str]:
    """`policybot log ignore …` (no token) with `stdin` piped in (None: no stdin at all)."""
    return run_log(db, "ignore", *args, stdin=stdin)


def ignore_on_a_terminal(db: Path, typed: bytes, *args: str) -> tuple[int, str]:
    """`policybot log ignore …` whose stdin is a terminal on which `typed` is typed."""
    return run_log_on_a_terminal(db, "ignore", typed, *args)


def state(db: Path) -> tuple[list[tuple[str, str]], list[tuple[object, ...]]]:
    """Each queued question's text and status, and the audit log."""
    with sqlite3.connect(db) as conn:
        queue = conn.execute(
            "SELECT q.text, u.status FROM unanswered u JOIN questions q ON q.id = u.question_id"
            " ORDER BY q.id"
        ).fetchall()
        audit = conn.execute("SELECT staff, action FROM audit ORDER BY id").fetchall()
    return queue, audit


UNTOUCHED = ([(LAMP, "open"), (DOG, "open")], [])


@pytest.mark.parametrize("stdin", ["n\n", "", "y\n", None], ids=["n", "empty", "y", "none"])
def test_without_a_terminal_or_yes_it_shows_the_group_and_changes_nothing(
    lamp: tuple[Path, int], stdin: str | None
) -> None:
    db, qid = lamp
    done = ignore(db, str(qid), stdin=stdin)
    assert done.returncode == 1
    assert done.stderr.strip() == f"policybot: {messages.CONFIRM_IGNORE_NO_TERMINAL}"
    assert messages.PREVIEW_IGNORE.format(id=qid, questions=1, people=0) in done.stdout
    assert f"「{LAMP}」" in done.stdout  # what would be set aside
    assert DOG not in done.stdout  # and not someone else's question
    assert "ignored" not in done.stdout
    assert state(db) == UNTOUCHED


def test_yes_ignores_the_group_only_and_writes_the_audit_log(lamp: tuple[Path, int]) -> None:
    db, qid = lamp
    done = ignore(db, str(qid), "--yes")
    assert done.returncode == 0, done.stderr
    assert f"「{LAMP}」" in done.stdout
    assert done.stdout.splitlines()[-1] == f"ignored 1 question(s): {qid}"
    assert state(db) == ([(LAMP, "ignored"), (DOG, "open")], [("命令行", "ignore")])


def test_a_group_already_set_aside_or_unknown_is_refused_in_chinese(
    lamp: tuple[Path, int],
) -> None:
    db, qid = lamp
    assert ignore(db, str(qid), "--yes").returncode == 0
    for target in (str(qid), "999999", "0"):
        done = ignore(db, target, "--yes")
        assert done.returncode == 1
        line = messages.IGNORE_NOT_OPEN.format(id=int(target))
        assert done.stderr.strip() == f"policybot: {line}"
        assert "Traceback" not in done.stderr
    assert state(db) == ([(LAMP, "ignored"), (DOG, "open")], [("命令行", "ignore")])


@pytest.mark.parametrize(
    "typed",
    [b"\n", b"n\n", b"no\n", b"\x04", b"\xe5\x90\xa6\n"],
    ids=["enter", "n", "no", "eof", "否"],
)
def test_on_a_terminal_anything_but_y_cancels(lamp: tuple[Path, int], typed: bytes) -> None:
    db, qid = lamp
    code, out = ignore_on_a_terminal(db, typed, str(qid))
    assert code == 1
    assert messages.CONFIRM_IGNORE.strip() in out
    assert messages.CONFIRM_IGNORE_CANCELLED in out
    assert state(db) == UNTOUCHED


def test_on_a_terminal_y_ignores(lamp: tuple[Path, int]) -> None:
    db, qid = lamp
    code, out = ignore_on_a_terminal(db, b"y\n", str(qid))
    assert code == 0, out
    assert f"「{LAMP}」" in out
    assert state(db) == ([(LAMP, "ignored"), (DOG, "open")], [("命令行", "ignore")])
