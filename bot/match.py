"""Match a question to knowledge-base entries: answer, clarify (up to 3 candidates) or unknown."""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from rapidfuzz import fuzz, process

from bot.knowledge import KnowledgeBase
from bot.normalize import normalize_text
from bot.phonetic import PhoneticCorrector
from bot.segment import Segmenter

# Only the end of a long message is analysed: villagers tell the story first and ask last.
ANALYSED_CHARS = 300
MAX_CANDIDATES = 3
# Entries scored in full per question, after a cheap pre-ranking on token coverage; keeps the
# cost flat as the knowledge base grows.
SHORTLIST = 12
MAX_KEYWORD = 12


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
    text: str = ""

    @property
    def best(self) -> Candidate | None:
        """The best-ranked candidate, if any."""
        return self.candidates[0] if self.candidates else None


@dataclass(frozen=True)
class Thresholds:
    """Score bounds of the three outcomes; see tools/calibrate.py for their origin."""

    answer: float = 60.0
    clarify: float = 40.0
    margin: float = 6.0


@dataclass(frozen=True)
class Weights:
    """How the scoring signals combine into one 0-100 score."""

    coverage: float = 0.40
    example: float = 0.20
    keyword: float = 0.25
    fuzzy: float = 0.15
    unknown_token: float = 0.7
    single_char: float = 0.5


@dataclass(frozen=True)
class Query:
    """A question after normalization, typo correction and segmentation."""

    text: str
    tokens: tuple[str, ...]

    @property
    def joined(self) -> str:
        """The content tokens run together, for character-level fuzzy comparison."""
        return "".join(dict.fromkeys(self.tokens))


@dataclass
class _Doc:
    entry_id: str
    bag: frozenset[str]
    examples: list[frozenset[str]] = field(default_factory=list)
    example_texts: list[str] = field(default_factory=list)
    example_weights: list[float] = field(default_factory=list)


