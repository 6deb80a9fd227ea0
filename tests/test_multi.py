"""Several `policybot serve` instances, one bot (issue 11.3): webhook instances on one store
claim each update by its id, so a burst posted to all of them is answered once; a second long
poller on the same token refuses to start while the first goes on answering."""

from __future__ import annotations

import asyncio
import json
import signal
import sqlite3
import subprocess
import urllib.error
import urllib.request
from collections import Counter
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.config import webhook_secret
from bot.store import is_postgres_url
from tests.fakes.botapi import TOKEN, FakeBotAPI, message_update, running_fake, wait_until
from tests.test_crash import QUESTIONS, exported, user_key
from tests.test_telegram_serve import free_port, serve_env, serve_once, serving, stop
from tests.test_webhook import _listening

PATH = "/policybot/hook"
VILLAGERS = range(9101, 9141)  # 40 villagers, one question each, update ids 1…40
# the kill test's burst: long enough at Telegram's ~30 messages/s to be cut a fifth of the way
BURST = range(9401, 9551)


@dataclass
class Instance:
    """One serving webhook instance: its port and its environment."""

    port: int
    env: dict[str, str]
    log: Path
    proc: subprocess.Popen[bytes]
    killed: bool = False

    def kill(self) -> None:
        """SIGKILL it, as the OOM killer or a pulled plug does."""
        self.killed = True
        self.proc.send_signal(signal.SIGKILL)
        assert self.proc.wait(timeout=30) == -signal.SIGKILL


def question_of(villager: int) -> str:
    return QUESTIONS[villager % len(QUESTIONS)]


def body_of(villager: int, first: int = VILLAGERS[0]) -> bytes:
    update = {"update_id": villager - first + 1, **message_update(villager)}
    update["message"]["text"] = question_of(villager)
    return json.dumps(update, ensure_ascii=False).encode()


def post(port: int, body: bytes) -> int:
    request = urllib.request.Request(f"http://127.0.0.1:{port}{PATH}", body, method="POST")
    request.add_header("Content-Type", "application/json")
    request.add_header("X-Telegram-Bot-Api-Secret-Token", webhook_secret(TOKEN))
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


@contextmanager
def instances(
    tmp_path: Path, fake: FakeBotAPI, target: Path | str, n: int = 2
) -> Iterator[list[Instance]]:
    """`n` webhook instances of `policybot serve` on one store, serving until the end."""
    with ExitStack() as stack:
        started = []
        for i in range(n):
            folder = tmp_path / f"instance{i}"
            folder.mkdir()
            port = free_port()
            env = serve_env(
                folder,
                fake,
                POLICYBOT_DB=str(target),
                POLICYBOT_WEBHOOK_URL=f"http://127.0.0.1:{port}{PATH}",
                PORT=str(port),
            )
            proc = stack.enter_context(serving(folder, env))
            started.append((proc, Instance(port, env, folder / "serve.log", proc)))
        for proc, instance in started:
            assert wait_until(lambda p=instance.port: _listening(p), timeout=90), proc.poll()
        yield [instance for _, instance in started]
        for proc, instance in started:
            assert instance.killed or stop(proc) == 0


_COUNTS = (
    "SELECT COUNT(*) FROM inbox",
    "SELECT COUNT(*) FROM inbox WHERE handled_at IS NOT NULL AND raw IS NULL",
)


def inbox(target: Path | str) -> tuple[int, int]:
    """(updates in the inbox, of them handled with their content erased)."""
    if not is_postgres_url(target):
        with sqlite3.connect(target) as conn:
            total, handled = (int(conn.execute(sql).fetchone()[0]) for sql in _COUNTS)
        return total, handled

    async def ask() -> tuple[int, int]:
        import asyncpg

        conn = await asyncpg.connect(str(target))
        try:
            total, handled = [int(await conn.fetchval(sql)) for sql in _COUNTS]
        finally:
            await conn.close()
        return total, handled

    return asyncio.run(ask())


def replies(fake: FakeBotAPI, villagers: range = VILLAGERS) -> Counter[int]:
    return Counter(c.chat_id for c in fake.messages() if c.chat_id in villagers)


def post_all(port: int, villagers: range) -> list[int]:
    with ThreadPoolExecutor(max_workers=8) as pool:
        return list(pool.map(lambda v: post(port, body_of(v, villagers[0])), villagers))


@pytest.mark.slow
def test_a_burst_posted_to_two_webhook_instances_is_answered_and_logged_once(
    tmp_path: Path, db_target: Path | str
) -> None:
    with running_fake() as fake, instances(tmp_path, fake, db_target) as (first, second):
        # every update to both instances at once: Telegram re-sending it to the other
        # instance after a timeout, while the first is still on it
        with ThreadPoolExecutor(max_workers=16) as pool:
            statuses = list(
                pool.map(
                    post,
                    [p for _ in VILLAGERS for p in (first.port, second.port)],
                    [body_of(v) for v in VILLAGERS for _ in (0, 1)],
                )
            )
        assert statuses == [200] * (2 * len(VILLAGERS))  # both acknowledge: Telegram forgets it
        # every update handled (marked in the inbox when its handlers are done): no reply
        # can still be on its way
        done = (len(VILLAGERS), len(VILLAGERS))
        assert wait_until(lambda: inbox(db_target) == done, timeout=120), inbox(db_target)
        got = replies(fake)
        rows = exported(first.env, tmp_path / "log.csv")
        logs = first.log.read_text(encoding="utf-8") + second.log.read_text(encoding="utf-8")
    assert got == Counter(dict.fromkeys(VILLAGERS, 1))
    asked = Counter((r["user_key"], r["text"]) for r in rows)
    assert asked == Counter({(user_key(v), question_of(v)): 1 for v in VILLAGERS})
    assert "acknowledged, not handled" in logs
    assert "Traceback" not in logs


