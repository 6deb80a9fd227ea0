"""Commands for editors and staff (POLICYBOT_ADMINS): /stats, /unanswered, /reply, /reload."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from telegram import Bot, Update
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, TelegramError
from telegram.ext import BaseHandler, CommandHandler, ContextTypes, filters

from bot import messages
from bot.knowledge import KnowledgeError, load_knowledge
from bot.match import Matcher
from bot.review import (
    Delivery,
    Recipient,
    ReviewError,
    Sender,
    collect_stats,
    deliver,
    format_clusters,
    pending_replies,
    unanswered_clusters,
)
from bot.store import Store
from bot.unanswered import MAX_ANSWER, resolve_group
from handlers.render import send_text
from handlers.runtime import Runtime, runtime, villager
from handlers.villager import admit

logger = logging.getLogger(__name__)
STATS_DAYS = 7
UNANSWERED_GROUPS = 10
_REPLY_RE = re.compile(r"^/reply(?:@\w+)?\s+(\d{1,12})\s+(.+)$", re.DOTALL)


async def stats_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: today and the last 7 days (questions, outcome shares, 👍/👎, top topics)."""
    chat_id = await _staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    stats = await collect_stats(
        _store(rt), days=STATS_DAYS, now=dt.datetime.now(dt.UTC), titles=_titles(rt)
    )
    await send_text(context.bot, chat_id, stats.to_text())


async def unanswered_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered: open unanswered questions grouped by need, with counts and ids."""
    chat_id = await _staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    clusters = await unanswered_clusters(_store(rt), rt.service.matcher)
    text = format_clusters(clusters, titles=_titles(rt), limit=UNANSWERED_GROUPS)
    await send_text(context.bot, chat_id, text)


async def reply_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply <id> <text>: answer a question (and its group) and send it to every asker."""
    chat_id = await _staff_chat(update, context)
    if chat_id is None or update.message is None:
        return
    rt = runtime(context)
    parsed = _REPLY_RE.match((update.message.text or "").strip())
    answer = parsed[2].strip() if parsed else ""
    if parsed is None or not answer:
        await send_text(context.bot, chat_id, messages.REPLY_USAGE)
        return
    if len(answer) > MAX_ANSWER:
        await send_text(context.bot, chat_id, messages.REPLY_TOO_LONG.format(limit=MAX_ANSWER))
        return
    question_id = int(parsed[1])
    store = _store(rt)
    async with rt.delivery_lock:
        try:
            ids, recipients = await resolve_group(
                store, question_id, answer, matcher=rt.service.matcher
            )
        except ReviewError:
            await send_text(context.bot, chat_id, messages.REPLY_NOT_FOUND.format(id=question_id))
            return
        done = await deliver(store, recipients, bot_sender(context.bot))
    logger.info("editor answered %d question(s) of group %s", len(ids), question_id)
    summary = messages.REPLY_DONE.format(
        id=question_id,
        questions=len(ids),
        sent=len(done.sent),
        failed=len(done.failed),
        pending=len(recipients) - len(done.sent) - len(done.failed),
    )
    await send_text(context.bot, chat_id, summary)


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
    return [
        CommandHandler("stats", stats_handler, filters=only),
        CommandHandler("unanswered", unanswered_handler, filters=only),
        CommandHandler("reply", reply_handler, filters=only),
        CommandHandler("reload", reload_handler, filters=only),
    ]


def bot_sender(bot: Bot) -> Sender:
    """Send editors' answers with the running bot (its rate limits and retries apply)."""

    async def send(recipients: Sequence[Recipient]) -> Delivery:
        sent: list[int] = []
        failed: list[int] = []
        for recipient in recipients:
            try:
                await send_text(bot, recipient.reply_to, recipient.text)
            except (Forbidden, BadRequest) as exc:
                # blocked the bot, left the group, chat gone: trying again will not help
                logger.info("answer to question %s undeliverable: %s", recipient.question_id, exc)
                failed.append(recipient.question_id)
            except TelegramError as exc:
                logger.warning(
                    "answer to question %s not sent yet: %s", recipient.question_id, exc
                )
            else:
                sent.append(recipient.question_id)
        return Delivery(tuple(sent), tuple(failed))

    return send


async def deliver_pending(bot: Bot, rt: Runtime) -> Delivery:
    """Send every answer that is resolved but not delivered yet (from `policybot log`)."""
    store = _store(rt)
    async with rt.delivery_lock:
        return await deliver(store, await pending_replies(store), bot_sender(bot))


async def deliver_pending_forever(bot: Bot, rt: Runtime, interval: float) -> None:
    """Deliver pending answers now and every `interval` seconds until cancelled."""
    while True:
        try:
            done = await deliver_pending(bot, rt)
        except Exception:  # the edge of a background task: log, and try again next time
            logger.exception("could not deliver pending answers")
        else:
            if done.sent or done.failed:
                logger.info(
                    "delivered %d pending answer(s), %d undeliverable",
                    len(done.sent),
                    len(done.failed),
                )
        await asyncio.sleep(interval)


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


def _store(rt: Runtime) -> Store:
    if rt.service.store is None:
        raise RuntimeError("the bot runs without a store")
    return rt.service.store


def _titles(rt: Runtime) -> dict[str, str]:
    return {e.id: e.title for e in rt.service.kb.entries}


def _build_matcher(path: Path) -> Matcher:
    """Load, validate and index the knowledge base (slow: runs in a thread)."""
    return Matcher(load_knowledge(path))
