"""The signals of one (question, entry) pair and how they combine into a 0-100 score."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz, process

from bot.understand.tuning import Weights


@dataclass(frozen=True)
class Features:
    """The signals of one (question, entry) pair, each in 0..1."""

    entry: int
    coverage: float
    example: float
    keyword: float
    fuzzy: float

    def score(self, w: Weights) -> float:
        """Combine the signals into a 0-100 score."""
        total = (
            w.coverage * self.coverage
            + w.example * self.example
            + w.keyword * self.keyword
            + w.fuzzy * self.fuzzy
            # a keyword counts fully only where the rest of the question fits the entry too
            + w.anchored * self.keyword * self.coverage
        )
        return min(100.0, 100 * total)


def combine(views: Sequence[Sequence[Features]], w: Weights) -> dict[int, float]:
    """Score each entry from the features of the whole message (first) and of its tails."""
    if not views:
        return {}
    base = {f.entry: f.score(w) for f in views[0]}
    best = dict(base)
    for feats in views[1:]:
        for f in feats:
            own = base.get(f.entry, 0.0)
            score = own + w.tail_blend * max(0.0, f.score(w) - own)
            if score > best.get(f.entry, -1.0):
                best[f.entry] = score
    return best


def fuzzy(text: str, examples: list[str]) -> float:
    if not text:
        return 0.0
    best = process.extractOne(text, examples, scorer=fuzz.ratio)
    return float(best[1]) / 100 if best else 0.0
