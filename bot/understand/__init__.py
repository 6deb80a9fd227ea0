"""Understanding a question: normalise, segment, correct homophones, score the entries, decide.

Other packages use only these names; the modules inside are this package's own business.
"""

from bot.understand.analyze import Query
from bot.understand.decide import Candidate, Match, Outcome, decide
from bot.understand.match import Matcher
from bot.understand.normalize import normalize_text
from bot.understand.score import Features, combine
from bot.understand.segment import Segmenter
from bot.understand.tuning import (
    MAX_CANDIDATES,
    MAX_OOS_BENCH,
    MAX_OOS_NEAR,
    MAX_WRONG,
    Options,
    Thresholds,
    Weights,
)

__all__ = [
    "MAX_CANDIDATES",
    "MAX_OOS_BENCH",
    "MAX_OOS_NEAR",
    "MAX_WRONG",
    "Candidate",
    "Features",
    "Match",
    "Matcher",
    "Options",
    "Outcome",
    "Query",
    "Segmenter",
    "Thresholds",
    "Weights",
    "combine",
    "decide",
    "normalize_text",
]
