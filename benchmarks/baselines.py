"""The plain approaches the matcher is compared with, each ranking knowledge-base entries.

Every baseline indexes the knowledge base's own text in one of three layouts (LAYOUTS), scores
the raw question against every document and gives an entry the best score of its documents.
No normalization, no synonyms, no domain dictionary: these are the approaches one would try
first.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable

import jieba
import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz, process
from sklearn.feature_extraction.text import TfidfVectorizer

from benchmarks.common import Ranked, RankFn, entry_texts
from bot.knowledge import Entry, KnowledgeBase
from bot.understand import Candidate

TOP = 5  # candidates kept per question: decide() needs two, shows three
# How an entry becomes documents: each example question, the title and each keyword apart (the
# text the matcher indexes); questions and title only; or everything joined into one document.
LAYOUTS = ("strings", "questions", "entry")


def documents(entry: Entry, layout: str) -> list[str]:
    """The documents one entry contributes to a baseline's index."""
    if layout == "strings":
        return entry_texts(entry)
    if layout == "questions":
        return [*entry.questions, entry.title]
    if layout == "entry":
        return [" ".join(entry_texts(entry))]
    raise ValueError(f"unknown layout {layout!r}")


class _Index:
    """The documents of every entry and where each entry's documents start."""

    def __init__(self, kb: KnowledgeBase, layout: str) -> None:
        self.ids = [e.id for e in kb.entries]
        self.texts: list[str] = []
        starts = []
        for entry in kb.entries:
            starts.append(len(self.texts))
            self.texts.extend(documents(entry, layout))
        self.starts = np.asarray(starts, dtype=np.intp)

    def ranked(self, scores: NDArray[np.floating]) -> Ranked:
        """Best score per entry, best entries first (entries scoring 0 are left out)."""
        per_entry = np.maximum.reduceat(np.asarray(scores, dtype=np.float64), self.starts)
        k = min(TOP, len(per_entry))
        top = np.argpartition(-per_entry, k - 1)[:k]
        top = top[np.argsort(-per_entry[top], kind="stable")]
        return [Candidate(self.ids[i], float(per_entry[i])) for i in top if per_entry[i] > 0]


def wratio_ranker(kb: KnowledgeBase, layout: str = "strings") -> RankFn:
    """rapidfuzz WRatio of the raw question against every document (0-100)."""
    index = _Index(kb, layout)

    def rank(text: str) -> Ranked:
        if not text.strip():
            return []
        scores = process.cdist([text], index.texts, scorer=fuzz.WRatio, dtype=np.float32)[0]
        return index.ranked(scores)

    return rank


def jieba_tokenizer() -> Callable[[str], list[str]]:
    """jieba's default dictionary, precise mode (`lcut`), whitespace tokens dropped."""
    jieba.setLogLevel(logging.WARNING)
    tokenizer = jieba.Tokenizer()
    tokenizer.initialize()

    def tokens(text: str) -> list[str]:
        return [w for w in tokenizer.lcut(text) if w.strip()]

    return tokens


@functools.cache
def _shared_tokenizer() -> Callable[[str], list[str]]:
    """One jieba tokenizer for every BM25 index of a run (its dictionary takes a second)."""
    return jieba_tokenizer()


def bm25_ranker(kb: KnowledgeBase, layout: str = "strings") -> RankFn:
    """rank-bm25's BM25Okapi (k1=1.5, b=0.75) over jieba tokens; raw BM25 scores."""
    index = _Index(kb, layout)
    cut = _shared_tokenizer()
    bm25 = BM25Okapi([cut(t) or [""] for t in index.texts])

    def rank(text: str) -> Ranked:
        query = cut(text)
        if not query:
            return []
        return index.ranked(bm25.get_scores(query))

    return rank


def bigram_vectorizer() -> TfidfVectorizer:
    """Character-bigram TF-IDF (scikit-learn defaults otherwise: smooth IDF, l2 rows)."""
    return TfidfVectorizer(analyzer="char", ngram_range=(2, 2))


def tfidf_ranker(kb: KnowledgeBase, layout: str = "strings") -> RankFn:
    """Cosine of character-bigram TF-IDF vectors, IDF fitted on the documents (0-100)."""
    index = _Index(kb, layout)
    vectorizer = bigram_vectorizer()
    matrix = vectorizer.fit_transform(index.texts)

    def rank(text: str) -> Ranked:
        query = vectorizer.transform([text])
        if not query.nnz:
            return []
        scores = (matrix @ query.T).toarray().ravel() * 100
        return index.ranked(scores)

    return rank


BASELINES: dict[str, Callable[[KnowledgeBase, str], RankFn]] = {
    "rapidfuzz WRatio (raw text)": wratio_ranker,
    "BM25 (rank-bm25, jieba tokens)": bm25_ranker,
    "char-bigram TF-IDF cosine": tfidf_ranker,
}
