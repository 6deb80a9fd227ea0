"""Understanding a question: normalise, segment, correct homophones, score the entries, decide.

Other packages use only these names; the modules inside are this package's own business.
"""

from bot.understand.match import (
    Candidate,
    Features,
    Match,
    Matcher,
    Options,
    Outcome,
    Thresholds,
    Weights,
    combine,
    decide,
)
from bot.understand.normalize import normalize_text
from bot.understand.segment import Segmenter

__all__ = [
    "Candidate",
    "Features",
    "Match",
    "Matcher",
    "Options",
    "Outcome",
    "Segmenter",
    "Thresholds",
    "Weights",
    "combine",
    "decide",
    "normalize_text",
]
