"""Turn core replies into Telegram messages: inline keyboards and the 4096-character limit."""

from __future__ import annotations

from telegram import Bot, InlineKeyboardButton, InlineKeyboardMarkup, ReplyParameters

from bot import messages
from bot.dialogue import Reply

# Telegram's limit, counted in UTF-16 code units (an emoji outside the BMP counts twice).
MAX_MESSAGE = 4096


def keyboard(reply: Reply) -> InlineKeyboardMarkup | None:
    """The reply's buttons as an inline keyboard (None when it has none)."""
    rows = [
        [InlineKeyboardButton(b.label, callback_data=b.data) for b in row]
        for row in reply.buttons
        if row
    ]
    return InlineKeyboardMarkup(rows) if rows else None


def utf16_len(text: str) -> int:
    """Length as Telegram counts it."""
    return len(text.encode("utf-16-le", "surrogatepass")) // 2


def split_text(text: str, limit: int = MAX_MESSAGE) -> list[str]:
    """Split `text` into chunks Telegram accepts, preferring line breaks; never empty chunks."""
    text = text.strip() or messages.ERROR
    chunks: list[str] = []
    while utf16_len(text) > limit:
        cut = _fit(text, limit)
        newline = text.rfind("\n", 0, cut)
        if newline > cut // 2:
            cut = newline
        chunks.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    if text:
        chunks.append(text)
    return [c for c in chunks if c] or [messages.ERROR]


def _fit(text: str, limit: int) -> int:
    """The number of characters of `text` that fit in `limit` UTF-16 units."""
    units = 0
    for i, ch in enumerate(text):
        units += 2 if ord(ch) > 0xFFFF else 1
        if units > limit:
            return max(i, 1)
    return len(text)


async def send_reply(
    bot: Bot, chat_id: int | str, reply: Reply, *, quote: int | None = None
) -> None:
    """Send `reply` to `chat_id`, buttons under the last part; `quote` replies to a message."""
    parts = split_text(reply.text)
    markup = keyboard(reply)
    for i, part in enumerate(parts):
        last = i == len(parts) - 1
        await bot.send_message(
            chat_id,
            part,
            reply_markup=markup if last else None,
            reply_parameters=(
                ReplyParameters(quote, allow_sending_without_reply=True)
                if quote is not None and i == 0
                else None
            ),
        )


async def send_text(bot: Bot, chat_id: int | str, text: str) -> None:
    """Send plain text (staff reports), split to Telegram's limit."""
    await send_reply(bot, chat_id, Reply(text))
