"""One villager-and-staff session against `policybot serve` as a real process, start to SIGTERM."""

from __future__ import annotations

import io
import json
import signal
import subprocess
import sys
from pathlib import Path

import pytest

from bot import messages
from bot.cli import main
from tests.conftest import ROOT
from tests.fakes.botapi import (
    FakeBotAPI,
    callback_update,
    command_update,
    message_update,
    running_fake,
    wait_until,
)
from tests.test_telegram_serve import serve_env

ADMIN = 7000
VILLAGER = 7001
UNKNOWN = "美国大选谁赢了"
VOICE = {"voice": {"file_id": "v", "file_unique_id": "vu", "duration": 2}}
STICKER = {
    "sticker": {
        "file_id": "s",
        "file_unique_id": "su",
        "type": "regular",
        "width": 512,
        "height": 512,
        "is_animated": False,
        "is_video": False,
    }
}


def ask(fake: FakeBotAPI, update: dict[str, object], chat_id: int, expect: int = 1) -> list[str]:
    """Push one update and return the texts of the `expect` replies it brings."""
    before = len(_replies(fake, chat_id))
    fake.push(update)
    assert wait_until(lambda: len(_replies(fake, chat_id)) >= before + expect, timeout=20)
    return [c.text for c in _replies(fake, chat_id)[before:]]


def _replies(fake: FakeBotAPI, chat_id: int) -> list:  # type: ignore[type-arg]
    return [
        c for c in fake.calls(chat_id=chat_id) if c.method in ("sendMessage", "editMessageText")
    ]


@pytest.mark.slow  # a real process or real seconds of waiting
def test_a_day_on_telegram(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    env = serve_env(tmp_path, None, POLICYBOT_ADMINS=str(ADMIN))
    with running_fake() as fake, (tmp_path / "serve.log").open("wb") as log:
        env["POLICYBOT_TELEGRAM_BASE_URL"] = fake.base_url
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=90)
            [greeting] = ask(fake, command_update(VILLAGER, "/start"), VILLAGER)
            [topics] = ask(fake, callback_update(VILLAGER, "c:edu"), VILLAGER)
            [answer] = ask(fake, callback_update(VILLAGER, "e:edu.yulu_plan"), VILLAGER)
            fake.fail("sendMessage", status=429, retry_after=1)
            [typed] = ask(fake, message_update(VILLAGER, text="雨露计划补多少钱"), VILLAGER)
            question = [c for c in fake.messages(VILLAGER) if c.text == typed][-1]
            feedback = next(d for _, d in question.buttons() if d.endswith(":1"))
            [thanks] = ask(fake, callback_update(VILLAGER, feedback), VILLAGER)
            [sticker] = ask(fake, message_update(VILLAGER, extra=STICKER), VILLAGER)
            [voice] = ask(fake, message_update(VILLAGER, extra=VOICE), VILLAGER)
            [long] = ask(fake, message_update(VILLAGER, text="家里难" * 1333 + "低保"), VILLAGER)
            hostile = "<script>alert(1)</script>\u202e\x00'; DROP TABLE questions;--🙂\u200b"
            [odd] = ask(fake, message_update(VILLAGER, text=hostile), VILLAGER)
            [unknown] = ask(fake, message_update(VILLAGER, text=UNKNOWN), VILLAGER)
            [refused] = ask(fake, command_update(VILLAGER, "/stats"), VILLAGER)
            [stats] = ask(fake, command_update(ADMIN, "/stats"), ADMIN)

            before = len(fake.messages())
            for round_ in range(5):
                for villager in range(7100, 7130):
                    fake.push(
                        message_update(villager, text=["低保咋申请", "看病能报多少"][round_ % 2])
                    )
            assert wait_until(lambda: len(fake.messages()) >= before + 150, timeout=90)
            code, listed = _policybot("log", "unanswered", "--json", db=db)
            proc.send_signal(signal.SIGTERM)
            exit_code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    assert greeting == messages.GREETING
    assert topics.startswith("「教育」")
    assert "3000元" in answer
    assert "3000元" in typed
    assert thanks == messages.FEEDBACK_THANKS
    assert sticker == voice == messages.NON_TEXT
    assert long
    assert long != messages.ERROR
    assert odd
    assert odd != messages.ERROR
    assert "驻村工作队" in unknown
    assert refused == messages.ADMIN_ONLY
    assert messages.STATS_TODAY in stats
    crowd = [c for c in fake.messages() if 7100 <= (c.chat_id or 0) < 7130]
    assert len(crowd) == 150
    assert all(c.text != messages.ERROR for c in crowd)
    assert code == 0
    assert any(UNKNOWN in g["examples"] for g in json.loads(listed))
    assert exit_code == 0
    assert not Path(f"{db}-wal").exists()


