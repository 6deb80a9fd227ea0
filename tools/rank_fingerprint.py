"""Dump the matcher's ranking of every benchmark question, to show a change leaves it alone.

One JSON line per question: the set it comes from, the question, `Matcher.rank`'s candidates
(ids and rounded scores, as callers see them), the unrounded scores behind them and the
verdict of `best_match`. Two dumps are compared line by line with `--compare`.

Questions: ../shared/eval/dev.yaml, ../shared/eval/real-dev.yaml, benchmarks/data/holdout.yaml,
tests/data/queries.yaml and the knowledge base's own example questions, titles and keywords.
`--size N` ranks them against the synthetic knowledge base of N entries that
benchmarks/speed.py times (its pool cap and postings only matter at that scale).

usage: python tools/rank_fingerprint.py [--size N] > /tmp/fp.jsonl
       python tools/rank_fingerprint.py --compare /tmp/before.jsonl /tmp/after.jsonl
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from benchmarks.speed import synthetic_kb  # noqa: E402
from bot.knowledge import KnowledgeBase, load_knowledge  # noqa: E402
from bot.review import load_eval_set  # noqa: E402
from bot.understand import Matcher, combine  # noqa: E402

SHARED = ROOT.parent / "shared"
SETS = {
    "dev": SHARED / "eval" / "dev.yaml",
    "real-dev": SHARED / "eval" / "real-dev.yaml",
    "holdout": ROOT / "benchmarks" / "data" / "holdout.yaml",
    "queries": ROOT / "tests" / "data" / "queries.yaml",
}


def questions(kb: KnowledgeBase) -> Iterator[tuple[str, str]]:
    """(set name, question) for every question fingerprinted."""
    for name, path in SETS.items():
        for q, _ in load_eval_set(path):
            yield name, q
    for entry in kb.entries:
        for q in (*entry.questions, entry.title, *entry.keywords):
            yield "kb", q


def dump(size: int) -> None:
    """Print one JSON line per question."""
    real = load_knowledge(ROOT / "knowledge" / "policies.yaml")
    matcher = Matcher(synthetic_kb(real, size))
    for name, q in questions(real):
        views = matcher.views(q)
        raw = combine([matcher.features(v) for v in views], matcher.weights)
        match = matcher.best_match(q)
        row = {
            "set": name,
            "q": q,
            "rank": [[c.id, c.score] for c in matcher.rank(q)],
            "raw": sorted(([k, repr(v)] for k, v in raw.items()), key=lambda kv: kv[0]),
            "outcome": [match.outcome.value, match.entry_id, match.referral, match.score],
        }
        print(json.dumps(row, ensure_ascii=False))


def compare(before: Path, after: Path) -> int:
    """Report the questions whose ranking differs; exit 1 if any does.

    Unrounded scores are compared to 1e-9: the old index summed example weights over sets of
    strings, whose order (and so the last bits of a sum) changes with the hash seed; a
    ranking that differs only by such a score rounding the other way counts as "boundary".
    """
    old = before.read_text(encoding="utf-8").splitlines()
    new = after.read_text(encoding="utf-8").splitlines()
    if len(old) != len(new):
        print(f"different question counts: {len(old)} vs {len(new)}")
        return 1
    diff = {"rank": 0, "raw": 0, "outcome": 0, "boundary": 0}
    worst = 0.0
    for a, b in zip(old, new, strict=True):
        ra, rb = json.loads(a), json.loads(b)
        raw_a, raw_b = dict(ra["raw"]), dict(rb["raw"])
        if raw_a.keys() != raw_b.keys():
            diff["raw"] += 1
        else:
            gap = max((abs(float(raw_a[k]) - float(raw_b[k])) for k in raw_a), default=0.0)
            worst = max(worst, gap)
            diff["raw"] += gap > 1e-9
        if ra["rank"] != rb["rank"] and _boundary(ra, rb):
            diff["boundary"] += 1
            continue
        for key in ("rank", "outcome"):
            if ra[key] != rb[key]:
                diff[key] += 1
                if key == "rank" and diff[key] <= 20:
                    print(
                        f"[{ra['set']}] {ra['q']}\n  before {ra['rank'][:4]}\n"
                        f"  after  {rb['rank'][:4]}"
                    )
    print(
        f"{len(old)} questions; differing: "
        + ", ".join(f"{k} {v}" for k, v in diff.items())
        + f"; largest unrounded score difference {worst:.2g}"
    )
    return 1 if diff["rank"] or diff["raw"] or diff["outcome"] else 0


def _boundary(ra: dict[str, Any], rb: dict[str, Any]) -> bool:
    """Whether two rankings differ only where an unrounded score sits on a rounding boundary.

    (44.45 and 44.449999999999996 round to 44.5 and 44.4: the old index gives either,
    depending on the hash seed.)
    """
    raw_a, raw_b = dict(ra["raw"]), dict(rb["raw"])
    if raw_a.keys() != raw_b.keys() or [c[0] for c in ra["rank"]] != [c[0] for c in rb["rank"]]:
        return False
    close = all(abs(float(raw_a[k]) - float(raw_b[k])) <= 1e-9 for k in raw_a)
    pairs = zip(ra["rank"], rb["rank"], strict=True)
    return close and all(abs(x[1] - y[1]) <= 0.1 + 1e-9 for x, y in pairs)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--size", type=int, default=0, help="synthetic knowledge base size")
    ap.add_argument("--compare", nargs=2, type=Path, metavar=("BEFORE", "AFTER"))
    args = ap.parse_args()
    if args.compare:
        return compare(*args.compare)
    dump(args.size)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
