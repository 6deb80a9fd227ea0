"""Send editors' answers to villagers through the Bot API (`policybot log resolve`)."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Sequence

from telegram import Bot
from telegram.error import BadRequest, Forbidden, InvalidToken, TelegramError
from telegram.request import HTTPXRequest

from bot.config import DEFAULT_TELEGRAM_BASE_URL, Settings
from bot.review import Delivery, Recipient, Sender
from handlers.reach import proxied

logger = logging.getLogger(__name__)


async def send_each(
    recipients: Sequence[Recipient], send_one: Callable[[str, str], Awaitable[object]]
) -> Delivery:
    """Send each editor's answer with `send_one(chat_id, text)`; sort out what failed for good.
    A rejected token (401) stops at once: every later answer would meet the same refusal."""
    sent: list[int] = []
    failed: list[int] = []
    for recipient in recipients:
        try:
            await send_one(recipient.reply_to, recipient.text)
        except InvalidToken:
            logger.warning("TELEGRAM_BOT_TOKEN was rejected by Telegram; answers left pending")
            return Delivery(tuple(sent), tuple(failed), rejected=True)
        except (Forbidden, BadRequest) as exc:
            # blocked the bot, deleted the account, chat gone: retrying will not help
            logger.warning("answer to question %s undeliverable: %s", recipient.question_id, exc)
            failed.append(recipient.question_id)
        except TelegramError as exc:
            # flood control, network, Telegram down: the running bot tries again later
            logger.warning("answer to question %s not sent yet: %s", recipient.question_id, exc)
        else:
            sent.append(recipient.question_id)
    return Delivery(tuple(sent), tuple(failed))


def bot_api_sender(settings: Settings) -> Sender:
    """A sender that posts each answer with sendMessage (base URL from the settings)."""
    token = settings.require_token()
    base_url = settings.telegram_base_url or DEFAULT_TELEGRAM_BASE_URL

    async def send(recipients: Sequence[Recipient]) -> Delivery:
        request = proxied(HTTPXRequest, settings)  # POLICYBOT_PROXY, as the bot uses
        try:
            async with Bot(token, base_url=base_url, request=request) as bot:  # getMe first

                async def send_one(chat_id: str, text: str) -> object:
                    return await bot.send_message(chat_id=chat_id, text=text)

                return await send_each(recipients, send_one)
        except InvalidToken:  # from getMe, before anything was sent
            logger.warning("TELEGRAM_BOT_TOKEN was rejected by Telegram; nothing sent")
            return Delivery(rejected=True)

    return send
