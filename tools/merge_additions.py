"""Merge editor additions (new example questions and keywords) into policies.yaml in place.

usage: python tools/merge_additions.py ADDITIONS.yaml [--kb knowledge/policies.yaml] [--out FILE]
ADDITIONS.yaml maps an entry id to {questions: [...], keywords: [...]}. The knowledge base's
formatting and comments are kept: new questions go after the entry's last question, new keywords
at the end of its keyword list. Items already present are skipped.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parent.parent


def merge(text: str, additions: dict[str, dict[str, list[str]]]) -> str:
    lines = text.split("\n")
    existing = {q for e in yaml.safe_load(text)["entries"] for q in e.get("questions", [])}
    for entry_id, add in additions.items():
        start = lines.index(f"- id: {entry_id}")
        kw_at = next(i for i in range(start, len(lines)) if lines[i].startswith("  keywords: ["))
        q_end = kw_at
        new_qs = [q for q in add.get("questions", []) if q not in existing]
        existing.update(new_qs)
        kw_line = lines[kw_at]
        current = yaml.safe_load(kw_line.split(":", 1)[1])
        new_kws = [k for k in add.get("keywords", []) if k not in current]
        if new_kws:
            items = ", ".join(
                json.dumps(k, ensure_ascii=False) if re.search(r"[:#,\[\]{}]|^\d", k) else k
                for k in new_kws
            )
            lines[kw_at] = kw_line[: kw_line.rindex("]")] + ", " + items + "]"
        lines[q_end:q_end] = [f"    - {json.dumps(q, ensure_ascii=False)}" for q in new_qs]
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("additions", type=Path)
    ap.add_argument("--kb", type=Path, default=ROOT / "knowledge" / "policies.yaml")
    ap.add_argument("--out", type=Path, help="write here instead of in place")
    args = ap.parse_args()
    additions = yaml.safe_load(args.additions.read_text(encoding="utf-8"))
    merged = merge(args.kb.read_text(encoding="utf-8"), additions)
    yaml.safe_load(merged)
    (args.out or args.kb).write_text(merged, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
