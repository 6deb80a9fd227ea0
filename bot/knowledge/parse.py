"""Turn policies.yaml into validated entries, each problem with its line.

Validation walks the YAML node tree (not the loaded data) so that every message can name the
line an editor must fix; every message is Chinese, says what to do, and ends with the English
one in parentheses.
"""

from __future__ import annotations

import yaml

from bot.knowledge.checks import FIELD_NAMES, Report, check_across, check_entry
from bot.knowledge.entries import Category, Entry, KnowledgeBase, Lexicon, Problem
from bot.knowledge.lexicon import build_lexicon as build_lexicon  # re-exported for load
from bot.knowledge.nodes import items, line_of, string, string_list


def build_kb(
    root: yaml.Node, name: str, lexicon: Lexicon, problems: list[Problem]
) -> KnowledgeBase | None:
    """Build the knowledge base from its node tree, appending any problems (None: unusable)."""
    if not isinstance(root, yaml.MappingNode):
        message = (
            "文件的最外层要写成 version:、categories:、entries: 这几项，请对照原来的文件改"
            " (top level must be a mapping with 'entries')"
        )
        problems.append(Problem(name, line_of(root), message))
        return None
    top = {key: (key_node, value) for key, key_node, value in items(root)}
    categories = _build_categories(top.get("categories"), name, problems)
    if "entries" not in top:
        message = (
            "文件里没有 entries:（全部条目）这一项：请写上 entries:，条目写在它下面"
            " (missing 'entries' list)"
        )
        problems.append(Problem(name, 1, message))
        return None
    entries_node = top["entries"][1]
    if not isinstance(entries_node, yaml.SequenceNode):
        message = "entries: 下面请一条一条地写，每一条以「- id:」开头 ('entries' must be a list)"
        problems.append(Problem(name, line_of(entries_node), message))
        return None
    entries, broken = [], set()
    for node in entries_node.value:
        entry = _build_entry(node, name, problems)
        if entry is not None:
            entries.append(entry)
        elif raw_id := _raw_id(node):
            broken.add(raw_id)  # reported where it is; a related id naming it is no new problem
    check_across(entries, categories, name, problems, broken)
    return KnowledgeBase(tuple(entries), tuple(categories), lexicon, name)


def _build_categories(
    item: tuple[yaml.Node, yaml.Node] | None, name: str, problems: list[Problem]
) -> list[Category]:
    if item is None:
        message = (
            "文件里没有 categories:（分类）这一项：请写上分类列表，如 "
            "- {key: social, name: 社会保障} (missing 'categories' list)"
        )
        problems.append(Problem(name, 1, message))
        return []
    node = item[1]
    if not isinstance(node, yaml.SequenceNode):
        message = (
            "categories: 下面请每个分类写一行，以「- 」开头，如 - {key: social, name: 社会保障}"
            " ('categories' must be a list)"
        )
        problems.append(Problem(name, line_of(node), message))
        return []
    out: list[Category] = []
    for cat in node.value:
        fields = (
            {k: string(v) for k, _, v in items(cat)} if isinstance(cat, yaml.MappingNode) else {}
        )
        key, cname = fields.get("key"), fields.get("name")
        if not key or not cname:
            message = (
                "这个分类缺了 key（英文简称）或 name（中文名）：请两样都写上，"
                "如 {key: social, name: 社会保障} (a category needs 'key' and 'name')"
            )
            problems.append(Problem(name, line_of(cat), message))
            continue
        out.append(Category(key, cname))
    return out


_REQUIRED = ("id", "title", "category", "questions", "answer", "source", "updated")
_OPTIONAL = ("keywords", "related", "facts")


def _raw_id(node: yaml.Node) -> str | None:
    """The id an entry's node names, if it names one as text."""
    if not isinstance(node, yaml.MappingNode):
        return None
    return next((string(value) for key, _, value in items(node) if key == "id"), None)


