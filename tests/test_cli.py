"""The `policybot` commands through main(argv), and the console chat piped for real."""

import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot.cli import build_parser, main
from tests.conftest import ROOT


def run(
    argv: list[str], stdin: str = "", env: dict[str, str] | None = None
) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env or {}, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


def subcommands(parser: object) -> list[list[str]]:
    """Every subcommand path of the parser (e.g. ['kb', 'check'])."""
    import argparse

    assert isinstance(parser, argparse.ArgumentParser)
    paths: list[list[str]] = []
    for action in parser._actions:
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                paths.append([name])
                paths += [[name, *rest] for rest in subcommands(sub)]
    return paths


def test_every_subcommand_has_help_text(capsys: pytest.CaptureFixture[str]) -> None:
    paths = subcommands(build_parser())
    assert ["chat"] in paths
    assert ["kb", "check"] in paths
    assert ["match"] in paths
    for path in paths:
        with pytest.raises(SystemExit) as info:
            build_parser().parse_args([*path, "--help"])
        assert info.value.code == 0
        assert "usage: policybot" in capsys.readouterr().out


def test_match_streams_one_json_line_per_question() -> None:
    lines = [{"q": "雨露计划咋申请"}, {"q": "美国大选谁赢了"}, {"q": "贫困户看病报销"}]
    code, out, _ = run(["match"], "".join(json.dumps(x, ensure_ascii=False) + "\n" for x in lines))
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == 3
    first = results[0]
    assert (first["outcome"], first["id"]) == ("answer", "edu.yulu_plan")
    assert "3000元" in first["answer"]
    assert first["candidates"][0] == {"id": "edu.yulu_plan", "score": first["score"]}
    assert results[1]["outcome"] == "unknown"
    assert results[1]["id"] is None
    for r in results:
        assert set(r) == {"outcome", "id", "score", "candidates", "answer"}
        assert 0 <= r["score"] <= 100
        assert len(r["candidates"]) <= 3
        if r["outcome"] != "answer":
            assert r["id"] is None
            assert r["answer"] is None


def test_match_answers_every_line_bad_ones_with_an_error_and_goes_on() -> None:
    bad = ["not json", '{"q": 5}', "[]", "", "[" * 100_000 + "]" * 100_000, '{"q": "低保"}']
    code, out, _ = run(["match"], "\n".join(bad) + "\n")
    assert code == 0
    results = [json.loads(line) for line in out.splitlines()]
    assert len(results) == len(bad)  # exactly one output line per input line
    for n, r in enumerate(results[:5], 1):
        assert set(r) == {"error", "line"}
        assert r["line"] == n
    assert "not JSON" in results[0]["error"]
    assert "nested too deeply" in results[4]["error"]
    assert results[5]["id"] == "social.dibao"


def test_match_as_a_process_survives_invalid_utf8() -> None:
    data = (
        '{"q": "低保咋申请"}\n'.encode() + b'{"q": "\xff\xfe"}\n' + '{"q": "雨露计划"}\n'.encode()
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "match"], input=data, capture_output=True, check=False
    )
    assert done.returncode == 0, done.stderr.decode()
    results = [json.loads(line) for line in done.stdout.decode().splitlines()]
    assert len(results) == 3
    assert results[1] == {"error": "line is not UTF-8 text", "line": 2}
    assert results[0]["id"] == "social.dibao"
    assert results[2]["candidates"][0]["id"] == "edu.yulu_plan"


def test_kb_eval_prints_the_figures(tmp_path: Path) -> None:
    items = tmp_path / "set.yaml"
    items.write_text(
        '- {q: "雨露计划咋申请", topic: edu.yulu_plan}\n'
        '- {q: "低保咋申请", topic: social.dibao}\n'
        '- {q: "美国大选谁赢了", topic: null}\n',
        encoding="utf-8",
    )
    code, out, _ = run(["kb", "eval", str(items)])
    assert code == 0
    assert "set.yaml: n=2+1oos correct=100.0% helpful=100.0% wrong=0.0% oos_false=0.0%" in out


def test_chat_answers_logs_and_offers_numbered_choices(tmp_path: Path) -> None:
    db = tmp_path / "log.sqlite3"
    code, out, _ = run(
        ["chat"], "雨露计划咋申请\n美国大选谁赢了\n/menu\n5\n", env={"POLICYBOT_DB": str(db)}
    )
    assert code == 0
    assert "3000元" in out  # the answer
    assert "依据：" in out  # its source line
    assert "帮扶责任人" in out  # the honest "don't know" names whom to ask
    assert "1. 政策总览" in out  # the menu as numbered choices
    assert "「教育」里有这些" in out  # choice 5 opened the 教育 category
    rows = (
        sqlite3.connect(db).execute("SELECT text, outcome FROM questions ORDER BY id").fetchall()
    )
    assert rows == [("雨露计划咋申请", "answer"), ("美国大选谁赢了", "unknown")]


def test_piped_chat_works_as_a_real_process(tmp_path: Path) -> None:
    env = {**os.environ, "POLICYBOT_DB": str(tmp_path / "chat.sqlite3")}
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="低保咋申请\n先诊疗后付费是啥\n".encode(),
        capture_output=True,
        env=env,
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "应保尽保" in out
    assert "347家" in out


def test_invalid_settings_exit_2_with_one_line() -> None:
    code, _, err = run(["match"], env={"POLICYBOT_LOG_LEVEL": "LOUD"})
    assert code == 2
    assert err.strip().count("\n") == 0
    assert "POLICYBOT_LOG_LEVEL" in err


def test_broken_knowledge_base_exits_2_with_file_line(tmp_path: Path) -> None:
    kb = tmp_path / "policies.yaml"
    kb.write_text("entries: [\n", encoding="utf-8")
    code, _, err = run(["match"], env={"POLICYBOT_KB": str(kb)})
    assert code == 2
    assert f"{kb}:" in err
    assert "Traceback" not in err
