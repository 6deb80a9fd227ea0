"""Webhook mode as a real `policybot serve` process: the secret is checked before the body is
read, the body is capped, and neither the token nor the secret reaches the DEBUG log."""

from __future__ import annotations

import contextlib
import json
import select
import socket
import subprocess
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from telegram.ext import _updater
from telegram.ext._utils.webhookhandler import WebhookAppClass

from bot.config import Settings
from bot.dialogue import DialogueService
from bot.store import Store
from bot.understand import Matcher
from handlers.healthz import Health
from handlers.webhook import MAX_UPDATE_BYTES, GuardedWebhookApp, guard_webhook
from tests.fakes.botapi import TOKEN, FakeBotAPI, message_update, running_fake, wait_until
from tests.test_telegram_serve import free_port, serve_env, serving, stop

BIG = 20 * 1024 * 1024  # what a stranger posts: twenty times the cap
PATH = "/policybot/hook"


@dataclass
class Hook:
    """A serving webhook bot, its stand-in Bot API and where to post."""

    proc: subprocess.Popen[bytes]
    fake: FakeBotAPI
    port: int
    secret: str
    log: Path


@pytest.fixture(scope="module")
def hook(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Hook]:
    tmp = tmp_path_factory.mktemp("webhook")
    port = free_port()
    url = f"http://127.0.0.1:{port}{PATH}"
    env = serve_env(
        tmp, None, POLICYBOT_WEBHOOK_URL=url, PORT=str(port), POLICYBOT_LOG_LEVEL="DEBUG"
    )
    with running_fake() as fake:
        env["POLICYBOT_TELEGRAM_BASE_URL"] = fake.base_url
        with serving(tmp, env) as proc:
            assert wait_until(lambda: bool(fake.webhook) and _listening(port), timeout=60)
            yield Hook(proc, fake, port, fake.webhook["secret_token"], tmp / "serve.log")
            assert stop(proc) == 0


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5):
            return True
    except OSError:
        return False


def post(hook: Hook, body: bytes, *, secret: str | None, **headers: str) -> int:
    """POST `body` the ordinary way; the HTTP status."""
    request = urllib.request.Request(f"http://127.0.0.1:{hook.port}{PATH}", body, method="POST")
    request.add_header("Content-Type", headers.pop("content_type", "application/json"))
    if secret is not None:
        request.add_header("X-Telegram-Bot-Api-Secret-Token", secret)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return int(response.status)
    except urllib.error.HTTPError as exc:
        return exc.code


def stream(hook: Hook, size: int, *, secret: str | None, chunked: bool = False) -> tuple[int, int]:
    """Stream a `size`-byte body in 64 KiB pieces, stopping as soon as the server answers.

    Returns (HTTP status, bytes of the body sent before the answer came).
    """
    head = [
        f"POST {PATH} HTTP/1.1",
        f"Host: 127.0.0.1:{hook.port}",
        "Content-Type: application/json",
    ]
    head.append("Transfer-Encoding: chunked" if chunked else f"Content-Length: {size}")
    if secret is not None:
        head.append(f"X-Telegram-Bot-Api-Secret-Token: {secret}")
    piece = b"x" * 65536
    framed = b"10000\r\n" + piece + b"\r\n" if chunked else piece
    sent, pending = 0, memoryview(b"")
    with socket.create_connection(("127.0.0.1", hook.port), timeout=30) as sock:
        sock.sendall(("\r\n".join(head) + "\r\n\r\n").encode())
        try:
            # never block in a send: stop the moment the answer can be read
            while sent < size or pending:
                readable, writable, _ = select.select([sock], [sock], [], 30)
                if readable or not writable:
                    break
                if not pending:
                    pending, sent = memoryview(framed), sent + len(piece)
                pending = pending[sock.send(pending) :]
        except (BrokenPipeError, ConnectionResetError):
            pass  # the server closed its end: its answer is already on the way
        answer = b""
        with contextlib.suppress(ConnectionResetError):
            while b"\r\n" not in answer and (data := sock.recv(4096)):
                answer += data
    assert answer, "the server closed the connection without an answer"
    return int(answer.split()[1]), sent


