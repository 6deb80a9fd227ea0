"""How widely each keyword is used across the knowledge base's entries."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Sequence
from itertools import accumulate


class KeywordSpread:
    """For a keyword, the number of entries whose text (one per entry) contains it (at least 1).

    A keyword villagers also use as context in other topics' questions (建档立卡户 in
    「俺家是建档立卡户 娃上高中…」) says little about which topic is asked.

    Counted when a question first hits the keyword, then remembered: at 10,000 entries counting
    every keyword while the matcher is built searched the texts ~290,000 times (6 s of a start),
    while questions hit a small share of them. A count is one search of all the texts that
    jumps to the next entry at each hit, so it costs the entries containing the keyword, not all.
    """

    def __init__(self, texts: Sequence[str]) -> None:
        """Spreads over `texts`, one per entry."""
        self._whole = "\0".join(texts)
        self._starts = list(accumulate((len(t) + 1 for t in texts), initial=0))
        self._counts: dict[str, int] = {}

    def __getitem__(self, key: str) -> int:
        """How many entries' texts contain `key` (1 for none, as for one)."""
        count = self._counts.get(key)
        if count is None:
            count = self._counts[key] = max(1, self._count(key))
        return count

    def _count(self, key: str) -> int:
        whole, starts = self._whole, self._starts
        count, at = 0, whole.find(key)
        while at != -1:
            count += 1
            at = whole.find(key, starts[bisect_right(starts, at)])
        return count
