"""The cache folder does not grow without end: each family of files (jieba dictionaries,
pinyin word tables, analysis memos) keeps the one in use and the few most recently used."""

from __future__ import annotations

import os
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.understand.cache import KEEP_FILES, cache_dir
from bot.understand.memo import AnalysisMemo
from bot.understand.pinyin import word_readings
from bot.understand.segment import Segmenter, core_dictionary, jieba_cache

STALE = 20
LONG_AGO = 1_000_000_000  # 2001: older than anything a test run writes


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache folder for this test (cache_dir() is decided once per process)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    cache_dir.cache_clear()
    folder = cache_dir()
    assert folder == tmp_path / ".cache" / "policybot"
    yield folder
    cache_dir.cache_clear()


def _stale(folder: Path, pattern: str, *companions: str) -> list[str]:
    """STALE files named by `pattern` (with {}), the i-th used at LONG_AGO + i hours; their
    names, newest first."""
    names = []
    for i in range(STALE):
        path = folder / pattern.format(f"old{i:02}")
        for member in (path, *(path.with_suffix(s) for s in companions)):
            member.write_text("stale")
            os.utime(member, (LONG_AGO + i * 3600, LONG_AGO + i * 3600))
        names.append(path.name)
    return names[::-1]


def _names(folder: Path, pattern: str) -> set[str]:
    return {p.name for p in folder.glob(pattern)}


def _others(folder: Path) -> set[str]:
    """Files of every family, for checking that pruning one leaves the rest alone."""
    _stale(folder, "analysis-{}.sqlite3")
    _stale(folder, "pinyin-chars-{}.json")
    (folder / "pinyin-words-x.4242.tmp").write_text("another start is writing this")
    (folder / "jieba-x.4242.tmp").write_text("another start is writing this")
    return _names(folder, "*")


def test_building_the_dictionary_keeps_the_newest_other_jieba_copies(own_cache: Path) -> None:
    newest = _stale(own_cache, "jieba-{}.txt", ".sha256")
    # the oldest copy's digest was the one marked used last: used more recently than any other
    os.utime(own_cache / "jieba-old00.sha256")
    others = _others(own_cache) - _names(own_cache, "jieba-*.txt") - _names(own_cache, "*.sha256")
    current = core_dictionary()
    kept = ["jieba-old00.txt", *newest[: KEEP_FILES - 1]]
    expected = {current.name, *kept}
    assert _names(own_cache, "jieba-*.txt") == expected
    assert _names(own_cache, "jieba-*.sha256") == {Path(n).stem + ".sha256" for n in expected}
    assert others <= _names(own_cache, "*")  # other families untouched


def test_jiebas_own_cache_lives_in_the_private_folder_and_is_pruned(
    own_cache: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    shared = tmp_path / "shared-tmp"
    shared.mkdir()
    monkeypatch.setenv("TMPDIR", str(shared))
    monkeypatch.setattr(tempfile, "tempdir", None)  # gettempdir() reads TMPDIR again
    newest = _stale(own_cache, "jieba.u{}.cache")
    segmenter = Segmenter()
    mine = jieba_cache(core_dictionary())
    assert mine.parent == own_cache
    assert mine.stat().st_size > 1_000_000
    assert _names(own_cache, "jieba.u*.cache") == {mine.name, *newest[:KEEP_FILES]}
    assert not list(shared.glob("jieba*")), "nothing of jieba's in the shared temp folder"
    # the next start loads the parsed form instead of parsing the dictionary again
    before = mine.stat().st_mtime_ns
    assert Segmenter().split("低保咋申请") == segmenter.split("低保咋申请")
    assert mine.stat().st_mtime_ns == before


def test_a_reused_dictionary_is_marked_used_on_its_digest_not_itself(own_cache: Path) -> None:
    current = core_dictionary()
    digest = current.with_suffix(".sha256")
    os.utime(current, (LONG_AGO, LONG_AGO))
    os.utime(digest, (LONG_AGO, LONG_AGO))
    newest = _stale(own_cache, "jieba-{}.txt", ".sha256")
    before = time.time() - 1
    assert core_dictionary() == current
    # jieba trusts its own cache only while it is newer than the dictionary: leave that alone
    assert current.stat().st_mtime == LONG_AGO
    assert digest.stat().st_mtime >= before
    assert _names(own_cache, "jieba-*.txt") == {current.name, *newest[:KEEP_FILES]}


def test_loading_pinyin_words_keeps_the_newest_other_word_tables(own_cache: Path) -> None:
    newest = _stale(own_cache, "pinyin-words-{}.json")
    others = _others(own_cache) - _names(own_cache, "pinyin-words-*.json")
    assert word_readings(["低保", "补助"]) == {"低保": ("di", "bao"), "补助": ("bu", "zhu")}
    (current,) = _names(own_cache, "pinyin-words-*.json") - set(newest)
    assert _names(own_cache, "pinyin-words-*.json") == {current, *newest[:KEEP_FILES]}
    assert others <= _names(own_cache, "*")

    # read again later: the table in use is marked used, so it is the last to be pruned
    os.utime(own_cache / current, (LONG_AGO, LONG_AGO))
    before = time.time() - 1
    assert word_readings(["低保", "补助"])["低保"] == ("di", "bao")
    assert (own_cache / current).stat().st_mtime >= before


def test_opening_a_new_memo_keeps_the_newest_other_memos(own_cache: Path) -> None:
    newest = _stale(own_cache, "analysis-{}.sqlite3")
    others = _others(own_cache) - _names(own_cache, "analysis-*.sqlite3")
    memo = AnalysisMemo("fresh")
    memo.save()
    assert _names(own_cache, "analysis-*.sqlite3") == {memo.path.name, *newest[:KEEP_FILES]}
    assert others <= _names(own_cache, "*")


def test_files_that_vanish_or_cannot_be_removed_are_passed_over(own_cache: Path) -> None:
    newest = _stale(own_cache, "pinyin-words-{}.json")
    # gone between listing and looking: a link to nothing
    (own_cache / "pinyin-words-gone.json").symlink_to(own_cache / "nowhere")
    stuck = own_cache / "pinyin-words-stuck.json"  # cannot be unlinked, even by root
    (stuck / "inside").mkdir(parents=True)
    os.utime(stuck, (LONG_AGO - 3600, LONG_AGO - 3600))  # the oldest: pruned first
    assert word_readings(["低保"]) == {"低保": ("di", "bao")}
    left = _names(own_cache, "pinyin-words-*.json")
    assert set(newest[:KEEP_FILES]) <= left
    assert not set(newest[KEEP_FILES:]) & left
    assert stuck.is_dir()
