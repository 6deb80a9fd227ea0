"""Staff files on Telegram: /report (the report picture as a photo) and /export (the question
log as an .xlsx document), the same the command line and the workbench make."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import shutil
import tempfile
from pathlib import Path

from telegram import InputFile, Update
from telegram.ext import ContextTypes

from bot import messages
from bot.review import (
    LOCAL_TZ,
    MAX_EXPORT,
    RecordQuery,
    ReviewError,
    find_records,
    record_rows,
    records_xlsx,
    render_report,
)
from handlers.access import staff_chat, titles
from handlers.render import send_text
from handlers.runtime import runtime, store_of

logger = logging.getLogger(__name__)
REPORT_DAYS = 14  # as `policybot log report`


async def report_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/report: the one-page picture of the last 14 days (needs the `report` extra)."""
    chat_id = await staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    folder = Path(await asyncio.to_thread(tempfile.mkdtemp, prefix="policybot-report-"))
    try:
        path = await render_report(
            store_of(rt),
            folder / "report.png",
            days=REPORT_DAYS,
            now=dt.datetime.now(dt.UTC),
            matcher=rt.service.matcher,
        )
        picture = await asyncio.to_thread(path.read_bytes)
    except ReviewError:  # matplotlib is not installed here
        logger.warning("/report asked for, but the report extra is not installed")
        await send_text(context.bot, chat_id, messages.STAFF_REPORT_MISSING)
        return
    finally:
        await asyncio.to_thread(shutil.rmtree, folder, True)
    caption = messages.STAFF_REPORT_CAPTION.format(days=REPORT_DAYS)
    await context.bot.send_photo(
        chat_id, InputFile(picture, filename="report.png"), caption=caption
    )


async def export_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/export: every logged question (up to MAX_EXPORT) as an .xlsx workbook, newest first."""
    chat_id = await staff_chat(update, context)
    if chat_id is None:
        return
    rt = runtime(context)
    found = await find_records(store_of(rt), RecordQuery(), limit=MAX_EXPORT)
    if not found:
        await send_text(context.bot, chat_id, messages.STAFF_EXPORT_EMPTY)
        return
    book = await asyncio.to_thread(records_xlsx, record_rows(found, titles(rt)))
    day = dt.datetime.now(LOCAL_TZ).date().isoformat()
    caption = messages.STAFF_EXPORT_CAPTION.format(count=len(found))
    await context.bot.send_document(
        chat_id, InputFile(book, filename=f"policybot-{day}.xlsx"), caption=caption
    )