class Matcher:
    """Score questions against the knowledge base and decide an outcome."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        segmenter: Segmenter | None = None,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
    ) -> None:
        """Index every entry's example questions, keywords and title."""
        self.kb = kb
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        lexicon = kb.lexicon
        keywords = {normalize_text(k) for e in kb.entries for k in e.keywords}
        self.segmenter = segmenter or Segmenter(
            words=keywords, synonyms=lexicon.synonyms, fillers=lexicon.fillers
        )
        seg = self.segmenter
        raw_tokens = {
            w
            for e in kb.entries
            for q in (*e.questions, e.title)
            for w in seg.cut(normalize_text(q))
        }
        self.corrector = PhoneticCorrector(
            [*keywords, *(w for w in raw_tokens if len(w) >= 3), *lexicon.synonyms.values()],
            vocabulary=[*raw_tokens, *lexicon.fillers, *lexicon.synonyms],
            is_common_word=seg.is_common_word,
        )
        self._docs = [
            self._index_entry(e.id, e.title, e.questions, e.keywords) for e in kb.entries
        ]
        self._keyword_entries: dict[str, set[int]] = defaultdict(set)
        for i, entry in enumerate(kb.entries):
            for k in entry.keywords:
                norm = normalize_text(k).replace(" ", "")
                if 2 <= len(norm) <= MAX_KEYWORD:
                    self._keyword_entries[norm].add(i)
        self._postings: dict[str, list[int]] = defaultdict(list)
        for i, doc in enumerate(self._docs):
            for token in doc.bag:
                self._postings[token].append(i)
        n = len(self._docs)
        self._idf = {t: math.log((n + 1) / (len(p) + 0.5)) for t, p in self._postings.items()}
        self._unknown_idf = math.log((n + 1) / 0.5) * self.weights.unknown_token
        for doc in self._docs:
            doc.example_weights = [sum(self.weight(t) for t in x) for x in doc.examples]

    def _index_entry(
        self, entry_id: str, title: str, questions: Sequence[str], keywords: Iterable[str]
    ) -> _Doc:
        examples = [self.analyze(q) for q in (*questions, title)]
        bag = {t for ex in examples for t in ex.tokens}
        for k in keywords:
            bag.update(self.analyze(k).tokens)
        doc = _Doc(entry_id, frozenset(bag))
        for ex in examples:
            doc.examples.append(frozenset(ex.tokens))
            doc.example_texts.append(ex.joined)
        return doc

    def analyze(self, text: str) -> Query:
        """Normalize, correct and segment `text` into the form the scorer compares."""
        norm = normalize_text(text)[-ANALYSED_CHARS:]
        fixed = self.corrector.correct(norm) if hasattr(self, "corrector") else norm
        return Query(fixed, tuple(self.segmenter.tokens(fixed)))

    def weight(self, token: str) -> float:
        """IDF weight of a token; tokens no entry knows weigh most (they point out of scope)."""
        w = self._idf.get(token, self._unknown_idf)
        return w * self.weights.single_char if len(token) == 1 else w

    def rank(self, text: str) -> list[Candidate]:
        """Score every plausible entry for `text`, best first."""
        query = self.analyze(text)
        weights = {t: self.weight(t) for t in dict.fromkeys(query.tokens)}
        total = sum(weights.values())
        mix = self.weights
        keyword = self._keyword_scores(query.text)
        coverage: dict[int, float] = defaultdict(float)
        for token, w in weights.items():
            for i in self._postings.get(token, ()):
                coverage[i] += w
        pool = set(coverage) | set(keyword)
        if not pool:
            return []
        pre = {
            i: (coverage.get(i, 0.0) / total if total else 0.0) + keyword.get(i, 0.0) for i in pool
        }
        shortlist = sorted(pool, key=lambda i: -pre[i])[:SHORTLIST]
        scored = []
        for i in shortlist:
            doc = self._docs[i]
            cov = coverage.get(i, 0.0) / total if total else 0.0
            ex = max(
                (
                    _dice(weights, total, x, x_total)
                    for x, x_total in zip(doc.examples, doc.example_weights, strict=True)
                ),
                default=0.0,
            )
            fz = _fuzzy(query.joined, doc.example_texts)
            kw = keyword.get(i, 0.0)
            score = 100 * (
                mix.coverage * cov + mix.example * ex + mix.keyword * kw + mix.fuzzy * fz
            )
            scored.append(Candidate(doc.entry_id, round(min(100.0, score), 1)))
        scored.sort(key=lambda c: -c.score)
        return scored

    def best_match(self, text: str) -> Match:
        """Decide answer / clarify / unknown for `text`."""
        ranked = self.rank(text)
        t = self.thresholds
        top = ranked[0] if ranked else None
        if top is None or top.score < t.clarify:
            return Match(
                Outcome.UNKNOWN,
                None,
                top.score if top else 0.0,
                tuple(ranked[:MAX_CANDIDATES]),
                text,
            )
        second = ranked[1].score if len(ranked) > 1 else 0.0
        if top.score >= t.answer and top.score - second >= t.margin:
            return Match(Outcome.ANSWER, top.id, top.score, tuple(ranked[:MAX_CANDIDATES]), text)
        close = [c for c in ranked[:MAX_CANDIDATES] if c.score >= t.clarify]
        return Match(Outcome.CLARIFY, None, top.score, tuple(close), text)

    def _keyword_scores(self, text: str) -> dict[int, float]:
        compact = text.replace(" ", "")
        found: dict[int, float] = {}
        n = len(compact)
        for size in range(min(MAX_KEYWORD, n), 1, -1):
            for start in range(n - size + 1):
                hits = self._keyword_entries.get(compact[start : start + size])
                if not hits:
                    continue
                # longer and more specific keywords are stronger evidence
                strength = min(1.0, size / 4) / math.sqrt(len(hits))
                for i in hits:
                    found[i] = max(found.get(i, 0.0), strength)
        return found


def _dice(
    query: dict[str, float], query_total: float, example: frozenset[str], total: float
) -> float:
    """Weighted Dice overlap of the query's tokens and one example's."""
    shared = sum(w for t, w in query.items() if t in example)
    return 2 * shared / (query_total + total) if shared else 0.0


def _fuzzy(text: str, examples: list[str]) -> float:
    if not text:
        return 0.0
    best = process.extractOne(text, examples, scorer=fuzz.ratio)
    return float(best[1]) / 100 if best else 0.0
