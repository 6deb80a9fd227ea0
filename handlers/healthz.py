"""GET /healthz in webhook mode: the question log answers and the knowledge base is loaded.

A load balancer in front of several instances asks it (docs/deploy.md); `policybot health`
asks the same from the command line. The webhook port faces the internet, so the answer names
no path or URL, and it is kept a few seconds: a flood of probes cannot open connection after
connection to the database.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from http import HTTPStatus
from typing import Any

import tornado.web

from bot.config import Settings
from bot.dialogue import DialogueService
from bot.store import StoreUnhealthy, probe

KEPT_S = 5.0  # seconds an answer is reused
Check = Callable[[], Awaitable[tuple[bool, str]]]


class Health:
    """The health of one running instance: its log (read-only probe) and knowledge base."""

    def __init__(self, settings: Settings, service: DialogueService) -> None:
        """For the log `settings` name and the knowledge base `service` answers from."""
        self._settings = settings
        self._service = service
        self._lock = asyncio.Lock()
        self._kept: tuple[float, tuple[bool, str]] | None = None

    async def __call__(self) -> tuple[bool, str]:
        """(healthy, one line), asked anew at most every KEPT_S seconds."""
        async with self._lock:
            now = time.monotonic()
            if self._kept is None or now - self._kept[0] >= KEPT_S:
                self._kept = (now, await self._ask())
            return self._kept[1]

    async def _ask(self) -> tuple[bool, str]:
        try:
            version = await asyncio.to_thread(probe, self._settings.database)
        except StoreUnhealthy:
            return False, "unhealthy: the question log does not answer"
        entries = len(self._service.kb.entries)
        if not entries:
            return False, "unhealthy: the knowledge base has no entries"
        return True, f"ok: knowledge base of {entries} entries, question log schema {version}"


class HealthHandler(tornado.web.RequestHandler):
    """GET /healthz: 200 and `ok: …`, or 503 and why (also while the bot is starting)."""

    def initialize(self, bot: Any) -> None:
        """`bot`: the instance's bot, which carries its Health once post_init has run."""
        self._bot = bot

    async def get(self) -> None:
        """Answer the probe in one line of plain text."""
        check: Check | None = getattr(self._bot, "health", None)
        healthy, line = await check() if check is not None else (False, "starting")
        self.set_status(HTTPStatus.OK if healthy else HTTPStatus.SERVICE_UNAVAILABLE)
        self.set_header("Content-Type", "text/plain; charset=utf-8")
        self.set_header("Cache-Control", "no-store")
        self.finish(line + "\n")


def attach_health(bot: Any, check: Check | None) -> None:
    """Give `bot` the check GET /healthz asks (None: starting or stopping); a bot without a
    place for one (not polling.TolerantBot) has no /healthz answer but "starting"."""
    setter = getattr(bot, "set_health", None)
    if setter is not None:
        setter(check)
