"""Every kind of knowledge-base problem is reported as FILE:LINE: message."""

from pathlib import Path

import pytest
import yaml

from bot.cli import main
from bot.knowledge import KnowledgeError, load_knowledge, parse_knowledge
from bot.review import check_knowledge
from tests.conftest import ROOT

VALID = """\
version: 1
categories:
  - {key: social, name: 社会保障}
  - {key: edu, name: 教育}
entries:
  - id: social.dibao
    title: 低保
    category: 社会保障
    questions:
      - 低保咋申请
      - 吃低保要啥条件
      - 低保一个月给多少钱
      - 家里没劳力能吃低保不
      - 低保户每年还要重新审不
      - 申请低保找谁
    keywords: [低保, 吃低保]
    answer: 申请低保向乡镇政府提出。
    source: 国家扶贫政策（2018–2020年）
    updated: 2026-11-29
    related: [edu.yulu_plan]
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
    keywords: [雨露计划, 雨露]
    answer: 雨露计划一般每生每年3000元。
    source: 国家扶贫政策（2018–2020年）
    facts:
      - 雨露计划对建档立卡贫困家庭子女接受中等、高等职业教育的给予扶贫助学补助，一般每生每年3000元
    updated: 2026-11-29
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def line_of(text: str, fragment: str, nth: int = 1) -> int:
    lines = text.splitlines()
    hits = [i + 1 for i, line in enumerate(lines) if fragment in line]
    return hits[nth - 1]


def problems_of(tmp_path: Path, text: str) -> list[str]:
    _, problems = parse_knowledge(write(tmp_path, text))
    return [str(p) for p in problems if p.severity == "error"]


def test_valid_file_loads(tmp_path: Path) -> None:
    kb = load_knowledge(write(tmp_path, VALID))
    assert [e.id for e in kb.entries] == ["social.dibao", "edu.yulu_plan"]
    assert kb.get("edu.yulu_plan").related == ()  # type: ignore[union-attr]
    assert kb.lexicon.synonyms  # the bundled lexicon is used when none is beside the file


def test_yaml_syntax_error_names_its_line(tmp_path: Path) -> None:
    text = VALID.replace("    keywords: [低保, 吃低保]", "    keywords: [低保, 吃低保")
    [problem] = problems_of(tmp_path, text)
    assert "YAML syntax error" in problem
    assert problem.startswith(f"{tmp_path / 'policies.yaml'}:")


@pytest.mark.parametrize(
    "path",
    [ROOT / "knowledge" / "policies.yaml", ROOT / "tests" / "data" / "mini_kb" / "policies.yaml"],
    ids=["shipped", "mini_kb"],
)
def test_libyaml_and_the_pure_python_parser_give_the_same_entries_and_lines(
    path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if not yaml.__with_libyaml__:
        pytest.skip("PyYAML is installed without libyaml")
    fast, fast_problems = parse_knowledge(path)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    slow, slow_problems = parse_knowledge(path)
    assert fast == slow
    assert [str(p) for p in fast_problems] == [str(p) for p in slow_problems]
    assert fast is not None
    assert all(e.line and all(e.question_lines) for e in fast.entries)


def test_a_yaml_error_reads_as_the_pure_python_parser_words_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    text = VALID.replace("    keywords: [低保, 吃低保]", "    keywords: [低保, 吃低保")
    fast = problems_of(tmp_path, text)
    monkeypatch.setattr(yaml, "__with_libyaml__", False)
    assert fast == problems_of(tmp_path, text)


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        (
            "    answer: 申请低保向乡镇政府提出。",
            '    answer: ""',
            'answer: ""',
            "answer is empty",
        ),
        ("    title: 低保\n", "    title: [低保]\n", "title: [低保]", "title must be text"),
        (
            "    questions:\n      - 低保咋申请",
            "    questions: 低保咋申请\n    extra:\n      - 低保咋申请",
            "extra:",
            "unknown field 'extra'",
        ),
        (
            "    updated: 2026-11-29\n    related",
            "    updated: 昨天\n    related",
            "昨天",
            "updated must be a date",
        ),
        (
            "    related: [edu.yulu_plan]",
            "    related: [edu.nothing]",
            "  - id: social.dibao",
            "related id 'edu.nothing' not found",
        ),
        (
            "    category: 社会保障",
            "    category: 低保类",
            "  - id: social.dibao",
            "unknown category '低保类'",
        ),
        (
            "  - id: edu.yulu_plan",
            "  - id: social.dibao",
            "  - id: social.dibao\n",
            "duplicate id 'social.dibao'",
        ),
        (
            "      - 雨露计划咋申请",
            "      - 低保咋申请",
            "      - 低保咋申请",
            "also under 'social.dibao'",
        ),
        ("  - id: edu.yulu_plan", "  - id: Yulu Plan", "  - id: Yulu Plan", "id must look like"),
    ],
)
def test_each_problem_kind_is_reported_at_its_line(
    tmp_path: Path, old: str, new: str, marker: str, message: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    nth = 2 if marker in ("  - id: social.dibao\n", "      - 低保咋申请") else 1
    expected_line = line_of(text, marker.rstrip("\n"), nth)
    problems = problems_of(tmp_path, text)
    assert any(message in p and f":{expected_line}:" in p for p in problems), problems


def test_missing_field_is_reported_at_the_entry(tmp_path: Path) -> None:
    text = VALID.replace("    source: 国家扶贫政策（2018–2020年）\n", "", 1)
    [problem] = problems_of(tmp_path, text)
    assert f":{line_of(text, '- id: social.dibao')}:" in problem
    assert "missing field 'source'" in problem


def test_oversized_answer_and_too_few_questions(tmp_path: Path) -> None:
    text = VALID.replace("申请低保向乡镇政府提出。", "很长" * 2100, 1)
    text = text.replace("      - 雨露计划啥时候发钱\n", "", 1)
    problems = problems_of(tmp_path, text)
    assert any("answer is longer than 4096" in p for p in problems)
    assert any("needs at least 6 example questions" in p for p in problems)


def test_top_level_must_be_a_mapping_with_entries(tmp_path: Path) -> None:
    assert "top level must be a mapping" in problems_of(tmp_path, "- a\n- b\n")[0]
    assert "missing 'entries'" in problems_of(tmp_path, "version: 1\ncategories: []\n")[0]


def test_missing_file_is_a_problem_not_a_traceback(tmp_path: Path) -> None:
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(tmp_path / "nope.yaml")
    assert "file not found" in str(info.value)


def test_example_question_reaching_another_entry_is_reported(tmp_path: Path) -> None:
    shipped = (ROOT / "knowledge" / "policies.yaml").read_text(encoding="utf-8")
    misplaced = "贫困户娃上中职 雨露计划一年补3000元是真的不"
    # put a 雨露计划 question under 低保, right after 低保's first example question
    lines = shipped.splitlines()
    at = lines.index("- id: social.dibao")
    first_question = next(i for i in range(at, len(lines)) if lines[i].startswith("    - "))
    lines.insert(first_question + 1, f"    - {misplaced}")
    path = write(tmp_path, "\n".join(lines) + "\n")
    (tmp_path / "lexicon.yaml").write_text(
        (ROOT / "knowledge" / "lexicon.yaml").read_text(encoding="utf-8"), encoding="utf-8"
    )
    _, problems = check_knowledge(path)
    line = first_question + 2
    assert any(f":{line}:" in str(p) and "reaches edu.yulu_plan" in str(p) for p in problems), (
        problems
    )


def test_kb_check_command_prints_file_line_and_exits_1(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID.replace("    answer: 申请低保向乡镇政府提出。", '    answer: ""'))
    assert main(["kb", "check", str(path)]) == 1
    out = capsys.readouterr().out
    line = line_of(path.read_text(), 'answer: ""')
    assert f"{path}:{line}: 条目 'social.dibao'" in out
    assert "Traceback" not in out


def test_kb_check_command_passes_a_valid_file(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write(tmp_path, VALID)
    assert main(["kb", "check", str(path)]) == 0
    assert "ok, 2 entries" in capsys.readouterr().out


# -- kb check for editors (issue 12.3): each kind in Chinese, at its line, never a traceback --


@pytest.mark.parametrize(
    ("old", "new", "marker", "message"),
    [
        # YAML builds no date from 2026-13-45: before, a traceback (also in chat and /reload)
        ("    updated: 2026-11-29\n", "    updated: 2026-13-45\n", "2026-13-45", "不是日期"),
        ("    answer: 申请低保向乡镇政府提出。", "    answer: 待补充", "待补充", "占位"),
        (
            "    answer: 申请低保向乡镇政府提出。",
            "    answer: 明年底前完成2020年的任务。",
            "明年底",
            "相对的时间",
        ),
        (
            "    answer: 申请低保向乡镇政府提出。",
            "    answer: 申请低保向乡镇政府提出。\n    answer: 找村里。",
            "找村里",
            "写了两次",
        ),
    ],
)
def test_editor_mistakes_are_reported_in_chinese_at_their_line(
    tmp_path: Path, old: str, new: str, marker: str, message: str
) -> None:
    assert old in VALID
    text = VALID.replace(old, new, 1)
    problems = problems_of(tmp_path, text)
    assert any(message in p and f":{line_of(text, marker)}:" in p for p in problems), problems
    assert len(problems) == 1, problems  # one per cause, no cascade


def test_an_entry_left_out_for_its_own_mistake_is_no_missing_related_id(tmp_path: Path) -> None:
    # edu.yulu_plan is named in social.dibao's related: its bad category used to bring a
    # second problem ("related id not found") on a line nobody had touched
    text = VALID.replace("    category: 教育\n", "    category: [教育]\n", 1)
    problems = problems_of(tmp_path, text)
    assert len(problems) == 1, problems
    assert f":{line_of(text, 'category: [教育]')}:" in problems[0]
    # a related id nothing defines is still reported
    typo = VALID.replace("related: [edu.yulu_plan]", "related: [edu.yulu_plna]")
    assert any("edu.yulu_plna" in p for p in problems_of(tmp_path, typo))


def test_a_relative_time_without_a_figure_or_with_a_year_is_fine(tmp_path: Path) -> None:
    for answer in (
        "今年交多少，请问乡镇。",
        "2080户在2018年内全部竣工。",
        "2020年底前完成。",
        "当年年底前完成3.6万人。",
    ):
        text = VALID.replace("申请低保向乡镇政府提出。", answer, 1).replace(
            "    keywords: [低保, 吃低保]\n",
            "    keywords: [低保, 吃低保]\n    facts:\n"
            "      - 2080户贫困户危房改造工程年内全部竣工（2018年）\n"
            "      - 全市共计划搬迁贫困人口5.26万人，年底前预计可以完成搬迁3.6万人\n",
            1,
        )
        assert problems_of(tmp_path, text) == [], answer


def test_a_file_saved_as_gbk_gets_a_hint_to_save_it_as_utf8(tmp_path: Path) -> None:
    path = tmp_path / "policies.yaml"
    path.write_bytes(VALID.encode("gbk"))
    with pytest.raises(KnowledgeError) as info:
        load_knowledge(path)
    [problem] = info.value.problems
    assert "GBK" in problem.message
    assert "UTF-8" in problem.message
    assert problem.line > 0  # where the first non-UTF-8 character is
