"""Long polling that survives an update python-telegram-bot cannot read.

PTB parses a getUpdates batch as a whole: one update it cannot parse (a new field type, a
garbled body) raises, the offset never moves past it, and the same batch is requested again
~20 times a second for ever, answering nobody. Here such an update is replaced by a bare
`Update(update_id)` — no handler matches it, and the next offset confirms it — and logged once
with its id (not its content: it may hold a villager's words).
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from typing import Any

from telegram import Update
from telegram.error import TelegramError
from telegram.ext import ExtBot

from handlers.healthz import Check
from handlers.inbox import Inbox

logger = logging.getLogger(__name__)
# PTB logs the whole raw batch, villagers' texts included, with a traceback, before it raises
_PTB_PARSE_ERROR = "Error while parsing updates!"


class _HidePtbParseError(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        return not str(record.msg).startswith(_PTB_PARSE_ERROR)


class TolerantBot(ExtBot[None]):
    """ExtBot whose get_updates skips, once and with a log line, updates it cannot parse."""

    __slots__ = ("_health", "_inbox")

    def __init__(self, *args: Any, inbox: Inbox | None = None, **kwargs: Any) -> None:
        """As ExtBot; each fetched batch is kept in `inbox` before PTB sees it. PTB's own log
        of an unparseable batch (raw texts) is silenced."""
        super().__init__(*args, **kwargs)
        with self._unfrozen():
            self._inbox = inbox if inbox is not None else Inbox()
            self._health: Check | None = None
        logging.getLogger("telegram.Bot").addFilter(_HidePtbParseError())
        logging.getLogger("telegram.ext.ExtBot").addFilter(_HidePtbParseError())

    @property
    def health(self) -> Check | None:
        """What GET /healthz asks in webhook mode (healthz.Health), once the store is open."""
        return self._health

    def set_health(self, check: Check | None) -> None:
        """Let GET /healthz ask `check` (None: starting or stopping)."""
        with self._unfrozen():
            self._health = check

    @property
    def inbox(self) -> Inbox:
        """Where fetched (or, in webhook mode, posted) updates are kept until handled."""
        return self._inbox

    async def get_updates(
        self,
        offset: int | None = None,
        limit: int | None = None,
        timeout: Any = None,  # noqa: ASYNC109 — PTB's signature
        allowed_updates: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        """PTB's get_updates, kept in the inbox before it is returned (and so confirmed).

        A batch PTB cannot parse is fetched again and read one by one.
        """
        return await self._inbox.keep(
            await self._fetch(offset, limit, timeout, allowed_updates, **kwargs)
        )

    async def _fetch(
        self,
        offset: int | None,
        limit: int | None,
        timeout: Any,  # noqa: ASYNC109 — PTB's signature
        allowed_updates: Sequence[str] | None,
        **kwargs: Any,
    ) -> tuple[Update, ...]:
        try:
            return await super().get_updates(
                offset=offset,
                limit=limit,
                timeout=timeout,
                allowed_updates=allowed_updates,
                **kwargs,
            )
        except TelegramError:
            raise  # network, HTTP and API errors: PTB's retry loop handles them
        except Exception:
            # the batch is still unconfirmed: fetch it again at once (no long poll) as raw JSON
            data: dict[str, Any] = {"offset": offset, "limit": limit, "timeout": 0}
            data["allowed_updates"] = allowed_updates
            raw = await self._post("getUpdates", data)
            items = [u for u in raw if isinstance(u, dict) and isinstance(u.get("update_id"), int)]
            return tuple(self._read_one(item) for item in items)

    def _read_one(self, item: dict[str, Any]) -> Update:
        try:
            return Update.de_json(item, self)
        except Exception as exc:
            update_id = item["update_id"]
            logger.warning(
                "skipped update %s: python-telegram-bot cannot read it (%s)",
                update_id,
                type(exc).__name__,
            )
            return Update(update_id=update_id)
