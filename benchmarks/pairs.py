"""Public Chinese question-matching pairs (../shared/bench): the matcher as a pair scorer.

Every pair of each set (or a fixed-seed sample) is scored by every method. The matcher's score
of a pair (a, b) is the mean of both directions; one direction is the score the matcher gives,
for question a, to an entry whose only example is b, in a knowledge base made of the sentences
of a block of BLOCK pairs (IDF from those sentences; TF-IDF and BM25 fit theirs on all the
sentences scored). The data is read from ../shared and never copied.

usage: python3 -m benchmarks.pairs [--pairs N] [--quick]
"""

from __future__ import annotations

import argparse
import json
import random
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np
from numpy.typing import NDArray
from rank_bm25 import BM25Okapi
from rapidfuzz import fuzz
from scipy.stats import spearmanr

from benchmarks.baselines import bigram_vectorizer, jieba_tokenizer
from benchmarks.common import BENCH_DIR, load_kb, table
from bot.knowledge import Entry, KnowledgeBase
from bot.understand import Matcher

DATASETS = (
    ("ATEC", "test.tsv"),
    ("BQ", "test.tsv"),
    ("LCQMC", "test.tsv"),
    ("PAWSX", "test.tsv"),
    ("STS-B", "test.tsv"),
    ("AFQMC", "dev.tsv"),
)
GRADED = frozenset({"STS-B"})  # labels 0-5: Spearman only, no accuracy
PAIRS = 0  # every pair of every set
SEED = 5
# The matcher scores every pair against all entries that share a word with it, so one knowledge
# base per block of pairs keeps the cost linear; IDF then comes from the block's ~500 sentences.
# On 1,000-pair LCQMC and BQ samples, blocks of 1,000, 250 and 100 pairs moved Spearman by
# less than 0.6 points.
BLOCK = 250
Pair = tuple[str, str, float]
Scorer = Callable[[Sequence[Pair]], NDArray[np.float64]]


def read_pairs(name: str, file: str, n: int, seed: int = SEED) -> tuple[list[Pair], int]:
    """A fixed-seed sample of `n` pairs (all when n is 0) and the set's full size."""
    rows: list[Pair] = []
    for line in (BENCH_DIR / name / file).read_text(encoding="utf-8").splitlines():
        parts = line.split("\t")
        if len(parts) == 3 and parts[2].strip():
            rows.append((parts[0], parts[1], float(parts[2])))
    total = len(rows)
    if n and total > n:
        keep = sorted(random.Random(f"{seed}:{name}").sample(range(total), n))
        rows = [rows[i] for i in keep]
    return rows, total


def _sentences(pairs: Sequence[Pair]) -> dict[str, int]:
    return {s: i for i, s in enumerate(dict.fromkeys(s for a, b, _ in pairs for s in (a, b)))}


def ours_scorer(kb: KnowledgeBase, matcher: Matcher) -> Scorer:
    """The matcher's 0-100 score of each pair, both directions averaged, in blocks of pairs."""

    def score(pairs: Sequence[Pair]) -> NDArray[np.float64]:
        scores = [
            _ours_block(kb, matcher, pairs[i : i + BLOCK]) for i in range(0, len(pairs), BLOCK)
        ]
        return np.concatenate(scores) if scores else np.zeros(0)

    return score


def _ours_block(kb: KnowledgeBase, matcher: Matcher, pairs: Sequence[Pair]) -> NDArray[np.float64]:
    index = _sentences(pairs)
    entries = tuple(
        Entry(
            id=f"pair.s{i}",
            title=s,
            category="-",
            questions=(s,),
            keywords=(),
            answer="-",
            source="-",
            updated="-",
        )
        for s, i in index.items()
    )
    m = Matcher(replace(kb, entries=entries), segmenter=matcher.segmenter)
    whole = len(entries)

    def one_way(a: str, b: str) -> float:
        target = index[b]
        best = 0.0
        for view in m.views(a):
            for f in m.features(view, shortlist=whole):
                if f.entry == target:
                    best = max(best, f.score(m.weights))
        return best

    return np.array([(one_way(a, b) + one_way(b, a)) / 2 for a, b, _ in pairs])


