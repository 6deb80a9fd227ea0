"""The dialogue core: answer a question, handle a button, log every question (both channels)."""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass, replace

from bot import messages
from bot.dialogue.chitchat import Typed, is_goodbye, small_talk, typed_category, typed_navigation
from bot.dialogue.context import ContextMemory
from bot.dialogue.followup import FollowUps, Reading
from bot.dialogue.reply import (
    Button,
    Reply,
    category_reply,
    chat_reply,
    clarify_reply,
    entry_reply,
    followup_reply,
    menu_reply,
    parse_callback,
    referral_reply,
    unknown_reply,
)
from bot.knowledge import KnowledgeBase
from bot.store import SKIPPED, QuestionRecord, Store
from bot.understand import Match, Matcher, Outcome

logger = logging.getLogger(__name__)
# The "answer" recorded when a villager resolved a clarify question by tapping a candidate.
CHOSEN_BY_VILLAGER = "villager chose "
SMALLTALK = "smalltalk."  # entries that are not a topic to follow up on


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


class DialogueService:
    """Answer questions and button presses the same way for the console and Telegram."""

    def __init__(
        self,
        matcher: Matcher,
        store: Store | None,
        *,
        clock: Callable[[], str] = utc_now,
        memory: ContextMemory | None = None,
    ) -> None:
        """Serve from `matcher`; log to `store` (None: no logging); topics kept in `memory`."""
        self.matcher = matcher
        self.store = store
        self._clock = clock
        self._followups = FollowUps(matcher)
        self._memory = memory if memory is not None else ContextMemory()

    @property
    def kb(self) -> KnowledgeBase:
        """The knowledge base currently served."""
        return self.matcher.kb

    def replace_matcher(self, matcher: Matcher) -> None:
        """Serve from a new matcher (after a validated knowledge-base reload)."""
        self.matcher = matcher
        self._followups = FollowUps(matcher)

    def start(self) -> Reply:
        """Greeting with the category menu."""
        menu = menu_reply(self.kb.categories, self.kb)
        return Reply(messages.GREETING, menu.buttons)

    def menu(self) -> Reply:
        """The category menu."""
        return menu_reply(self.kb.categories, self.kb)

    def help(self) -> Reply:
        """Three lines on how to use the bot."""
        return Reply(messages.HELP, ((Button(messages.MENU_BUTTON, "m"),),))

    async def ask(self, text: str, user: User) -> Reply:
        """Match `text` (against the chat's topic), log it, and return the villager's reply."""
        typed = self._typed(text)
        if typed is not None:
            return typed  # a menu word or category name is navigation, not a question
        started = time.perf_counter()
        chat = small_talk(text)
        if chat is not None:
            if is_goodbye(text):
                self._memory.forget(self._chat(user))
            none = Match(Outcome.UNKNOWN, None, 0.0, ())
            elapsed = (time.perf_counter() - started) * 1000
            return chat_reply(chat, await self._log(text, user, none, "chat", elapsed))
        followups = self._followups
        match = followups.matcher.best_match(text)
        topic = self._memory.get(self._chat(user))
        reading = followups.read(text, match, topic) if topic else Reading(match)
        latency_ms = (time.perf_counter() - started) * 1000
        match = reading.match
        outcome = "empty" if match.empty else match.outcome.value
        question_id = await self._log(
            text, user, match, outcome, latency_ms, followup_of=reading.leaned_on
        )
        self._remember(user, match)
        return self._reply(reading, followups.matcher.kb, question_id)

    def _typed(self, text: str) -> Reply | None:
        """The menu for 菜单/返回, help for 帮助/help, a category's list for its name."""
        kb = self.kb
        category = typed_category(text, kb)
        if category is not None:
            return replace(category_reply(category, kb), outcome="menu")
        navigation = typed_navigation(text)
        if navigation is None:
            return None
        menu = self.menu()
        text = messages.HELP if navigation is Typed.HELP else menu.text
        return Reply(text, menu.buttons, "menu")

    def _reply(self, reading: Reading, kb: KnowledgeBase, question_id: int | None) -> Reply:
        match = reading.match
        if match.empty:
            menu = ((Button(messages.MENU_BUTTON, "m"),),)
            return Reply(messages.EMPTY_QUESTION, menu, "empty", None, question_id)
        entry = kb.get(match.entry_id) if match.entry_id else None
        if match.outcome is Outcome.ANSWER and entry is not None:
            if reading.aspect is not None:
                return followup_reply(entry, reading.aspect, kb, question_id)
            return entry_reply(entry, kb, question_id)
        if match.outcome is Outcome.CLARIFY:
            return clarify_reply(match.candidates, kb, question_id)
        referral = kb.get(match.referral) if match.referral else None
        if referral is not None:
            return referral_reply(referral, question_id)
        return unknown_reply(question_id)

    @staticmethod
    def _chat(user: User) -> str:
        """The key of one villager's conversation in one chat (a group's members each own one)."""
        return f"{user.key}@{user.chat_id}"

    def _remember(self, user: User, match: Match) -> None:
        """The chat's topic after this turn: what was answered or offered; a miss forgets it."""
        key = self._chat(user)
        if match.empty:
            return
        if match.referral is not None:  # not 扶贫政策: a follow-up gets the same referral
            self._memory.remember(key, (match.referral,))
        elif match.outcome is Outcome.UNKNOWN:
            self._memory.forget(key)
        elif match.outcome is Outcome.CLARIFY:
            self._memory.remember(key, tuple(c.id for c in match.candidates))
        elif match.entry_id is not None and not match.entry_id.startswith(SMALLTALK):
            self._memory.remember(key, (match.entry_id,))

    async def press(self, data: str, user: User) -> Reply:
        """Handle a button press (Telegram callback data or a console choice)."""
        action = parse_callback(data)
        kb = self.kb
        if action is None:
            return Reply(messages.STALE_BUTTON)
        if action.kind == "menu":
            return self.menu()
        if action.kind == "category":
            category = next((c for c in kb.categories if c.key == action.value), None)
            return category_reply(category, kb) if category else Reply(messages.STALE_BUTTON)
        if action.kind == "entry":
            entry = kb.get(action.value)
            if entry is None:
                return Reply(messages.STALE_BUTTON)
            if action.question_id is not None and await self._owns(action.question_id, user):
                await self._chosen(action.question_id, entry.id)
            if not entry.is_smalltalk:
                self._memory.remember(self._chat(user), (entry.id,))
            return entry_reply(entry, kb)
        if action.question_id is None or not await self._owns(action.question_id, user):
            return Reply(messages.STALE_BUTTON)
        if action.kind == "feedback":
            await self._feedback(action.question_id, user, action.useful)
            return Reply(messages.FEEDBACK_THANKS if action.useful else messages.FEEDBACK_SORRY)
        await self._none_of_these(action.question_id, user)
        return Reply(
            messages.NONE_OF_THESE_REPLY, ((Button(messages.MENU_BUTTON, "m"),),), "unknown"
        )

    async def _owns(self, question_id: int, user: User) -> bool:
        if self.store is None:
            return False
        try:
            return await self.store.question_owner(question_id) == user.key
        except (sqlite3.Error, OSError, ValueError):
            logger.warning("could not check the owner of question %s", question_id, exc_info=True)
            return False

    async def _feedback(self, question_id: int, user: User, useful: bool) -> None:
        assert self.store is not None
        try:
            await self.store.record_feedback(question_id, user.key, useful, self._clock())
        except (sqlite3.Error, OSError, ValueError):
            logger.warning("could not store feedback on question %s", question_id, exc_info=True)

    async def _chosen(self, question_id: int, entry_id: str) -> None:
        """The villager picked a candidate of a clarify reply: take it out of the queue."""
        assert self.store is not None
        try:
            await self.store.resolve_questions(
                [(question_id, SKIPPED)], f"{CHOSEN_BY_VILLAGER}{entry_id}", self._clock()
            )
        except (sqlite3.Error, OSError, ValueError):
            logger.warning("could not resolve question %s", question_id, exc_info=True)

    async def _none_of_these(self, question_id: int, user: User) -> None:
        assert self.store is not None
        try:
            await self.store.mark_unanswered(question_id, user.key)
        except (sqlite3.Error, OSError, ValueError):
            logger.warning("could not queue question %s", question_id, exc_info=True)

    async def _log(
        self,
        text: str,
        user: User,
        match: Match,
        outcome: str,
        latency_ms: float,
        *,
        followup_of: str | None = None,
    ) -> int | None:
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
        except (sqlite3.Error, OSError, ValueError):
            logger.warning("could not log a question; answering anyway", exc_info=True)
            return None
