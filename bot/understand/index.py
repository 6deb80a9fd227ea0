"""The matcher's inverted index: token ids, and for each token the entries and examples using it.

At 10,000 entries the index holds millions of (token, entry) pairs; as Python objects (a dict
per entry, a list per pair, a string per token occurrence) they took most of a gigabyte and
scoring chased them across memory. Here each token has an id and its postings are flat
arrays in entry order: the entries (`array('i')`), the credit the token gives each one, and
the indexes of the entry's examples that contain it (one flat array and its offsets).
"""

from __future__ import annotations

from array import array
from bisect import bisect_left
from collections.abc import Iterable, Mapping, Sequence
from operator import add
from typing import Any

# A token whose postings are longer than this many times the pool is looked up entry by entry
# (bisect) rather than scanned: scanning costs one step per posting, a lookup about this many.
SCAN_RATIO = 4
# A token more than 1/DENSE_SHARE of the entries use (孩子, 不, 补助 at 10,000 entries) also
# keeps one byte per entry, the code of its credit there, so that its share of the coverage
# of a whole pool is one C-level pass (at most DENSE_SHARE bytes per posting).
DENSE_SHARE = 16


class TokenIndex:
    """Postings of every token the knowledge base uses, built entry by entry in order."""

    def __init__(self) -> None:
        """An empty index; `add` entries in order, then `freeze`."""
        self.ids: dict[str, int] = {}
        self._entries: list[array[int]] = []
        self._credits: list[array[float]] = []
        # examples of posting k of token t: _examples[t][_starts[t][k] : _starts[t][k + 1]]
        self._starts: list[array[int]] = []
        self._examples: list[array[int]] = []
        self._top: dict[int, array[int]] = {}
        # token id → (a credit code per entry, 0 for none; the credit of each code)
        self._dense: dict[int, tuple[bytes, tuple[float, ...]]] = {}

    def add(
        self, entry: int, credit: Mapping[str, float], examples: Mapping[str, Sequence[int]]
    ) -> None:
        """Add entry `entry` (one more than the last): each token's credit and its examples."""
        for token, value in credit.items():
            t = self.ids.get(token)
            if t is None:
                t = self.ids[token] = len(self._entries)
                self._entries.append(array("i"))
                self._credits.append(array("d"))
                self._starts.append(array("i", [0]))
                self._examples.append(array("h"))
            self._entries[t].append(entry)
            self._credits[t].append(value)
            self._examples[t].extend(examples.get(token, ()))
            self._starts[t].append(len(self._examples[t]))

    def freeze(self, cap: int, size: int) -> None:
        """Finish the index of `size` entries; the pool takes at most `cap` of a token's."""
        for t, entries in enumerate(self._entries):
            credits = self._credits[t]
            if len(entries) > cap:
                order = sorted(range(len(entries)), key=lambda k: -credits[k])[:cap]
                self._top[t] = array("i", (entries[k] for k in order))
            values = tuple(sorted(set(credits)))
            if len(entries) * DENSE_SHARE > size and len(values) < 256:
                codes = bytearray(size)
                code = {v: c for c, v in enumerate(values, 1)}
                for e, v in zip(entries, credits, strict=True):
                    codes[e] = code[v]
                self._dense[t] = (bytes(codes), values)

    def state(self) -> tuple[list[array[Any]], ...]:
        """The frozen index as arrays, for a snapshot (snapshot.py): each token's entries,
        credits, example starts and examples (ids in order), then the `_top` tokens and their
        entries, then the `_dense` tokens, their codes and their credit values."""
        top, dense = self._top, self._dense
        return (
            self._entries,
            self._credits,
            self._starts,
            self._examples,
            [array("i", top)],
            list(top.values()),
            [array("i", dense)],
            [array("B", codes) for codes, _ in dense.values()],
            [array("d", values) for _, values in dense.values()],
        )

    @classmethod
    def restore(cls, tokens: Sequence[str], state: Sequence[Sequence[array[Any]]]) -> TokenIndex:
        """The frozen index of `state` (what `state` gave) and its `tokens` (in id order)."""
        index = cls()
        index.ids = {token: t for t, token in enumerate(tokens)}
        entries, credits, starts, examples, (top,), tops, (dense,), codes, values = state
        if not len(tokens) == len(entries) == len(credits) == len(starts) == len(examples):
            raise ValueError("postings of another number of tokens")
        index._entries, index._credits = list(entries), list(credits)
        index._starts, index._examples = list(starts), list(examples)
        index._top = dict(zip(top, tops, strict=True))
        dense_of = zip(dense, codes, values, strict=True)
        index._dense = {t: (c.tobytes(), tuple(v)) for t, c, v in dense_of}
        return index

    def size(self, token: str) -> int:
        """How many entries credit `token` (0 for a word the knowledge base does not use)."""
        t = self.ids.get(token)
        return 0 if t is None else len(self._entries[t])

    def sizes(self) -> Iterable[tuple[str, int]]:
        """Each token and the number of entries crediting it."""
        return ((token, len(self._entries[t])) for token, t in self.ids.items())

    def known(self, weights: Mapping[str, float]) -> list[tuple[int, float]]:
        """The (token id, weight) of each token of `weights` the index has, in their order."""
        ids = self.ids
        return [(ids[token], w) for token, w in weights.items() if token in ids]

    def pool(
        self, weights: Sequence[tuple[int, float]], seed: Iterable[int], cap: int
    ) -> set[int]:
        """`seed` and the entries sharing a token of `weights`, rarest first, up to `cap`.

        Words whose entries would take the pool past `cap` add none (they still count in the
        coverage of the entries already in): with 10,000 entries a word like 孩子 would
        otherwise bring in thousands that cannot win. When even the rarest word is too common
        (a question of everyday words only), the `cap` entries it credits most come in.
        """
        pool = set(seed)
        for t, _ in sorted(weights, key=lambda tw: len(self._entries[tw[0]])):
            postings = self._entries[t]
            if pool and len(pool) + len(postings) > cap:
                break
            pool.update(self._top.get(t, postings))
        return pool

    def coverage(
        self, weights: Sequence[tuple[int, float]], pool: Iterable[int]
    ) -> dict[int, float]:
        """Sum, for each entry of `pool`, weight × credit over the tokens, token by token."""
        members = list(pool)
        cov = [0.0] * len(members)
        where: dict[int, int] = {}
        for t, w in weights:
            if not w:
                continue
            dense = self._dense.get(t)
            if dense is not None:  # adds w × 0.0 where the token gives no credit, as a sum would
                codes, values = dense
                share = [0.0, *(w * v for v in values)]
                cov = list(map(add, cov, map(share.__getitem__, map(codes.__getitem__, members))))
                continue
            where = where or {e: k for k, e in enumerate(members)}
            self._sparse(t, w, where, cov)
        return dict(zip(members, cov, strict=True))

    def _sparse(self, t: int, w: float, where: dict[int, int], cov: list[float]) -> None:
        """Add token t's share to the coverage of the pool's entries (their places `where`)."""
        entries, credits = self._entries[t], self._credits[t]
        if len(entries) <= SCAN_RATIO * len(where):
            for e, c in zip(entries, credits, strict=True):
                k = where.get(e)
                if k is not None:
                    cov[k] += w * c
            return
        n = len(entries)
        for e, k in where.items():
            p = bisect_left(entries, e)
            if p < n and entries[p] == e:
                cov[k] += w * credits[p]

    def shared(self, entry: int, weights: Sequence[tuple[int, float]]) -> dict[int, float]:
        """Sum, for each example of `entry`, the weights of the tokens it shares."""
        out: dict[int, float] = {}
        for t, w in weights:
            entries = self._entries[t]
            k = bisect_left(entries, entry)
            if k == len(entries) or entries[k] != entry:
                continue
            starts = self._starts[t]
            for j in self._examples[t][starts[k] : starts[k + 1]]:
                out[j] = out.get(j, 0.0) + w
        return out
