"""How widely each keyword is used across the knowledge base's entries."""

from __future__ import annotations

from bisect import bisect_right
from collections.abc import Iterable, Sequence
from itertools import accumulate


def keyword_spread(keywords: Iterable[str], texts: Sequence[str]) -> dict[str, int]:
    """Count, for each keyword, the entries whose text (`texts`, one per entry) contains it.

    A keyword villagers also use as context in other topics' questions (建档立卡户 in
    「俺家是建档立卡户 娃上高中…」) says little about which topic is asked.
    """
    # one search of all the texts per keyword, jumping to the next entry at each hit:
    # the cost follows the entries that contain it, not all entries
    whole = "\0".join(texts)
    starts = list(accumulate((len(t) + 1 for t in texts), initial=0))
    spread = {}
    for key in keywords:
        count, at = 0, whole.find(key)
        while at != -1:
            count += 1
            at = whole.find(key, starts[bisect_right(starts, at)])
        spread[key] = max(1, count)
    return spread