def ratio_scorer(pairs: Sequence[Pair]) -> NDArray[np.float64]:
    """rapidfuzz `fuzz.ratio` (normalized Indel similarity) of the raw texts."""
    return np.array([fuzz.ratio(a, b) for a, b, _ in pairs], dtype=np.float64)


def wratio_scorer(pairs: Sequence[Pair]) -> NDArray[np.float64]:
    """rapidfuzz `fuzz.WRatio` of the raw texts."""
    return np.array([fuzz.WRatio(a, b) for a, b, _ in pairs], dtype=np.float64)


def tfidf_scorer(pairs: Sequence[Pair]) -> NDArray[np.float64]:
    """Cosine of character-bigram TF-IDF vectors, IDF fitted on the sample's sentences."""
    index = _sentences(pairs)
    matrix = bigram_vectorizer().fit_transform(list(index))
    a = matrix[[index[a] for a, _, _ in pairs]]
    b = matrix[[index[b] for _, b, _ in pairs]]
    return np.asarray(a.multiply(b).sum(axis=1), dtype=np.float64).ravel()


def bm25_scorer(tokens: Callable[[str], list[str]]) -> Scorer:
    """Okapi BM25 over jieba tokens, the sample's sentences as documents, both directions."""

    def score(pairs: Sequence[Pair]) -> NDArray[np.float64]:
        index = _sentences(pairs)
        cut = {s: tokens(s) or [""] for s in index}
        bm25 = BM25Okapi(list(cut.values()))
        out = []
        for a, b, _ in pairs:
            ab = bm25.get_batch_scores(cut[a], [index[b]])[0]
            ba = bm25.get_batch_scores(cut[b], [index[a]])[0]
            out.append((ab + ba) / 2)
        return np.array(out, dtype=np.float64)

    return score


def best_accuracy(scores: NDArray[np.float64], labels: NDArray[np.float64]) -> float:
    """Accuracy % at the best single threshold (score ≥ t means same meaning)."""
    order = np.argsort(-scores, kind="stable")
    s, y = scores[order], labels[order] > 0
    n, positives = len(y), int(y.sum())
    tp = np.concatenate([[0], np.cumsum(y)])
    fp = np.concatenate([[0], np.cumsum(~y)])
    cut = np.ones(n + 1, dtype=bool)  # a threshold can only fall between different scores
    cut[1:n] = s[:-1] > s[1:]
    correct = tp + (n - positives - fp)
    return float(100 * correct[cut].max() / n) if n else float("nan")


@dataclass(frozen=True)
class PairResult:
    """One method on one set."""

    dataset: str
    method: str
    n: int
    spearman: float
    accuracy: float


def evaluate_scores(dataset: str, method: str, pairs: Sequence[Pair], scores: Any) -> PairResult:
    """Spearman × 100 and best-threshold accuracy of one method's scores."""
    labels = np.array([p[2] for p in pairs], dtype=np.float64)
    rho = float(spearmanr(scores, labels).statistic) * 100
    acc = float("nan") if dataset in GRADED else best_accuracy(np.asarray(scores), labels)
    return PairResult(dataset, method, len(pairs), rho, acc)


def methods(kb: KnowledgeBase) -> dict[str, Scorer]:
    """Every pair scorer, ours first."""
    return {
        "this matcher": ours_scorer(kb, Matcher(kb)),
        "ratio_char (fuzz.ratio)": ratio_scorer,
        "rapidfuzz WRatio": wratio_scorer,
        "tfidf_bigram": tfidf_scorer,
        "bm25_jieba": bm25_scorer(jieba_tokenizer()),
    }


def measure(*, n: int = PAIRS, quick: bool = False) -> dict[str, Any]:
    """Score every sample with every method; add the published figures."""
    kb = load_kb()
    scorers = methods(kb)
    results: list[PairResult] = []
    sizes: dict[str, tuple[int, int]] = {}
    for name, file in DATASETS:
        pairs, total = read_pairs(name, file, 60 if quick else n)
        sizes[name] = (len(pairs), total)
        for method, scorer in scorers.items():
            results.append(evaluate_scores(name, method, pairs, scorer(pairs)))
        labels = np.array([p[2] for p in pairs])
        if name not in GRADED:
            majority = 100 * max(labels.mean(), 1 - labels.mean())
            results.append(PairResult(name, "(majority class)", len(pairs), np.nan, majority))
    return {"results": results, "sizes": sizes, "published": published()}


