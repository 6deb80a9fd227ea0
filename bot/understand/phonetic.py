"""Tolerate pinyin-input typos: homophones of domain terms (底保→低保) and questions in pinyin."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Callable, Iterable

from bot.understand.pinyin import char_table, word_readings

_HANZI_RUN = re.compile(r"[\u3400-\u9fff]+")
_LATIN_RUN = re.compile(r"[a-z]+(?: [a-z]+)*")
MAX_TERM = 8
# Terms this long may differ from the typed text in one syllable as well (先诊了后付费).
MIN_WILDCARD = 5
# Characters that end or join clauses; a two-character window containing one straddles words.
_FUNCTION_CHARS = frozenset("不了的是吗呢吧啊呀有没在和就都也还又得着过把被给让")
# Pinyin letters left unexplained by the vocabulary before a latin run is kept as it is
# (so that "wifi" or "ok" is not forced into Chinese words).
_MIN_PINYIN_COVER = 0.7


def syllables(text: str) -> tuple[str, ...]:
    """Return the toneless pinyin of each character of a Chinese `text`, read one by one.

    Homophone typos are matched on each character's own (most common) reading, the same for
    the typed text and the known terms; that keeps a question's cost to a table lookup.
    """
    table = char_table()
    return tuple(table.get(ch, ch) for ch in text)


def syllables_of_words(words: list[str]) -> dict[str, tuple[str, ...]]:
    """Pinyin of many all-Chinese words, each read as a word (多音字 as in context)."""
    return word_readings(words)


_TONED = re.compile(r"[\u00c0-\u024f\u01cd-\u01dc]")


def strip_tones(text: str) -> str:
    """Pinyin typed with tone marks (dī bǎo) as plain letters (di bao); ü as v, as pypinyin."""
    if not _TONED.search(text):
        return text
    text = text.replace("ü", "v").replace("Ü", "v")
    out = []
    for ch in unicodedata.normalize("NFD", text):
        if unicodedata.category(ch) != "Mn":
            out.append(ch)
    return unicodedata.normalize("NFC", "".join(out)).lower()


class PhoneticCorrector:
    """Rewrite homophone typos of known terms and pinyin-typed words into Chinese characters."""

    def __init__(
        self,
        terms: Iterable[str],
        *,
        vocabulary: Iterable[str] = (),
        is_common_word: Callable[[str], bool] = lambda _w: False,
        fillers: Iterable[str] = (),
    ) -> None:
        """Index `terms` (domain words, ≥2 characters) and `vocabulary` by their pinyin."""
        self._is_common_word = is_common_word
        self._exact: dict[tuple[str, ...], str] = {}
        self._wild: dict[tuple[str, ...], str | None] = {}
        self._terms = {t for t in terms if 2 <= len(t) <= MAX_TERM and _HANZI_RUN.fullmatch(t)}
        # one-character words too (娃, 啥): people type them in pinyin between the terms
        spellable = {w for w in vocabulary if 1 <= len(w) <= MAX_TERM and _HANZI_RUN.fullmatch(w)}
        pinyin = syllables_of_words(sorted(self._terms | spellable))
        for term in sorted(self._terms, key=lambda t: (-len(t), t)):
            key = syllables(term)
            self._exact.setdefault(key, term)
            if (
                len(term) >= MIN_WILDCARD
            ):  # one wrong syllable allowed in long terms (先诊了后付费)
                for i in range(len(key)):
                    wild = (*key[:i], "*", *key[i + 1 :])
                    # two terms sharing a wildcard key are ambiguous: correct to neither
                    self._wild[wild] = None if wild in self._wild else term
        self._spelled: dict[str, str] = {}
        # a spelling several words share goes to a content word (wa → 娃, not the filler 哇)
        last = frozenset(fillers)
        for word in sorted(self._terms | spellable, key=lambda w: (w in last, len(w), w)):
            self._spelled.setdefault("".join(pinyin[word]), word)
        self._longest_spelling = max((len(s) for s in self._spelled), default=0)

    def correct(self, text: str) -> str:
        """Return normalized `text` with pinyin runs spelled out and homophone typos fixed."""
        text = _LATIN_RUN.sub(self._spell_out, strip_tones(text))
        return _HANZI_RUN.sub(lambda m: self._fix_run(m.group()), text)

    def _fix_run(self, run: str) -> str:
        if len(run) < 2:
            return run
        keys = syllables(run)
        out: list[str] = []
        i = 0
        while i < len(run):
            step, replacement = self._best_window(run, keys, i)
            out.append(replacement if replacement is not None else run[i : i + step])
            i += step
        return "".join(out)

    def _best_window(self, run: str, keys: tuple[str, ...], i: int) -> tuple[int, str | None]:
        for size in range(min(MAX_TERM, len(run) - i), 1, -1):
            window = run[i : i + size]
            if window in self._terms:
                return size, None
            key = keys[i : i + size]
            term = self._exact.get(key)
            if term is None and size >= MIN_WILDCARD:
                term = self._wildcard(key)
            if term is not None and _is_typo(window, term) and not self._is_common_word(window):
                return size, term
        return 1, None

    def _wildcard(self, key: tuple[str, ...]) -> str | None:
        found: set[str] = set()
        for i in range(len(key)):
            term = self._wild.get((*key[:i], "*", *key[i + 1 :]), "")
            if term is None:
                return None
            if term and _near_syllable(key[i], syllables(term[i])[0]):
                found.add(term)
        return found.pop() if len(found) == 1 else None

    def _spell_out(self, match: re.Match[str]) -> str:
        letters = match.group().replace(" ", "")
        if len(letters) < 4 or not self._spelled:
            return match.group()
        words = self._segment_pinyin(letters)
        covered = sum(len(p) for p, _ in words)
        if all(len(w) == 1 for _, w in words):
            return match.group()  # only one-character readings: likely not pinyin at all
        if covered < _MIN_PINYIN_COVER * len(letters):
            return match.group()
        return " ".join(word for _, word in words)

    def _segment_pinyin(self, letters: str) -> list[tuple[str, str]]:
        """Split a pinyin string into known words, maximizing the letters explained (DP)."""
        n = len(letters)
        empty: list[tuple[str, str]] = []
        # score: letters explained, plus a little more for long pieces, so that a whole word
        # (dibao, zhongzhuan) wins over shorter words spelling it too (di + bao, zhong + zhuanyou)
        best: list[tuple[float, list[tuple[str, str]]]] = [(0.0, empty)] + [(-1.0, empty)] * n
        for end in range(1, n + 1):
            score, words = best[end - 1]  # skip one letter unexplained
            candidate = (score, words)
            for start in range(max(0, end - self._longest_spelling), end - 1):
                piece = letters[start:end]
                word = self._spelled.get(piece)
                if word is not None and best[start][0] >= 0:
                    total = best[start][0] + len(piece) + 0.02 * len(piece) ** 2 - 0.1
                    if total > candidate[0]:
                        candidate = (total, [*best[start][1], (piece, word)])
            best[end] = candidate
        return best[n][1]


def _is_typo(window: str, term: str) -> bool:
    """Whether `window` plausibly is `term` mistyped: one wrong character (two in long terms).

    A homophone typo changes one character (底保, 雨路计划); a window that shares only the
    sound of a few characters (扶贫的钱 ~ 扶贫搬迁) is a different phrase.
    """
    differing = sum(a != b for a, b in zip(window, term, strict=True))
    if len(term) == 2 and _FUNCTION_CHARS.intersection(window):
        return False  # 能干不 is 能干 + 不, not a typo of 干部
    return differing <= (2 if len(term) >= 6 else 1)


_INITIALS = (
    "zh",
    "ch",
    "sh",
    "b",
    "p",
    "m",
    "f",
    "d",
    "t",
    "n",
    "l",
    "g",
    "k",
    "h",
    "j",
    "q",
    "x",
    "r",
    "z",
    "c",
    "s",
    "y",
    "w",
)
# Confusions of pinyin input and of northern speech: z/zh, l/n, f/h, front/back nasals.
_FUZZY = {
    "zh": "z",
    "ch": "c",
    "sh": "s",
    "n": "l",
    "h": "f",
    "ang": "an",
    "eng": "en",
    "ing": "in",
    "iang": "ian",
    "uang": "uan",
}


def _split(syllable: str) -> tuple[str, str]:
    for initial in _INITIALS:
        if syllable.startswith(initial):
            return initial, syllable[len(initial) :]
    return "", syllable


def _near_syllable(a: str, b: str) -> bool:
    """Whether two toneless syllables are near enough to be a typing slip (le ~ liao)."""
    (ia, fa), (ib, fb) = _split(a), _split(b)
    ia, ib = _FUZZY.get(ia, ia), _FUZZY.get(ib, ib)
    fa, fb = _FUZZY.get(fa, fa), _FUZZY.get(fb, fb)
    return ia == ib or (fa == fb and bool(fa))
