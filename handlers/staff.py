"""Commands for editors and staff (POLICYBOT_ADMINS): /stats, /unanswered, /reply, /reload."""

from __future__ import annotations

import datetime as dt
import logging
import re

from telegram import Update
from telegram.constants import ChatType
from telegram.ext import ContextTypes

from bot import messages
from bot.review import (
    MAX_ANSWER,
    ReviewError,
    collect_stats,
    deliver,
    format_clusters,
    resolve_group,
    unanswered_clusters,
)
from handlers.render import send_text
from handlers.runtime import Callback, Runtime, runtime, store_of, villager
from handlers.upkeep import bot_sender, reload_knowledge

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
        store_of(rt), days=STATS_DAYS, now=dt.datetime.now(dt.UTC), titles=_titles(rt)
    )
    await send_text(context.bot, chat_id, stats.to_text())


async def unanswered_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered: open unanswered questions grouped by need, with counts and ids."""
    chat_id = await _staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    clusters = await unanswered_clusters(store_of(rt), rt.service.matcher)
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
    store = store_of(rt)
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
    problems = await reload_knowledge(runtime(context))
    if problems:
        text = messages.RELOAD_FAILED.format(problems="\n".join(problems))
    else:
        text = messages.RELOAD_OK.format(entries=len(runtime(context).service.kb.entries))
    await send_text(context.bot, chat_id, text)


# Staff commands by name; each handler checks POLICYBOT_ADMINS itself.
STAFF_COMMANDS: dict[str, Callback] = {
    "stats": stats_handler,
    "unanswered": unanswered_handler,
    "reply": reply_handler,
    "reload": reload_handler,
}


async def _staff_chat(update: Update, context: ContextTypes.DEFAULT_TYPE) -> int | None:
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


def _titles(rt: Runtime) -> dict[str, str]:
    return {e.id: e.title for e in rt.service.kb.entries}