def published() -> dict[str, Any]:
    """The lexical figures of ../shared/bench/baselines.json and the text2vec README table."""
    out: dict[str, Any] = {"lexical": {}, "text2vec": {}}
    raw = json.loads((BENCH_DIR / "baselines.json").read_text(encoding="utf-8"))
    for row in raw.get("pairs", []):
        out["lexical"].setdefault(row["method"], {})[row["dataset"]] = (
            _pct(row.get("spearman")),
            _pct(row.get("best_acc")),
        )
    readme = (BENCH_DIR / "README.md").read_text(encoding="utf-8")
    head = re.search(
        r"^\| model \| ATEC \| BQ \| LCQMC \| PAWSX \| STS-B \| QPS \|$", readme, re.M
    )
    if head:
        cols = ["ATEC", "BQ", "LCQMC", "PAWSX", "STS-B"]
        for line in readme[head.end() :].strip().splitlines()[1:]:
            cells = [c.strip() for c in line.strip().strip("|").split("|")]
            if len(cells) < len(cols) + 1:
                break
            out["text2vec"][cells[0]] = dict(zip(cols, map(float, cells[1:6]), strict=True))
    return out


def _pct(value: object) -> float:
    return 100 * float(value) if isinstance(value, int | float) else float("nan")


def _avg(values: Sequence[float]) -> float:
    vals = [v for v in values if v == v]
    return sum(vals) / len(vals) if vals else float("nan")


def report(data: dict[str, Any]) -> str:
    """The markdown section: Spearman and accuracy tables, ours next to the references."""
    results: list[PairResult] = data["results"]
    sets = [name for name, _ in DATASETS]
    by = {(r.method, r.dataset): r for r in results}
    names = list(dict.fromkeys(r.method for r in results))
    sizes = ", ".join(f"{k} {n:,} of {t:,}" for k, (n, t) in data["sizes"].items())
    spear_rows: list[list[object]] = []
    for m in names:
        if m.startswith("("):
            continue
        vals = [by[(m, d)].spearman if (m, d) in by else np.nan for d in sets]
        spear_rows.append([m, *vals, _avg(vals[:5])])
    pub = data["published"]
    for m, per in pub["lexical"].items():
        vals = [per[d][0] if d in per else np.nan for d in sets]
        spear_rows.append([f"{m} — full set, shared/bench harness", *vals, _avg(vals[:5])])
    for m, per in pub["text2vec"].items():
        vals = [per.get(d, np.nan) for d in sets]
        spear_rows.append([f"{m} — text2vec README", *vals, _avg(vals[:5])])
    acc_sets = [d for d in sets if d not in GRADED]
    acc_rows: list[list[object]] = []
    for m in names:
        vals = [by[(m, d)].accuracy if (m, d) in by else np.nan for d in acc_sets]
        acc_rows.append([m, *vals])
    for m, per in pub["lexical"].items():
        vals = [per[d][1] if d in per else np.nan for d in acc_sets]
        acc_rows.append([f"{m} — full set, shared/bench harness", *vals])
    return "\n\n".join(
        [
            f"Pairs scored per set: {sizes}.",
            "Spearman × 100 (text2vec's metric; the average is over ATEC–STS-B, the sets "
            "text2vec reports, so AFQMC is left out of it):",
            table(["method", *sets, "avg ATEC–STS-B"], spear_rows),
            "Best-threshold accuracy % (oracle threshold on the same pairs):",
            table(["method", *acc_sets], acc_rows),
        ]
    )


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--pairs", type=int, default=PAIRS, help="sample of pairs per set (0: all)")
    ap.add_argument("--quick", action="store_true", help="60 pairs per set")
    args = ap.parse_args()
    print(report(measure(n=args.pairs, quick=args.quick)))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
