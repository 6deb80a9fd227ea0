"""Match a question to knowledge-base entries: answer, clarify (up to 3 candidates) or unknown."""

from __future__ import annotations

import heapq
import math
from array import array
from collections.abc import Sequence
from dataclasses import replace
from itertools import chain, repeat

from bot.knowledge import Entry, KnowledgeBase
from bot.understand import snapshot
from bot.understand.analyze import Query
from bot.understand.build import Built, index_entries
from bot.understand.cache import cache_dir
from bot.understand.decide import Candidate, Match, Outcome, decide
from bot.understand.memo import AnalysisMemo, memo_key
from bot.understand.normalize import normalize_text
from bot.understand.phonetic import PhoneticCorrector
from bot.understand.score import Features, combine, fuzzy
from bot.understand.segment import Segmenter
from bot.understand.spread import KeywordSpread
from bot.understand.tuning import (
    ANALYSED_CHARS,
    MAX_CANDIDATES,
    MAX_KEYWORD,
    MAX_POOL,
    SHORT_MIN,
    SHORTLIST,
    Options,
    Thresholds,
    Weights,
)
from bot.understand.weigh import TokenWeights


class Matcher:
    """Score questions against the knowledge base and decide an outcome."""

    def __init__(
        self,
        kb: KnowledgeBase,
        *,
        segmenter: Segmenter | None = None,
        thresholds: Thresholds | None = None,
        weights: Weights | None = None,
        options: Options | None = None,
        memo: bool = True,
        snapshot_min: int = snapshot.SNAPSHOT_MIN,
    ) -> None:
        """Index every entry's example questions, keywords and title.

        `memo`: reuse (and keep) the analysis of the texts from earlier starts (memo.py) and,
        for at least `snapshot_min` entries, the whole index (snapshot.py).
        """
        self.thresholds = thresholds or Thresholds()
        self.weights = weights or Weights()
        self.options = opts = options or Options()
        if not opts.referrals:  # the ablation: as if the knowledge base had no referral entries
            kb = replace(kb, entries=tuple(e for e in kb.entries if not e.is_referral))
        self.kb = kb
        lexicon = kb.lexicon
        keywords = {self._normalize(k) for k in {k for e in kb.entries for k in e.keywords}}
        self.segmenter = segmenter or Segmenter(
            words=keywords if opts.domain_dict else (),
            synonyms=lexicon.synonyms if opts.synonyms else {},
            fillers=lexicon.fillers if opts.synonyms else (),
        )
        # The knowledge base is edited text: typo correction is for villagers' questions only.
        self.corrector: PhoneticCorrector | None = None
        built = self._build(kb.entries, memo, snapshot_min)
        self._index, self._docs = built.index, built.docs
        self._keyword_entries = built.keyword_entries
        self._keyword_spread = KeywordSpread(built.texts)
        self._smalltalk = frozenset(i for i, e in enumerate(kb.entries) if e.is_smalltalk)
        self._referrals = frozenset(e.id for e in kb.entries if e.is_referral)
        n = len(self._docs)
        self._idf = {t: math.log((n + 1) / (p + 0.5)) for t, p in self._index.sizes()}
        top_idf = math.log((n + 1) / 0.5)  # a word only one entry uses, or none
        self._evidence_floor = top_idf * self.weights.min_evidence
        unknown_idf = top_idf * self.weights.unknown_token
        aspects = (self._normalize(w) for w in lexicon.aspects)
        self._weigh = TokenWeights(
            self._idf, unknown_idf, self.segmenter, aspects, self.weights, opts
        )
        self._weigh_examples(built)
        if opts.phonetic:
            self.corrector = self._corrector(keywords)

    def _build(self, entries: Sequence[Entry], memo: bool, snapshot_min: int) -> Built:
        """Index `entries`: from the snapshot of an earlier start if there is one (for at
        least `snapshot_min` entries, snapshot.py), else from the texts' analyses."""
        topic = self.weights.topic_examples
        if not memo:
            return index_entries(entries, self.analyze, topic, None)
        key = memo_key([*self.segmenter.signature(), f"normalize={self.options.normalize}"])
        if len(entries) < snapshot_min:
            return index_entries(entries, self.analyze, topic, AnalysisMemo(key))
        own = snapshot.snapshot_key(key, topic, entries)
        path = snapshot.snapshot_path(cache_dir(), own)
        built = snapshot.load(path, own)
        if built is None:
            built = index_entries(entries, self.analyze, topic, AnalysisMemo(key))
            snapshot.save(path, own, built)
        return built

    def _weigh_examples(self, built: Built) -> None:
        """Set each doc's example weights: the sum of the weights of each example's tokens."""
        weight = [self.weight(t) for t in self._index.ids].__getitem__  # ids count up from 0
        ends = built.ends
        examples = map(built.tokens.__getitem__, map(slice, chain((0,), ends), ends))
        # sum(map(weight, tokens)) for each example's tokens, in C (0.5 s at 10,000 entries)
        sums = array("d", map(sum, map(map, repeat(weight), examples)))
        at = 0
        for doc in self._docs:
            n = len(doc.example_texts)
            doc.example_weights = sums[at : at + n]
            at += n

    def _corrector(self, keywords: set[str]) -> PhoneticCorrector:
        """Homophone correction towards the knowledge base's own words."""
        words, lexicon = set(self._index.ids), self.kb.lexicon
        return PhoneticCorrector(
            [*keywords, *(w for w in words if len(w) >= 3), *lexicon.synonyms.values()],
            vocabulary=[*words, *lexicon.fillers, *lexicon.synonyms],
            is_common_word=self.segmenter.is_common_word,
            fillers=lexicon.fillers,
        )

    def _normalize(self, text: str) -> str:
        if self.options.normalize:
            return normalize_text(text)
        return " ".join(text.split())

    def analyze(self, text: str) -> Query:
        """Normalize, correct and segment `text` into the form the scorer compares."""
        norm = self._normalize(text)[-ANALYSED_CHARS:]
        fixed = self.corrector.correct(norm) if self.corrector else norm
        return self._query(fixed)

    def _query(self, text: str) -> Query:
        tokens, compact = self.segmenter.split(text)
        return Query(text, tuple(tokens), compact)

    def weight(self, token: str) -> float:
        """How much a token says about the topic asked (see weigh.TokenWeights)."""
        return self._weigh(token)

    def views(self, text: str) -> list[Query]:
        """The whole question and, for a message of several clauses, its last one or two.

        Villagers often tell the family's story first and ask last; the last clauses carry the
        question without the story's words diluting it.
        """
        whole = self.analyze(text)
        views = [whole]
        if not self.options.clauses:
            return views
        clauses = whole.text.split(" ")
        for tail in (clauses[-2:], clauses[-1:]):
            if len(tail) < len(clauses):
                part = self._query(" ".join(tail))
                # a tail of one or two common words (还有啥办法) is no question of its own
                substance = sum(self.weight(t) for t in set(part.tokens))
                if substance >= self._evidence_floor and part.tokens != views[-1].tokens:
                    views.append(part)
        return views

    def features(self, query: Query, *, shortlist: int = SHORTLIST) -> list[Features]:
        """Compute the signals for the entries most plausible for `query`."""
        weights = {t: self.weight(t) for t in dict.fromkeys(query.tokens)}
        total = sum(weights.values())
        keyword = self._keyword_scores(query.compact)
        known = self._index.known(weights)
        # entries sharing a keyword or a word with the question, the rarest words first
        pool = self._index.pool(known, keyword, MAX_POOL)
        if not pool:
            return []
        # A question of one or two common words is weak evidence for any entry, however
        # completely an entry covers it (「在不」, 「是咋回事」).
        evidence = max(total, self._evidence_floor)
        coverage = self._index.coverage(known, pool)
        for i in coverage:
            coverage[i] /= evidence
        best = heapq.nlargest(shortlist, pool, key=lambda i: coverage[i] + keyword.get(i, 0.0))
        out = []
        for i in best:
            doc = self._docs[i]
            ex = self._nearest_example(i, known, total)
            fz = fuzzy(query.joined, doc.example_texts)
            out.append(Features(i, coverage[i], ex, keyword.get(i, 0.0), fz))
        return out

    def _nearest_example(
        self, i: int, weights: Sequence[tuple[int, float]], total: float
    ) -> float:
        """Weighted Dice overlap of the query with entry i's closest example (0 if none shares)."""
        ew = self._docs[i].example_weights
        shared = self._index.shared(i, weights)
        return max((2 * s / (total + ew[j]) for j, s in shared.items()), default=0.0)

    def rank(self, text: str) -> list[Candidate]:
        """Score every plausible entry for `text`, best first.

        The whole message sets each entry's score; its last clauses can raise it by part of
        what they score more, so a generic tail (「多长时间得还」) cannot carry an entry the
        message as a whole does not support.
        """
        return self._rank(self.views(text))

    def _rank(self, views: Sequence[Query]) -> list[Candidate]:
        best = combine([self.features(v) for v in views], self.weights)
        ranked = sorted(best.items(), key=lambda kv: -kv[1])
        return [Candidate(self._docs[i].entry_id, round(s, 1)) for i, s in ranked]

    def best_match(self, text: str) -> Match:
        """Decide answer / clarify / unknown for `text`.

        A referral entry is never an answer: the verdict is "unknown" with the referral's id
        (its text says whom to ask). A question of too little text to decide (「补助」) gets
        the most likely entries as a clarify rather than silence.
        """
        views = self.views(text)
        ranked = self._rank(views)
        match = decide(ranked, self.thresholds, self._referrals)
        if match.outcome is not Outcome.UNKNOWN or match.referral:
            return match
        if not views[0].tokens:
            return replace(match, empty=True)
        return self._short_clarify(views[0], ranked) or match

    def _short_clarify(self, query: Query, ranked: Sequence[Candidate]) -> Match | None:
        """Buttons for a question of too little text (「补助」) whose words point somewhere."""
        if not self.options.short_clarify:
            return None
        substance = sum(self.weight(t) for t in set(query.tokens))
        shown = tuple(c for c in ranked[:MAX_CANDIDATES] if c.id not in self._referrals)
        if 0 < substance < self._evidence_floor and shown and shown[0].score >= SHORT_MIN:
            return Match(Outcome.CLARIFY, None, ranked[0].score, shown)
        return None

    def _keyword_scores(self, compact: str) -> dict[int, float]:
        found: dict[int, float] = {}
        n = len(compact)
        for size in range(min(MAX_KEYWORD, n), 1, -1):
            for start in range(n - size + 1):
                keyword = compact[start : start + size]
                hits = self._keyword_entries.get(keyword)
                if not hits:
                    continue
                # Longer and more specific keywords are stronger evidence. A keyword other
                # topics' questions also use is discounted, unless it is the whole question.
                share = size / n
                spread = self._keyword_spread[keyword] ** ((1 - share) / 2)
                strength = min(1.0, size / 4) / spread
                for i in hits:
                    s = strength
                    if i in self._smalltalk:  # 「…找谁问」 ends many policy questions
                        s *= min(1.0, 2 * size / n)
                    found[i] = max(found.get(i, 0.0), s)
        return found
