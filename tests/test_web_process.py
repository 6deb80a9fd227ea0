"""`policybot staff add` and `policybot web` as real processes: an account made on the command
line logs in, an answer sent from the page reaches the villager through the Bot API stand-in
(TELEGRAM_BOT_TOKEN set: the workbench sends at once), SIGTERM stops it with exit code 0."""

from __future__ import annotations

import datetime as dt
import os
import re
import signal
import subprocess
import sys
from pathlib import Path

import httpx
import pytest

from bot.review import editor_reply
from tests.conftest import ROOT
from tests.fakes.botapi import TOKEN, running_fake, wait_until
from tests.fakes.workbench import seed, villager_question
from tests.test_telegram_serve import free_port

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
LAMP = "村里路灯坏了找谁修"
ANSWER = "路灯归村委会管，请打村委会电话报修。"


def csrf(page: str) -> str:
    found = CSRF_RE.search(page)
    assert found is not None
    return found[1]


@pytest.mark.slow  # two real processes
def test_policybot_web_serves_an_account_made_by_staff_add(tmp_path: Path) -> None:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_"))}
    env.update(POLICYBOT_DB=str(tmp_path / "log.sqlite3"), POLICYBOT_WEB_PORT=str(port))
    made = subprocess.run(
        [sys.executable, "-m", "bot", "staff", "add", "王编辑"],
        cwd=ROOT,
        env=env,
        input="a long password\n",
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert made.returncode == 0, made.stderr
    (qid,) = seed(
        tmp_path / "log.sqlite3", [villager_question(LAMP, 101, asked_at=dt.datetime.now(dt.UTC))]
    )
    with running_fake() as fake, (tmp_path / "web.log").open("w+") as log:
        env.update(TELEGRAM_BOT_TOKEN=TOKEN, POLICYBOT_TELEGRAM_BASE_URL=fake.base_url)
        env.update(POLICYBOT_LOG_LEVEL="DEBUG")  # the token must stay out even at DEBUG
        proc = subprocess.Popen(
            [sys.executable, "-m", "bot", "web"], cwd=ROOT, env=env, stdout=log, stderr=log
        )
        try:
            assert wait_until(
                lambda: "policybot web: http://" in (tmp_path / "web.log").read_text(), 60
            )
            url = f"http://127.0.0.1:{port}"
            with httpx.Client(base_url=url, follow_redirects=True) as client:
                page = client.get("/login").text
                form = {"csrf": csrf(page), "name": "王编辑", "password": "a long password"}
                page = client.post("/login", data=form).text
                assert "概况" in page
                page = client.post(
                    f"/queue/{qid}/preview", data={"csrf": csrf(page), "answer": ANSWER}
                ).text
                page = client.post(
                    f"/queue/{qid}/send",
                    data={"csrf": csrf(page), "answer": ANSWER, "ids": str(qid)},
                ).text
                assert "已发给 1 位群众" in page
            assert [m.text for m in fake.messages(101)] == [editor_reply(LAMP, ANSWER)]
            proc.send_signal(signal.SIGTERM)
            assert proc.wait(timeout=30) == 0
        finally:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
    log = (tmp_path / "web.log").read_text(encoding="utf-8")
    assert "DEBUG" in log
    assert TOKEN.split(":")[1] not in log  # issue 14.6: the Bot's "Set Bot API URL" line
    assert "/bot<token>" in log
