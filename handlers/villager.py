"""What villagers meet: /start, /menu, /help, typed questions, button taps, media."""

from __future__ import annotations

import logging
from collections.abc import Callable

from telegram import CallbackQuery, Message, MessageEntity, Update
from telegram.constants import ChatType
from telegram.error import Forbidden, RetryAfter, TelegramError, TimedOut
from telegram.ext import ContextTypes

from bot import messages
from bot.dialogue import DialogueService, Reply, Said, Tap, User, Verdict, parse_callback
from handlers.render import keyboard, send_reply, send_text, split_text
from handlers.runtime import runtime, store_of, villager

logger = logging.getLogger(__name__)
_NAVIGATION = frozenset({Tap.MENU, Tap.CATEGORY})


async def start_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/start: greet in plain words and show the categories."""
    await _command(update, context, DialogueService.start)


async def menu_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/menu: the categories as buttons."""
    await _command(update, context, DialogueService.menu)


async def help_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """/help: three lines on how to ask."""
    await _command(update, context, DialogueService.help)


async def unknown_command_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A command the bot does not know: say how to use it (in groups only when addressed)."""
    message = update.message
    if message is None or not addressed(message, context):
        return
    await _command(update, context, DialogueService.help)


async def question_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A typed question (or an edited one, asked anew): answer, clarify, or say whom to ask."""
    message = incoming(update)
    user = villager(update)
    if message is None or message.text is None or user is None:
        return
    if not addressed(message, context):
        return
    await _ask(message, user, context)


async def non_text_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """Voice, photo, sticker, location, document…: kindly ask to type or tap the menu.

    A photo or document with a caption is asked as the caption's question (a villager often
    sends the notice they got with 「这个能办不」 under it).
    """
    message = incoming(update)
    user = villager(update)
    if message is None or user is None or not addressed(message, context):
        return
    if (message.caption or "").strip():
        await _ask(message, user, context)
        return
    reply = Reply(messages.NON_TEXT, runtime(context).service.help().buttons)
    await send_reply(context.bot, message.chat_id, reply, quote=_quote(message))


async def _ask(message: Message, user: User, context: ContextTypes.DEFAULT_TYPE) -> None:
    text = _without_mention(message, context)
    logger.debug("question from %s: %r", user.key, text)
    service = runtime(context).service
    reply = await service.ask(text, user)
    await send_reply(context.bot, message.chat_id, reply, quote=_quote(message))
    if reply.question_id is not None:  # Telegram accepted it: the log may say it was sent
        await service.replied(reply.question_id)


def incoming(update: Update) -> Message | None:
    """The villager's message: a new one, or one they edited (answered as a new question)."""
    return update.message or update.edited_message


