"""How the bot talks to Telegram: retries that cannot duplicate, rate limits, per-chat order."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import NetworkError
from telegram.ext import AIORateLimiter, BaseRateLimiter, BaseUpdateProcessor
from telegram.request import HTTPXRequest

logger = logging.getLogger(__name__)

# Telegram answered but failed itself: nothing was delivered, so trying again is safe.
_RETRY_STATUSES = frozenset({500, 502, 503, 504})
# The request never reached Telegram. A read timeout is not here: the message may have been
# delivered, and sending it again would show the villager the same answer twice.
_NEVER_SENT = (httpx.ConnectError, httpx.ConnectTimeout, httpx.PoolTimeout)

# Telegram: about 30 messages a second overall, 20 a minute per group, and "avoid more than one
# message per second in a single chat" (short bursts are tolerated).
OVERALL_PER_SECOND = 30
GROUP_PER_MINUTE = 20
CHAT_BURST = 3  # then one a second
RETRY_AFTER_ATTEMPTS = 3
_PRUNE_AT = 1000  # chat buckets kept before idle ones are dropped


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries Bot API 5xx answers and connections that never opened."""

    def __init__(self, *, retries: int = 2, backoff: float = 0.5, **kwargs: Any) -> None:
        """Retry up to `retries` times, waiting `backoff`, then twice that, …"""
        super().__init__(**kwargs)
        self._retries = retries
        self._backoff = backoff

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request; the URL holds the token, so only the endpoint is logged."""
        endpoint = url.rsplit("/", 1)[-1]
        for attempt in range(self._retries + 1):
            last = attempt == self._retries
            try:
                status, content = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as exc:
                if last or not isinstance(exc.__cause__, _NEVER_SENT):
                    raise
                logger.warning(
                    "%s: Bot API unreachable (%s); retrying",
                    endpoint,
                    type(exc.__cause__).__name__,
                )
            else:
                if last or status not in _RETRY_STATUSES:
                    return status, content
                logger.warning("%s: Bot API answered %s; retrying", endpoint, status)
            await asyncio.sleep(self._backoff * 2**attempt)
        raise AssertionError("unreachable")  # pragma: no cover


class ChatRateLimiter(BaseRateLimiter[int]):
    """AIORateLimiter (overall, per group, 429 retry_after) plus a per-chat limit."""

    def __init__(
        self,
        *,
        overall_per_second: float = OVERALL_PER_SECOND,
        chat_burst: int = CHAT_BURST,
        chat_period: float = CHAT_BURST,
        group_per_minute: float = GROUP_PER_MINUTE,
        max_retries: int = RETRY_AFTER_ATTEMPTS,
    ) -> None:
        """Allow `chat_burst` messages per `chat_period` seconds in each chat."""
        self._inner = AIORateLimiter(
            overall_max_rate=overall_per_second,
            overall_time_period=1,
            group_max_rate=group_per_minute,
            group_time_period=60,
            max_retries=max_retries,
        )
        self._chat_burst = chat_burst
        self._chat_period = chat_period
        self._chats: dict[str, AsyncLimiter] = {}
        self._users: dict[str, int] = {}

    async def initialize(self) -> None:
        """Initialise the inner limiter."""
        await self._inner.initialize()

    async def shutdown(self) -> None:
        """Shut the inner limiter down."""
        await self._inner.shutdown()

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's turn, then for the overall and group limits."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await self._inner.process_request(
                callback, args, kwargs, endpoint, data, rate_limit_args
            )
        key = str(chat_id)
        limiter = self._chats.get(key)
        if limiter is None:
            limiter = self._chats[key] = AsyncLimiter(self._chat_burst, self._chat_period)
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with limiter:
                return await self._inner.process_request(
                    callback, args, kwargs, endpoint, data, rate_limit_args
                )
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
            if len(self._chats) > _PRUNE_AT:
                self._prune()

    def _prune(self) -> None:
        # A bucket may go once it is idle and refilled: a new one would behave the same.
        for key, limiter in list(self._chats.items()):
            if key not in self._users and limiter.has_capacity(self._chat_burst):
                del self._chats[key]


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different chats concurrently, and those of one chat in order."""

    # Updates waiting for their chat's turn hold a slot, so slots are many (they are cheap):
    # one villager's flood must not keep everyone else's questions waiting.
    def __init__(self, max_concurrent_updates: int = 4096) -> None:
        """Run at most `max_concurrent_updates` updates at once."""
        super().__init__(max_concurrent_updates)
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await `coroutine` after the earlier updates of the same chat."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = chat.id
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
