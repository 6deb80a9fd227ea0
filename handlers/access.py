"""Who may use the staff commands (POLICYBOT_ADMINS, in a private chat) and what they share."""

from __future__ import annotations

import logging

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import messages
from handlers.render import send_text
from handlers.runtime import Runtime, runtime, villager

logger = logging.getLogger(__name__)


async def staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The chat to answer a staff command in, or None after a polite refusal.

    Staff output (questions villagers asked) stays in private chats, even for admins.
    """
    message = update.message
    user = villager(update)
    if message is None or user is None:
        return None
    sender = update.effective_user
    admin = sender is not None and sender.id in runtime(context).admins
    if not admin or message.chat.type != ChatType.PRIVATE:
        logger.info("staff command refused for %s", user.key)
        await send_text(context.bot, message.chat_id, messages.ADMIN_ONLY)
        return None
    return message.chat_id


def titles(rt: Runtime) -> dict[str, str]:
    """Entry titles by id, from the knowledge base being served."""
    return {e.id: e.title for e in rt.service.kb.entries}
