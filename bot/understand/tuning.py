"""Every number the matcher uses, in one place, each with where its value comes from.

Fitted numbers come from `python tools/calibrate.py` (it imports the objective below); design
bounds are chosen for speed or for what villagers type and are checked by benchmarks/.
Adding a signal: a weight here, its value in score.Features, and a test.
"""

from __future__ import annotations

from dataclasses import dataclass

# Only the end of a long message is analysed: villagers tell the story first and ask last.
ANALYSED_CHARS = 300
MAX_CANDIDATES = 3
# Design bounds (benchmarks/speed.py checks their cost at 10,000 entries): entries scored in
# full per question after a cheap pre-ranking on token coverage, the pool that pre-ranking
# draws from, and the longest keyword looked up.
SHORTLIST = 12
MAX_POOL = 400
MAX_KEYWORD = 12

# The calibration objective (tools/calibrate.py and benchmarks/ import it): wrong answers and
# out-of-scope answers must stay under these shares (%), then correct answers are maximised.
MAX_WRONG = 2.0
MAX_OOS_NEAR = 5.0  # tests/data/queries.yaml's out-of-scope questions (many near misses)
MAX_OOS_BENCH = 2.0  # everyday and banking questions from ../shared/bench


@dataclass(frozen=True)
class Thresholds:
    """Score bounds of the three outcomes: fitted by tools/calibrate.py (threshold grid search on
    held-out knowledge-base examples, tests/data/queries.yaml and ../shared/bench questions,
    keeping wrong ≤ MAX_WRONG and out-of-scope answers ≤ MAX_OOS_*)."""

    answer: float = 42.0
    clarify: float = 23.0
    margin: float = 8.0


@dataclass(frozen=True)
class Weights:
    """How the scoring signals combine into one 0-100 score. The five signal weights are fitted
    by tools/calibrate.py (random mixes around the current ones on the same data as the
    thresholds); the rest are design choices checked by the ablation in benchmarks/."""

    coverage: float = 0.571
    example: float = 0.112
    keyword: float = 0.046
    fuzzy: float = 0.047
    anchored: float = 0.224
    # the least content a question needs to count fully, in words only one entry uses
    min_evidence: float = 1.245
    topic_examples: float = 2.0
    tail_blend: float = 0.6
    unknown_token: float = 1.0
    single_char: float = 0.7


@dataclass(frozen=True)
class Options:
    """Pipeline stages that can be switched off, for the ablation benchmark."""

    normalize: bool = True
    domain_dict: bool = True
    synonyms: bool = True
    phonetic: bool = True
    clauses: bool = True
