"""Commands for editors and staff (POLICYBOT_ADMINS): /stats, /unanswered, /reply, /ignore,
/report, /export, /reload; the 确认 / 取消 buttons of /reply and /ignore."""

from __future__ import annotations

import datetime as dt
import logging

from telegram import Update
from telegram.ext import ContextTypes

from bot import messages
from bot.review import (
    collect_stats,
    format_clusters,
    unanswered_clusters,
)
from handlers.access import staff_chat, titles
from handlers.confirming import ignore_handler, reply_handler, staff_button_handler
from handlers.documents import export_handler, report_handler
from handlers.render import send_text
from handlers.runtime import Callback, runtime, store_of
from handlers.upkeep import reload_knowledge

__all__ = ["STAFF_COMMANDS", "staff_button_handler"]

logger = logging.getLogger(__name__)
STATS_DAYS = 7
UNANSWERED_GROUPS = 10


async def stats_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/stats: today and the last 7 days (questions, outcome shares, 👍/👎, top topics)."""
    chat_id = await staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    stats = await collect_stats(
        store_of(rt), days=STATS_DAYS, now=dt.datetime.now(dt.UTC), titles=titles(rt)
    )
    await send_text(context.bot, chat_id, stats.to_text())


async def unanswered_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/unanswered: open unanswered questions grouped by need, with counts and ids."""
    chat_id = await staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    clusters = await unanswered_clusters(store_of(rt), rt.service.matcher)
    text = format_clusters(clusters, titles=titles(rt), limit=UNANSWERED_GROUPS)
    await send_text(context.bot, chat_id, text)


async def reload_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reload: re-read the knowledge base; a broken file keeps the old one serving."""
    chat_id = await staff_chat(update, context)
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
    "ignore": ignore_handler,
    "report": report_handler,
    "export": export_handler,
    "reload": reload_handler,
}
