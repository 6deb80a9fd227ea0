"""How much one token says about the topic asked: the weights every signal sums."""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping

from bot.understand.segment import Segmenter
from bot.understand.tuning import Options, Weights

# tokens whose weight is remembered; a flood of distinct junk words cannot grow it further
MEMO_LIMIT = 200_000


class TokenWeights:
    """IDF over the entries for words the knowledge base uses; general Chinese for the rest.

    A word the knowledge base never uses points out of scope, as much as the word is rare in
    general Chinese (jieba's dictionary): 宅基地 weighs almost as much as a word of one entry,
    需要 little. Context (places, times, numbers) weighs nothing, aspect words (流程, 条件)
    little, single characters less.
    """

    def __init__(
        self,
        idf: Mapping[str, float],
        unknown_idf: float,
        segmenter: Segmenter,
        aspects: Iterable[str],
        weights: Weights,
        options: Options,
    ) -> None:
        """Weights for a knowledge base's `idf`, `unknown_idf` for the words it does not use."""
        self._idf = idf
        self._unknown = unknown_idf
        self._segmenter = segmenter
        self._aspects = frozenset(aspects) if options.aspects else frozenset()
        self._w = weights
        self._o = options
        self._memo: dict[str, float] = {}

    def __call__(self, token: str) -> float:
        """The weight of `token` (memoised)."""
        w = self._memo.get(token)
        if w is None:
            w = self._weight(token)
            if len(self._memo) < MEMO_LIMIT:
                self._memo[token] = w
        return w

    def _weight(self, token: str) -> float:
        known = self._idf.get(token)
        if known is not None:
            w = known
        # a place, time or number the knowledge base does not use is context: no weight (one
        # it uses, such as 北京 in 京保扶贫协作 or 2020年 in the goals, keeps its IDF)
        elif self._o.context and self._segmenter.is_context(token):
            return 0.0
        else:
            w = self._unknown * (self.rarity(token) if self._o.background else 1.0)
        if token in self._aspects:
            w *= self._w.aspect
        return w * self._w.single_char if len(token) == 1 else w

    def rarity(self, token: str) -> float:
        """0..1: how rare the word is in general Chinese (1 for words jieba does not know)."""
        freq = self._segmenter.general_freq(token)
        if freq <= 0:
            return 1.0
        surprise = math.log(self._segmenter.total_freq / freq)
        ws = self._w
        return min(1.0, max(ws.bg_floor, (surprise - ws.bg_low) / (ws.bg_high - ws.bg_low)))
