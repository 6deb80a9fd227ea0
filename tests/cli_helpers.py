"""What the `policybot log resolve|ignore` process tests share: a small question log (a
street-light question and a dog bite, two groups) and the command run as a real process, with
its stdin piped or a terminal."""

from __future__ import annotations

import asyncio
import os
import pty
import subprocess
import sys
from pathlib import Path

from bot.store import QuestionRecord, Store
from tests.conftest import ROOT
from tests.fakes.botapi import TOKEN, FakeBotAPI

DOG = "被狗咬了打疫苗谁出钱"
LAMP = "村里路灯坏了找谁修"


def record(text: str, chat: str) -> QuestionRecord:
    """An unanswered Telegram question from the villager in `chat`."""
    return QuestionRecord(
        asked_at="2026-12-02T08:00:00+00:00",
        channel="telegram",
        user_key=f"telegram:{chat}",
        reply_to=chat,
        text=text,
        outcome="unknown",
        entry_id=None,
        score=0.0,
        candidates=(),
        latency_ms=1.0,
    )


def lamp_log(tmp_path: Path) -> tuple[Path, int]:
    """A log with one street-light question (from villager 4242) and one about a dog bite
    (from 4343, another group); returns the log and the street-light question's id."""
    db = tmp_path / "log.sqlite3"

    async def fill() -> int:
        async with await Store.open(db) as store:
            qid = await store.record_question(record(LAMP, "4242"))
            await store.record_question(record(DOG, "4343"))
            return qid

    return db, asyncio.run(fill())


def _command(
    db: Path, command: str, args: tuple[str, ...], fake: FakeBotAPI | None
) -> tuple[list[str], dict[str, str]]:
    """The argv and environment: the token and the fake's URL, or (no fake) no token at all."""
    env = {**os.environ, "POLICYBOT_DB": str(db)}
    if fake is None:
        env.pop("TELEGRAM_BOT_TOKEN", None)
    else:
        env |= {"TELEGRAM_BOT_TOKEN": TOKEN, "POLICYBOT_TELEGRAM_BASE_URL": fake.base_url}
    return [sys.executable, "-m", "bot", "log", command, *args], env


def run_log(
    db: Path, command: str, *args: str, fake: FakeBotAPI | None = None, stdin: str | None = ""
) -> subprocess.CompletedProcess[str]:
    """`policybot log COMMAND …` with `stdin` piped in (None: no stdin at all)."""
    argv, env = _command(db, command, args, fake)
    return subprocess.run(
        argv,
        env=env,
        input=stdin,
        stdin=subprocess.DEVNULL if stdin is None else None,
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
        timeout=120,
    )


def run_log_on_a_terminal(
    db: Path, command: str, typed: bytes, *args: str, fake: FakeBotAPI | None = None
) -> tuple[int, str]:
    """`policybot log COMMAND …` whose stdin is a terminal on which `typed` is typed;
    returns the exit code and stdout."""
    argv, env = _command(db, command, args, fake)
    leader, follower = pty.openpty()
    try:
        with subprocess.Popen(
            argv,
            env=env,
            stdin=follower,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            cwd=ROOT,
        ) as process:
            os.write(leader, typed)
            out, _ = process.communicate(timeout=120)
            return process.returncode, out
    finally:
        os.close(follower)
        os.close(leader)
