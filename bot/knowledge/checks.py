"""Checks of an entry's values and of the entries together, each message in Chinese with what
to do and the English one in parentheses."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Collection

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
    Problem,
)
from bot.knowledge.facts import fact_problems
from bot.knowledge.wording import wording_problems

Report = Callable[..., None]
FIELD_NAMES = {
    "id": "编号",
    "title": "标题",
    "category": "分类",
    "questions": "例句",
    "answer": "回答",
    "source": "依据",
    "updated": "核对日期",
    "keywords": "关键词",
    "related": "相关条目",
    "facts": "依据原文",
}


def check_entry(
    texts: dict[str, str],
    lists: dict[str, list[tuple[str, int]]],
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    report: Report,
) -> None:
    """Report what is wrong with one entry's values (its fields all have the right types)."""
    if not ID_RE.match(texts["id"]):
        report(
            fields["id"][1],
            "编号要写成「分类.名字」，请只用小写英文字母、数字和下划线，如 social.dibao"
            " (id must look like 'category.name': lowercase, digits, _)",
        )
    if len(texts["title"]) > MAX_TITLE:
        report(
            fields["title"][1],
            f"标题超过 {MAX_TITLE} 个字，按钮上放不下：请缩短"
            f" (title is longer than {MAX_TITLE} characters)",
        )
    _check_answer(texts, lists, fields, report)
    try:
        dt.date.fromisoformat(texts["updated"])
    except ValueError:
        report(
            fields["updated"][1],
            f"updated 写的 {texts['updated']!r} 不是日期，请写成 2026-11-29 这样 "
            "(updated must be a date like 2026-11-29)",
        )
    _check_questions(lists["questions"], fields, report)


def _check_answer(
    texts: dict[str, str],
    lists: dict[str, list[tuple[str, int]]],
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    report: Report,
) -> None:
    answer_node = fields["answer"][1]
    answer_len = len(texts["answer"])
    if answer_len > MAX_ANSWER:
        report(
            answer_node,
            f"回答超过 {MAX_ANSWER} 个字，Telegram 发不出去：请删短"
            f" (answer is longer than {MAX_ANSWER} characters)",
        )
    elif answer_len > LONG_ANSWER:
        report(
            answer_node,
            f"回答有 {answer_len} 个字，在手机上太长了：请尽量删到 {LONG_ANSWER} 字以内"
            f" (answer is long: {answer_len} characters)",
            "warning",
        )
    for problem in wording_problems(texts["answer"]):
        report(answer_node, problem)
    facts = [f for f, _ in lists["facts"]]
    for severity, problem in fact_problems(texts["id"], texts["answer"], facts, texts["source"]):
        report(answer_node, problem, severity)


def _check_questions(
    questions: list[tuple[str, int]],
    fields: dict[str, tuple[yaml.Node, yaml.Node]],
    report: Report,
) -> None:
    if len(questions) < MIN_QUESTIONS:
        report(
            fields["questions"][1],
            f"例句只有 {len(questions)} 句，至少要 {MIN_QUESTIONS} 句：请照群众的说法再补几句"
            f" (needs at least {MIN_QUESTIONS} example questions)",
        )
    seen: set[str] = set()
    for text, at in questions:
        if len(text) > MAX_QUESTION:
            report(
                at,
                f"这句例句超过 {MAX_QUESTION} 个字：请缩短"
                f" (example question longer than {MAX_QUESTION} characters)",
            )
        if text in seen:
            report(
                at,
                f"例句 {text!r} 写了两遍：请删掉这一行"
                f" (example question {text!r} is listed twice)",
            )
        seen.add(text)


def check_across(
    entries: list[Entry],
    categories: list[Category],
    name: str,
    problems: list[Problem],
    broken: Collection[str] = (),
) -> None:
    """Report what is wrong between entries: ids, categories, related ids, shared questions.

    `broken`: ids of entries left out for problems of their own, which a related id may name.
    """
    ids: dict[str, Entry] = {}
    for entry in entries:
        if entry.id in ids:
            first = ids[entry.id].line
            message = (
                f"编号 {entry.id!r} 第 {first} 行已经用过了：请给这一条换一个编号，或删掉重复的"
                f" (duplicate id {entry.id!r}, first at line {first})"
            )
            problems.append(Problem(name, entry.line, message))
        else:
            ids[entry.id] = entry
    category_names = {c.name for c in categories}
    for entry in entries:
        if categories and entry.category not in category_names:
            names = "、".join(c.name for c in categories)
            message = (
                f"条目 {entry.id!r}: 分类 {entry.category!r} 不在 categories 里："
                f"请从 {names} 中选一个照抄 (unknown category {entry.category!r})"
            )
            problems.append(Problem(name, entry.line, message))
        problems.extend(_related_problems(entry, ids, name, broken))
    _shared_questions(entries, name, problems)


def _related_problems(
    entry: Entry, ids: dict[str, Entry], name: str, broken: Collection[str]
) -> list[Problem]:
    out = []
    for rel in entry.related:
        if rel not in ids and rel not in broken:
            message = (
                f"条目 {entry.id!r}: related 里的 {rel!r} 找不到这个条目：请检查拼写或删掉它"
                f" (related id {rel!r} not found)"
            )
            out.append(Problem(name, entry.line, message))
        elif rel == entry.id:
            message = f"条目 {entry.id!r}: related 里写了自己：请删掉 {rel!r} (related to itself)"
            out.append(Problem(name, entry.line, message))
    return out


def _shared_questions(entries: list[Entry], name: str, problems: list[Problem]) -> None:
    owner: dict[str, Entry] = {}
    for entry in entries:
        for question, at in zip(entry.questions, entry.question_lines, strict=True):
            first = owner.setdefault("".join(question.split()), entry)
            if first is not entry:
                message = (
                    f"条目 {entry.id!r}: 例句 {question!r} 在 {first.id!r} 里也有：一句话只能属于"
                    f"一个条目，请删掉一处 (example question {question!r} also under "
                    f"{first.id!r})"
                )
                problems.append(Problem(name, at, message))
