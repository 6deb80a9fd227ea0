"""Turn policies.yaml and lexicon.yaml into validated values, each problem with its line.

Validation walks the YAML node tree (not the loaded data) so that every message can name the
line an editor must fix.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable

import yaml

from bot.knowledge.entries import (
    ID_RE,
    LONG_ANSWER,
    MAX_ANSWER,
    MAX_QUESTION,
    MAX_TITLE,
    MIN_QUESTIONS,
    Category,
    Entry,
    KnowledgeBase,
    Lexicon,
    Problem,
)
from bot.knowledge.facts import fact_problems
from bot.knowledge.nodes import items, line_of, string, string_list
from bot.knowledge.wording import wording_problems


def build_lexicon(root: yaml.Node | None, name: str, problems: list[Problem]) -> Lexicon:
    """Build the lexicon from its node tree, appending any problems."""
    if root is None:
        return Lexicon()
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(name, line_of(root), "the lexicon must be a mapping"))
        return Lexicon()
    synonyms: dict[str, str] = {}
    fillers: set[str] = set()
    aspects: set[str] = set()
    for key, key_node, value in items(root):
        if key == "synonyms" and isinstance(value, yaml.MappingNode):
            for canonical, _, variants_node in items(value):
                variants = string_list(variants_node)
                if variants is None:
                    problems.append(
                        Problem(name, line_of(variants_node), f"synonyms of {canonical!r}: a list")
                    )
                    continue
                for variant, line in variants:
                    if variant in synonyms and synonyms[variant] != canonical:
                        problems.append(
                            Problem(name, line, f"{variant!r} is a variant of two words")
                        )
                    synonyms[variant] = canonical
        elif key in ("fillers", "aspects"):
            words = string_list(value)
            if words is None:
                problems.append(Problem(name, line_of(value), f"{key} must be a list of words"))
            else:
                (fillers if key == "fillers" else aspects).update(w for w, _ in words if w)
        else:
            problems.append(Problem(name, line_of(key_node), f"unknown lexicon key {key!r}"))
    return Lexicon(synonyms=synonyms, fillers=frozenset(fillers), aspects=frozenset(aspects))


def build_kb(
    root: yaml.Node, name: str, lexicon: Lexicon, problems: list[Problem]
) -> KnowledgeBase | None:
    """Build the knowledge base from its node tree, appending any problems (None: unusable)."""
    if not isinstance(root, yaml.MappingNode):
        problems.append(Problem(name, line_of(root), "top level must be a mapping with 'entries'"))
        return None
    top = {key: (key_node, value) for key, key_node, value in items(root)}
    categories = _build_categories(top.get("categories"), name, problems)
    if "entries" not in top:
        problems.append(Problem(name, 1, "missing 'entries' list"))
        return None
    entries_node = top["entries"][1]
    if not isinstance(entries_node, yaml.SequenceNode):
        problems.append(Problem(name, line_of(entries_node), "'entries' must be a list"))
        return None
    entries = [
        entry
        for node in entries_node.value
        if (entry := _build_entry(node, name, problems)) is not None
    ]
    _check_across(entries, categories, name, problems)
    return KnowledgeBase(tuple(entries), tuple(categories), lexicon, name)


def _build_categories(
    item: tuple[yaml.Node, yaml.Node] | None, name: str, problems: list[Problem]
) -> list[Category]:
    if item is None:
        problems.append(Problem(name, 1, "missing 'categories' list"))
        return []
    node = item[1]
    if not isinstance(node, yaml.SequenceNode):
        problems.append(Problem(name, line_of(node), "'categories' must be a list"))
        return []
    out: list[Category] = []
    for cat in node.value:
        fields = (
            {k: string(v) for k, _, v in items(cat)} if isinstance(cat, yaml.MappingNode) else {}
        )
        key, cname = fields.get("key"), fields.get("name")
        if not key or not cname:
            problems.append(Problem(name, line_of(cat), "a category needs 'key' and 'name'"))
            continue
        out.append(Category(key, cname))
    return out


_REQUIRED = ("id", "title", "category", "questions", "answer", "source", "updated")
_OPTIONAL = ("keywords", "related", "facts")


def _build_entry(node: yaml.Node, name: str, problems: list[Problem]) -> Entry | None:
    line = line_of(node)
    if not isinstance(node, yaml.MappingNode):
        problems.append(Problem(name, line, "an entry must be a mapping (id, title, …)"))
        return None
    fields = {key: (key_node, value) for key, key_node, value in items(node)}
    raw_id = string(fields["id"][1]) if "id" in fields else None
    label = f"entry {raw_id!r}" if raw_id else "entry"
    before = len(problems)

    def report(where: yaml.Node | int, message: str, severity: str = "error") -> None:
        at = where if isinstance(where, int) else line_of(where)
        problems.append(Problem(name, at, f"{label}: {message}", severity))

    for key, (key_node, _) in fields.items():
        if key not in _REQUIRED and key not in _OPTIONAL:
            report(key_node, f"unknown field {key!r}")
    for key in _REQUIRED:
        if key not in fields:
            report(line, f"missing field {key!r}")
    if len(problems) > before:
        return None

    texts = _texts(fields, report)
    lists = _lists(fields, report)
    if len(problems) > before:
        return None
    _check_entry(texts, lists, fields, report)
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


Report = Callable[..., None]
_Fields = dict[str, tuple[yaml.Node, yaml.Node]]


def _texts(fields: _Fields, report: Report) -> dict[str, str]:
    """The entry's one-line fields that are non-empty text; the others are reported."""
    texts: dict[str, str] = {}
    for key in ("id", "title", "category", "answer", "source", "updated"):
        value_node = fields[key][1]
        text = string(value_node)
        if text is None:
            report(value_node, f"{key} must be text")
        elif not text:
            report(value_node, f"{key} is empty")
        else:
            texts[key] = text
    return texts


