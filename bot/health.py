"""`policybot health`: the knowledge base loads and the question log answers (no network)."""

from __future__ import annotations

from typing import TextIO

from bot.config import Settings
from bot.knowledge import KnowledgeError, load_knowledge
from bot.store import StoreUnhealthy, probe


def check_health(settings: Settings, stdout: TextIO, stderr: TextIO) -> int:
    """Print one line and return 0 when both are fine, else say what is wrong and return 1.

    The command-line form of webhook mode's GET /healthz (handlers/healthz.py, docs/deploy.md):
    the container's HEALTHCHECK runs it.
    Exit codes are Docker's: 0 healthy, 1 unhealthy (2 is reserved there).
    """
    try:
        kb = load_knowledge(settings.kb_path)
    except KnowledgeError as exc:
        first = exc.problems[0] if exc.problems else "no entries"
        stderr.write(
            f"policybot: unhealthy: the knowledge base {settings.kb_path} does not load"
            f" ({len(exc.problems)} problem(s); first: {first})\n"
        )
        return 1
    try:
        version = probe(settings.database)
    except StoreUnhealthy as exc:
        stderr.write(f"policybot: unhealthy: {exc}\n")
        return 1
    stdout.write(
        f"ok: knowledge base {settings.kb_path} ({len(kb.entries)} entries),"
        f" question log {settings.database_label} (schema {version})\n"
    )
    return 0
