"""After 👎 the villager's next message (within a few minutes) is a comment on that answer."""

from __future__ import annotations

import time
from collections.abc import Callable

COMMENT_WINDOW = 300.0  # seconds: later text is a new question again
MAX_WAITING = 10_000  # chats waiting for a comment; the oldest is dropped past this


class PendingComments:
    """Which chat owes a comment on which disliked question, until when (in memory only)."""

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._waiting: dict[str, tuple[int, float]] = {}

    def expect(self, chat: str, question_id: int) -> None:
        """The chat tapped 👎 on `question_id`: its next text is a comment on it."""
        self._waiting.pop(chat, None)
        if len(self._waiting) >= MAX_WAITING:
            self._waiting.pop(next(iter(self._waiting)))
        self._waiting[chat] = (question_id, self._clock() + COMMENT_WINDOW)

    def drop(self, chat: str) -> None:
        """The chat did something else (👍, a menu word): no comment is expected."""
        self._waiting.pop(chat, None)

    def take(self, chat: str) -> int | None:
        """The question the chat's text comments on, once; None when none is expected."""
        waiting = self._waiting.pop(chat, None)
        if waiting is None or waiting[1] < self._clock():
            return None
        return waiting[0]
