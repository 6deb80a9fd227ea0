"""Matching quality guards: the calibrated thresholds keep their figures on real phrasings.

tests/data/queries.yaml (written independently of the knowledge base) is part of the
calibration data of tools/calibrate.py; ../shared/eval/dev.yaml is never fitted. Changing the
weights or thresholds means re-running the calibration and updating these bounds in one commit.
"""

from pathlib import Path

import pytest

from bot.review import load_eval_set, run_eval
from bot.understand import Matcher
from tests.conftest import ROOT, shared_path


def figures(matcher: Matcher, path: Path) -> dict[str, float]:
    return run_eval(matcher, load_eval_set(path)).figures


def test_dev_set_meets_the_issue_bars(matcher: Matcher) -> None:
    f = figures(matcher, shared_path("eval", "dev.yaml"))
    assert f["correct"] >= 90.0, f
    assert f["helpful"] >= 97.0, f
    assert f["wrong"] <= 3.0, f
    assert f["oos_false"] <= 8.0, f


def test_independent_queries_keep_the_held_out_bars(matcher: Matcher) -> None:
    f = figures(matcher, ROOT / "tests" / "data" / "queries.yaml")
    assert f["correct"] >= 85.0, f
    assert f["helpful"] >= 93.0, f
    assert f["wrong"] <= 4.0, f
    assert f["oos_false"] <= 10.0, f


@pytest.mark.parametrize("entry_index", range(0, 61, 6))
def test_own_examples_reach_their_entry(matcher: Matcher, entry_index: int) -> None:
    entry = matcher.kb.entries[entry_index]
    for question in entry.questions:
        assert matcher.rank(question)[0].id == entry.id, question


def test_real_questions_keep_what_was_reached(matcher: Matcher) -> None:
    # A floor against regressions, not the issue's bars (80/93/3/8, not yet met): real-dev
    # reached 72.9/93.5/3.7/8.3 with the public-page style examples (commit af648a8); these
    # bounds leave about two questions of slack each way.
    f = figures(matcher, shared_path("eval", "real-dev.yaml"))
    assert f["correct"] >= 71.0, f
    assert f["helpful"] >= 92.0, f
    assert f["wrong"] <= 5.0, f
    assert f["oos_false"] <= 10.5, f


def test_the_held_out_traffic_keeps_what_was_reached(matcher: Matcher) -> None:
    # benchmarks/data/holdout.yaml reached 83.6/97.8/1.1/4.4 (same commit); same slack
    f = figures(matcher, ROOT / "benchmarks" / "data" / "holdout.yaml")
    assert f["correct"] >= 82.0, f
    assert f["helpful"] >= 96.5, f
    assert f["wrong"] <= 2.5, f
    assert f["oos_false"] <= 6.0, f
