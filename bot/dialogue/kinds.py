"""What a reply was about and what a button asks for: the dialogue core's two vocabularies."""

from __future__ import annotations

from enum import StrEnum


class Said(StrEnum):
    """What a reply was (the adapters and tests read it; logs record `bot.store.Logged`)."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    UNKNOWN = "unknown"
    EMPTY = "empty"
    CHAT = "chat"  # a short reply to small talk
    MENU = "menu"  # the category menu, typed or tapped
    HANDOFF = "handoff"  # the question goes to staff: the adapter tells every admin


class Tap(StrEnum):
    """What a button press asks for (parsed from its callback data)."""

    ENTRY = "entry"
    CATEGORY = "category"
    MENU = "menu"
    FEEDBACK = "feedback"
    NONE = "none"  # 「都不是」
    HANDOFF = "handoff"
