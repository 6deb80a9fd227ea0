"""jieba segmentation with the policy vocabulary, synonyms and filler words."""

from __future__ import annotations

import hashlib
import logging
import os
import re
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from bot.understand.cache import cache_dir, prune, touch
from bot.understand.context import join_numbers, looks_like_context, place_names


def _import_jieba() -> Any:  # jieba has no type hints
    """Import jieba without pkg_resources.

    jieba 0.42 imports setuptools' pkg_resources (a tenth of a second and several MB at every
    start) only to open its own data files, and opens them directly when it is missing.
    """
    hide = "jieba" not in sys.modules and "pkg_resources" not in sys.modules
    if hide:
        sys.modules["pkg_resources"] = None  # type: ignore[assignment]  # import fails
    try:
        import jieba
    finally:
        if hide:
            del sys.modules["pkg_resources"]  # a later `import pkg_resources` works as ever
    return jieba


# A domain word gets this frequency so that jieba keeps it whole (雨露计划, 先诊疗后付费) even
# where the general dictionary would prefer a split; well above any common word's frequency.
DOMAIN_FREQ = 200_000
_SPACE_RE = re.compile(r"\s+")
# jieba's dictionary without its rarest words: a third of the size, so start-up and memory
# drop by about as much, with the same figures on the quality sets (docs/benchmarks.md). A
# word this rare in jieba's corpus is unknown to the knowledge base either way.
CORE_MIN_FREQ = 10


def core_dictionary() -> Path:
    """Write (once) and return jieba's dictionary trimmed to words of CORE_MIN_FREQ or more.

    The copy lives in a private cache folder (never a shared temp path another user could
    fill first) and is checked against the digest written beside it before it is used. Copies
    of other jieba installs are pruned to the few most recently used (cache.prune).
    """
    jieba = _import_jieba()  # on first use, as in Segmenter

    source = Path(jieba.__file__).resolve().parent / "dict.txt"
    stat = source.stat()
    tag = hashlib.sha256(f"{source}:{stat.st_size}:{stat.st_mtime_ns}:{CORE_MIN_FREQ}".encode())
    target = cache_dir() / f"jieba-{tag.hexdigest()[:16]}.txt"
    digest = target.with_suffix(".sha256")
    if target.exists() and digest.exists() and _digest(target) == digest.read_text().strip():
        # used now: marked on the digest, as jieba's own cache is only trusted while it is
        # newer than the dictionary (touching the dictionary would rebuild it at every start)
        touch(digest)
    else:
        _write_core(source, target, digest)
    prune(target, "jieba-*.txt", companions=(".sha256",))
    return target


def jieba_cache(dictionary: Path) -> Path:
    """Where jieba keeps its parsed form of `dictionary` (it names the file after the path)."""
    name = hashlib.md5(
        str(dictionary).encode("utf-8", "replace"), usedforsecurity=False
    ).hexdigest()
    return dictionary.parent / f"jieba.u{name}.cache"


def _write_core(source: Path, target: Path, digest: Path) -> None:
    kept = [
        line
        for line in source.read_text(encoding="utf-8").splitlines()
        if len(parts := line.split()) >= 2 and int(parts[1]) >= CORE_MIN_FREQ
    ]
    data = ("\n".join(kept) + "\n").encode("utf-8")
    for path, content in ((target, data), (digest, hashlib.sha256(data).hexdigest().encode())):
        partial = path.with_suffix(f".{os.getpid()}.tmp")
        partial.write_bytes(content)
        partial.replace(path)  # atomic: a concurrent start-up sees the whole file or none


