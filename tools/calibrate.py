"""Fit the matcher's signal weights and outcome thresholds on data (not on the dev set).

Calibration data:
- in scope: every example question of the knowledge base, held out in 5 folds (the matcher is
  rebuilt without the fold's questions and must still find their entry), plus the in-scope
  questions of tests/data/queries.yaml (written independently of the knowledge base);
- out of scope: the `topic: null` questions of tests/data/queries.yaml and questions sampled from
  the public LCQMC and BQ sets in ../shared/bench (everyday and banking questions: none is
  about poverty-alleviation policy).
The search keeps wrong answers ≤ MAX_WRONG % and out-of-scope answers ≤ MAX_OOS % and maximizes
correct answers, then helpful ones. ../shared/eval/dev.yaml is only reported, never fitted.

usage: python tools/calibrate.py [--quick]
"""

from __future__ import annotations

import argparse
import itertools
import random
import sys
from dataclasses import replace
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.knowledge import REFERRAL_PREFIX, KnowledgeBase, load_knowledge  # noqa: E402
from bot.understand import (  # noqa: E402
    MAX_OOS_BENCH,
    MAX_OOS_NEAR,
    MAX_WRONG,
    Candidate,
    Features,
    Matcher,
    Outcome,
    Thresholds,
    Weights,
    combine,
    decide,
)

SHARED = ROOT.parent / "shared"
FOLDS = 5
WEIGHT_SAMPLES = 300


def held_out_kbs(kb: KnowledgeBase) -> list[tuple[KnowledgeBase, list[tuple[str, str]]]]:
    """Split every entry's examples into folds; each KB lacks one fold's questions."""
    rng = random.Random(7)
    folds: list[list[tuple[str, str]]] = [[] for _ in range(FOLDS)]
    for entry in kb.entries:
        qs = list(entry.questions)
        rng.shuffle(qs)
        for i, q in enumerate(qs):
            folds[i % FOLDS].append((q, entry.id))
    out = []
    for fold in folds:
        held = {q for q, _ in fold}
        entries = tuple(
            replace(e, questions=tuple(q for q in e.questions if q not in held))
            for e in kb.entries
        )
        out.append((replace(kb, entries=entries), fold))
    return out


def read_sets() -> tuple[list[tuple[str, str]], list[str], list[str]]:
    """In-scope (question, topic) pairs, near-miss and everyday out-of-scope questions."""
    queries = yaml.safe_load((ROOT / "tests" / "data" / "queries.yaml").read_text("utf-8"))
    ins = [(d["q"], d["topic"]) for d in queries if d.get("topic")]
    near = [d["q"] for d in queries if not d.get("topic")]
    rng = random.Random(11)
    bench: list[str] = []
    for name, n in (("LCQMC/test.tsv", 400), ("BQ/test.tsv", 200)):
        rows = (SHARED / "bench" / name).read_text("utf-8").splitlines()
        bench += [r.split("\t")[0] for r in rng.sample(rows, n)]
    return ins, near, bench


Collected = list[tuple[str | None, list[list[Features]]]]


def collect(matcher: Matcher, items: list[tuple[str, str | None]]) -> Collected:
    return [
        (topic, [matcher.features(v, shortlist=8) for v in matcher.views(q)]) for q, topic in items
    ]


def top2(views: list[list[Features]], w: Weights, ids: list[str]) -> tuple[str, float, float]:
    best = combine(views, w)
    if not best:
        return "", 0.0, 0.0
    ranked = sorted(best.items(), key=lambda kv: -kv[1])
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return ids[ranked[0][0]], ranked[0][1], second


Row = tuple[str | None, str, float, float]


def figures(rows: list[Row], t: Thresholds) -> dict[str, float]:
    ins = oos = correct = wrong = helpful = oos_false = 0
    for topic, top, s1, s2 in rows:
        # a referral (refer.*) is never an answer: it says whom to ask, as decide() does
        answer = s1 >= t.answer and s1 - s2 >= t.margin and not top.startswith(REFERRAL_PREFIX)
        clarify = not answer and s1 >= t.clarify
        if topic:
            ins += 1
            correct += answer and top == topic
            wrong += answer and top != topic
            helpful += (answer or clarify) and top == topic
        else:
            oos += 1
            oos_false += answer and not top.startswith("smalltalk.")
    pct = lambda n, d: 100.0 * n / d if d else 0.0  # noqa: E731
    return {
        "correct": pct(correct, ins),
        "helpful": pct(helpful, ins),
        "wrong": pct(wrong, ins),
        "oos_false": pct(oos_false, oos),
    }


