"""Conversations: two- and three-turn chats (tests/data/conversations.yaml), turn by turn.

Each conversation is one chat with the real DialogueService (no store), turn by turn, as the
console and Telegram run it. A turn is **correct** when the reply is what the turn expects
(the entry answered, whole or the part that fits; or the outcome: clarify, unknown, menu,
chat), **wrong** when it answers with another entry (or answers where none was expected);
anything else (buttons where an answer was expected, "don't know") is neither. The same
turns are also scored with every message matched alone (the follow-up memory switched off),
as the bot did before issue 10.

usage: python3 -m benchmarks.conversations [--quick]
"""

from __future__ import annotations

import argparse
import asyncio
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from benchmarks.common import ROOT, load_kb, table
from bot.dialogue import ContextMemory, DialogueService, Reply, User
from bot.understand import Matcher

CONVERSATIONS = ROOT / "tests" / "data" / "conversations.yaml"
OUTCOMES = ("clarify", "unknown", "menu", "chat")
QUICK = 8  # conversations in a --quick run


@dataclass(frozen=True)
class Turn:
    """One message of a conversation and the reply it should get."""

    q: str
    id: str | None = None
    outcome: str | None = None


@dataclass(frozen=True)
class Conversation:
    """A named chat of turns."""

    name: str
    turns: tuple[Turn, ...]


def load_conversations(path: Path = CONVERSATIONS) -> list[Conversation]:
    """Read the conversation set; a turn names exactly one of `id` and `outcome`."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    out = []
    for conv in data["conversations"]:
        turns = tuple(Turn(**t) for t in conv["turns"])
        for t in turns:
            if (t.id is None) == (t.outcome is None) or (t.outcome and t.outcome not in OUTCOMES):
                raise ValueError(f"{conv['name']}: turn {t.q!r} needs one id or outcome")
        out.append(Conversation(str(conv["name"]), turns))
    return out


def verdict(turn: Turn, reply: Reply) -> str:
    """correct, wrong or miss (see the module docstring)."""
    if reply.outcome == "answer" and reply.entry_id:
        return "correct" if reply.entry_id == turn.id else "wrong"
    if turn.outcome is not None and reply.outcome == turn.outcome:
        return "correct"
    return "miss"


async def _run(
    service: DialogueService, convs: list[Conversation]
) -> tuple[list[list[str]], list[list[str]]]:
    """Each turn's verdict and what it got (the entry answered, else the outcome)."""
    verdicts, got = [], []
    for i, conv in enumerate(convs):
        user = User("bench", str(i), str(i))  # one chat per conversation
        replies = [await service.ask(turn.q, user) for turn in conv.turns]
        verdicts.append([verdict(t, r) for t, r in zip(conv.turns, replies, strict=True)])
        got.append([r.entry_id or str(r.outcome) for r in replies])
    return verdicts, got


def figures(results: list[list[str]], *, first: bool | None = None) -> dict[str, float]:
    """Correct and wrong % of turns (first=True: opening turns only; False: later ones)."""
    picked = [
        v for conv in results for n, v in enumerate(conv) if first is None or (n == 0) == first
    ]
    n = len(picked) or 1
    return {
        "turns": len(picked),
        "correct": round(100 * picked.count("correct") / n, 1),
        "wrong": round(100 * picked.count("wrong") / n, 1),
    }


def measure(*, quick: bool = False, path: Path = CONVERSATIONS) -> dict[str, Any]:
    """Score the set with follow-up memory and with every message matched alone."""
    convs = load_conversations(path)[: QUICK if quick else None]
    matcher = Matcher(load_kb())
    with_context, got = asyncio.run(_run(DialogueService(matcher, None), convs))
    alone = DialogueService(matcher, None, memory=ContextMemory(ttl=-1.0))  # always expired
    without, _ = asyncio.run(_run(alone, convs))
    failures = [
        (conv.name, turn.q, turn.id or turn.outcome, g, v)
        for conv, verdicts, gots in zip(convs, with_context, got, strict=True)
        for turn, v, g in zip(conv.turns, verdicts, gots, strict=True)
        if v != "correct"
    ]
    return {
        "conversations": len(convs),
        "with": {k: figures(with_context, first=k) for k in (None, True, False)},
        "without": {k: figures(without, first=k) for k in (None, True, False)},
        "failures": failures,
    }


def report(data: dict[str, Any]) -> str:
    """The markdown section of docs/benchmarks.md."""
    rows = []
    for label, key in (("follow-up memory (shipped)", "with"), ("each message alone", "without")):
        f = data[key]
        rows.append(
            (
                label,
                f"{f[None]['correct']:.1f}",
                f"{f[None]['wrong']:.1f}",
                f"{f[True]['correct']:.1f}",
                f"{f[False]['correct']:.1f}",
                f"{f[False]['wrong']:.1f}",
            )
        )
    head = ["", "correct %", "wrong %", "opening turns correct %", "later turns correct %"]
    head.append("later turns wrong %")
    n = data["with"][None]["turns"]
    parts = [
        f"{data['conversations']} conversations, {n} turns "
        "(`tests/data/conversations.yaml`; target ≥ 90 % correct, ≤ 3 % wrong).",
        table(head, rows, "lrrrrr"),
    ]
    if data["failures"]:
        head = ["conversation", "turn", "expected", "got", "verdict"]
        parts += ["Turns not correct:", table(head, data["failures"], "lllll")]
    return "\n\n".join(parts)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help=f"the first {QUICK} conversations")
    data = measure(quick=ap.parse_args().quick)
    f = data["with"][None]
    print(f"correct turns: {f['correct']:.1f} %  wrong turns: {f['wrong']:.1f} %  ({f['turns']})")
    print()
    print(report(data))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
