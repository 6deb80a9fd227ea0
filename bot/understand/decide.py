"""The three outcomes and how the thresholds turn ranked candidates into one of them."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from enum import StrEnum

from bot.understand.tuning import MAX_CANDIDATES, Thresholds


class Outcome(StrEnum):
    """What the bot does with a question."""

    ANSWER = "answer"
    CLARIFY = "clarify"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Candidate:
    """An entry and how well the question matches it (0-100)."""

    id: str
    score: float


@dataclass(frozen=True)
class Match:
    """The matcher's verdict on one question."""

    outcome: Outcome
    entry_id: str | None
    score: float
    candidates: tuple[Candidate, ...]
    # nothing but filler words and punctuation was left to match (「？？」, 「嗯嗯」)
    empty: bool = False
    # a referral entry's id: the question is not 扶贫政策 and this entry says whom to ask
    referral: str | None = None

    @property
    def best(self) -> Candidate | None:
        """The best-ranked candidate, if any."""
        return self.candidates[0] if self.candidates else None


def decide(ranked: Sequence[Candidate], t: Thresholds, referrals: Collection[str] = ()) -> Match:
    """Apply the thresholds to ranked candidates: answer, clarify or unknown.

    An answer with one of the `referrals` (entries that only say whom to ask about something
    that is not 扶贫政策) is never an answer: the verdict is unknown, naming the referral.
    """
    top = ranked[0] if ranked else None
    shown = tuple(ranked[:MAX_CANDIDATES])
    if top is None or top.score < t.clarify:
        return Match(Outcome.UNKNOWN, None, top.score if top else 0.0, shown)
    second = ranked[1].score if len(ranked) > 1 else 0.0
    if top.score >= t.answer and top.score - second >= t.margin:
        if top.id in referrals:
            return Match(Outcome.UNKNOWN, None, top.score, shown, referral=top.id)
        return Match(Outcome.ANSWER, top.id, top.score, shown)
    close = tuple(c for c in shown if c.score >= t.clarify)
    return Match(Outcome.CLARIFY, None, top.score, close)
