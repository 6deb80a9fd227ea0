"""The webhook's HTTP handler: the secret is checked before a byte of the body is read, and
the body is capped.

PTB's tornado handler reads the whole body (tornado buffers up to 100 MB) before it looks at
the `X-Telegram-Bot-Api-Secret-Token` header: six 90 MB posts without the secret took the
process from 145 to 866 MB. This handler streams the body (tornado's `stream_request_body`):
the headers are judged first (403 without the secret, 413 for a declared length over the
cap), and a body that grows past the cap while arriving is refused with 413 at once. Either
way tornado closes the connection instead of reading the rest.
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from http import HTTPStatus
from typing import Any

import tornado.web
from telegram import Update
from telegram.ext import _updater
from telegram.ext._utils.webhookhandler import TelegramHandler, WebhookAppClass

from handlers.healthz import HealthHandler
from handlers.inbox import Inbox

logger = logging.getLogger(__name__)

# An update is a few kB (a 4096-character message, a caption, entities); 1 MiB leaves room
# for anything Telegram sends and bounds what a stranger can make us hold.
MAX_UPDATE_BYTES = 1024 * 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


@tornado.web.stream_request_body
class GuardedTelegramHandler(TelegramHandler):
    """PTB's TelegramHandler with the secret checked first and the body streamed and capped."""

    def prepare(self) -> None:
        """Judge the headers, before any of the body is read."""
        self._body = bytearray()
        self._refused = False
        sent = self.request.headers.get(SECRET_HEADER, "")
        if not self.secret_token or not hmac.compare_digest(
            sent.encode("utf-8", "replace"), self.secret_token.encode()
        ):
            self._refuse(HTTPStatus.FORBIDDEN)  # the wrong secret is never logged
            return
        if self.request.headers.get("Content-Type") != "application/json":
            self._refuse(HTTPStatus.FORBIDDEN)
            return
        declared = self.request.headers.get("Content-Length")
        if declared is not None:
            if not re.fullmatch(r"[0-9]{1,20}", declared.strip()):
                self._refuse(HTTPStatus.BAD_REQUEST)
            elif int(declared) > MAX_UPDATE_BYTES:
                self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)

    def data_received(self, chunk: bytes) -> None:
        """Keep the body while it stays under the cap; refuse it once it grows past."""
        if self._refused:
            return  # tornado closes the connection once the refusal is written
        if len(self._body) + len(chunk) > MAX_UPDATE_BYTES:
            self._body = bytearray()
            self._refuse(HTTPStatus.REQUEST_ENTITY_TOO_LARGE)
            return
        self._body += chunk

    async def post(self) -> None:
        """Hand the update to PTB (a body that is not JSON text gets 400)."""
        if self._refused:
            return
        try:
            json.loads(self._body.decode("utf-8"))
        except (UnicodeDecodeError, ValueError, RecursionError):
            self._refuse(HTTPStatus.BAD_REQUEST)
            return
        self.request.body = bytes(self._body)
        if not await self._claim():
            self.set_status(HTTPStatus.OK)  # another instance has it: Telegram may forget it
            return
        await super().post()

    async def _claim(self) -> bool:
        """Claim the update in the store's inbox: whether this instance is to handle it.

        A body that is not an update is left to PTB (it answers 400, nothing is kept).
        """
        inbox = getattr(self.bot, "inbox", None)
        try:
            data = json.loads(self.request.body)
            update = Update.de_json(data, self.bot)
        except Exception:  # whatever PTB cannot read, it refuses below
            return True
        if not isinstance(inbox, Inbox) or update is None:
            return True
        return await inbox.claim(update.update_id, self.request.body.decode("utf-8"))

    def _refuse(self, status: HTTPStatus) -> None:
        self._refused = True
        logger.debug("webhook request refused: %s %s", status.value, status.phrase)
        self.clear()
        self.set_status(status)
        self.finish()


class GuardedWebhookApp(WebhookAppClass):
    """PTB's webhook application, serving GuardedTelegramHandler instead of its handler."""

    def __init__(
        self,
        webhook_path: str,
        bot: Any,
        update_queue: Any,
        secret_token: str | None = None,
    ) -> None:
        """As WebhookAppClass (the same arguments, which PTB's Updater passes)."""
        self.shared_objects = {
            "bot": bot,
            "update_queue": update_queue,
            "secret_token": secret_token,
        }
        rules = [
            (rf"{webhook_path}/?", GuardedTelegramHandler, self.shared_objects),
            (r"/healthz", HealthHandler, {"bot": bot}),
        ]
        tornado.web.Application.__init__(self, rules)


def guard_webhook() -> None:
    """Make PTB's Updater serve its webhook through GuardedWebhookApp.

    PTB offers no option for its webhook handler; its Updater builds the application from the
    name `WebhookAppClass` in its module at each start, so that name is pointed at ours.
    Raises RuntimeError when PTB no longer works that way (never serve unguarded).
    """
    current = getattr(_updater, "WebhookAppClass", None)
    if current is GuardedWebhookApp:
        return
    if current is not WebhookAppClass:
        raise RuntimeError("python-telegram-bot's webhook server changed: cannot guard it")
    _updater.WebhookAppClass = GuardedWebhookApp  # type: ignore[attr-defined]
