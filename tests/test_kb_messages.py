"""Every message the knowledge-base loader can give reaches editors in plain Chinese: the line,
what is wrong and what to do, the English one only in parentheses at the end (issue 12.3)."""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import Problem, parse_knowledge

CJK = re.compile(r"[\u3400-\u9fff]")


def entry(entry_id: str, q: str, **fields: str) -> str:
    questions = "".join(f"      - {q}{i}\n" for i in "一二三四五六")
    values = {
        "title": entry_id.rsplit(".", 1)[-1],
        "category": "社会保障",
        "questions": "\n" + questions.rstrip("\n"),
        "answer": "请问乡镇民政办。",
        "source": "国家扶贫政策（2018–2020年）",
        "facts": "\n      - 申请低保一般以家庭为单位，向户籍所在地乡镇政府（街道办）提出",
        "updated": "2026-11-29",
        **fields,
    }
    body = "".join(f"    {k}: {v}\n" for k, v in values.items() if v != "-")
    return f"  - id: {entry_id}\n{body}"


HEAD = "version: 1\ncategories:\n  - {key: social, name: 社会保障}\nentries:\n"
GOOD = HEAD + entry("social.dibao", "低保咋申请") + entry("social.tekun", "特困供养咋申请")

# each case: the policies.yaml text, the English half of the message it must give
KB_CASES: list[tuple[str, str]] = [
    ("- a\n- b\n", "top level must be a mapping"),
    ("version: 1\ncategories: []\n", "missing 'entries' list"),
    ("version: 1\ncategories: []\nentries: 3\n", "'entries' must be a list"),
    ("version: 1\nentries: []\n", "missing 'categories' list"),
    ("version: 1\ncategories: 3\nentries: []\n", "'categories' must be a list"),
    ("version: 1\ncategories:\n  - {key: social}\nentries: []\n", "needs 'key' and 'name'"),
    (HEAD + "  - 低保\n", "an entry must be a mapping"),
    (HEAD + entry("social.dibao", "低保", extra="1"), "unknown field 'extra'"),
    (HEAD + entry("social.dibao", "低保", source="-"), "missing field 'source'"),
    (HEAD + entry("social.dibao", "低保", title="[低保]"), "title must be text"),
    (HEAD + entry("social.dibao", "低保", title='""'), "title is empty"),
    (HEAD + entry("social.dibao", "低保", questions="3"), "questions must be a list of text"),
    (HEAD + entry("social.dibao", "低保", keywords='[""]'), "empty item in keywords"),
    (HEAD + entry("social.dibao", "低保", facts="{a: 1}"), "facts must be a list of text"),
    (HEAD + entry("Social Dibao", "低保"), "id must look like"),
    (HEAD + entry("social.dibao", "低保", title="长" * 41), "title is longer than"),
    (HEAD + entry("social.dibao", "低保", answer="长" * 4097), "answer is longer than"),
    (HEAD + entry("social.dibao", "低保", answer="长" * 700), "answer is long: 700"),
    (HEAD + entry("social.dibao", "低保", answer="待补充"), "answer is a placeholder"),
    (HEAD + entry("social.dibao", "低保", answer="明年底完成2020年的"), "relative time"),
    (HEAD + entry("social.dibao", "低保", answer="补300元"), "is in no fact"),
    (HEAD + entry("social.dibao", "低保", answer="补300元", facts="-"), "has no facts"),
    (HEAD + entry("social.dibao", "低保", facts="-"), "the entry has no facts"),
    (HEAD + entry("social.dibao", "低保", updated="昨天"), "updated must be a date"),
    (HEAD + entry("social.dibao", "低保", questions="[一, 二]"), "at least 6 example"),
    (HEAD + entry("social.dibao", "问" * 201), "example question longer than"),
    (HEAD + entry("social.dibao", "低保").replace("低保四", "低保一"), "is listed twice"),
    (HEAD + entry("social.dibao", "低保") * 2, "duplicate id 'social.dibao'"),
    (HEAD + entry("social.dibao", "低保", category="低保类"), "unknown category"),
    (HEAD + entry("social.dibao", "低保", related="[social.x]"), "related id 'social.x' not"),
    (HEAD + entry("social.dibao", "低保", related="[social.dibao]"), "related to itself"),
    (HEAD + entry("social.dibao", "低保") + entry("social.tekun", "低保"), "also under"),
    (GOOD.replace("    updated:", "    title: 又一个\n    updated:", 1), "duplicate key 'title'"),
    (GOOD.replace("version: 1", "version: [1", 1), "YAML syntax error"),
    ("", "file is empty"),
]

