"""How the bot talks to Telegram: retries that cannot duplicate, rate limits, per-chat order."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import warnings
from collections import deque
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

import httpx
from aiolimiter import AsyncLimiter
from telegram import Update
from telegram.error import NetworkError, RetryAfter, TelegramError
from telegram.ext import BaseRateLimiter, BaseUpdateProcessor
from telegram.request import HTTPXRequest
from telegram.warnings import PTBDeprecationWarning

from bot.config import DEFAULT_SEND_WINDOW

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
MAX_BACKOFF = 15.0  # between two tries to reach an unreachable Bot API
_PRUNE_AT = 1000  # chat buckets kept before idle ones are dropped


class RetryingRequest(HTTPXRequest):
    """HTTPXRequest that retries Bot API 5xx answers, and connections that never opened for
    `window` seconds (a Bot API outage: the reply waits for it to end)."""

    def __init__(
        self,
        *,
        retries: int = 2,
        backoff: float = 0.5,
        window: float = DEFAULT_SEND_WINDOW,
        max_backoff: float = MAX_BACKOFF,
        **kwargs: Any,
    ) -> None:
        """Retry a 5xx up to `retries` times, waiting `backoff`, then twice that, …; retry a
        connection that never opened the same way, at most `max_backoff` apart, for `window`
        seconds from its first failure."""
        super().__init__(**kwargs)
        self._retries = retries
        self._backoff = backoff
        self._window = window
        self._max_backoff = max_backoff

    async def do_request(
        self, url: str, method: str, *args: Any, **kwargs: Any
    ) -> tuple[int, bytes]:
        """See BaseRequest.do_request; the URL holds the token, so only the endpoint is logged."""
        endpoint = url.rsplit("/", 1)[-1]
        loop = asyncio.get_running_loop()
        give_up: float | None = None  # when the Bot API has been unreachable for the window
        failed = unreachable = 0
        while True:
            try:
                status, content = await super().do_request(url, method, *args, **kwargs)
            except NetworkError as exc:
                if not never_sent(exc):
                    raise  # it may have been delivered: sending again could show it twice
                give_up = loop.time() + self._window if give_up is None else give_up
                delay = min(self._backoff * 2**unreachable, self._max_backoff)
                if loop.time() + delay > give_up:
                    raise
                unreachable += 1
                logger.warning(
                    "%s: Bot API unreachable (%s); retrying",
                    endpoint,
                    type(exc.__cause__).__name__,
                )
            else:
                if failed == self._retries or status not in _RETRY_STATUSES:
                    return status, content
                delay = self._backoff * 2**failed
                failed += 1
                logger.warning("%s: Bot API answered %s; retrying", endpoint, status)
            await asyncio.sleep(delay)


def never_sent(error: BaseException | None) -> bool:
    """Whether a failed call provably never reached Telegram (its connection never opened)."""
    return isinstance(error, NetworkError) and isinstance(error.__cause__, _NEVER_SENT)


def may_have_been_sent(error: BaseException | None) -> bool:
    """Whether a failed call may have been delivered all the same: the request went out and
    its answer was lost (a read timeout, a dropped connection) or came back garbled."""
    if not isinstance(error, TelegramError) or never_sent(error):
        return False
    if isinstance(error.__cause__, httpx.HTTPError):
        return True  # sent, then the connection failed: Telegram may have acted on it
    return isinstance(error.__cause__, ValueError)  # "Invalid server response": a bad body


class SlidingWindow:
    """At most `limit` acquisitions in any `period` seconds (a sliding window, not a bucket:
    a token bucket lets twice its rate through in the first period)."""

    def __init__(self, limit: int, period: float) -> None:
        """`limit` per `period` seconds."""
        self._limit = limit
        self._period = period
        self._times: deque[float] = deque()

    async def acquire(self) -> None:
        """Wait until one more fits in the window, and take it."""
        loop = asyncio.get_running_loop()
        while True:
            now = loop.time()
            while self._times and now - self._times[0] >= self._period:
                self._times.popleft()
            if len(self._times) < self._limit:
                self._times.append(now)
                return
            await asyncio.sleep(self._period - (now - self._times[0]))

    def idle(self) -> bool:
        """Whether the window is empty (nothing sent for a whole period)."""
        now = asyncio.get_running_loop().time()
        return not self._times or now - self._times[-1] >= self._period


class ChatRateLimiter(BaseRateLimiter[int]):
    """Telegram's limits: overall and per group as sliding windows, a short burst then one a
    second per chat, and a 429's retry_after waited out by that chat alone."""

    def __init__(
        self,
        *,
        overall_per_second: float = OVERALL_PER_SECOND,
        chat_burst: int = CHAT_BURST,
        chat_period: float = CHAT_BURST,
        group_per_minute: float = GROUP_PER_MINUTE,
        group_period: float = 60.0,
        max_retries: int = RETRY_AFTER_ATTEMPTS,
    ) -> None:
        """Allow `chat_burst` messages per `chat_period` seconds in each chat."""
        self._overall = SlidingWindow(int(overall_per_second), 1.0)
        self._group_limit = int(group_per_minute)
        self._group_period = group_period
        self._groups: dict[str, SlidingWindow] = {}
        self._chat_burst = chat_burst
        self._chat_period = chat_period
        self._max_retries = max_retries
        self._chats: dict[str, AsyncLimiter] = {}
        self._users: dict[str, int] = {}

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""

    async def process_request(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        endpoint: str,
        data: dict[str, Any],
        rate_limit_args: int | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        """Wait for the chat's turn, the group's and the overall window, then send."""
        chat_id = data.get("chat_id")
        if chat_id is None:
            return await self._send(callback, args, kwargs, None)
        key = str(chat_id)
        limiter = self._chats.get(key)
        if limiter is None:
            limiter = self._chats[key] = AsyncLimiter(self._chat_burst, self._chat_period)
        self._users[key] = self._users.get(key, 0) + 1
        try:
            async with limiter:
                return await self._send(callback, args, kwargs, key)
        finally:
            self._users[key] -= 1
            if not self._users[key]:
                del self._users[key]
            if len(self._chats) > _PRUNE_AT:
                self._prune()

    async def _send(
        self,
        callback: Callable[..., Coroutine[Any, Any, bool | dict[str, Any] | list[dict[str, Any]]]],
        args: Any,
        kwargs: dict[str, Any],
        key: str | None,
    ) -> bool | dict[str, Any] | list[dict[str, Any]]:
        group = key is not None and (key.startswith("-") or key.startswith("@"))
        for attempt in range(self._max_retries + 1):
            if group:
                window = self._groups.get(str(key))
                if window is None:
                    window = self._groups[str(key)] = SlidingWindow(
                        self._group_limit, self._group_period
                    )
                await window.acquire()
            await self._overall.acquire()
            try:
                return await callback(*args, **kwargs)
            except RetryAfter as exc:
                if attempt == self._max_retries:
                    raise
                # only this chat waits: its limiter is held, every other chat goes on
                await asyncio.sleep(_retry_after(exc))
        raise AssertionError("unreachable")  # pragma: no cover

    def _prune(self) -> None:
        # A bucket may go once it is idle and refilled: a new one would behave the same.
        for key, limiter in list(self._chats.items()):
            if key not in self._users and limiter.has_capacity(self._chat_burst):
                del self._chats[key]
        for key, window in list(self._groups.items()):
            if window.idle():
                del self._groups[key]


def _retry_after(exc: RetryAfter) -> float:
    """Seconds to wait (PTB 22 warns when its deprecated int attribute is read)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        value = exc.retry_after
    return value.total_seconds() if isinstance(value, dt.timedelta) else float(value)


class PerChatUpdateProcessor(BaseUpdateProcessor):
    """Process updates of different chats concurrently, and those of one chat in order."""

    # Updates waiting for their chat's turn hold a slot, so slots are many (they are cheap);
    # one chat holds at most `max_per_chat` of them: a villager's (or a group's) flood of
    # thousands is shed beyond that, so it cannot keep everyone else's questions waiting.
    def __init__(self, max_concurrent_updates: int = 4096, max_per_chat: int = 64) -> None:
        """Run at most `max_concurrent_updates` updates at once, `max_per_chat` per chat."""
        super().__init__(max_concurrent_updates)
        self._max_per_chat = max_per_chat
        self._locks: dict[int, asyncio.Lock] = {}
        self._waiting: dict[int, int] = {}
        self.shed = 0

    async def do_process_update(self, update: object, coroutine: Awaitable[Any]) -> None:
        """Await `coroutine` after the earlier updates of the same chat (or shed it)."""
        chat = update.effective_chat if isinstance(update, Update) else None
        if chat is None:
            await coroutine
            return
        key = chat.id
        if self._waiting.get(key, 0) >= self._max_per_chat:
            self._shed(key, coroutine)
            return
        lock = self._locks.setdefault(key, asyncio.Lock())
        self._waiting[key] = self._waiting.get(key, 0) + 1
        try:
            async with lock:
                await coroutine
        finally:
            self._waiting[key] -= 1
            if not self._waiting[key]:
                del self._waiting[key], self._locks[key]

    def _shed(self, key: int, coroutine: Awaitable[Any]) -> None:
        if isinstance(coroutine, Coroutine):
            coroutine.close()  # never started: nothing to clean up
        self.shed += 1
        if self.shed == 1 or self.shed % 1000 == 0:
            logger.warning(
                "chat %s has %d updates waiting: shedding the excess (%d so far)",
                key,
                self._max_per_chat,
                self.shed,
            )

    async def initialize(self) -> None:
        """Nothing to set up."""

    async def shutdown(self) -> None:
        """Nothing to free."""
