"""Turn lexicon.yaml into the Lexicon, each problem in Chinese with its line and what to do."""

from __future__ import annotations

import yaml

from bot.knowledge.entries import Lexicon, Problem
from bot.knowledge.nodes import items, line_of, string_list

_KEYS = "synonyms（同义词）、fillers（虚词）、aspects（问法词）"


def build_lexicon(root: yaml.Node | None, name: str, problems: list[Problem]) -> Lexicon:
    """Build the lexicon from its node tree, appending any problems."""
    if root is None:
        return Lexicon()
    if not isinstance(root, yaml.MappingNode):
        message = (
            f"词表的最外层请写成「键: 值」的形式，只用 {_KEYS} 三个键 "
            "(the lexicon must be a mapping)"
        )
        problems.append(Problem(name, line_of(root), message))
        return Lexicon()
    synonyms: dict[str, str] = {}
    fillers: set[str] = set()
    aspects: set[str] = set()
    for key, key_node, value in items(root):
        if key == "synonyms":
            _add_synonyms(value, synonyms, name, problems)
        elif key in ("fillers", "aspects"):
            words = string_list(value)
            if words is None:
                message = (
                    f"{key} 请写成一行一个词的列表（每行以「- 」开头，或写成 [词, 词]）"
                    f" ({key} must be a list of words)"
                )
                problems.append(Problem(name, line_of(value), message))
            else:
                (fillers if key == "fillers" else aspects).update(w for w, _ in words if w)
        else:
            message = (
                f"词表里没有 {key!r} 这一项：只能用 {_KEYS}，请检查拼写"
                f" (unknown lexicon key {key!r})"
            )
            problems.append(Problem(name, line_of(key_node), message))
    return Lexicon(synonyms=synonyms, fillers=frozenset(fillers), aspects=frozenset(aspects))


def _add_synonyms(
    node: yaml.Node, synonyms: dict[str, str], name: str, problems: list[Problem]
) -> None:
    if not isinstance(node, yaml.MappingNode):
        message = (
            "synonyms 下面请写成「标准词: [叫法, 叫法]」一行一个 (synonyms must be a mapping of "
            "a word to its variants)"
        )
        problems.append(Problem(name, line_of(node), message))
        return
    for canonical, _, variants_node in items(node):
        variants = string_list(variants_node)
        if variants is None:
            message = (
                f"{canonical!r} 的叫法请写成列表，如 [叫法, 叫法] "
                f"(synonyms of {canonical!r}: a list)"
            )
            problems.append(Problem(name, line_of(variants_node), message))
            continue
        for variant, line in variants:
            if variant in synonyms and synonyms[variant] != canonical:
                message = (
                    f"{variant!r} 同时写在 {synonyms[variant]!r} 和 {canonical!r} 下面：一个叫法"
                    f"只能对应一个标准词，请删掉一处 ({variant!r} is a variant of two words)"
                )
                problems.append(Problem(name, line, message))
            synonyms[variant] = canonical
