"""The analysis memo: a restart reuses the analysis of the texts, never a wrong one."""

from __future__ import annotations

import sqlite3
from contextlib import closing
from dataclasses import replace
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase
from bot.understand import Matcher, Query
from bot.understand.memo import BATCH, AnalysisMemo

QUESTIONS = [
    "低保咋申请",
    "俺家娃上中专有啥补助",
    "看病先看后给钱是真的不",
    "今天天气咋样",
    "补助",
]


def _answers(matcher: Matcher) -> list[object]:
    return [(matcher.rank(q)[:5], matcher.best_match(q)) for q in QUESTIONS]


def _memos(folder: Path) -> list[Path]:
    return sorted(folder.glob("analysis-*.sqlite3"))


def test_a_warm_start_answers_exactly_as_a_fresh_analysis(
    own_cache: Path, mini_kb: KnowledgeBase
) -> None:
    fresh = _answers(Matcher(mini_kb, memo=False))
    assert _memos(own_cache) == []
    cold = _answers(Matcher(mini_kb))
    (memo,) = _memos(own_cache)
    warm_matcher = Matcher(mini_kb)
    assert _answers(warm_matcher) == cold == fresh
    # the warm start found every text in the memo: nothing new was written
    probe = AnalysisMemo(memo.name.removeprefix("analysis-").removesuffix(".sqlite3"))
    assert probe.analysed([e.title for e in mini_kb.entries], _refuse)


def _refuse(text: str) -> Query:
    raise AssertionError(f"analysed again: {text}")


def test_a_changed_lexicon_gets_a_memo_of_its_own(own_cache: Path, mini_kb: KnowledgeBase) -> None:
    Matcher(mini_kb)
    synonyms = {**mini_kb.lexicon.synonyms, "钱": "补助"}
    other = replace(mini_kb, lexicon=replace(mini_kb.lexicon, synonyms=synonyms))
    changed = _answers(Matcher(other))
    assert len(_memos(own_cache)) == 2
    assert changed == _answers(Matcher(other, memo=False))


@pytest.mark.parametrize("damage", [b"not a database at all" * 100, b""])
def test_a_damaged_memo_is_started_anew_and_the_answers_stay_right(
    own_cache: Path, mini_kb: KnowledgeBase, damage: bytes
) -> None:
    expected = _answers(Matcher(mini_kb))
    (memo,) = _memos(own_cache)
    memo.write_bytes(damage)
    assert _answers(Matcher(mini_kb)) == expected
    assert _answers(Matcher(mini_kb)) == expected  # and the rewritten memo serves again


def test_an_unwritable_cache_folder_costs_only_the_shortcut(
    own_cache: Path, mini_kb: KnowledgeBase
) -> None:
    plain = Matcher(mini_kb, memo=False)
    expected = _answers(plain)
    own_cache.mkdir(parents=True, exist_ok=True)
    (own_cache / "analysis-x.sqlite3").mkdir()  # a folder where a file should be
    memo = AnalysisMemo("x", own_cache)
    assert memo.analysed(["低保"], plain.analyze) == [plain.analyze("低保")]
    memo.save()
    assert _answers(Matcher(mini_kb)) == expected


def _analyse(text: str) -> Query:
    """A stand-in analysis, cheap enough for thousands of texts (one empty token list)."""
    return Query(text.upper(), tuple(text.split("-")) if text != "t-0" else (), text[::-1])


def test_a_memo_larger_than_a_batch_is_written_during_the_build_and_complete(
    own_cache: Path,
) -> None:
    texts = [f"t-{i}" for i in range(BATCH + 1234)]
    memo = AnalysisMemo("big")
    got = []
    for start in range(0, len(texts), 100):  # one knowledge base entry at a time
        got += memo.analysed(texts[start : start + 100], _analyse)
    with closing(sqlite3.connect(memo.path)) as peek:  # before save: the first batch is on disk
        (written,) = peek.execute("SELECT COUNT(*) FROM analysed").fetchone()
    assert BATCH <= written < len(texts)
    memo.save()
    assert got == [_analyse(t) for t in texts]

    again = AnalysisMemo("big")
    assert again.analysed(texts, _refuse) == got
    again.save()


def test_texts_read_ahead_are_not_analysed_again_and_unknown_ones_once(own_cache: Path) -> None:
    first = AnalysisMemo("k" * 24)
    first.analysed(["低保", "补助"], lambda t: Query(t, (t,), t))
    first.save()
    memo = AnalysisMemo("k" * 24)
    memo.prefetch(["低保", "补助", "新词", "低保"])
    calls: list[str] = []

    def analyse(text: str) -> Query:
        calls.append(text)
        return Query(text, tuple(text), text)

    got = memo.analysed(["补助", "新词", "低保", "没读过的"], analyse)
    tokens = [q.tokens for q in got]
    assert tokens == [("补助",), ("新", "词"), ("低保",), ("没", "读", "过", "的")]
    assert calls == ["新词", "没读过的"]  # each once: read ahead, found or not, or looked up
    memo.save()
    again = AnalysisMemo("k" * 24)
    assert [q.tokens for q in again.analysed(["新词", "没读过的"], _refuse)] == [
        ("新", "词"),
        ("没", "读", "过", "的"),
    ]
