"""What each chat was last talking about, so that 「那要啥材料」 is read against it.

One memory per villager in one chat (a group's members each have their own), kept a few
minutes and bounded in size: it is conversation state, not a log, and is lost on restart.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# A follow-up comes within a minute or two of the answer it follows; after five minutes a
# topicless 「多少钱」 is as likely to be about something new, and is matched alone.
CONTEXT_TTL = 300.0
# Chats remembered at once; the least recently active is forgotten first.
MAX_CONTEXTS = 10_000


@dataclass(frozen=True)
class Topic:
    """The entry last answered (one id) or the candidates last offered (several), and when.

    No ids: the last question got no answer; it is still the one 「我要找人工」 would pass on.
    """

    entry_ids: tuple[str, ...]
    at: float
    question_id: int | None = None

    @property
    def answered(self) -> str | None:
        """The entry last answered, when the bot answered rather than offered choices."""
        return self.entry_ids[0] if len(self.entry_ids) == 1 else None


class ContextMemory:
    """Per-chat topics that expire after `ttl` seconds of the clock."""

    def __init__(
        self,
        *,
        ttl: float = CONTEXT_TTL,
        limit: int = MAX_CONTEXTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        """Remember at most `limit` chats, each for `ttl` seconds."""
        self._ttl = ttl
        self._limit = limit
        self._clock = clock
        self._topics: OrderedDict[str, Topic] = OrderedDict()

    def get(self, key: str) -> Topic | None:
        """The chat's live topic, or None (never set, forgotten or expired)."""
        topic = self._topics.get(key)
        if topic is None:
            return None
        if self._clock() - topic.at > self._ttl:
            del self._topics[key]
            return None
        return topic

    def remember(
        self, key: str, entry_ids: tuple[str, ...], question_id: int | None = None
    ) -> None:
        """Make `entry_ids` the chat's topic from now on, asked as `question_id`.

        Neither: the chat is forgotten.
        """
        self._topics.pop(key, None)
        if not entry_ids and question_id is None:
            return
        self._topics[key] = Topic(entry_ids, self._clock(), question_id)
        while len(self._topics) > self._limit:
            self._topics.popitem(last=False)

    def forget(self, key: str) -> None:
        """Drop the chat's topic (the villager said goodbye, or changed the subject)."""
        self._topics.pop(key, None)

    def __len__(self) -> int:
        return len(self._topics)