def _build_entry(node: yaml.Node, name: str, problems: list[Problem]) -> Entry | None:
    line = line_of(node)
    if not isinstance(node, yaml.MappingNode):
        message = (
            "一个条目要写成「- id: …」下面跟着 title:、category: 等几行，请对照别的条目改"
            " (an entry must be a mapping: id, title, …)"
        )
        problems.append(Problem(name, line, message))
        return None
    fields = {key: (key_node, value) for key, key_node, value in items(node)}
    raw_id = string(fields["id"][1]) if "id" in fields else None
    label = f"条目 {raw_id!r}" if raw_id else "条目"
    before = len(problems)

    def report(where: yaml.Node | int, message: str, severity: str = "error") -> None:
        at = where if isinstance(where, int) else line_of(where)
        problems.append(Problem(name, at, f"{label}: {message}", severity))

    _check_keys(fields, line, report)
    if len(problems) > before:
        return None
    texts = _texts(fields, report)
    lists = _lists(fields, report)
    if len(problems) > before:
        return None
    check_entry(texts, lists, fields, report)
    return Entry(
        id=texts["id"],
        title=texts["title"],
        category=texts["category"],
        questions=tuple(q for q, _ in lists["questions"]),
        keywords=tuple(k for k, _ in lists["keywords"]),
        answer=texts["answer"],
        source=texts["source"],
        updated=texts["updated"],
        related=tuple(r for r, _ in lists["related"]),
        line=line,
        question_lines=tuple(at for _, at in lists["questions"]),
        facts=tuple(f for f, _ in lists["facts"]),
    )


_Fields = dict[str, tuple[yaml.Node, yaml.Node]]
_KNOWN = "、".join(_REQUIRED + _OPTIONAL)


def _check_keys(fields: _Fields, line: int, report: Report) -> None:
    for key, (key_node, _) in fields.items():
        if key not in _REQUIRED and key not in _OPTIONAL:
            report(
                key_node,
                f"没有 {key!r} 这一项：能写的只有 {_KNOWN}，请检查拼写或删掉这一行"
                f" (unknown field {key!r})",
            )
    for key in _REQUIRED:
        if key not in fields:
            report(
                line,
                f"缺了 {key}（{FIELD_NAMES[key]}）这一项：请在这个条目里补上 {key}: …"
                f" (missing field {key!r})",
            )


def _texts(fields: _Fields, report: Report) -> dict[str, str]:
    """The entry's one-line fields that are non-empty text; the others are reported."""
    texts: dict[str, str] = {}
    for key in ("id", "title", "category", "answer", "source", "updated"):
        value_node = fields[key][1]
        text = string(value_node)
        what = f"{key}（{FIELD_NAMES[key]}）"
        if text is None:
            report(
                value_node,
                f"{what} 要写成一段文字，不能是列表、空值或 true/false；有方括号、冒号的话请加引号"
                f" ({key} must be text)",
            )
        elif not text:
            report(value_node, f"{what} 是空的：请写上内容 ({key} is empty)")
        else:
            texts[key] = text
    return texts


_NOT_A_LIST = {
    "": "{key} 请写成一行一项的列表（每行以「- 」开头） ({key} must be a list of text)",
    "facts": (
        "facts 要写成一行一句原文的列表，每行以「- 」开头；从 topics.yaml 抄时只抄 text 后面的"
        "那句话，请不要抄 text:/source: (facts must be a list of text)"
    ),
}


def _lists(fields: _Fields, report: Report) -> dict[str, list[tuple[str, int]]]:
    """The entry's list fields as (text, line) pairs, empty items reported and left out."""
    lists: dict[str, list[tuple[str, int]]] = {}
    for key in ("questions", "keywords", "related", "facts"):
        if key not in fields:
            lists[key] = []
            continue
        value_node = fields[key][1]
        found = string_list(value_node)
        if found is None:
            report(value_node, _NOT_A_LIST.get(key, _NOT_A_LIST[""]).format(key=key))
            continue
        for text, at in found:
            if not text:
                report(at, f"{key} 里有一项是空的：请写上内容或删掉这一行 (empty item in {key})")
        lists[key] = [(t, at) for t, at in found if t]
    return lists