@pytest.mark.slow  # a real process
def test_a_conversation_on_telegram(tmp_path: Path) -> None:
    db = tmp_path / "bot.sqlite3"
    env = serve_env(tmp_path, None, POLICYBOT_ADMINS=str(ADMIN))
    with running_fake() as fake, (tmp_path / "serve.log").open("wb") as log:
        env["POLICYBOT_TELEGRAM_BASE_URL"] = fake.base_url
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=90)
            say = [ask(fake, message_update(VILLAGER, text=t), VILLAGER)[0] for t in TURNS]
            edit = message_update(VILLAGER, text="雨露计划补多少钱", kind="edited_message")
            [edited] = ask(fake, edit, VILLAGER)
            code, listed = _policybot("log", "unanswered", "--json", db=db)
            # a person when needed: the question before 「我要找人工」 reaches the admin
            ask(fake, message_update(VILLAGER, text=UNKNOWN), VILLAGER)
            ask(fake, message_update(VILLAGER, text="我要找人工"), VILLAGER)
            offer = _replies(fake, VILLAGER)[-1]
            handoff = next(d for _, d in offer.buttons() if d.startswith("h:"))
            [done] = ask(fake, callback_update(VILLAGER, handoff), VILLAGER)
            told = _wait_text(fake, ADMIN, "/reply")
            qid = handoff.split(":")[1]
            ask(fake, command_update(ADMIN, f"/reply {qid} 这个请看新闻。"), ADMIN)
            confirm = _replies(fake, ADMIN)[-1].buttons()[0][1]  # the preview's 确认发送
            ask(fake, callback_update(ADMIN, confirm), ADMIN)
            answered = _wait_text(fake, VILLAGER, "这个请看新闻")
            proc.send_signal(signal.SIGTERM)
            exit_code = proc.wait(timeout=30)
        finally:
            if proc.poll() is None:
                proc.kill()
    first, materials, whom, category, chat, bye = say
    assert "应保尽保" in first
    assert materials.startswith(messages.FOLLOWUP_PREFIX.format(title="低保"))
    assert whom.startswith(messages.FOLLOWUP_PREFIX.format(title="低保"))
    assert category == messages.CATEGORY_PROMPT.format(name="教育")
    assert (chat, bye) == (messages.CHAT_OK, messages.CHAT_BYE)
    assert "3000元" in edited
    assert code == 0
    assert json.loads(listed) == []  # small talk is not queued for editors
    assert done == messages.HANDOFF_DONE
    assert UNKNOWN in told
    assert f"#{qid}" in told
    assert UNKNOWN in answered
    assert exit_code == 0


def _wait_text(fake: FakeBotAPI, chat_id: int, part: str) -> str:
    """The first message to `chat_id` containing `part`, once it is sent."""

    def found() -> list[str]:
        return [c.text for c in fake.messages(chat_id) if part in c.text]

    assert wait_until(lambda: bool(found()), timeout=20)
    return found()[0]


TURNS = ("低保咋申请", "那要啥材料", "找谁", "教育", "好的", "再见")


def _policybot(*argv: str, db: Path) -> tuple[int, str]:
    out = io.StringIO()
    code = main(list(argv), env={"POLICYBOT_DB": str(db)}, stdout=out, stderr=io.StringIO())
    return code, out.getvalue()
