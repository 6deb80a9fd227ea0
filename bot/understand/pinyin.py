"""Toneless pinyin from pypinyin, kept on disk so that a warm start does not load pypinyin.

Importing pypinyin loads its phrase dictionary (about 50 MB and a quarter of a second) and its
character table. The matcher needs two things from it: each character's own reading (for
homophone keys) and the readings of the knowledge base's words in context (多音字 read as in
the word: 银行 yin hang). Both are computed with pypinyin once and written as JSON beside
jieba's trimmed dictionary (the private cache folder, understand/cache.py), keyed by
pypinyin's version and, for the words, by the word list; later starts read the JSON and
never import pypinyin. Tables of other word lists and versions are pruned (cache.prune).
"""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable, Sequence
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path

from bot.understand.cache import cache_dir, prune, touch

# the characters a homophone key is made of (phonetic._HANZI_RUN)
FIRST, LAST = 0x3400, 0x9FFF


def _version() -> str:
    try:
        return version("pypinyin")
    except PackageNotFoundError:
        return "unknown"


def _cached(family: str, name: str, build: Callable[[], dict[str, str]]) -> dict[str, str]:
    """The table `name` of `family` from the private cache folder, built and written there if
    missing; the family's other tables are pruned to the few most recently used."""
    path = cache_dir() / f"pinyin-{family}-{name}.json"
    table = _read(path)
    if table is None:
        table = _write(path, build())
    else:
        touch(path)  # most recently used: the last to be pruned
    prune(path, f"pinyin-{family}-*.json")
    return table


def _read(path: Path) -> dict[str, str] | None:
    try:
        table = json.loads(path.read_text(encoding="utf-8"))
        if isinstance(table, dict):
            return table
    except (OSError, ValueError):
        pass  # missing or damaged: build it again
    return None


def _write(path: Path, table: dict[str, str]) -> dict[str, str]:
    partial = path.with_suffix(f".{os.getpid()}.tmp")
    try:
        partial.write_text(json.dumps(table, ensure_ascii=False), encoding="utf-8")
        partial.replace(path)  # atomic: a concurrent start-up sees the whole file or none
    except OSError:
        partial.unlink(missing_ok=True)  # a read-only temporary directory: work without
    return table


@cache
def char_table() -> dict[str, str]:
    """Each Chinese character's toneless reading on its own (as lazy_pinyin gives it)."""

    def build() -> dict[str, str]:
        from pypinyin import Style, lazy_pinyin

        chars = map(chr, range(FIRST, LAST + 1))
        return {ch: lazy_pinyin(ch, style=Style.NORMAL, errors="default")[0] for ch in chars}

    return _cached("chars", _version(), build)


def word_readings(words: Sequence[str]) -> dict[str, tuple[str, ...]]:
    """The toneless pinyin of each all-Chinese word, read as a word (in one pypinyin call)."""
    tag = hashlib.sha256("\n".join(words).encode()).hexdigest()[:16]
    joined = _cached("words", f"{_version()}-{tag}", lambda: _read_words(words))
    return {w: tuple(joined[w].split(" ")) if joined.get(w) else () for w in words}


def _read_words(words: Sequence[str]) -> dict[str, str]:
    from pypinyin import Style, lazy_pinyin

    out: dict[str, str] = {}
    current: list[str] = []
    pending = iter(words)
    for item in lazy_pinyin("\n".join(words), style=Style.NORMAL, errors="default"):
        if item.strip():
            current.append(item)
            continue
        out[next(pending)] = " ".join(current)
        current = []
    last = next(pending, None)
    if last is not None:
        out[last] = " ".join(current)
    return out
