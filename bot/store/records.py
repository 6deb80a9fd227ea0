"""Values the question log stores and returns, and the states of the editors' queue."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class Logged(StrEnum):
    """The outcome a logged question records (the strings are what the database holds)."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    UNKNOWN = "unknown"
    EMPTY = "empty"  # nothing but filler words and punctuation (「？？」)
    CHAT = "chat"  # small talk (好的, 再见): never queued, in no figure
    # an entry opened by a button (a related topic, the menu), so that 👍/👎 on its answer
    # have a question to count for: queued only when disliked, in no outcome figure
    TAP = "tap"


@dataclass(frozen=True)
class QuestionRecord:
    """One question as it is logged (the text is masked by the store before it is written)."""

    asked_at: str
    channel: str
    user_key: str
    reply_to: str
    text: str
    outcome: str
    entry_id: str | None
    score: float
    candidates: Sequence[tuple[str, float]]
    latency_ms: float
    # a follow-up (「那要啥材料」): the entry of the chat's topic it was understood against
    followup_of: str | None = None


# The "answer" recorded when a villager resolved a clarify question by tapping a candidate.
CHOSEN_BY_VILLAGER = "villager chose "

# States of a question in the unanswered queue (editors work through it).
OPEN, RESOLVED, IGNORED = "open", "resolved", "ignored"
QUEUE_STATES = (OPEN, RESOLVED, IGNORED)
# Delivery of an editor's answer: waiting for the running bot, delivered, undeliverable (the
# villager blocked the bot…), or not needed (console user, or the same villager asked twice).
PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
# Outcomes whose asker may still need a reply later ("none of these" turns clarify into
# unknown); for every other question the chat id is not kept: personal data must not pile up.
REPLYABLE_OUTCOMES = (Logged.UNKNOWN, Logged.CLARIFY)


@dataclass(frozen=True)
class LoggedQuestion:
    """One stored question, with its place in the unanswered queue (status None: not queued)."""

    id: int
    asked_at: str
    channel: str
    user_key: str
    reply_to: str
    text: str
    outcome: str
    entry_id: str | None
    score: float
    candidates: tuple[tuple[str, float], ...]
    latency_ms: float
    status: str | None = None
    answer: str | None = None
    resolved_at: str | None = None
    delivery: str | None = None
    sent_at: str | None = None
    useful: int = 0
    not_useful: int = 0
    followup_of: str | None = None
    comment: str | None = None  # what the villager said after 👎
    replied_at: str | None = None  # when Telegram accepted the reply (None: not known sent)


@dataclass(frozen=True)
class OutcomeCounts:
    """How many questions ended in each outcome."""

    answer: int = 0
    clarify: int = 0
    unknown: int = 0
    empty: int = 0

    @property
    def questions(self) -> int:
        """Questions with text in them (empty messages are not questions)."""
        return self.answer + self.clarify + self.unknown


def storable(text: str) -> str:
    """Escape lone surrogates (SQLite stores UTF-8, which cannot hold them) as \\udXXX."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


@dataclass(frozen=True)
class AuditEntry:
    """One thing a staff member did on the workbench (answered, ignored, edited…)."""

    id: int
    at: str
    staff: str
    action: str
    target: str
    detail: str
