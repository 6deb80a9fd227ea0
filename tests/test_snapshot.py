"""The index snapshot: a warm start answers exactly as a fresh build, never from a stale or
damaged file."""

from __future__ import annotations

import os
from dataclasses import replace
from pathlib import Path

import pytest

from benchmarks.speed import synthetic_kb
from bot.knowledge import KnowledgeBase
from bot.understand import Matcher, Options, Weights
from bot.understand.cache import KEEP_FILES
from bot.understand.snapshot import SNAPSHOT_MIN

# Large enough to take a snapshot, small enough to build fast.
SIZE = 60
QUESTIONS = [
    "低保咋申请",
    "俺家娃上中专有啥补助",
    "看病先看后给钱是真的不",
    "今天天气咋样",
    "补助",
    "雨露计划一年给多少钱",
]


@pytest.fixture(scope="module")
def big(mini_kb: KnowledgeBase) -> KnowledgeBase:
    return synthetic_kb(mini_kb, SIZE)


def _answers(matcher: Matcher) -> list[object]:
    return [(matcher.rank(q)[:8], matcher.best_match(q)) for q in QUESTIONS]


def _snapshots(folder: Path) -> list[Path]:
    return sorted(folder.glob("index-*.bin"))


def _from_snapshot(folder: Path, kb: KnowledgeBase, **settings: object) -> Matcher:
    """A matcher that must have come from the snapshot: with the analysis memos removed, a
    build would have started a new one."""
    for memo in folder.glob("analysis-*.sqlite3"):
        memo.unlink()
    matcher = Matcher(kb, **settings)  # type: ignore[arg-type]
    assert not list(folder.glob("analysis-*.sqlite3")), "built anew, not from the snapshot"
    return matcher


def test_a_warm_start_answers_exactly_as_a_fresh_build(
    own_cache: Path, big: KnowledgeBase
) -> None:
    fresh = _answers(Matcher(big, memo=False))
    assert _snapshots(own_cache) == []
    cold = _answers(Matcher(big))
    assert len(_snapshots(own_cache)) == 1
    warm = _answers(_from_snapshot(own_cache, big))
    assert warm == cold == fresh
    assert fresh[0][1].entry_id is not None  # the questions do find entries


def test_below_the_threshold_and_without_memo_no_snapshot_is_taken(
    own_cache: Path, mini_kb: KnowledgeBase, big: KnowledgeBase
) -> None:
    assert len(mini_kb.entries) < SNAPSHOT_MIN <= SIZE
    Matcher(mini_kb)
    Matcher(big, snapshot_min=SIZE + 1)
    Matcher(big, memo=False, snapshot_min=0)
    assert _snapshots(own_cache) == []


def _edited(kb: KnowledgeBase) -> KnowledgeBase:
    first, *rest = kb.entries
    edited = replace(first, questions=("外出打工的人能不能领低保", *first.questions[1:]))
    return replace(kb, entries=(edited, *rest))


@pytest.mark.parametrize(
    ("change", "settings"),
    [
        ("an edited question", {}),
        ("topic_examples", {"weights": Weights(topic_examples=3.0)}),
        ("normalize", {"options": Options(normalize=False)}),
        ("domain_dict", {"options": Options(domain_dict=False)}),
        ("referrals", {"options": Options(referrals=False)}),
    ],
)
def test_what_the_index_depends_on_builds_anew(
    own_cache: Path, big: KnowledgeBase, change: str, settings: dict[str, object]
) -> None:
    Matcher(big)
    kb = _edited(big) if change == "an edited question" else big
    expected = _answers(Matcher(kb, memo=False, **settings))  # type: ignore[arg-type]
    assert _answers(Matcher(kb, **settings)) == expected  # type: ignore[arg-type]
    assert len(_snapshots(own_cache)) == 2, change
    assert _answers(_from_snapshot(own_cache, kb, **settings)) == expected


def test_settings_the_index_does_not_read_reuse_it(own_cache: Path, big: KnowledgeBase) -> None:
    Matcher(big)
    weights, options = Weights(coverage=0.4, unknown_token=0.9), Options(phonetic=False)
    expected = _answers(Matcher(big, memo=False, weights=weights, options=options))
    assert _answers(_from_snapshot(own_cache, big, weights=weights, options=options)) == expected
    assert len(_snapshots(own_cache)) == 1


def _truncated(data: bytes, other: bytes) -> bytes:
    return data[: len(data) // 2]


def _flipped(data: bytes, other: bytes) -> bytes:
    middle = len(data) // 2
    return data[:middle] + bytes([data[middle] ^ 1]) + data[middle + 1 :]


@pytest.mark.parametrize(
    "damage",
    [
        _truncated,
        _flipped,
        lambda data, other: b"",
        lambda data, other: b"not a snapshot at all " * 1000,
        lambda data, other: data + b"more",
        lambda data, other: other,  # a whole snapshot, of another knowledge base
    ],
    ids=["truncated", "a byte flipped", "empty", "garbage", "trailing bytes", "another key"],
)
def test_a_damaged_or_foreign_snapshot_is_ignored_and_rebuilt(
    own_cache: Path, big: KnowledgeBase, damage: object
) -> None:
    Matcher(_edited(big))
    (other,) = _snapshots(own_cache)
    expected = _answers(Matcher(big))
    (path,) = (p for p in _snapshots(own_cache) if p != other)
    path.write_bytes(damage(path.read_bytes(), other.read_bytes()))  # type: ignore[operator]
    assert _answers(Matcher(big)) == expected
    assert _answers(_from_snapshot(own_cache, big)) == expected  # the rewritten one serves


def test_the_snapshots_are_pruned_to_the_most_recently_used(
    own_cache: Path, big: KnowledgeBase
) -> None:
    own_cache.mkdir(parents=True)
    old = [own_cache / f"index-old{i:02}.bin" for i in range(KEEP_FILES + 4)]
    for i, path in enumerate(old):
        path.write_bytes(b"an older snapshot")
        os.utime(path, (1_000_000_000 + i * 3600,) * 2)
    Matcher(big)
    left = _snapshots(own_cache)
    assert len(left) == KEEP_FILES + 1
    assert set(old[-KEEP_FILES:]) < set(left)  # the newest old ones, and the new one


def test_a_snapshot_that_cannot_be_written_leaves_no_temporary_file(
    own_cache: Path, big: KnowledgeBase
) -> None:
    expected = _answers(Matcher(big))
    (path,) = _snapshots(own_cache)
    path.unlink()
    path.mkdir()  # neither readable as a file nor replaceable by one
    assert _answers(Matcher(big)) == expected
    assert path.is_dir()
    assert not list(own_cache.glob(".index-*"))
