"""What a turn writes to the question log: the question, feedback, choices, hand-offs.

A database that fails never fails the turn: the villager is answered and the failure logged.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass

from bot.knowledge import Entry
from bot.store import CHOSEN_BY_VILLAGER, Logged, QuestionRecord, Store, StoreUnavailable
from bot.understand import Match, Outcome

__all__ = ["CHOSEN_BY_VILLAGER", "Journal", "User", "utc_now"]

logger = logging.getLogger(__name__)
# ValueError: aiosqlite's answer on a connection already closed (at shutdown)
_FAILURES = (StoreUnavailable, ValueError)


def utc_now() -> str:
    """The current time as an ISO-8601 UTC string (what the log stores)."""
    return dt.datetime.now(dt.UTC).isoformat(timespec="seconds")


@dataclass(frozen=True)
class User:
    """Who asked, on which channel, and where a later reply must go."""

    channel: str
    user_id: str
    chat_id: str

    @property
    def key(self) -> str:
        """An opaque, stable key for this villager (the raw id is not stored with questions)."""
        digest = hashlib.sha256(f"{self.channel}:{self.user_id}".encode()).hexdigest()
        return f"{self.channel}:{digest[:16]}"


class Journal:
    """Write a conversation's turns to `store` (None: write nothing)."""

    def __init__(self, store: Store | None, clock: Callable[[], str] = utc_now) -> None:
        """Log to `store`, stamping with `clock`."""
        self.store = store
        self._clock = clock

    async def question(
        self,
        text: str,
        user: User,
        match: Match,
        outcome: str,
        latency_ms: float,
        *,
        followup_of: str | None = None,
    ) -> int | None:
        """Log one question; return its id (None without a store or when it failed)."""
        if self.store is None:
            return None
        record = QuestionRecord(
            asked_at=self._clock(),
            channel=user.channel,
            user_key=user.key,
            reply_to=user.chat_id,
            text=text,
            outcome=outcome,
            entry_id=match.entry_id,
            score=match.score,
            candidates=[(c.id, c.score) for c in match.candidates],
            latency_ms=round(latency_ms, 3),
            followup_of=followup_of,
        )
        try:
            # Written (or, while the database fails, kept in memory) before the reply is
            # returned: a question whose reply went out is never missing from the log.
            return await self.store.record_or_keep(record)
        except _FAILURES:
            logger.warning("could not log a question; answering anyway", exc_info=True)
            return None

    async def replied(self, question_id: int) -> None:
        """Telegram accepted the reply to `question_id`: the log says so from now on."""
        if self.store is None:
            return
        try:
            await self.store.mark_replied(question_id, self._clock())
        except _FAILURES:
            logger.warning("could not log that question %s was replied to", question_id)

    async def owns(self, question_id: int, user: User) -> bool:
        """Whether `user` asked question `question_id` (buttons can be forged)."""
        if self.store is None:
            return False
        try:
            return await self.store.question_owner(question_id) == user.key
        except _FAILURES:
            logger.warning("could not check the owner of question %s", question_id, exc_info=True)
            return False

    async def feedback(self, question_id: int, user: User, useful: bool) -> None:
        """Store 👍/👎 on a question."""
        assert self.store is not None
        try:
            await self.store.record_feedback(question_id, user.key, useful, self._clock())
        except _FAILURES:
            logger.warning("could not store feedback on question %s", question_id, exc_info=True)

    async def comment(self, question_id: int, user: User, text: str) -> None:
        """Attach what the villager said after 👎 to that question."""
        assert self.store is not None
        try:
            await self.store.record_comment(question_id, user.key, text)
        except _FAILURES:
            logger.warning("could not store a comment on question %s", question_id, exc_info=True)

    async def choose(self, question_id: int, user: User, entry_id: str) -> bool:
        """The villager tapped a candidate offered for their question: it answers that question
        (and takes it out of the queue). False when it was not theirs or not offered."""
        if self.store is None:
            return False
        try:
            at = self._clock()
            return await self.store.choose_candidate(question_id, user.key, entry_id, at)
        except _FAILURES:
            logger.warning("could not record a choice on question %s", question_id, exc_info=True)
            return False

    async def tapped(self, entry: Entry, user: User) -> int | None:
        """Log an entry opened by a button (a related topic, the menu) as a question of its own,
        so that 👍/👎 on its answer count for that entry; return its id."""
        match = Match(Outcome.ANSWER, entry.id, 0.0, ())
        return await self.question(entry.title, user, match, Logged.TAP, 0.0)

    async def votable(self, question_id: int, user: User) -> bool:
        """Whether `user` asked question `question_id` and got an entry's answer to vote on."""
        if self.store is None:
            return False
        try:
            target = await self.store.vote_target(question_id)
        except _FAILURES:
            logger.warning("could not read question %s", question_id, exc_info=True)
            return False
        return target is not None and target[0] == user.key and bool(target[1])

    async def none_of_these(self, question_id: int, user: User) -> None:
        """「都不是」: the clarified question goes to the editors' queue."""
        assert self.store is not None
        try:
            await self.store.mark_unanswered(question_id, user.key)
        except _FAILURES:
            logger.warning("could not queue question %s", question_id, exc_info=True)

    async def hand_off(self, question_id: int, user: User) -> bool:
        """Queue the question for a person, answering in this chat; False if nothing changed."""
        assert self.store is not None
        try:
            return await self.store.hand_off(question_id, user.key, user.chat_id, self._clock())
        except _FAILURES:
            logger.warning("could not hand off question %s", question_id, exc_info=True)
            return False
