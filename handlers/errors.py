"""The one PTB error handler: log once, and give the villager a short apology."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.error import Forbidden, NetworkError, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot import messages
from bot.config import log_secrets
from bot.privacy import SecretFilter
from handlers.runtime import villager
from handlers.transport import may_have_been_sent, never_sent

logger = logging.getLogger(__name__)


async def error_handler(update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Log an error raised while handling `update` and apologise where that makes sense."""
    error = context.error
    if update is None and isinstance(error, TelegramError):
        # getUpdates failed (Telegram down, 5xx, 409 another instance polling): PTB backs off
        # and polls again, so a line without a traceback is enough.
        level = logging.WARNING if isinstance(error, NetworkError) else logging.ERROR
        logger.log(level, "polling Telegram failed, retrying: %s", error)
        return
    if isinstance(error, Forbidden):
        # "bot was blocked by the user" / kicked from a group: nobody to apologise to.
        logger.info("cannot write to a chat: %s", error)
        return
    if never_sent(error):
        # unreachable for the whole send window: an apology would only wait as long again
        logger.warning("a reply was not sent: the Bot API stayed unreachable (%s)", error)
        return
    if isinstance(error, TimedOut) or may_have_been_sent(error):
        # Telegram may still have delivered the reply; an apology after it would confuse.
        logger.warning("Telegram's answer was lost or unreadable, the reply may be out: %s", error)
        return
    logger.error("failed to handle an update", exc_info=error)
    user = villager(update) if isinstance(update, Update) else None
    if user is None:
        return
    try:
        await context.bot.send_message(user.chat_id, messages.ERROR)
    except TelegramError as exc:
        logger.warning("could not send the apology either: %s", exc)


def drop_invalid_token_traceback(record: logging.LogRecord) -> bool:
    """PTB's traceback for a token rejected at start (serve reports it in one line)."""
    # Only at startup: a token revoked while running must still show up in the log. A start
    # that fails for good (bad token, network) is reported in one line by serve's caller.
    at_startup = "Bootstrap" in str(record.args)
    return not (
        at_startup and ("Invalid token" in str(record.msg) or "Aborting" in str(record.msg))
    )


def redact_token(token: str) -> None:
    """Keep the token and the webhook secret out of every log line of the root handlers
    (the command line installs the same for every command; this is for direct callers)."""
    secrets = SecretFilter(log_secrets(token))
    for handler in logging.getLogger().handlers:
        handler.filters.insert(0, secrets)