async def button_handler(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """A tap on an inline button: navigate the menu in place, or answer below."""
    query = update.callback_query
    user = villager(update)
    if query is None or user is None:
        return
    chat_id = int(user.chat_id)
    await answer_quietly(query)
    data = query.data if isinstance(query.data, str) else ""
    reply = await runtime(context).service.press(data, user)
    action = parse_callback(data)
    navigating = action is not None and action.kind in _NAVIGATION
    shown = query.message if isinstance(query.message, Message) else None
    stale = reply.text == messages.STALE_BUTTON
    if navigating and not stale and shown is not None and await _edit(shown, reply):
        return
    await send_reply(context.bot, chat_id, reply)
    if reply.outcome is Said.HANDOFF and reply.question_id is not None:
        await tell_staff(context, reply.question_id)  # after the villager hears back


async def tell_staff(context: ContextTypes.DEFAULT_TYPE, question_id: int) -> None:
    """Send every admin the handed-off question (masked, as stored) with how to /reply.

    An admin the bot cannot reach (never opened a chat with it) is skipped; the question
    is in /unanswered for them all the same.
    """
    rt = runtime(context)
    question = await store_of(rt).get_question(question_id)
    if question is None:
        return
    text = messages.STAFF_HANDOFF.format(id=question_id, question=question.text)
    for admin in sorted(rt.admins):
        try:
            await send_text(context.bot, admin, text)
        except (Forbidden, RetryAfter):
            logger.warning("could not tell admin %s of hand-off %s", admin, question_id)
        except TelegramError as exc:
            logger.warning("could not tell admin %s of hand-off %s: %s", admin, question_id, exc)


async def _command(
    update: Update,
    context: ContextTypes.DEFAULT_TYPE,
    make: Callable[[DialogueService], Reply],
) -> None:
    message = update.message
    user = villager(update)
    if message is None or user is None:
        return
    reply = make(runtime(context).service)
    await send_reply(context.bot, message.chat_id, reply, quote=_quote(message))


async def answer_quietly(query: CallbackQuery) -> None:
    """Stop the spinner on the villager's button; a failure is cosmetic."""
    try:
        await query.answer()
    except TelegramError as exc:  # too old, or Telegram hiccups: go on answering
        logger.debug("could not answer a callback query: %s", exc)


async def admit(user: User, context: ContextTypes.DEFAULT_TYPE, chat_id: int) -> bool:
    """Apply the flood limit: True to go on; the first message over it gets SLOW_DOWN."""
    verdict = await runtime(context).flood.check(user.key)
    if verdict is Verdict.ALLOW:
        return True
    if verdict is Verdict.WARN:
        logger.info("flood limit reached by %s", user.key)
        await send_reply(context.bot, chat_id, Reply(messages.SLOW_DOWN))
    return False


async def _edit(message: Message, reply: Reply) -> bool:
    """Show `reply` in place of the tapped message; False when Telegram refuses the edit."""
    parts = split_text(reply.text)
    if len(parts) > 1:
        return False
    try:
        await message.edit_text(parts[0], reply_markup=keyboard(reply))
    except (Forbidden, RetryAfter):
        raise
    except TimedOut:
        return True  # the edit may well have happened: a new message could show it twice
    except TelegramError as exc:
        if "not modified" in str(exc).lower():
            return True  # the same menu tapped twice: it is already on screen
        logger.debug("could not edit a menu message (%s); sending a new one", exc)
        return False
    return True


def _is_group(message: Message) -> bool:
    return message.chat.type in (ChatType.GROUP, ChatType.SUPERGROUP)


def _quote(message: Message) -> int | None:
    """In groups, answer as a reply so the asker sees it is for them."""
    return message.message_id if _is_group(message) else None


def addressed(message: Message, context: ContextTypes.DEFAULT_TYPE) -> bool:
    """In a group, only messages that mention the bot or reply to it are for us."""
    if message.chat.type == ChatType.PRIVATE:
        return True
    if message.chat.type == ChatType.CHANNEL:
        return False
    replied = message.reply_to_message
    if replied is not None and replied.from_user is not None:
        return replied.from_user.id == context.bot.id or _mention(message, context) is not None
    return _mention(message, context) is not None


def _mention(message: Message, context: ContextTypes.DEFAULT_TYPE) -> MessageEntity | None:
    username = f"@{context.bot.username}".lower()
    kinds: list[str | None] = [
        MessageEntity.MENTION,
        MessageEntity.TEXT_MENTION,
        MessageEntity.BOT_COMMAND,
    ]
    found = message.parse_entities(kinds) | message.parse_caption_entities(kinds)
    for entity, text in found.items():
        if entity.type == MessageEntity.TEXT_MENTION:
            if entity.user is not None and entity.user.id == context.bot.id:
                return entity
        elif text.lower().endswith(username):
            return entity
    return None


def _without_mention(message: Message, context: ContextTypes.DEFAULT_TYPE) -> str:
    """The question text (or a photo's caption) with the bot's @mention taken out."""
    text = message.text or message.caption or ""
    entity = _mention(message, context) if _is_group(message) else None
    if entity is None or entity.type != MessageEntity.MENTION:
        return text
    typed = message.parse_entity(entity) if message.text else message.parse_caption_entity(entity)
    return text.replace(typed, " ", 1).strip()
