"""Shared fixtures: the shipped knowledge base and a matcher on it, the small fixture knowledge
base (tests/data/mini_kb/) and a matcher on it, paths into ../shared."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from bot.knowledge import KnowledgeBase, load_knowledge
from bot.understand import Matcher

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
