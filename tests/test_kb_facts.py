"""A number in an answer (amount, share, year, phone) must be in the entry's `facts` or source:
`kb check` names the line and what to do, in Chinese; a malformed `facts` is reported too."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import parse_knowledge

FACT = (
    "雨露计划对建档立卡贫困家庭子女接受中等职业教育、高等职业教育的给予扶贫助学补助，"
    "一般每生每年3000元"
)
PHONE_FACT = "全国扶贫监督举报电话是12317；也可以拨打纪检监察机关举报电话12388"

KB = """\
version: 1
categories:
  - {{key: edu, name: 教育}}
entries:
  - id: edu.yulu_plan
    title: 雨露计划
    category: 教育
    questions:
      - 雨露计划咋申请
      - 娃上中职能领雨露补助不
      - 雨露计划一年补多少
      - 上高职还给雨露补助不
      - 雨露计划要交啥材料
      - 雨露计划啥时候发钱
    answer: {answer}
    source: 国家扶贫政策（2018–2020年）
{facts}    updated: 2026-11-29
"""


def write(tmp_path: Path, answer: str, facts: str = f"    facts:\n      - {FACT}\n") -> Path:
    path = tmp_path / "policies.yaml"
    path.write_text(KB.format(answer=answer, facts=facts), encoding="utf-8")
    return path


def found(path: Path) -> list[tuple[str, int, str]]:
    _, problems = parse_knowledge(path)
    return [(p.severity, p.line, p.message) for p in problems]


ANSWER_LINE = 15  # the line of `answer:` in KB


@pytest.mark.parametrize(
    ("answer", "invented"),
    [
        ("一般每生每年5000元。", "5000"),
        ("一般每生每年3000元，有问题打12345反映。", "12345"),  # a phone nobody wrote down
        ("一般每生每年3000元，覆盖率95%。", "95"),
        ("一般每生每年3000元，2019年起发放。", "2019"),  # a year neither fact nor source has
        ("一般每生每年３５００元。", "3500"),  # full-width digits are digits too
        ("一般每生每年3.5千元。", "3.5"),
        ("一般每生每年三千五百元。", "三千五百元"),  # an amount in Chinese numerals
        ("补助占百分之三十。", "百分之三十"),
    ],
)
def test_a_number_no_fact_contains_is_an_error_at_the_answer(
    tmp_path: Path, answer: str, invented: str
) -> None:
    [(severity, line, message)] = found(write(tmp_path, answer))
    assert (severity, line) == ("error", ANSWER_LINE)
    assert invented in message
    assert "facts" in message
    assert "找不到" in message


@pytest.mark.parametrize(
    "answer",
    [
        "能补，一般每生每年3000元。",
        "一般每生每年３０００元。",  # the fact's number in full-width digits
        "按2018年的政策，每生每年3000元。",  # 2018 is in the source line
        "雨露计划是助学补助，请问乡镇扶贫办。",  # no number at all
    ],
)
def test_numbers_that_the_facts_or_source_state_pass(tmp_path: Path, answer: str) -> None:
    assert found(write(tmp_path, answer)) == []


def test_a_phone_number_from_the_facts_passes_and_one_digit_changed_does_not(
    tmp_path: Path,
) -> None:
    facts = f"    facts:\n      - {PHONE_FACT}\n"
    assert found(write(tmp_path, "可以打12317举报。", facts)) == []
    [(_, _, message)] = found(write(tmp_path, "可以打12318举报。", facts))
    assert "12318" in message


def test_a_number_without_any_facts_says_to_add_them(tmp_path: Path) -> None:
    [(severity, line, message)] = found(write(tmp_path, "每生每年3000元。", facts=""))
    assert (severity, line) == ("error", ANSWER_LINE)
    assert "没有 facts" in message
    assert "3000" in message


def test_no_facts_and_no_number_is_a_warning_and_the_file_still_loads(tmp_path: Path) -> None:
    kb, problems = parse_knowledge(write(tmp_path, "请问乡镇扶贫办。", facts=""))
    assert kb is not None
    assert kb.entries
    assert [(p.severity, p.line) for p in problems] == [("warning", ANSWER_LINE)]
    assert "没有 facts" in problems[0].message


def test_facts_are_loaded_into_the_entry(tmp_path: Path) -> None:
    kb, _ = parse_knowledge(write(tmp_path, "每生每年3000元。"))
    assert kb is not None
    assert kb.entries[0].facts == (FACT,)


@pytest.mark.parametrize(
    ("facts", "line", "words"),
    [
        ("    facts: 一般每生每年3000元\n", 17, "列表"),  # one text, not a list
        ("    facts:\n      text: 一般每生每年3000元\n", 18, "列表"),  # a mapping
        # copied from topics.yaml as it is written there
        (f"    facts:\n      - text: {FACT}\n        source: national\n", 18, "text:"),
        ("    facts:\n      - [3000]\n", 18, "列表"),
        ('    facts:\n      - 1\n      - ""\n', 19, "空的"),
    ],
)
def test_a_malformed_facts_field_is_reported_in_chinese_at_its_line(
    tmp_path: Path, facts: str, line: int, words: str
) -> None:
    path = write(tmp_path, "每生每年3000元。", facts)
    problems = [p for p in found(path) if p[0] == "error"]
    assert [(p[0], p[1]) for p in problems] == [("error", line)], problems
    assert words in problems[0][2]
    assert "facts" in problems[0][2]


def test_kb_check_prints_the_invented_number_with_file_and_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "一般每生每年5000元。")
    assert main(["kb", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:{ANSWER_LINE}: " in out
    assert "5000" in out
    assert "Traceback" not in out


def test_kb_check_reports_a_malformed_facts_field_without_a_traceback(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, "每生每年3000元。", facts="    facts: {a: [1, 2]}\n")
    assert main(["kb", "check", str(path)]) == 1
    out = capsys.readouterr().out
    assert f"{path}:17: " in out
    assert "facts" in out
    assert "Traceback" not in out