def weight_samples(base: Weights, n: int) -> list[Weights]:
    """The current weights plus `n` random mixes of the five signals (fixed seed)."""
    rng = random.Random(3)
    out = [base]
    for _ in range(n):
        raw = [rng.expovariate(1.0) for _ in range(5)]
        cov, ex, kw, fz, anc = (round(x / sum(raw), 3) for x in raw)
        out.append(replace(base, coverage=cov, example=ex, keyword=kw, fuzzy=fz, anchored=anc))
    return out


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--samples", type=int, default=WEIGHT_SAMPLES, help="random weight mixes")
    args = ap.parse_args()
    kb = load_knowledge(ROOT / "knowledge" / "policies.yaml")
    ids = [e.id for e in kb.entries]
    ins, near, bench = read_sets()
    dev = [
        (d["q"], d.get("topic")) for d in yaml.safe_load((SHARED / "eval/dev.yaml").read_text())
    ]
    best = None
    for unknown_token, topic_examples, min_evidence in itertools.product(
        (1.0,), (1.0, 2.0), (1.245, 1.66)
    ):
        base = Weights(
            unknown_token=unknown_token,
            topic_examples=topic_examples,
            min_evidence=min_evidence,
        )
        full = Matcher(kb, weights=base)
        data: Collected = []
        for fold_kb, fold in held_out_kbs(kb):
            m = Matcher(fold_kb, segmenter=full.segmenter, weights=base)
            data += collect(m, list(fold))
        data += collect(full, list(ins))
        near_data = collect(full, [(q, None) for q in near])
        bench_data = collect(full, [(q, None) for q in bench])
        dev_data = collect(full, dev)
        for w in weight_samples(base, args.samples):
            rows = [(topic, *top2(views, w, ids)) for topic, views in data]
            near_rows = [(None, *top2(views, w, ids)) for _, views in near_data]
            bench_rows = [(None, *top2(views, w, ids)) for _, views in bench_data]
            for answer in range(24, 76, 2):
                # ties always clarify: a margin of at least 2 is a design floor, not a fit
                for margin in (2, 4, 6, 8, 10, 12):
                    t = Thresholds(answer=answer, clarify=answer - 15, margin=margin)
                    f = figures(rows, t)
                    if f["wrong"] > MAX_WRONG:
                        continue
                    if figures(near_rows, t)["oos_false"] > MAX_OOS_NEAR:
                        continue
                    if figures(bench_rows, t)["oos_false"] > MAX_OOS_BENCH:
                        continue
                    # a wrong answer is worse than "I don't know": it costs a correct one
                    key = round(f["correct"] + 0.3 * f["helpful"] - f["wrong"], 2)
                    if best is None or key > best[0]:
                        best = (key, w, t, rows + near_rows + bench_rows, dev_data)
        print(f"{base}: best so far {best[0] if best else None}", flush=True)
    assert best is not None
    _, w, t, rows, dev_data = best
    # clarify bound: as low as it can go while out-of-scope questions rarely get buttons
    n_oos = sum(1 for topic, *_ in rows if not topic)
    for clarify in range(int(t.answer), 9, -1):
        oos_buttons = sum(1 for topic, _, s1, _ in rows if not topic and s1 >= clarify)
        if 100.0 * oos_buttons / n_oos > 15.0:
            break
        t = replace(t, clarify=float(clarify))
    dev_rows = [(topic, *top2(views, w, ids)) for topic, views in dev_data]
    print(f"weights: {w}\nthresholds: {t}")
    print("calibration:", {k: round(v, 1) for k, v in figures(rows, t).items()})
    print("dev (not fitted):", {k: round(v, 1) for k, v in figures(dev_rows, t).items()})
    return 0


# ---------------------------------------------------------------------------------------------
# Calibration on real traffic: `python tools/calibrate.py --real`
#
# The thresholds above were fitted on held-out knowledge-base examples, which score far higher
# than what people really type. This mode fits the three thresholds on questions that look like
# real traffic: ../shared/eval/real-dev.yaml (real questions from public pages) together with
# tests/data/queries.yaml. real-dev.yaml is split in folds: each fold is scored with the
# thresholds fitted on the other folds (reported as "cross-validated"), so the figure says how
# the bounds carry to questions they were not fitted on. dev.yaml is only reported.

RealRow = tuple[object, list[tuple[str, float]]]
REAL_FOLDS = 5
# per set: (most wrong %, most out-of-scope answered %); queries.yaml keeps today's levels
REAL_BOUNDS = (2.5, 6.0)
QUERIES_BOUNDS = (0.8, 4.3)


def ranked_rows(matcher: Matcher, items: list[tuple[str, object]]) -> list[RealRow]:
    """Each question's topic and its ranked (entry id, score) list, for threshold search."""
    return [(topic, [(c.id, c.score) for c in matcher.rank(q)]) for q, topic in items]


