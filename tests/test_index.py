"""The token index: coverage as the per-entry sum it replaces, and a pool that keeps its cap."""

import random

import pytest

from bot.understand.index import TokenIndex

WORDS = [f"w{k}" for k in range(204)]


def random_index(size: int, seed: int = 3) -> tuple[TokenIndex, list[dict[str, float]]]:
    rng = random.Random(seed)
    index, credits = TokenIndex(), []
    for entry in range(size):
        # a few words most entries use (dense postings), the rest rare (sparse)
        words = {w for w in WORDS[:4] if rng.random() < 0.8} | set(rng.sample(WORDS[4:], 3))
        credit = {w: rng.choice((0.5, 1.0)) for w in sorted(words)}
        index.add(entry, credit, {w: [0] for w in credit})
        credits.append(credit)
    index.freeze(cap=30, size=size)
    return index, credits


# a pool of a third of the entries scans the rare words' postings; one of five entries in
# 2,000 looks its entries up in them
@pytest.mark.parametrize(("size", "step"), [(200, 3), (2000, 400)])
def test_coverage_is_the_per_entry_sum_token_by_token(size: int, step: int) -> None:
    index, credits = random_index(size)
    weights = {"w0": 0.3, "w1": 0.0, "w7": 2.5, "w9": 1.25, "unknown": 4.0, "w2": 0.7}
    pool = set(range(0, size, step))
    assert index.size("w0") * 16 > size > index.size("w7") * 16  # both kinds of postings
    coverage = index.coverage(index.known(weights), pool)
    assert set(coverage) == pool
    for e in pool:
        expected = sum(w * credits[e].get(t, 0.0) for t, w in weights.items())
        assert coverage[e] == expected  # same order of additions: the very same float


def test_the_pool_never_passes_its_cap_even_for_common_words_only() -> None:
    index, _ = random_index(200)
    assert index.size("w0") > 30
    pool = index.pool(index.known({"w0": 1.0, "w1": 1.0}), (), 30)
    assert len(pool) == 30
    rare = index.pool(index.known({"w5": 1.0, "w0": 1.0}), (), 30)
    assert rare
    assert len(rare) == index.size("w5") <= 30  # the common word would take it past the cap


def test_shared_sums_the_weights_of_the_examples_sharing_a_word() -> None:
    index = TokenIndex()
    index.add(0, {"a": 1.0, "b": 0.5}, {"a": [0, 2], "b": [2]})
    index.add(1, {"a": 1.0}, {"a": [1]})
    index.freeze(cap=10, size=2)
    assert index.shared(0, index.known({"a": 1.0, "b": 2.0, "c": 5.0})) == {0: 1.0, 2: 3.0}
    assert index.shared(1, index.known({"b": 2.0})) == {}
