"""Load and validate the knowledge base (policies.yaml + lexicon.yaml) into frozen dataclasses.

Every problem is reported with the file and line it comes from, so that an editor who broke
the YAML sees `policies.yaml:120: entry 'social.dibao': answer is empty` and not a traceback.
"""

from __future__ import annotations

from pathlib import Path

from bot.knowledge.entries import (
    BUNDLED_LEXICON,
    LEXICON_NAME,
    KnowledgeBase,
    KnowledgeError,
    Problem,
)
from bot.knowledge.nodes import compose
from bot.knowledge.parse import build_kb, build_lexicon

__all__ = ["load_knowledge", "parse_knowledge"]


def load_knowledge(path: Path | str, lexicon_path: Path | str | None = None) -> KnowledgeBase:
    """Read, parse and validate the knowledge base at `path`; raise KnowledgeError on errors."""
    kb, problems = parse_knowledge(path, lexicon_path)
    errors = [p for p in problems if p.severity == "error"]
    if errors or kb is None:
        raise KnowledgeError(errors or problems)
    return kb


def parse_knowledge(
    path: Path | str, lexicon_path: Path | str | None = None
) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Parse and validate without raising: the knowledge base (None if unusable) and findings."""
    path = Path(path)
    lex_path = Path(lexicon_path) if lexicon_path else _lexicon_beside(path)
    root, problems = compose(path)
    lex_root, lex_problems = compose(lex_path)
    problems += lex_problems
    if root is None:
        return None, problems
    lexicon = build_lexicon(lex_root, str(lex_path), problems)
    kb = build_kb(root, str(path), lexicon, problems)
    return kb, problems


def _lexicon_beside(path: Path) -> Path:
    beside = path.with_name(LEXICON_NAME)
    return beside if beside.exists() else BUNDLED_LEXICON
