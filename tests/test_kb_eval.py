"""`policybot kb eval` for editors: every miss in plain Chinese (the question, what it should
have reached and what the bot gave, by title), then the figures' line exactly as tools read it
(`NAME: n=…+…oos correct=…% helpful=…% wrong=…% oos_false=…%`) and the same in Chinese."""

from __future__ import annotations

import io
import re
from pathlib import Path

from bot.cli import main
from bot.review.kbcheck import EvalResult, print_eval

# ../shared/tools/score_matches.py prints this line; benchmarks and people grep it
SUMMARY_RE = re.compile(
    r"^(?P<name>\S+): n=(\d+)\+(\d+)oos correct=([\d.]+)% helpful=([\d.]+)% "
    r"wrong=([\d.]+)% oos_false=([\d.]+)%$",
    re.MULTILINE,
)


def kb_eval(tmp_path: Path, items: str) -> list[str]:
    path = tmp_path / "set.yaml"
    path.write_text(items, encoding="utf-8")
    out = io.StringIO()
    assert main(["kb", "eval", str(path)], env={}, stdin=io.StringIO(), stdout=out) == 0
    return out.getvalue().splitlines()


def test_misses_are_told_in_chinese_and_the_figures_line_is_unchanged(tmp_path: Path) -> None:
    lines = kb_eval(
        tmp_path,
        '- {q: "雨露计划咋申请", topic: edu.yulu_plan}\n'
        '- {q: "低保咋申请", topic: edu.yulu_plan}\n'
        '- {q: "qwxyz", topic: social.dibao}\n'
        '- {q: "低保咋申请", topic: null}\n'
        '- {q: "美国大选谁赢了", topic: null}\n',
    )
    assert lines == [
        "答错了：问题「低保咋申请」应为 「雨露计划」(edu.yulu_plan)，"
        "实际答了 「低保」(social.dibao)",
        "没答上（说不知道）：问题「qwxyz」应为 「低保」(social.dibao)，最接近的 （没有）",
        "不该答却答了：问题「低保咋申请」不归知识库管，实际答了 「低保」(social.dibao)",
        "set.yaml: n=3+2oos correct=33.3% helpful=33.3% wrong=33.3% oos_false=50.0%",
        "共 3 个该答的问题、2 个不该答的：答对 33.3%，答对或选项里有对的 33.3%，"
        "答错 33.3%，不该答却答了 50.0%",
    ]
    assert not any(line.startswith("MISS") for line in lines)
    (summary,) = SUMMARY_RE.findall("\n".join(lines))
    assert summary[0] == "set.yaml"


def test_a_clarify_says_whether_the_right_entry_was_among_the_choices() -> None:
    res = EvalResult(in_scope=2, helpful=1)
    res.misses = [
        ("clarify", "补贴咋领", "social.dibao", ["social.dibao", "edu.yulu_plan"]),
        ("clarify", "补贴", ["social.dibao", "x.y"], ["edu.yulu_plan"]),
    ]
    out = io.StringIO()
    print_eval(res, out, name="dev.yaml", show_misses=5, titles={"social.dibao": "低保"})
    lines = out.getvalue().splitlines()
    assert lines[:2] == [
        "没直接答（让群众选，选项里有对的）：问题「补贴咋领」应为 「低保」(social.dibao)，"
        "给的选项 「低保」(social.dibao)、edu.yulu_plan",
        "没答对（让群众选，选项里没有对的）：问题「补贴」应为 「低保」(social.dibao)、x.y，"
        "给的选项 edu.yulu_plan",
    ]
    assert lines[2] == "dev.yaml: n=2+0oos correct=0.0% helpful=50.0% wrong=0.0% oos_false=0.0%"
    out = io.StringIO()
    print_eval(res, out, name="dev.yaml", show_misses=0)
    assert SUMMARY_RE.match(out.getvalue())