_NOT_A_LIST = {
    "": "{key} 要写成一行一项的列表（每行以「- 」开头）({key} must be a list of text)",
    "facts": (
        "facts 要写成一行一句原文的列表，每行以「- 」开头；从 topics.yaml 抄时只抄 text 后面的"
        "那句话，不要抄 text:/source: (facts must be a list of text)"
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
        items = string_list(value_node)
        if items is None:
            report(value_node, _NOT_A_LIST.get(key, _NOT_A_LIST[""]).format(key=key))
            continue
        for text, at in items:
            if not text:
                report(at, f"{key} 里有一项是空的：请写上内容或删掉这一行 (empty item in {key})")
        lists[key] = [(t, at) for t, at in items if t]
    return lists


def _check_entry(
    texts: dict[str, str],
    lists: dict[str, list[tuple[str, int]]],
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    report: Report,
) -> None:
    if not ID_RE.match(texts["id"]):
        report(fields["id"][1], "id must look like 'category.name' (lowercase, digits, _)")
    if len(texts["title"]) > MAX_TITLE:
        report(fields["title"][1], f"title is longer than {MAX_TITLE} characters")
    answer_len = len(texts["answer"])
    if answer_len > MAX_ANSWER:
        report(fields["answer"][1], f"answer is longer than {MAX_ANSWER} characters")
    elif answer_len > LONG_ANSWER:
        report(fields["answer"][1], f"answer is long ({answer_len} characters)", "warning")
    for problem in wording_problems(texts["answer"]):
        report(fields["answer"][1], problem)
    facts = [f for f, _ in lists["facts"]]
    for severity, problem in fact_problems(texts["id"], texts["answer"], facts, texts["source"]):
        report(fields["answer"][1], problem, severity)
    try:
        dt.date.fromisoformat(texts["updated"])
    except ValueError:
        report(
            fields["updated"][1],
            f"updated 写的 {texts['updated']!r} 不是日期，请写成 2026-11-29 这样 "
            "(updated must be a date like 2026-11-29)",
        )
    questions = lists["questions"]
    if len(questions) < MIN_QUESTIONS:
        report(fields["questions"][1], f"needs at least {MIN_QUESTIONS} example questions")
    seen: set[str] = set()
    for text, at in questions:
        if len(text) > MAX_QUESTION:
            report(at, f"example question longer than {MAX_QUESTION} characters")
        if text in seen:
            report(at, f"example question {text!r} is listed twice")
        seen.add(text)


def _check_across(
    entries: list[Entry], categories: list[Category], name: str, problems: list[Problem]
) -> None:
    ids: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in ids:
            problems.append(
                Problem(
                    name,
                    entry.line,
                    f"duplicate id {entry.id!r} (first at line {ids[entry.id].line})",
                )
            )
        else:
            ids[entry.id] = entry
    category_names = {c.name for c in categories}
    owner: dict[str, Entry] = {}
    for entry in entries:
        if categories and entry.category not in category_names:
            problems.append(
                Problem(
                    name, entry.line, f"entry {entry.id!r}: unknown category {entry.category!r}"
                )
            )
        for rel in entry.related:
            if rel not in ids:
                problems.append(
                    Problem(name, entry.line, f"entry {entry.id!r}: related id {rel!r} not found")
                )
            elif rel == entry.id:
                problems.append(
                    Problem(name, entry.line, f"entry {entry.id!r}: related to itself")
                )
        for question, at in zip(entry.questions, entry.question_lines, strict=True):
            key = "".join(question.split())
            first = owner.setdefault(key, entry)
            if first is not entry:
                problems.append(
                    Problem(
                        name,
                        at,
                        f"entry {entry.id!r}: example question {question!r} also under "
                        f"{first.id!r}",
                    )
                )
