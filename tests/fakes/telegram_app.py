"""Run the real PTB Application of handlers.app against FakeBotAPI inside a test's event loop."""

from __future__ import annotations

import asyncio
import sqlite3
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.config import DEFAULT_KB, Settings
from bot.dialogue import DialogueService
from bot.understand import Matcher
from handlers.app import ALLOWED_UPDATES, PTBApplication, build_application
from handlers.runtime import RUNTIME_KEY, Runtime
from handlers.transport import ChatRateLimiter
from tests.fakes.botapi import (
    TOKEN,
    Call,
    FakeBotAPI,
    callback_update,
    command_update,
    message_update,
)

_REPLY_METHODS = ("sendMessage", "editMessageText")


async def db_rows(path: Path, sql: str, *params: object) -> list[tuple[object, ...]]:
    """Read the bot's database the way staff would, while the bot keeps it open."""

    def read() -> list[tuple[object, ...]]:
        with sqlite3.connect(path) as db:
            return db.execute(sql, params).fetchall()

    return await asyncio.to_thread(read)


@dataclass
class BotUnderTest:
    """The running bot, its fake Bot API and helpers to talk to it like a villager."""

    fake: FakeBotAPI
    app: PTBApplication
    settings: Settings

    @property
    def runtime(self) -> Runtime:
        """What post_init set up (service, flood limiter, admins)."""
        value = self.app.bot_data[RUNTIME_KEY]
        assert isinstance(value, Runtime)
        return value

    @property
    def service(self) -> DialogueService:
        """The dialogue service the handlers use."""
        return self.runtime.service

    def replies(self, chat_id: int) -> list[Call]:
        """Delivered sendMessage/editMessageText calls to `chat_id`, oldest first."""
        return [c for c in self.fake.calls(chat_id=chat_id) if c.method in _REPLY_METHODS]

    async def exchange(
        self, update: dict[str, Any], chat_id: int, *, expect: int = 1, within: float = 15.0
    ) -> list[Call]:
        """Push `update`, wait for `expect` new replies in `chat_id` and for the bot to go idle."""
        before = len(self.replies(chat_id))
        self.fake.push(update)
        await self.wait_for(lambda: len(self.replies(chat_id)) >= before + expect, within)
        await self.idle(within)
        return self.replies(chat_id)[before:]

    async def say(
        self, user_id: int, text: str, *, expect: int = 1, within: float = 15.0
    ) -> list[Call]:
        """A villager types `text` in their private chat."""
        update = message_update(user_id, text=text)
        return await self.exchange(update, user_id, expect=expect, within=within)

    async def command(self, user_id: int, command: str, *, expect: int = 1) -> list[Call]:
        """A villager (or staff member) sends a command such as "/start"."""
        return await self.exchange(command_update(user_id, command), user_id, expect=expect)

    async def tap(
        self, user_id: int, data: str, *, message_id: int = 1, expect: int = 1
    ) -> list[Call]:
        """A villager taps a button carrying `data`."""
        update = callback_update(user_id, data, message_id=message_id)
        return await self.exchange(update, user_id, expect=expect)

    async def wait_for(self, predicate: Any, within: float = 15.0) -> None:
        """Wait (without blocking the loop) until `predicate()` holds."""
        deadline = time.monotonic() + within
        while not predicate():
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out after {within}s waiting for the bot")
            await asyncio.sleep(0.01)

    async def idle(self, within: float = 15.0) -> None:
        """Wait until every pushed update was fetched and handled."""

        def quiet() -> bool:
            processor = self.app.update_processor
            return (
                self.fake.pending_updates() == 0
                and self.app.update_queue.empty()
                and processor.current_concurrent_updates == 0
            )

        await self.wait_for(quiet, within)
        await asyncio.sleep(0.05)  # a fetched update may not have started yet
        await self.wait_for(quiet, within)


def fast_rate_limiter() -> ChatRateLimiter:
    """The real limiter class with limits no test reaches: for tests that are not about pacing
    (those pass `rate_limiter=ChatRateLimiter()` and are marked slow)."""
    return ChatRateLimiter(
        overall_per_second=10_000, chat_burst=10_000, chat_period=1, group_per_minute=10_000
    )


@asynccontextmanager
async def running_bot(
    tmp_path: Path,
    matcher: Matcher,
    *,
    admins: Iterable[int] = (),
    kb_path: Path = DEFAULT_KB,
    fake: FakeBotAPI | None = None,
    proxy: str | None = None,
    **build: Any,
) -> AsyncIterator[BotUnderTest]:
    """Start the bot as `policybot serve` does (post_init, polling) and stop it on exit."""
    own_fake = fake is None
    fake = fake or FakeBotAPI().start()
    settings = Settings(
        kb_path=kb_path,
        db_path=tmp_path / "bot.sqlite3",
        admins=frozenset(admins),
        token=TOKEN,
        telegram_base_url=fake.base_url,
        proxy=proxy,
    )
    build.setdefault("rate_limiter", fast_rate_limiter())
    app = build_application(settings, matcher, **build)
    try:
        await app.initialize()
        assert app.post_init is not None
        await app.post_init(app)
        assert app.updater is not None
        await app.updater.start_polling(
            poll_interval=0, timeout=1, allowed_updates=ALLOWED_UPDATES
        )
        await app.start()
        yield BotUnderTest(fake, app, settings)
    finally:
        if app.updater is not None and app.updater.running:
            await app.updater.stop()
        if app.running:
            await app.stop()
        await app.shutdown()
        if app.post_shutdown is not None:
            await app.post_shutdown(app)
        if own_fake:
            fake.stop()
