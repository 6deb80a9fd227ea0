"""The dialogue core: answer a question, handle a button, log every question (both channels)."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import replace

from bot import messages
from bot.dialogue.chitchat import (
    Typed,
    asks_for_person,
    is_goodbye,
    small_talk,
    typed_category,
    typed_navigation,
)
from bot.dialogue.comments import PendingComments
from bot.dialogue.context import ContextMemory
from bot.dialogue.followup import FollowUps, Reading
from bot.dialogue.journal import Journal, User, utc_now
from bot.dialogue.kinds import Said, Tap
from bot.dialogue.reply import (
    Action,
    Button,
    Reply,
    category_reply,
    chat_reply,
    clarify_reply,
    entry_reply,
    followup_reply,
    handoff_offer,
    menu_reply,
    parse_callback,
    referral_reply,
    unknown_reply,
)
from bot.knowledge import Entry, KnowledgeBase
from bot.store import Logged, Store
from bot.understand import Match, Matcher, Outcome

SMALLTALK = "smalltalk."  # entries that are not a topic to follow up on
PERSON = "smalltalk.human"  # 「我要找人工」


class DialogueService:
    """Answer questions and button presses the same way for the console and Telegram."""

    def __init__(
        self,
        matcher: Matcher,
        store: Store | None,
        *,
        clock: Callable[[], str] = utc_now,
        memory: ContextMemory | None = None,
        handoff: bool = False,
    ) -> None:
        """Serve from `matcher`; log to `store` (None: no logging); topics kept in `memory`.

        `handoff`: someone reads hand-offs (Telegram with POLICYBOT_ADMINS), so 「我要找人工」
        and 「都不是」 may offer to pass the question to a person.
        """
        self.matcher = matcher
        self.store = store
        self._journal = Journal(store, clock)
        self._handoff = handoff and store is not None
        self._followups = FollowUps(matcher)
        self._memory = memory if memory is not None else ContextMemory()
        self._comments = PendingComments()

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
        disliked = self._comments.take(self._chat(user))
        if typed is not None:
            return typed  # a menu word or category name is navigation, not a question
        if disliked is not None and self.store is not None:
            await self._journal.comment(disliked, user, text)  # what was wrong with it
            return Reply(messages.COMMENT_THANKS, ((Button(messages.MENU_BUTTON, "m"),),))
        started = time.perf_counter()
        chat = small_talk(text)
        if chat is not None:
            if is_goodbye(text):
                self._memory.forget(self._chat(user))
            none = Match(Outcome.UNKNOWN, None, 0.0, ())
            elapsed = (time.perf_counter() - started) * 1000
            return chat_reply(
                chat, await self._journal.question(text, user, none, Logged.CHAT, elapsed)
            )
        followups = self._followups
        match = followups.matcher.best_match(text)
        topic = self._memory.get(self._chat(user))
        reading = followups.read(text, match, topic) if topic else Reading(match)
        kb = followups.matcher.kb
        person = kb.get(PERSON) if self._handoff else None
        if person is not None and self._wants_person(text, reading.match):
            # 「找个人问问」 is a request for a person however the matcher ranked it
            reading = Reading(
                replace(reading.match, outcome=Outcome.ANSWER, entry_id=PERSON, referral=None)
            )
        latency_ms = (time.perf_counter() - started) * 1000
        match = reading.match
        outcome = Logged.EMPTY if match.empty else Logged(match.outcome.value)
        question_id = await self._journal.question(
            text, user, match, outcome, latency_ms, followup_of=reading.leaned_on
        )
        self._remember(user, match, question_id)
        if person is not None and match.entry_id == PERSON and question_id is not None:
            # the question to pass on is the one asked before 「我要找人工」, if there was one
            earlier = topic.question_id if topic is not None else None
            answer = replace(entry_reply(person, kb), question_id=question_id)
            return handoff_offer(answer, earlier or question_id)
        return self._reply(reading, kb, question_id, text)

    async def replied(self, question_id: int) -> None:
        """The reply to `question_id` reached the villager's channel: log it as sent."""
        await self._journal.replied(question_id)

    @staticmethod
    def _wants_person(text: str, match: Match) -> bool:
        answered = match.outcome is Outcome.ANSWER and match.entry_id == PERSON
        return answered or asks_for_person(text)

    def _typed(self, text: str) -> Reply | None:
        """The menu for 菜单/返回, help for 帮助/help, a category's list for its name."""
        kb = self.kb
        category = typed_category(text, kb)
        if category is not None:
            return replace(category_reply(category, kb), outcome=Said.MENU)
        navigation = typed_navigation(text)
        if navigation is None:
            return None
        menu = self.menu()
        text = messages.HELP if navigation is Typed.HELP else menu.text
        return Reply(text, menu.buttons, Said.MENU)

    def _reply(
        self, reading: Reading, kb: KnowledgeBase, question_id: int | None, asked: str
    ) -> Reply:
        match = reading.match
        if match.empty:
            menu = ((Button(messages.MENU_BUTTON, "m"),),)
            return Reply(messages.EMPTY_QUESTION, menu, Said.EMPTY, None, question_id)
        entry = kb.get(match.entry_id) if match.entry_id else None
        if match.outcome is Outcome.ANSWER and entry is not None:
            if reading.aspect is not None:
                return followup_reply(entry, reading.aspect, kb, question_id, asked=asked)
            return entry_reply(entry, kb, question_id, asked=asked)
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

    def _remember(self, user: User, match: Match, question_id: int | None) -> None:
        """The chat's topic after this turn: what was answered or offered; a miss forgets it
        (but not the question, which 「我要找人工」 may pass on)."""
        key = self._chat(user)
        if match.empty:
            return
        if match.referral is not None:  # not 扶贫政策: a follow-up gets the same referral
            self._memory.remember(key, (match.referral,), question_id)
        elif match.outcome is Outcome.UNKNOWN:
            self._memory.remember(key, (), question_id)
        elif match.outcome is Outcome.CLARIFY:
            self._memory.remember(key, tuple(c.id for c in match.candidates), question_id)
        elif match.entry_id is not None and not match.entry_id.startswith(SMALLTALK):
            self._memory.remember(key, (match.entry_id,), question_id)

    async def press(self, data: str, user: User) -> Reply:
        """Handle a button press (Telegram callback data or a console choice)."""
        action = parse_callback(data)
        kb = self.kb
        if action is None:
            return Reply(messages.STALE_BUTTON)
        if action.kind is Tap.MENU:
            return self.menu()
        if action.kind is Tap.CATEGORY:
            category = next((c for c in kb.categories if c.key == action.value), None)
            return category_reply(category, kb) if category else Reply(messages.STALE_BUTTON)
        if action.kind is Tap.ENTRY:
            entry = kb.get(action.value)
            if entry is None:
                return Reply(messages.STALE_BUTTON)
            return await self._open_entry(entry, action.question_id, user)
        return await self._press_own(action, user)

    async def _open_entry(self, entry: Entry, offered_to: int | None, user: User) -> Reply:
        """An entry opened by a tap, with 👍/👎 tied to a logged question: a candidate offered
        for the villager's own question answers that question; any other tap (a related topic,
        the menu, a forged or someone else's candidate) is logged as a tap of its own."""
        kb = self.kb
        if entry.is_smalltalk:
            return entry_reply(entry, kb)
        chosen = offered_to is not None and await self._journal.choose(offered_to, user, entry.id)
        qid = offered_to if chosen else await self._journal.tapped(entry, user)
        # 「我要找人工」 next passes on a question the villager asked, never a tap
        self._memory.remember(self._chat(user), (entry.id,), offered_to if chosen else None)
        return entry_reply(entry, kb, qid)

    async def _press_own(self, action: Action, user: User) -> Reply:
        """A button on the villager's own question: 👍/👎, 都不是, or a hand-off."""
        qid = action.question_id
        if qid is None or not await self._journal.owns(qid, user):
            return Reply(messages.STALE_BUTTON)
        menu = ((Button(messages.MENU_BUTTON, "m"),),)
        if action.kind is Tap.FEEDBACK:
            if not await self._journal.votable(qid, user):
                return Reply(messages.STALE_BUTTON)  # no answer was given to vote on
            await self._journal.feedback(qid, user, action.useful)
            if action.useful:
                self._comments.drop(self._chat(user))
                return Reply(messages.FEEDBACK_THANKS)
            self._comments.expect(self._chat(user), qid)
            return Reply(messages.FEEDBACK_ASK)
        if action.kind is Tap.HANDOFF:
            if not self._handoff:
                return Reply(messages.STALE_BUTTON)
            # "handoff" tells the adapter to let staff know; a second tap does not again
            new = await self._journal.hand_off(qid, user)
            return Reply(messages.HANDOFF_DONE, menu, Said.HANDOFF if new else None, None, qid)
        await self._journal.none_of_these(qid, user)
        reply = Reply(messages.NONE_OF_THESE_REPLY, menu, Said.UNKNOWN)
        return handoff_offer(reply, qid) if self._handoff else reply
