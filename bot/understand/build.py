"""Indexing the knowledge base's entries: what the matcher builds from their analysed texts
before any weighting, in one `Built` (which snapshot.py keeps between starts)."""

from __future__ import annotations

from array import array
from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass

from bot.knowledge import Entry
from bot.understand.analyze import Query
from bot.understand.index import TokenIndex
from bot.understand.memo import AnalysisMemo, analyse_each
from bot.understand.tuning import MAX_KEYWORD, MAX_POOL

# Entries whose texts' analyses are read from the memo in one go (memo.AnalysisMemo.prefetch).
PREFETCH = 200


@dataclass
class Doc:
    """What scoring reads of one entry besides the index: its id and example texts."""

    entry_id: str
    example_texts: list[str]
    example_weights: array[float]


@dataclass
class Built:
    """The indexed entries: the frozen index, a doc per entry (its example weights not yet
    set), the entries of each keyword, and each entry's texts (for spread.KeywordSpread)."""

    index: TokenIndex
    docs: list[Doc]
    # the ids of each example's distinct tokens, all examples of all docs in order: example k's
    # are tokens[ends[k - 1] : ends[k]] (from 0 for the first)
    tokens: array[int]
    ends: array[int]
    keyword_entries: dict[str, set[int]]
    texts: list[str]


def entry_texts(entries: Iterable[Entry]) -> Iterable[str]:
    """Every text of `entries` that the matcher analyses."""
    for entry in entries:
        yield from (*entry.questions, entry.title, *entry.keywords)


def index_entries(
    entries: Sequence[Entry],
    analyze: Callable[[str], Query],
    topic_examples: float,
    store: AnalysisMemo | None,
) -> Built:
    """Analyse (or read from `store`) and index every entry's examples, title and keywords."""
    index = TokenIndex()
    built = Built(index, [], array("i"), array("i"), defaultdict(set), [])
    analysed = store.analysed if store else analyse_each
    # keywords recur across entries (低保, 雨露计划): each is analysed once
    seen: dict[str, Query] = {}
    for i, entry in enumerate(entries):
        if store and i % PREFETCH == 0:
            store.prefetch(entry_texts(entries[i : i + PREFETCH]))
        own = (*entry.questions, entry.title)
        fresh = [k for k in dict.fromkeys(entry.keywords) if k not in seen]
        found = analysed([*own, *fresh], analyze)
        examples = found[: len(own)]
        seen.update(zip(fresh, found[len(own) :], strict=True))
        keywords = [seen[k] for k in entry.keywords]
        _index_entry(index, i, examples, keywords, topic_examples)
        built.docs.append(Doc(entry.id, [ex.joined for ex in examples], array("d")))
        ids = index.ids
        for x in examples:
            built.tokens.extend(map(ids.__getitem__, dict.fromkeys(x.tokens)))
            built.ends.append(len(built.tokens))
        built.texts.append("\n".join(x.compact for x in (*examples, *keywords)))
        for key in (k.compact for k in keywords):
            if 2 <= len(key) <= MAX_KEYWORD:
                built.keyword_entries[key].add(i)
    if store:
        store.save()
    index.freeze(MAX_POOL, len(built.docs))
    return built


def _index_entry(
    index: TokenIndex,
    i: int,
    examples: Sequence[Query],
    keywords: Sequence[Query],
    topic_examples: float,
) -> None:
    token_examples: dict[str, list[int]] = defaultdict(list)
    for j, ex in enumerate(examples):
        for token in dict.fromkeys(ex.tokens):
            token_examples[token].append(j)
    # A word the entry's keywords or title use, or that several of its examples share, is
    # what the entry is about; a word of one story-like example (孩子, 上学 in a training
    # question) is context and earns only part of the credit.
    credit = {t: min(1.0, len(js) / topic_examples) for t, js in token_examples.items()}
    for t in (*examples[-1].tokens, *(t for k in keywords for t in k.tokens)):
        credit[t] = 1.0
    index.add(i, credit, token_examples)
