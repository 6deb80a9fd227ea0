"""`policybot health` as a real process: healthy, a broken or missing knowledge base, a log
that cannot be opened; one line, exit 0 or 1 (Docker's codes), no network, nothing created."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.store import SCHEMA_VERSION, Store
from tests.conftest import ROOT, SHIPPED_KB
from tests.pg import PgServer

HEAVY = ("telegram", "httpx", "jieba", "pypinyin", "matplotlib")
# runs the command and reports which heavy libraries it imported, as the last stderr line
PROGRAM = f"""
import sys
from bot.cli import main
code = main(["health"])
print("loaded:", *sorted(m for m in {HEAVY!r} if m in sys.modules), file=sys.stderr)
sys.exit(code)
"""


def health(tmp_path: Path, **settings: str) -> tuple[int, str, list[str]]:
    """Run `policybot health` in a fresh process; its exit code, stdout and stderr lines."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("POLICYBOT_", "TELEGRAM_"))}
    env.update(
        {"PYTHONPATH": str(ROOT), "POLICYBOT_DB": str(tmp_path / "bot.sqlite3"), **settings}
    )
    done = subprocess.run(
        [sys.executable, "-c", PROGRAM],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    *lines, loaded = done.stderr.splitlines()
    assert loaded == "loaded:", f"imported {loaded}"  # neither the network nor the matcher
    return done.returncode, done.stdout, lines


def a_database(path: Path | str) -> Path | str:
    async def create() -> None:
        async with await Store.open(path):
            pass

    asyncio.run(create())
    return path


def test_a_loading_knowledge_base_and_an_answering_log_are_healthy(tmp_path: Path) -> None:
    db = a_database(tmp_path / "bot.sqlite3")
    code, out, err = health(tmp_path)
    assert (code, err) == (0, [])
    [line] = out.splitlines()
    assert line.startswith(f"ok: knowledge base {SHIPPED_KB} (")
    assert f"question log {db} (schema {SCHEMA_VERSION})" in line


@pytest.mark.parametrize(
    ("kb_text", "complaint"),
    [
        (None, "file not found"),
        ("entries: [\n  - id: x\n    title: [unclosed\n", "policies.yaml:"),
        ("categories: {}\nentries: []\n", "policies.yaml"),
    ],
    ids=["missing", "not-yaml", "no-entries"],
)
def test_a_knowledge_base_that_does_not_load_is_one_line_and_exit_1(
    tmp_path: Path, kb_text: str | None, complaint: str
) -> None:
    a_database(tmp_path / "bot.sqlite3")
    kb = tmp_path / "kb" / "policies.yaml"
    if kb_text is not None:
        kb.parent.mkdir()
        kb.write_text(kb_text, encoding="utf-8")
    code, out, err = health(tmp_path, POLICYBOT_KB=str(kb))
    assert (code, out) == (1, "")
    [line] = err
    assert line.startswith(f"policybot: unhealthy: the knowledge base {kb} does not load (")
    assert complaint in line


def test_a_folder_as_the_log_is_unhealthy(tmp_path: Path) -> None:
    folder = tmp_path / "data"
    folder.mkdir()
    code, out, err = health(tmp_path, POLICYBOT_DB=str(folder))
    assert (code, out) == (1, "")
    assert err == [
        f"policybot: unhealthy: the question log {folder} is a folder, not a database file"
    ]
    assert list(folder.iterdir()) == []


def test_a_file_that_is_not_sqlite_is_unhealthy_and_left_untouched(tmp_path: Path) -> None:
    other = tmp_path / "policies.yaml"
    other.write_text("entries: []\n" * 500, encoding="utf-8")
    before = other.read_bytes()
    code, out, err = health(tmp_path, POLICYBOT_DB=str(other))
    assert (code, out) == (1, "")
    [line] = err
    assert line == f"policybot: unhealthy: the question log {other} does not answer: " + (
        "file is not a database"
    )
    assert other.read_bytes() == before
    assert sorted(p.name for p in tmp_path.iterdir()) == ["policies.yaml"]


def test_a_missing_log_is_unhealthy_and_not_created(tmp_path: Path) -> None:
    code, out, err = health(tmp_path)
    assert (code, out) == (1, "")
    [line] = err
    assert "bot.sqlite3 does not exist (`policybot serve` creates it at start)" in line
    assert list(tmp_path.iterdir()) == []


def test_an_invalid_setting_is_unhealthy_with_1_not_dockers_reserved_2(tmp_path: Path) -> None:
    a_database(tmp_path / "bot.sqlite3")
    code, _, err = health(tmp_path, POLICYBOT_LOG_LEVEL="LOUD")
    assert code == 1
    [line] = err
    assert line.startswith("policybot: POLICYBOT_LOG_LEVEL must be one of")


def test_a_postgresql_log_is_asked_its_schema_and_its_password_never_shown(
    tmp_path: Path, pg_server: PgServer
) -> None:
    url = pg_server.create_database().replace("postgres@", "postgres:s3cret@")  # trust: ignored
    a_database(url)
    code, out, err = health(tmp_path, POLICYBOT_DB=url)
    assert (code, err) == (0, [])
    label = url.replace("postgres:s3cret@", "")
    assert f"question log {label} (schema {SCHEMA_VERSION})" in out
    code, out, err = health(tmp_path, POLICYBOT_DB=url + "_missing")
    assert (code, out) == (1, "")
    [line] = err
    assert line.startswith("policybot: unhealthy: the question log on PostgreSQL does not answer")
    assert "s3cret" not in line
