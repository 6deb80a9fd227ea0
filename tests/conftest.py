"""Shared fixtures: the shipped knowledge base and a matcher on it, the small fixture knowledge
base (tests/data/mini_kb/) and a matcher on it, paths into ../shared, and the question log
on both backends (an SQLite file, a database on a real PostgreSQL server)."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.understand import Matcher
from bot.understand.cache import cache_dir
from tests.pg import PgServer, pg_bin, running_server

ROOT = Path(__file__).resolve().parent.parent
SHIPPED_KB = ROOT / "knowledge" / "policies.yaml"
SHARED = ROOT.parent / "shared"
MINI_KB = ROOT / "tests" / "data" / "mini_kb" / "policies.yaml"


def shared_path(*parts: str) -> Path:
    """Return a path under ../shared, skipping the test when a newcomer's clone has none.

    In CI (`CI` set) a missing ../shared is a failure, not a skip.
    """
    path = SHARED.joinpath(*parts)
    if not path.exists():
        if os.environ.get("CI"):
            pytest.fail(f"{path} is missing; CI must have ../shared beside the repo")
        pytest.skip(
            f"{path} not found: ../shared (policy sources, eval set) is not beside the repo"
        )
    return path


@pytest.fixture(scope="session")
def kb() -> KnowledgeBase:
    return load_knowledge(SHIPPED_KB)


@pytest.fixture(scope="session")
def matcher(kb: KnowledgeBase) -> Matcher:
    return Matcher(kb)


@pytest.fixture(scope="session")
def mini_kb() -> KnowledgeBase:
    """Eight entries with their own lexicon: matcher unit tests do not move with policies.yaml."""
    return load_knowledge(MINI_KB)


@pytest.fixture(scope="session")
def mini_matcher(mini_kb: KnowledgeBase) -> Matcher:
    """A matcher on the mini knowledge base (the segmenter is built from its own lexicon)."""
    return Matcher(mini_kb)


@pytest.fixture(scope="session")
def pg_server() -> Iterator[PgServer]:
    """A PostgreSQL server of its own for the session; skipped (failed in CI) when Debian's
    `postgresql` package is not installed."""
    if pg_bin() is None:
        if os.environ.get("CI"):
            pytest.fail("PostgreSQL's initdb/pg_ctl are missing; .ci/run must install postgresql")
        pytest.skip("PostgreSQL is not installed here (apt-get install postgresql); CI runs these")
    with running_server() as server:
        yield server


@pytest.fixture(params=["sqlite", "postgres"])
def db_target(request: pytest.FixtureRequest, tmp_path: Path) -> Path | str:
    """The question log a store test opens: an SQLite file, then a fresh PostgreSQL database."""
    if request.param == "sqlite":
        return tmp_path / "log.sqlite3"
    server: PgServer = request.getfixturevalue("pg_server")
    return server.create_database()


@pytest.fixture
def own_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Path]:
    """A private cache folder for this test (cache_dir() is decided once per process)."""
    monkeypatch.setenv("HOME", str(tmp_path))
    cache_dir.cache_clear()
    yield tmp_path / ".cache" / "policybot"
    cache_dir.cache_clear()