LEXICON_CASES: list[tuple[str, str]] = [
    ("- 俺\n", "the lexicon must be a mapping"),
    ("synonyms: [娃]\n", "synonyms must be a mapping"),
    ("synonyms:\n  孩子: 娃\n", "synonyms of '孩子': a list"),
    ("synonyms:\n  孩子: [娃]\n  儿童: [娃]\n", "'娃' is a variant of two words"),
    ("fillers: 俺\n", "fillers must be a list of words"),
    ("filers: [俺]\n", "unknown lexicon key 'filers'"),
]


def assert_for_editors(problem: Problem) -> None:
    """Chinese that says what to do, the English only in parentheses at the end."""
    text = problem.message
    assert text.endswith(")"), text
    chinese = text[: text.rindex(" (")]
    assert CJK.search(chinese.removeprefix("条目")), text
    assert "请" in chinese, text  # what to do
    assert "Traceback" not in text


def test_the_good_file_is_good(tmp_path: Path) -> None:
    (tmp_path / "policies.yaml").write_text(GOOD, encoding="utf-8")
    assert parse_knowledge(tmp_path / "policies.yaml")[1] == []


@pytest.mark.parametrize(("text", "english"), KB_CASES, ids=[c[1] for c in KB_CASES])
def test_each_knowledge_base_message_is_chinese_with_its_line_and_what_to_do(
    tmp_path: Path, text: str, english: str
) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    _, problems = parse_knowledge(path)
    assert [p for p in problems if english in p.message], problems
    for problem in problems:
        assert_for_editors(problem)
        assert problem.line >= 1, problem
        assert str(problem).startswith(f"{path}:{problem.line}: ")


@pytest.mark.parametrize(("text", "english"), LEXICON_CASES, ids=[c[1] for c in LEXICON_CASES])
def test_each_lexicon_message_is_chinese_with_its_line_and_what_to_do(
    tmp_path: Path, text: str, english: str
) -> None:
    (tmp_path / "policies.yaml").write_text(GOOD, encoding="utf-8")
    (tmp_path / "lexicon.yaml").write_text(text, encoding="utf-8")
    _, problems = parse_knowledge(tmp_path / "policies.yaml")
    [problem] = problems
    assert english in problem.message
    assert problem.path == str(tmp_path / "lexicon.yaml")
    assert problem.line >= 1
    assert_for_editors(problem)


def _missing(folder: Path) -> Path:
    return folder / "nowhere.yaml"


def _directory(folder: Path) -> Path:
    (folder / "policies.yaml").mkdir()
    return folder / "policies.yaml"


def _gbk(folder: Path) -> Path:
    (folder / "policies.yaml").write_bytes(GOOD.encode("gbk"))
    return folder / "policies.yaml"


def _binary(folder: Path) -> Path:
    (folder / "policies.yaml").write_bytes(b"\x00\xff\xfe\x80" * 10)
    return folder / "policies.yaml"


@pytest.mark.parametrize("make", [_missing, _directory, _gbk, _binary], ids=lambda f: f.__name__)
def test_an_unreadable_file_is_explained_in_chinese(
    tmp_path: Path, make: Callable[[Path], Path]
) -> None:
    _, [problem] = parse_knowledge(make(tmp_path))
    assert_for_editors(problem)


def test_a_warning_is_labelled_in_chinese(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_text(HEAD + entry("social.dibao", "低保", facts="-"), encoding="utf-8")
    [problem] = parse_knowledge(path)[1]
    assert str(problem).startswith(f"{path}:{problem.line}: 提醒 (warning): 条目 'social.dibao'")


def test_kb_check_prints_every_problem_of_a_file_at_once_in_chinese(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    text = HEAD + entry("social.dibao", "低保", title='""', updated="昨天")
    text += entry("social.tekun", "特困", category="低保类")
    path = tmp_path / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    assert main(["kb", "check", str(path)]) == 1
    lines = capsys.readouterr().out.splitlines()
    problems = [line for line in lines if line.startswith(f"{path}:") and "条目" in line]
    assert len(problems) == 2, lines  # the first entry stops at its title; the second is checked
    assert any("title is empty" in line for line in problems)
    assert any("分类 '低保类'" in line for line in problems)