def _digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class Segmenter:
    """Cut normalized text into words and reduce them to the content tokens the matcher uses."""

    def __init__(
        self,
        *,
        words: Iterable[str] = (),
        synonyms: Mapping[str, str] | None = None,
        fillers: Iterable[str] = (),
    ) -> None:
        """Load jieba's dictionary once and add the domain `words` and lexicon to it."""
        jieba = _import_jieba()  # here, not at the top: commands that never match skip it

        jieba.setLogLevel(logging.WARNING)
        dictionary = core_dictionary()
        self._dictionary = dictionary.name
        self._tokenizer = jieba.Tokenizer(str(dictionary))
        # jieba's own cache of the parsed dictionary goes beside it, not into the shared temp
        # folder (where every HOME's copy added 2.5 MB nobody removed, and another local user
        # could plant one)
        self._tokenizer.tmp_dir = str(dictionary.parent)
        self._tokenizer.initialize()
        prune(jieba_cache(dictionary), "jieba.u*.cache")
        self._places = place_names(dictionary)
        self.total_freq = float(self._tokenizer.total)
        self._general = self._tokenizer.FREQ
        self._synonyms = dict(synonyms or {})
        self._fillers = frozenset(fillers)
        # Fillers are added too, so that 中不中 or 有没有 is cut whole and then dropped.
        self.domain_words = frozenset(
            w
            for w in (*words, *self._synonyms, *self._synonyms.values(), *self._fillers)
            if len(w) > 1 and not _SPACE_RE.search(w)
        )
        self._base_words = {w for w in self.domain_words if self._general.get(w, 0) > 0}
        for word in sorted(self.domain_words):
            self._tokenizer.add_word(word, freq=DOMAIN_FREQ)

    def signature(self) -> list[str]:
        """What this segmenter's cuts depend on besides the code: the dictionary and the words,
        synonyms and fillers added to it (the analysis memo's key, see memo.py)."""
        return [
            self._dictionary,
            *sorted(self.domain_words),
            "\0synonyms",
            *sorted(f"{k}\0{v}" for k, v in self._synonyms.items()),
            "\0fillers",
            *sorted(self._fillers),
        ]

    def cut(self, text: str) -> list[str]:
        """Split `text` into words (dictionary only, no HMM guessing), dropping whitespace."""
        # a number and its unit become one word (2023年, 60岁): context, see is_context
        return join_numbers([w for w in self._tokenizer.cut(text, HMM=False) if not w.isspace()])

    def tokens(self, text: str) -> list[str]:
        """Return the content tokens: words and their dictionary sub-words, synonyms mapped,
        fillers dropped."""
        return self.split(text)[0]

    def split(self, text: str) -> tuple[list[str], str]:
        """Cut `text` once into its content tokens and its filler-free compact text.

        Tokens are the words plus the dictionary words inside long ones (as jieba's search
        mode), so that 两不愁三保障 also matches a question that only says 三保障.
        """
        freq = self._tokenizer.FREQ
        tokens: list[str] = []
        compact: list[str] = []
        for word in self.cut(text):
            if word in self._fillers:
                continue
            compact.append(word)
            if len(word) > 2:
                for size in (2, 3):
                    for i in range(len(word) - size + 1):
                        part = word[i : i + size]
                        if size < len(word) and freq.get(part):
                            tokens.append(self._synonyms.get(part, part))
            mapped = self._synonyms.get(word, word)
            if mapped not in self._fillers:
                tokens.append(mapped)
        return tokens, "".join(compact)

    def general_freq(self, word: str) -> int:
        """The word's frequency in jieba's general dictionary (0 if it is not there)."""
        return int(self._general.get(word, 0) or 0)

    def is_context(self, token: str) -> bool:
        """Whether `token` is context — a place, a time, a number — rather than a topic word."""
        known = looks_like_context(token, self._places)
        if known is None:  # ends like a place (新荣区): one no dictionary knows is a place
            return not self._general.get(token) and token not in self.domain_words
        return known

    def is_common_word(self, text: str) -> bool:
        """Whether `text` is a word of jieba's general dictionary (not one we added)."""
        return self._general.get(text, 0) > 0 and (
            text not in self.domain_words or text in self._base_words
        )