@pytest.mark.slow
def test_a_second_long_poller_on_the_token_refuses_to_start_and_the_first_keeps_answering(
    tmp_path: Path, db_target: Path | str
) -> None:
    first, second = tmp_path / "first", tmp_path / "second"
    first.mkdir()
    second.mkdir()
    with running_fake() as fake:
        env = serve_env(first, fake, POLICYBOT_DB=str(db_target))
        with serving(first, env) as proc:
            assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=90)
            fake.push(message_update(9201, text="低保咋申请"))
            assert wait_until(lambda: bool(fake.messages(9201)), timeout=30)
            # the same token on the same database, as an operator starting it twice
            env2 = serve_env(second, fake, POLICYBOT_DB=str(db_target))
            refused = serve_once({**env2, "POLICYBOT_LOG_LEVEL": "WARNING"})
            fake.push(message_update(9202, text="雨露计划补多少钱"))
            assert wait_until(lambda: bool(fake.messages(9202)), timeout=30)
            assert proc.poll() is None
            assert stop(proc) == 0
        log = (first / "serve.log").read_text(encoding="utf-8")
        # the first stopped cleanly and gave its lease up: the next start need not wait
        with serving(second, env2) as proc:
            fake.push(message_update(9203, text="低保咋申请"))
            assert wait_until(lambda: bool(fake.messages(9203)), timeout=90)
            assert stop(proc) == 0
        answered = [c.chat_id for c in fake.messages()]
    assert refused.returncode == 2
    [line] = refused.stderr.splitlines()
    assert "already long polling this bot's token" in line
    assert TOKEN not in line
    assert refused.stdout == ""
    print(line)
    assert answered == [9201, 9202, 9203]
    assert "Traceback" not in log
    assert "took over long polling" not in log


@pytest.mark.slow
def test_a_poller_killed_with_sigkill_does_not_hold_up_its_restart_on_the_same_host(
    tmp_path: Path, db_target: Path | str
) -> None:
    with running_fake() as fake:
        env = serve_env(tmp_path, fake, POLICYBOT_DB=str(db_target))
        with serving(tmp_path, env) as proc:
            assert wait_until(lambda: bool(fake.calls("getUpdates")), timeout=90)
            proc.send_signal(signal.SIGKILL)
            assert proc.wait(timeout=30) == -signal.SIGKILL
        # its lease has not run out: its process is seen to be gone
        restarted = tmp_path / "restarted"
        restarted.mkdir()
        with serving(restarted, env) as proc:
            fake.push(message_update(9301, text="低保咋申请"))
            assert wait_until(lambda: bool(fake.messages(9301)) or proc.poll() is not None, 90)
            assert proc.poll() is None, (restarted / "serve.log").read_text(encoding="utf-8")
            assert stop(proc) == 0
        log = (restarted / "serve.log").read_text(encoding="utf-8")
    assert "no longer running" in log
    assert len(fake.messages(9301)) == 1


@pytest.mark.slow
def test_a_webhook_instance_killed_mid_burst_loses_nothing_the_survivor_adopts_its_updates(
    tmp_path: Path, db_target: Path | str
) -> None:
    with running_fake() as fake, instances(tmp_path, fake, db_target) as (first, second):
        assert post_all(first.port, BURST) == [200] * len(BURST)  # the balancer chose one
        assert wait_until(lambda: replies(fake, BURST).total() >= 15, timeout=60)
        first.kill()
        before = replies(fake, BURST).total()
        assert before < len(BURST), "the burst ended before the kill"
        total, marked = inbox(db_target)
        assert total == len(BURST)
        # Telegram sends again what it had no answer to; here all of it, to the survivor
        assert post_all(second.port, BURST) == [200] * len(BURST)
        # the killed instance's lease runs out: the survivor adopts what it left unhandled
        done = (len(BURST), len(BURST))
        assert wait_until(lambda: inbox(db_target) == done, timeout=120), inbox(db_target)
        got = replies(fake, BURST)
        rows = exported(second.env, tmp_path / "log.csv")
        log = second.log.read_text(encoding="utf-8")
    lost = [v for v in BURST if got[v] == 0]
    twice = got.total() - len(BURST)
    print(f"killed after {before} replies, {marked} marked: lost {len(lost)}, twice {twice}")
    assert lost == []
    # answered twice: only replies sent before the kill whose update was not marked handled
    assert twice <= before - marked
    assert {(user_key(v), question_of(v)) for v in BURST} <= {
        (r["user_key"], r["text"]) for r in rows
    }
    assert "left unhandled by a stopped instance" in log
    assert "Traceback" not in log
