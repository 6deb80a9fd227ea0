"""/reply and /ignore for staff, forgivingly: a preview (the group's questions and the exact
message each villager gets) with 确认 / 取消 buttons; only 确认 by the same admin sends."""

from __future__ import annotations

import logging
import re

from telegram import CallbackQuery, Message, Update
from telegram.error import TelegramError
from telegram.ext import ContextTypes

from bot import messages
from bot.dialogue import Button, Reply
from bot.review import (
    MAX_ANSWER,
    Action,
    Delivery,
    GroupChanged,
    ProbableSlip,
    Proposal,
    ReviewError,
    carry_out,
    deliver,
    preview_text,
    propose_answer,
    propose_ignore,
    record_action,
    sent_notice,
)
from handlers.access import staff_chat
from handlers.confirmations import cancel_data, confirm_data, parse_staff_button
from handlers.render import send_reply, send_text
from handlers.runtime import runtime, store_of
from handlers.upkeep import bot_sender
from handlers.villager import answer_quietly

logger = logging.getLogger(__name__)
_REPLY_RE = re.compile(r"^/reply(?:@\w+)?\s+(\d{1,12})\s+(.+)$", re.DOTALL)
_IGNORE_RE = re.compile(r"^/ignore(?:@\w+)?\s+(\d{1,12})\s*$")


async def reply_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/reply <id> <text>: preview the answer to the question's group (or the correction of
    an answered one), to be sent on 确认发送."""
    chat_id = await staff_chat(update, context)
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
    try:
        proposal = await propose_answer(
            store_of(rt), question_id, answer, matcher=rt.service.matcher
        )
    except ProbableSlip as exc:
        await send_text(context.bot, chat_id, str(exc))
        return
    except ReviewError:
        await send_text(context.bot, chat_id, messages.REPLY_NOT_FOUND.format(id=question_id))
        return
    await _ask(update, context, chat_id, proposal, messages.CONFIRM_BUTTON)


async def ignore_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/ignore <id>: preview the question's group, to be set aside on 确认忽略."""
    chat_id = await staff_chat(update, context)
    if chat_id is None or update.message is None:
        return
    rt = runtime(context)
    parsed = _IGNORE_RE.match((update.message.text or "").strip())
    if parsed is None:
        await send_text(context.bot, chat_id, messages.IGNORE_USAGE)
        return
    question_id = int(parsed[1])
    try:
        proposal = await propose_ignore(store_of(rt), question_id, matcher=rt.service.matcher)
    except ReviewError:
        await send_text(context.bot, chat_id, messages.REPLY_NOT_FOUND.format(id=question_id))
        return
    await _ask(update, context, chat_id, proposal, messages.CONFIRM_IGNORE_BUTTON)


async def _ask(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    chat_id: int,
    proposal: Proposal,
    label: str,
) -> None:
    assert update.effective_user is not None  # staff_chat let only an admin through
    token = runtime(context).confirmations.add(update.effective_user.id, proposal)
    row = (Button(label, confirm_data(token)), Button(messages.CANCEL_BUTTON, cancel_data(token)))
    await send_reply(context.bot, chat_id, Reply(preview_text(proposal), (row,)))


async def staff_button_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on 确认 or 取消 under a preview: carried out once, only for the admin shown it."""
    query = update.callback_query
    if query is None:
        return
    await answer_quietly(query)
    rt = runtime(context)
    admin = query.from_user.id
    shown = query.message
    chat_id = shown.chat.id if isinstance(shown, Message) else admin
    if admin not in rt.admins:
        logger.info("staff button refused for a non-admin")
        await send_text(context.bot, chat_id, messages.ADMIN_ONLY)
        return
    parsed = parse_staff_button(query.data)
    proposal = rt.confirmations.take(parsed[1], admin) if parsed else None
    if parsed is None or proposal is None:
        await send_text(context.bot, chat_id, messages.CONFIRM_STALE)
        return
    await _drop_buttons(query)
    if not parsed[0]:
        await send_text(context.bot, chat_id, messages.STAFF_CANCELLED)
        return
    await send_text(context.bot, chat_id, await _carry_out(context, proposal, admin))


async def _carry_out(context: ContextTypes.DEFAULT_TYPE, proposal: Proposal, admin: int) -> str:
    """Do what the admin confirmed; the summary to tell them."""
    rt = runtime(context)
    store = store_of(rt)
    group_id, done = proposal.group_id, Delivery()
    async with rt.delivery_lock:
        try:
            plan = await carry_out(store, proposal, matcher=rt.service.matcher)
        except GroupChanged:
            return messages.CONFIRM_CHANGED.format(id=group_id)
        except ReviewError:
            return messages.REPLY_NOT_FOUND.format(id=group_id)
        if plan is not None:
            done = await deliver(store, plan.recipients, bot_sender(context.bot))
    detail = plan.answer if plan is not None else ""
    action = proposal.action
    await record_action(
        store, f"telegram:{admin}", action.value, group_id, proposal.question_ids, detail
    )
    count = len(proposal.question_ids)
    logger.info("admin did %s on %d question(s) of group %s", action.value, count, group_id)
    if plan is None:
        return messages.IGNORE_DONE.format(id=group_id, questions=count)
    template = messages.REPLY_CORRECTED if action is Action.CORRECT else messages.REPLY_DONE
    return sent_notice(template, group_id, plan, done)


async def _drop_buttons(query: CallbackQuery) -> None:
    """Take 确认 / 取消 off the preview once one was tapped; a failure is cosmetic."""
    try:
        await query.edit_message_reply_markup(reply_markup=None)
    except TelegramError as exc:
        logger.debug("could not take the buttons off a preview: %s", exc)
