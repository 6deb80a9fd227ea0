"""The workbench (`policybot web`) served for real on 127.0.0.1, in a thread of its own, so that
synchronous tests (a Playwright-driven Chromium) can use it; and seeding its database."""

from __future__ import annotations

import asyncio
import concurrent.futures
import datetime as dt
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import TypeVar

from bot.review import Sender
from bot.store import AuditEntry, LoggedQuestion, QuestionRecord, Store
from bot.understand import Matcher
from bot.web import LoginLimiter, Workbench, build_app, hash_password, start

T = TypeVar("T")


def villager_question(
    text: str,
    chat: int,
    *,
    asked_at: dt.datetime,
    outcome: str = "unknown",
    channel: str = "telegram",
) -> QuestionRecord:
    """A question as the bot logs it (`chat`: the villager's Telegram chat id)."""
    return QuestionRecord(
        asked_at=asked_at.astimezone(dt.UTC).isoformat(timespec="seconds"),
        channel=channel,
        user_key=f"{channel}:{chat}",
        reply_to=str(chat) if channel == "telegram" else "console",
        text=text,
        outcome=outcome,
        entry_id=None,
        score=0.0,
        candidates=[],
        latency_ms=1.0,
    )


def with_store(db_path: Path, work: Callable[[Store], object]) -> object:
    """Run `work(store)` (a coroutine function) on a store of its own, from sync code."""

    async def run() -> object:
        async with await Store.open(db_path) as store:
            return await work(store)  # type: ignore[misc]

    # in a thread: Playwright's sync API keeps an event loop running in the test's own
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        return pool.submit(asyncio.run, run()).result(60)


def seed(db_path: Path, records: Sequence[QuestionRecord]) -> list[int]:
    """Log these questions; return their ids."""

    async def write(store: Store) -> list[int]:
        return [await store.record_question(r) for r in records]

    return with_store(db_path, write)  # type: ignore[return-value]


def add_staff(db_path: Path, name: str, password: str) -> None:
    """Create a workbench account."""

    async def write(store: Store) -> None:
        assert await store.add_staff(name, hash_password(password), "2026-11-01T00:00:00+00:00")

    with_store(db_path, write)


def question(db_path: Path, question_id: int) -> LoggedQuestion:
    """Question `question_id` as stored now."""

    async def read(store: Store) -> LoggedQuestion | None:
        return await store.get_question(question_id)

    found = with_store(db_path, read)
    assert isinstance(found, LoggedQuestion)
    return found


def audit(db_path: Path) -> list[AuditEntry]:
    """The audit log, newest first."""

    async def read(store: Store) -> list[AuditEntry]:
        return await store.audit_entries()

    return with_store(db_path, read)  # type: ignore[return-value]


@dataclass(frozen=True)
class RunningWorkbench:
    """A workbench being served: its address and database."""

    url: str
    db_path: Path


@contextmanager
def running_workbench(
    db_path: Path,
    matcher: Matcher,
    *,
    sender: Sender | None = None,
    limiter: LoginLimiter | None = None,
    now: Callable[[], dt.datetime] | None = None,
    kb_path: Path | None = None,
) -> Iterator[RunningWorkbench]:
    """Serve the workbench on 127.0.0.1 (a free port) from a thread; stop it on exit."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()

    def call(coro: object) -> T:
        return asyncio.run_coroutine_threadsafe(coro, loop).result(60)  # type: ignore[arg-type]

    async def up() -> tuple[Store, object, int]:
        store = await Store.open(db_path)
        wb = Workbench(store=store, matcher=matcher, sender=sender, kb_path=kb_path)
        if limiter is not None:
            wb.limiter = limiter
        if now is not None:
            wb.now = now
        runner, port = await start(build_app(wb), "127.0.0.1", 0)
        return store, runner, port

    store, runner, port = call(up())
    try:
        yield RunningWorkbench(f"http://127.0.0.1:{port}", db_path)
    finally:

        async def down() -> None:
            await runner.cleanup()  # type: ignore[attr-defined]
            await store.close()

        call(down())
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
