"""A broken knowledge base stops `policybot serve` and `policybot chat` at start-up: exit 2,
one `FILE:LINE: message` per problem, no traceback, nothing sent or stored."""

from __future__ import annotations

import io
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
import yaml

from bot.cli import main
from bot.review import check_knowledge
from tests.conftest import SHIPPED_KB
from tests.fakes.botapi import TOKEN


def missing(folder: Path) -> Path:
    return folder / "nowhere.yaml"


def directory(folder: Path) -> Path:
    # root reads any file whatever its mode: a directory is unreadable even for root
    path = folder / "policies.yaml"
    path.mkdir()
    return path


def fifo(folder: Path) -> Path:
    # reading a FIFO with no writer would block start-up forever
    path = folder / "policies.yaml"
    os.mkfifo(path)
    return path


def not_utf8(folder: Path) -> Path:
    path = folder / "policies.yaml"
    path.write_bytes(b"entries:\n  - id: \xff\xfe\n")
    return path


def malformed(folder: Path) -> Path:
    path = folder / "policies.yaml"
    path.write_text("entries:\n  - id: a\n    title: [unclosed\n", encoding="utf-8")
    return path


def _edited(folder: Path, edit: Callable[[list[dict[str, Any]]], None]) -> Path:
    """The shipped knowledge base with `edit` applied to its entries."""
    data = yaml.safe_load(SHIPPED_KB.read_text(encoding="utf-8"))
    edit(data["entries"])
    path = folder / "policies.yaml"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    return path


def duplicate_id(folder: Path) -> Path:
    def edit(entries: list[dict[str, Any]]) -> None:
        entries[1]["id"] = entries[0]["id"]

    return _edited(folder, edit)


def wrong_type(folder: Path) -> Path:
    def edit(entries: list[dict[str, Any]]) -> None:
        entries[0]["questions"] = 42

    return _edited(folder, edit)


def unknown_related(folder: Path) -> Path:
    def edit(entries: list[dict[str, Any]]) -> None:
        entries[0]["related"] = ["no.such_entry"]

    return _edited(folder, edit)


def impossible_date(folder: Path) -> Path:
    # YAML cannot build this date: it used to crash with a traceback in chat, serve and /reload
    text = SHIPPED_KB.read_text(encoding="utf-8").replace(
        'updated: "2026-11-29"', "updated: 2026-13-45", 1
    )
    path = folder / "policies.yaml"
    path.write_text(text, encoding="utf-8")
    return path


def invented_amount(folder: Path) -> Path:
    # the answer's amount changed, its fact not: a villager would be told a figure nobody stated
    def edit(entries: list[dict[str, Any]]) -> None:
        yulu = next(e for e in entries if e["id"] == "edu.yulu_plan")
        yulu["answer"] = yulu["answer"].replace("3000元", "3500元")

    return _edited(folder, edit)


def malformed_facts(folder: Path) -> Path:
    def edit(entries: list[dict[str, Any]]) -> None:
        entries[0]["facts"] = [{"text": entries[0]["facts"][0], "source": "seed"}]

    return _edited(folder, edit)


def gbk(folder: Path) -> Path:
    path = folder / "policies.yaml"
    path.write_bytes(SHIPPED_KB.read_text(encoding="utf-8").encode("gb18030"))
    return path


BROKEN: list[Callable[[Path], Path]] = [
    missing,
    directory,
    fifo,
    not_utf8,
    malformed,
    duplicate_id,
    wrong_type,
    unknown_related,
    impossible_date,
    invented_amount,
    malformed_facts,
    gbk,
]


@pytest.mark.parametrize("command", ["serve", "chat"])
@pytest.mark.parametrize("make", BROKEN, ids=lambda f: f.__name__)
def test_broken_knowledge_base_stops_start_up_with_file_line_and_exit_2(
    tmp_path: Path, command: str, make: Callable[[Path], Path]
) -> None:
    kb = make(tmp_path)
    if make is not fifo:  # (reading it is the hang under test)
        _, problems = check_knowledge(kb)
        assert any(p.severity == "error" for p in problems), "the file is not broken"
    db = tmp_path / "log.sqlite3"
    env = {
        "POLICYBOT_KB": str(kb),
        "POLICYBOT_DB": str(db),
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "POLICYBOT_TELEGRAM_BASE_URL": "http://127.0.0.1:9/bot",  # never reached
    }
    out, err = io.StringIO(), io.StringIO()
    code = main([command], env=env, stdin=io.StringIO("低保咋申请\n"), stdout=out, stderr=err)
    lines = err.getvalue().splitlines()
    assert code == 2
    assert out.getvalue() == ""
    assert len(lines) >= 2
    for line in lines[:-1]:
        head, _, message = line.partition(": ")
        path, _, number = head.rpartition(":")
        assert path == str(kb), line
        assert number.isdigit(), line
        assert message.strip(), line
    assert "policybot kb check" in lines[-1]
    assert "Traceback" not in err.getvalue()
    assert not db.exists()  # nothing was started
