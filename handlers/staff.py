"""Commands for editors and staff (POLICYBOT_ADMINS): /stats, /unanswered, /reply, /reload."""

from __future__ import annotations

import asyncio
import logging
from pathlib import Path
from typing import Any

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import messages
from bot.knowledge import KnowledgeError, load_knowledge
from bot.match import Matcher
from handlers.render import send_text
from handlers.runtime import runtime, villager
from handlers.villager import admit

logger = logging.getLogger(__name__)


async def reload_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: re-read the knowledge base; a broken file keeps the old one serving."""
    chat_id = await _staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    try:
        matcher = await asyncio.to_thread(_build_matcher, rt.kb_path)
    except KnowledgeError as exc:
        problems = "\n".join(str(p) for p in exc.problems)
        logger.warning("reload refused: %d problem(s) in %s", len(exc.problems), rt.kb_path)
        await send_text(context.bot, chat_id, messages.RELOAD_FAILED.format(problems=problems))
        return
    rt.service.replace_matcher(matcher)
    logger.info("knowledge base reloaded: %d entries", len(matcher.kb.entries))
    await send_text(
        context.bot, chat_id, messages.RELOAD_OK.format(entries=len(matcher.kb.entries))
    )


def build_staff_handlers(
    only: filters.BaseFilter,
) -> list[BaseHandler[Update, ContextTypes.DEFAULT_TYPE, Any]]:
    """The staff command handlers (each checks POLICYBOT_ADMINS itself)."""
    return [CommandHandler("reload", reload_handler, filters=only)]


async def _staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
    """The chat to answer a staff command in, or None after a polite refusal.

    Staff output (questions villagers asked) stays in private chats, even for admins.
    """
    message = update.message
    user = villager(update)
    if message is None or user is None or not await admit(user, context, message.chat_id):
        return None
    sender = update.effective_user
    admin = sender is not None and sender.id in runtime(context).admins
    if not admin or message.chat.type != ChatType.PRIVATE:
        logger.info("staff command refused for %s", user.key)
        await send_text(context.bot, message.chat_id, messages.ADMIN_ONLY)
        return None
    return message.chat_id


def _build_matcher(path: Path) -> Matcher:
    """Load, validate and index the knowledge base (slow: runs in a thread)."""
    return Matcher(load_knowledge(path))
