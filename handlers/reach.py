"""Reaching the Bot API: requests through POLICYBOT_PROXY, and the start-up check that says in
one line when Telegram cannot be reached (where it is filtered, a proxy is the usual cure)."""

from __future__ import annotations

import asyncio
import logging
import time
from typing import Any, TypeVar
from urllib.parse import urlsplit

from telegram.error import InvalidToken, NetworkError
from telegram.request import HTTPXRequest

from bot.config import DEFAULT_TELEGRAM_BASE_URL, ConfigError, Settings, proxy_label
from handlers.transport import RetryingRequest

logger = logging.getLogger(__name__)

HINT = "set POLICYBOT_PROXY if Telegram is filtered here"
FIRST_WAIT = 1.0  # seconds before the first retry; doubled after each failure …
MAX_WAIT = 30.0  # … up to this
Request = TypeVar("Request", bound=HTTPXRequest)


class BotApiUnreachable(Exception):
    """The Bot API could not be reached within the retry window (one line: host, error, hint)."""


def proxied(cls: type[Request], settings: Settings, **kwargs: Any) -> Request:
    """Build a PTB request object of `cls` that goes through POLICYBOT_PROXY when it is set."""
    try:
        return cls(proxy=settings.proxy, **kwargs)
    except RuntimeError as exc:  # PTB's words for a socks5 proxy without socksio
        if "Socks5" not in str(exc):
            raise
        raise ConfigError(
            "POLICYBOT_PROXY is a socks5 URL, which needs socksio: pip install 'httpx[socks]'"
        ) from None


def sending_request(settings: Settings, read_timeout: float) -> RetryingRequest:
    """The request of every call but getUpdates: through the proxy, and a reply waits out a
    Bot API outage for POLICYBOT_SEND_WINDOW seconds."""
    return proxied(
        RetryingRequest,
        settings,
        read_timeout=read_timeout,
        connection_pool_size=256,
        window=settings.send_window,
    )


def where(settings: Settings) -> str:
    """The Bot API host (and the proxy, without its password) as the log lines name them."""
    host = urlsplit(settings.telegram_base_url or DEFAULT_TELEGRAM_BASE_URL).netloc
    return f"{host} via {proxy_label(settings.proxy)}" if settings.proxy else host


async def reach_bot_api(settings: Settings, *, first_wait: float = FIRST_WAIT) -> None:
    """Call getMe until it answers, backing off, for at most `settings.connect_window` seconds.

    The first failure (and each different one after it) is one warning line; a rejected token
    raises ConfigError at once; the end of the window raises BotApiUnreachable.
    """
    token = settings.require_token()
    base_url = settings.telegram_base_url or DEFAULT_TELEGRAM_BASE_URL
    request = proxied(HTTPXRequest, settings, connection_pool_size=1, read_timeout=10.0)
    deadline = time.monotonic() + settings.connect_window
    wait, said = first_wait, ""
    await request.initialize()
    try:
        while True:
            try:
                await request.post(f"{base_url}{token}/getMe")
            except InvalidToken:
                raise ConfigError(
                    "TELEGRAM_BOT_TOKEN was rejected by Telegram (check it with @BotFather)"
                ) from None
            except NetworkError as exc:  # TimedOut too: nothing answered
                error = _error_text(exc)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise BotApiUnreachable(
                        f"cannot reach the Bot API at {where(settings)}: {error}; gave up after"
                        f" {settings.connect_window:g} s; {HINT}"
                    ) from None
                if error != said:
                    logger.warning(
                        "cannot reach the Bot API at %s: %s; retrying for %.0f s more; %s",
                        where(settings), error, left, HINT,
                    )  # fmt: skip
                    said = error
                await asyncio.sleep(min(wait, left))
                wait = min(wait * 2, MAX_WAIT)
            else:
                return
    finally:
        await request.shutdown()


def _error_text(exc: NetworkError) -> str:
    # PTB says "httpx.ConnectError: [Errno 111] Connection refused"; an empty one gets a name
    return exc.message if exc.message.strip(": ") else type(exc).__name__