def verdict(ranked: list[tuple[str, float]], t: Thresholds) -> tuple[str, list[str]]:
    """Outcome and shown ids, by the matcher's own decide() (referrals are not answers)."""
    referrals = {i for i, _ in ranked[:1] if i.startswith(REFERRAL_PREFIX)}
    m = decide([Candidate(i, s) for i, s in ranked], t, referrals)
    shown = [m.entry_id] if m.entry_id else [c.id for c in m.candidates]
    return m.outcome.value, shown if m.outcome is not Outcome.UNKNOWN else []


def real_figures(rows: list[RealRow], t: Thresholds) -> dict[str, float]:
    ins = oos = correct = helpful = wrong = oos_false = 0
    for topic, ranked in rows:
        outcome, ids = verdict(ranked, t)
        ok = set(topic) if isinstance(topic, list) else {topic}
        if topic:
            ins += 1
            correct += outcome == "answer" and ids[0] in ok
            helpful += (outcome == "answer" and ids[0] in ok) or (
                outcome == "clarify" and bool(ok & set(ids))
            )
            wrong += outcome == "answer" and ids[0] not in ok
        else:
            oos += 1
            oos_false += outcome == "answer" and not ids[0].startswith("smalltalk.")
    pct = lambda n, d: 100.0 * n / d if d else 0.0  # noqa: E731
    return {
        "correct": pct(correct, ins),
        "helpful": pct(helpful, ins),
        "wrong": pct(wrong, ins),
        "oos_false": pct(oos_false, oos),
    }


def fit_thresholds(sets: list[tuple[list[RealRow], tuple[float, float]]]) -> Thresholds:
    """The bounds that answer most correctly while every set keeps wrong and oos low."""
    best: tuple[float, Thresholds] | None = None
    for answer in range(20, 62, 2):
        for margin in (2, 4, 6, 8, 10, 12, 14):
            for clarify in range(8, answer, 3):
                t = Thresholds(answer=float(answer), clarify=float(clarify), margin=float(margin))
                figs = [real_figures(rows, t) for rows, _ in sets]
                if any(
                    f["wrong"] > most_wrong or f["oos_false"] > most_oos
                    for f, (_, (most_wrong, most_oos)) in zip(figs, sets, strict=True)
                ):
                    continue
                key = sum(f["correct"] + 0.5 * f["helpful"] - 2 * f["wrong"] for f in figs)
                if best is None or key > best[0]:
                    best = (key, t)
    assert best is not None, "no thresholds meet the bounds"
    return best[1]


def load_set(path: Path) -> list[tuple[str, object]]:
    return [(d["q"], d.get("topic")) for d in yaml.safe_load(path.read_text("utf-8"))]


def calibrate_real(matcher: Matcher) -> Thresholds:
    real = ranked_rows(matcher, load_set(SHARED / "eval" / "real-dev.yaml"))
    queries = ranked_rows(matcher, load_set(ROOT / "tests" / "data" / "queries.yaml"))
    dev = ranked_rows(matcher, load_set(SHARED / "eval" / "dev.yaml"))
    rng = random.Random(5)
    order = list(range(len(real)))
    rng.shuffle(order)
    folds = [[real[i] for i in order[k::REAL_FOLDS]] for k in range(REAL_FOLDS)]
    held: list[RealRow] = []
    for k, fold in enumerate(folds):
        train = [r for j, f in enumerate(folds) if j != k for r in f]
        t = fit_thresholds([(train, REAL_BOUNDS), (queries, QUERIES_BOUNDS)])
        held += [(topic, ranked) for topic, ranked in fold]
        f = real_figures(fold, t)
        print(f"fold {k}: {t} -> held-out fold", {a: round(b, 1) for a, b in f.items()})
    cv: dict[str, float] = defaultdict_float()
    for k, fold in enumerate(folds):
        train = [r for j, f in enumerate(folds) if j != k for r in f]
        f = real_figures(fold, fit_thresholds([(train, REAL_BOUNDS), (queries, QUERIES_BOUNDS)]))
        for a, b in f.items():
            cv[a] += b * len(fold) / len(real)
    print("real-dev cross-validated:", {a: round(b, 1) for a, b in cv.items()})
    t = fit_thresholds([(real, REAL_BOUNDS), (queries, QUERIES_BOUNDS)])
    print(f"fitted on all of real-dev + queries: {t}")
    for name, rows in (
        ("real-dev (fitted)", real),
        ("queries", queries),
        ("dev (not fitted)", dev),
    ):
        print(f"{name}:", {a: round(b, 1) for a, b in real_figures(rows, t).items()})
    return t


def defaultdict_float() -> dict[str, float]:
    return dict.fromkeys(("correct", "helpful", "wrong", "oos_false"), 0.0)


def main_real() -> int:
    kb = load_knowledge(ROOT / "knowledge" / "policies.yaml")
    calibrate_real(Matcher(kb))
    return 0


if __name__ == "__main__":
    raise SystemExit(main_real() if "--real" in sys.argv else main())
