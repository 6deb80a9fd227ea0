"""`policybot serve` as a real process: token checks, polling, webhook, SIGTERM, quiet logs."""

from __future__ import annotations

import io
import json
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot import messages
from bot.cli import build_parser, main
from tests.conftest import ROOT
from tests.fakes.botapi import (
    STICKER,
    TOKEN,
    FakeBotAPI,
    message_update,
    running_fake,
    wait_until,
)


def serve_env(tmp_path: Path, fake: FakeBotAPI | None, **extra: str) -> dict[str, str]:
    """The environment of a `policybot serve` process pointed at the fake."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_"))}
    env.update(
        TELEGRAM_BOT_TOKEN=TOKEN,
        POLICYBOT_DB=str(tmp_path / "bot.sqlite3"),
        POLICYBOT_LOG_LEVEL="INFO",
    )
    if fake is not None:
        env["POLICYBOT_TELEGRAM_BASE_URL"] = fake.base_url
    env.update(extra)
    return env


@contextmanager
def serving(tmp_path: Path, env: dict[str, str]) -> Iterator[subprocess.Popen[bytes]]:
    """`python -m bot serve` with its output in tmp_path/serve.log; killed if left running."""
    with (tmp_path / "serve.log").open("wb") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "serve"],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            yield proc
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()


def stop(proc: subprocess.Popen[bytes]) -> int:
    """Send SIGTERM and return the exit code."""
    proc.send_signal(signal.SIGTERM)
    return proc.wait(timeout=30)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def serve_once(env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run `policybot serve` to its end (it is expected to stop by itself)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", "serve"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.parametrize(
    ("token", "complaint"),
    [("", "TELEGRAM_BOT_TOKEN is not set"), ("not-a-token", "TELEGRAM_BOT_TOKEN is malformed")],
)
def test_missing_or_malformed_token_is_one_clear_line_and_exit_2(
    tmp_path: Path, token: str, complaint: str
) -> None:
    env = serve_env(tmp_path, None, TELEGRAM_BOT_TOKEN=token)
    done = serve_once(env)
    assert done.returncode == 2
    assert done.stdout == ""
    [line] = done.stderr.splitlines()
    assert complaint in line
    assert "Traceback" not in done.stderr


def test_token_rejected_by_telegram_exits_2_without_printing_it(tmp_path: Path) -> None:
    with running_fake(accept_token=False) as fake:
        env = serve_env(tmp_path, fake, POLICYBOT_LOG_LEVEL="WARNING")
        done = serve_once(env)
    assert done.returncode == 2
    [line] = done.stderr.splitlines()
    assert "TELEGRAM_BOT_TOKEN was rejected" in line
    assert TOKEN not in done.stdout + done.stderr
    assert TOKEN.split(":")[1] not in done.stdout + done.stderr


@pytest.mark.slow  # a real process or real seconds of waiting
def test_serve_answers_survives_faults_and_stops_cleanly_on_sigterm_without_leaking_token(
    tmp_path: Path,
) -> None:
    db = tmp_path / "bot.sqlite3"
    with (
        running_fake() as fake,
        serving(tmp_path, serve_env(tmp_path, fake, POLICYBOT_LOG_LEVEL="DEBUG")) as proc,
    ):
        assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=60)
        fake.fail("sendMessage", status=429, retry_after=1)
        fake.fail("getUpdates", status=502)
        fake.push(message_update(5001, text="/start", entities=[_command("/start")]))
        fake.push(message_update(5001, text="雨露计划补多少钱"))
        fake.push(message_update(5002, extra=STICKER))
        fake.fail("sendMessage", status=500, chat_id=5003)
        fake.push(message_update(5003, text="低保咋申请"))
        assert wait_until(lambda: len(fake.messages()) >= 4, timeout=30)
        assert wait_until(lambda: fake.pending_updates() == 0, timeout=10)
        code = stop(proc)
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    texts = {c.chat_id: c.text for c in fake.messages()}
    assert code == 0
    assert texts[5002] == messages.NON_TEXT
    assert "3000元" in texts[5001]
    assert "低保" in texts[5003]
    assert [c.status for c in fake.calls(ok=False)].count(429) == 1
    assert "database closed" in log
    assert not Path(f"{db}-wal").exists()  # the last connection closed cleanly
    assert "Traceback" not in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert "getUpdates" in log  # DEBUG really was on


def test_webhook_mode_registers_the_url_and_checks_the_secret(tmp_path: Path) -> None:
    port = free_port()
    url = f"http://127.0.0.1:{port}/policybot/hook"
    with (
        running_fake() as fake,
        serving(
            tmp_path,
            serve_env(
                tmp_path,
                fake,
                POLICYBOT_WEBHOOK_URL=url,
                PORT=str(port),
                POLICYBOT_LOG_LEVEL="DEBUG",
            ),
        ) as proc,
    ):
        assert wait_until(lambda: bool(fake.webhook), timeout=60)
        secret = fake.webhook["secret_token"]
        assert fake.webhook["url"] == url
        assert not fake.calls("getUpdates")

        def post(update: dict[str, object], token: str | None) -> int:
            body = json.dumps({"update_id": 1, **update}).encode()
            request = urllib.request.Request(url, data=body, method="POST")
            request.add_header("Content-Type", "application/json")
            if token is not None:
                request.add_header("X-Telegram-Bot-Api-Secret-Token", token)
            try:
                with urllib.request.urlopen(request, timeout=10) as response:
                    return int(response.status)
            except urllib.error.HTTPError as exc:
                return exc.code

        assert wait_until(lambda: _listening(port), timeout=30)
        assert post(message_update(5101, text="低保咋申请"), "forged") == 403
        assert post(message_update(5102, text="低保咋申请"), secret) == 200
        assert wait_until(lambda: bool(fake.messages(5102)), timeout=15)
        code = stop(proc)
    assert code == 0
    assert fake.messages(5101) == []
    assert TOKEN not in secret
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert "setWebhook" in log  # DEBUG really showed the call
    assert secret not in log  # with it, anyone could forge an admin's update


def test_procfile_runs_the_telegram_entry_point() -> None:
    process, _, command = (ROOT / "Procfile").read_text(encoding="utf-8").strip().partition(":")
    argv = shlex.split(command)
    assert process == "worker"
    assert argv[0] == "policybot"
    assert build_parser().parse_args(argv[1:]).command == "serve"


def test_serve_via_main_reports_a_missing_token_on_stderr() -> None:
    err = io.StringIO()
    assert main(["serve"], env={}, stdout=io.StringIO(), stderr=err) == 2
    assert err.getvalue().count("\n") == 1


def _command(text: str) -> dict[str, object]:
    return {"type": "bot_command", "offset": 0, "length": len(text)}


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


@pytest.mark.slow
def test_an_update_the_library_cannot_parse_is_skipped_once_and_the_rest_answered(
    tmp_path: Path,
) -> None:
    # issue 14.3: one broken update used to be re-requested ~20 times a second for ever
    with (
        running_fake() as fake,
        serving(tmp_path, serve_env(tmp_path, fake, POLICYBOT_LOG_LEVEL="INFO")) as proc,
    ):
        assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=60)
        broken = message_update(6001, text="低保咋申请")
        broken["message"]["chat"] = "not a chat"  # PTB's Update.de_json raises on this
        bad_id = fake.push(broken)
        fake.push(message_update(6002, text="雨露计划补多少钱"))
        assert wait_until(lambda: bool(fake.messages(6002)), timeout=30)
        assert wait_until(lambda: fake.pending_updates() == 0, timeout=10)
        polls = len(fake.calls("getUpdates"))
        time.sleep(1.0)
        spinning = len(fake.calls("getUpdates")) - polls
        code = stop(proc)
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert code == 0  # SIGTERM still stops it
    assert "3000元" in fake.messages(6002)[0].text
    assert not fake.messages(6001)  # nothing can be said to a chat that could not be read
    assert log.count(f"update {bad_id}") == 1, log[-3000:]
    assert spinning <= 3  # long polling again, not re-requesting the broken update
    assert "Traceback" not in log


@pytest.mark.slow
def test_an_outage_writes_each_kind_of_error_once_not_once_per_attempt(tmp_path: Path) -> None:
    # issue 14.8: a 20 s outage wrote 9,500 lines, one (or a traceback) per attempt
    with (
        running_fake() as fake,
        serving(tmp_path, serve_env(tmp_path, fake, POLICYBOT_LOG_LEVEL="INFO")) as proc,
    ):
        assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=60)
        fake.fail("sendMessage", status=502, times=60)  # 3 attempts for each of 20 villagers
        for chat in range(7001, 7021):
            fake.push(message_update(chat, text="低保咋申请"))
        assert wait_until(lambda: fake.pending_updates() == 0, timeout=30)
        assert wait_until(lambda: len(fake.calls("sendMessage", ok=None)) >= 60, timeout=60)
        time.sleep(2)  # the apologies
        code = stop(proc)
    log = (tmp_path / "serve.log").read_text(encoding="utf-8")
    assert code == 0
    assert log.count("Bot API answered 502; retrying") == 1, log[-3000:]
    assert log.count("failed to handle an update") <= 1
    assert len(log.splitlines()) < 120
