"""Messages that are not questions: typed menu words and category names, and small talk.

A villager who types 「菜单」 or 「教育」 wants the menu, not a guess; one who types 「好的」 or
👍 is being polite. Both are recognised as whole messages only: 「教育补助有啥」 is a question.
"""

from __future__ import annotations

import re
import unicodedata
from enum import StrEnum

from bot import messages
from bot.knowledge import Category, KnowledgeBase


class Typed(StrEnum):
    """What a whole typed message asks for, when it is not a question."""

    MENU = "menu"
    HELP = "help"


def _words(text: str) -> list[str]:
    return text.split()


MENU_WORDS = frozenset(
    _words("菜单 主菜单 目录 分类 返回 回去 返回菜单 回到菜单 上一步 开始 重新开始 menu back")
)
HELP_WORDS = frozenset(_words("帮助 help 怎么用 咋用 使用说明 说明"))
# Small talk → the reply to it. 「谢谢」「你好」 are knowledge-base entries (smalltalk.*):
# those have answers editors write; these are acknowledgements that need none.
SMALL_TALK = {
    **dict.fromkeys(_words("再见 拜拜 拜 回见 再会 走了 先这样 bye goodbye 88 886"), "bye"),
    **dict.fromkeys(
        _words(
            "好 好的 好嘞 好吧 行 行吧 中 嗯 哦 噢 喔 知道了 明白了 懂了 晓得了 收到 了解 "
            "ok okay 👍 👌 🙏 ✌ 👏 💪 🤝"
        ),
        "ok",
    ),
    **dict.fromkeys(_words("哈 呵 嘿 嘻 😂 😄 😁 😊 🤣 😀 😃 ☺"), "laugh"),
}
# 「我要找人工」「找个人问问」: words of a short message that ask for a person, not the bot.
PERSON_WORDS = tuple(_words("人工 真人 活人 找个人 找人问 叫个人 来个人 找个干部 工作人员"))
MAX_PERSON_CHARS = 12
SMALL_TALK_REPLIES = {
    "bye": messages.CHAT_BYE,
    "ok": messages.CHAT_OK,
    "laugh": messages.CHAT_LAUGH,
}
# Category names may come with a word of their own: 「教育方面」「社会保障政策」「看看教育类」.
_CATEGORY_AFFIXES = re.compile(r"^(?:看看|看一下|我要看|查)?(?P<name>.+?)(?:方面|政策|类|的)?$")
_STRIP = re.compile(r"[\s\W_]+")
# Skin tones and the emoji presentation selector do not change what 👍 means.
_MODIFIERS = re.compile("[\U0001f3fb-\U0001f3ff\ufe0f\u200d]")


def tidy(text: str) -> str:
    """The message as one lowercase word: no spaces, punctuation or emoji modifiers."""
    text = unicodedata.normalize("NFKC", _MODIFIERS.sub("", text)).lower()
    emoji = "".join(c for c in text if unicodedata.category(c) == "So")
    words = _STRIP.sub("", text)
    word = words + emoji if emoji and not words else words
    # 「哈哈哈」「嗯嗯」「👍👍」 are the same as one
    return word[0] if len(set(word)) == 1 and not word.isdigit() else word


def typed_navigation(text: str) -> Typed | None:
    """Whether the whole message is a menu word (菜单, 返回) or a help word (帮助, help)."""
    word = tidy(text)
    if word in MENU_WORDS:
        return Typed.MENU
    return Typed.HELP if word in HELP_WORDS else None


def typed_category(text: str, kb: KnowledgeBase) -> Category | None:
    """The menu category whose name is the whole message (「教育」「社会保障方面」), if any."""
    word = tidy(text)
    found = _CATEGORY_AFFIXES.match(word)
    names = {word, found["name"]} if found else {word}
    return next(
        (c for c in kb.categories if c.name.lower() in names and kb.in_category(c.key)), None
    )


def small_talk(text: str) -> str | None:
    """The short reply to a whole message of small talk (再见, 好的, 嗯, 哈哈, 👍), or None."""
    kind = SMALL_TALK.get(tidy(text))
    return SMALL_TALK_REPLIES[kind] if kind else None


def asks_for_person(text: str) -> bool:
    """Whether a short message asks for a person (「我要找人工」「找个人问问」「要真人」)."""
    word = tidy(text)
    return len(word) <= MAX_PERSON_CHARS and any(w in word for w in PERSON_WORDS)


def is_goodbye(text: str) -> bool:
    """Whether the message ends the conversation (再见, 拜拜)."""
    return SMALL_TALK.get(tidy(text)) == "bye"