def rss(proc: subprocess.Popen[bytes]) -> int:
    """The process's resident memory in bytes, from /proc."""
    for line in Path(f"/proc/{proc.pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


def update(chat: int, text: str) -> bytes:
    return json.dumps({"update_id": chat, **message_update(chat, text=text)}).encode()


def test_big_posts_are_refused_before_their_body_is_read_and_memory_stays_flat(
    hook: Hook,
) -> None:
    # issue 14.6: six 90 MB posts without the secret took the process from 145 to 866 MB
    assert post(hook, update(6101, "低保咋申请"), secret=hook.secret) == 200
    assert wait_until(lambda: bool(hook.fake.messages(6101)), timeout=15)
    before = rss(hook.proc)
    for _ in range(3):
        status, sent = stream(hook, BIG, secret=None)
        assert status == 403
        assert sent < BIG  # answered while the body was still coming: it was never read
    status, sent = stream(hook, BIG, secret="forged")
    assert (status, sent < BIG) == (403, True)
    # with the secret: a declared length over the cap, and a chunked body that grows past it
    status, sent = stream(hook, BIG, secret=hook.secret)
    assert (status, sent < BIG) == (413, True)
    status, sent = stream(hook, BIG, secret=hook.secret, chunked=True)
    assert (status, sent < BIG) == (413, True)
    grown = rss(hook.proc) - before
    assert grown < 10 * MAX_UPDATE_BYTES, f"RSS grew by {grown / 2**20:.1f} MiB"
    # and the bot goes on answering
    assert post(hook, update(6102, "看病能报销多少"), secret=hook.secret) == 200
    assert wait_until(lambda: bool(hook.fake.messages(6102)), timeout=15)


@pytest.mark.parametrize(
    ("body", "secret", "headers", "status"),
    [
        (update(6201, "低保"), None, {}, 403),
        (update(6202, "低保"), "", {}, 403),
        (update(6203, "低保"), "x" * 10_000, {}, 403),
        (update(6204, "低保"), "密钥", {}, 403),
        (update(6205, "低保"), "SECRET", {"content_type": "text/plain"}, 403),
        (b"{not json", "SECRET", {}, 400),
        (b"\xff\xfe\x00garbage", "SECRET", {}, 400),
        (b"[" * 500_000, "SECRET", {}, 400),
    ],
    # named, not by their bodies: an update carries the time, and xdist's workers must agree
    ids=[
        "no-secret",
        "empty-secret",
        "long-secret",
        "non-ascii-secret",
        "wrong-secret-plain-text",
        "not-json",
        "not-utf8",
        "deep-nesting",
    ],
)
def test_hostile_posts_are_refused_and_never_answered(
    hook: Hook, body: bytes, secret: str | None, headers: dict[str, str], status: int
) -> None:
    sent = hook.secret if secret == "SECRET" else secret
    if sent is not None and not sent.isascii():
        sent = sent.encode().decode("latin-1")  # what a raw header of UTF-8 bytes reads as
    assert post(hook, body, secret=sent, **headers) == status
    assert all(hook.fake.messages(chat) == [] for chat in range(6201, 6206))


def test_a_bad_content_length_is_refused(hook: Hook) -> None:
    with socket.create_connection(("127.0.0.1", hook.port), timeout=10) as sock:
        sock.sendall(
            f"POST {PATH} HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
            f"X-Telegram-Bot-Api-Secret-Token: {hook.secret}\r\n"
            "Content-Length: 1e9\r\n\r\n{}".encode()
        )
        assert sock.recv(4096).split()[1] == b"400"
    # one byte over the cap, with the secret
    assert stream(hook, MAX_UPDATE_BYTES + 1, secret=hook.secret)[0] == 413


def test_the_debug_log_shows_neither_the_token_nor_the_secret(hook: Hook) -> None:
    assert post(hook, update(6301, "低保咋申请"), secret=hook.secret) == 200
    assert wait_until(lambda: bool(hook.fake.messages(6301)), timeout=15)
    log = hook.log.read_text(encoding="utf-8")
    assert "setWebhook" in log
    assert "DEBUG" in log
    assert TOKEN not in log
    assert TOKEN.split(":")[1] not in log
    assert hook.secret not in log
    assert "<token>" in log  # the redacted form: the lines were kept, not dropped


def test_the_guard_refuses_to_start_on_a_python_telegram_bot_it_does_not_know(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(_updater, "WebhookAppClass", WebhookAppClass)  # restored afterwards
    guard_webhook()
    guard_webhook()  # idempotent
    assert _updater.WebhookAppClass is GuardedWebhookApp
    monkeypatch.setattr(_updater, "WebhookAppClass", type("Renamed", (), {}))
    with pytest.raises(RuntimeError, match="cannot guard it"):
        guard_webhook()  # never an unguarded webhook


def test_healthz_says_ok_with_no_path_and_refuses_anything_but_get(hook: Hook) -> None:
    sent = len(hook.fake.messages())
    with urllib.request.urlopen(f"http://127.0.0.1:{hook.port}/healthz", timeout=10) as r:
        status, body = r.status, r.read().decode()
        assert r.headers["Content-Type"].startswith("text/plain")
    assert status == 200
    assert body.startswith("ok: knowledge base of ")
    assert "question log schema" in body
    assert "/" not in body, "no path or URL on a port that faces the internet"
    refused = urllib.request.Request(f"http://127.0.0.1:{hook.port}/healthz", b"{}")
    with pytest.raises(urllib.error.HTTPError) as post_it:
        urllib.request.urlopen(refused, timeout=10)
    post_it.value.close()
    assert post_it.value.code == 405
    assert len(hook.fake.messages()) == sent, "a probe is no update"


async def test_healthz_is_unhealthy_when_the_log_is_gone_and_asks_again_after_a_while(
    tmp_path: Path, matcher: Matcher
) -> None:
    db = tmp_path / "bot.sqlite3"
    async with await Store.open(db) as store:
        health = Health(Settings(db_path=db), DialogueService(matcher, store))
        assert (await health())[0]
        db.unlink()
        assert (await health())[0], "kept a few seconds: a flood of probes asks once"
        health._kept = None  # as after KEPT_S
        healthy, line = await health()
    assert not healthy
    assert line == "unhealthy: the question log does not answer"
