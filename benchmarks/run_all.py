"""Run every benchmark and rewrite docs/benchmarks.md with fresh tables.

usage: python3 -m benchmarks.run_all [--quick] [--only accuracy,pairs,speed,e2e,conversations]
                                    [--out PATH]

Reads the knowledge base, weights and thresholds as they are when run; nothing of the
matcher's numbers is written down anywhere else.
"""

from __future__ import annotations

import argparse
import importlib
import shlex
import sys
import time
from pathlib import Path
from typing import Any

from benchmarks.common import ROOT, machine_info, table

SECTIONS = ("accuracy", "pairs", "speed", "e2e", "conversations")
DOC = ROOT / "docs" / "benchmarks.md"

INTRO = """\
# Benchmarks

How well and how fast the matcher answers villagers, next to the approaches one would try
first, with numbers anyone can reproduce. **Generated** by `{command}` — do not edit by hand:
change the scripts in `benchmarks/` and re-run. Not part of CI's pass/fail
(`tests/test_benchmarks_smoke.py` runs a tiny sample of each part).

Reproduce:

```sh
pip install -e '.[dev,bench]'
python3 -m benchmarks.run_all            # everything (this run took {minutes} min)
python3 -m benchmarks.run_all --quick    # small samples: checks the scripts, not the numbers
python3 -m benchmarks.accuracy           # one part alone (also: pairs, speed, e2e, conversations)
```

Every script reads the knowledge base, weights and thresholds as they are when it runs. The
public pair sets are read from `../shared/bench` (research use only: never copied here).
"""

ACCURACY = """\
## 1. Accuracy on `../shared/eval/dev.yaml`

Figures as `policybot kb eval` defines them (`bot/kbcheck.py`): **correct** = answered with
the right entry; **helpful** = correct, or the right entry among the clarify buttons;
**wrong** = answered with another entry (share of in-scope questions); **out-of-scope
answered** = an out-of-scope question got a policy answer (share of out-of-scope questions).

Baselines, each over the knowledge base's own text, raw question text (no normalization):
**rapidfuzz `fuzz.WRatio`**; **BM25** (rank-bm25 `BM25Okapi`, k1 = 1.5, b = 0.75, jieba
precise-mode tokens); **character-bigram TF-IDF cosine** (scikit-learn `TfidfVectorizer`,
`analyzer="char"`, `ngram_range=(2, 2)`). An entry scores the best of its documents. Three
index layouts are tried for each — `strings` (each example question, the title and each
keyword a document: the text the matcher indexes), `questions` (example questions and title
only), `entry` (one document per entry) — and the layout with the best calibration objective
is kept. Dev figures of every layout are listed too.

**Thresholds, the same procedure for every method** (`tools/calibrate.py`'s, imported from
it: its data, its constraints, its objective): the method ranks (a) every knowledge-base
example question held out in 5 folds (the method is rebuilt without that fold's questions),
(b) the in-scope questions of `tests/data/queries.yaml`, (c) its out-of-scope questions
(near misses) and (d) {n_bench} LCQMC/BQ questions (out of scope). The search keeps wrong
answers ≤ {max_wrong:g} % of (a)+(b), policy answers ≤ {max_near:g} % of (c) and ≤ {max_bench:g} %
of (d), and maximizes correct % + 0.3 × helpful %. The clarify bound is the lowest at which
≤ 15 % of out-of-scope questions get buttons. One change, so that it works on any score
scale: the grid of answer bounds is the 0.5 %-quantiles of the method's own top scores and the
margins are 0 and quantiles of its top-two gaps, instead of calibrate.py's 24–74 / 0–12 grid
for 0–100 scores. dev.yaml plays no part. The matcher is shown with its shipped thresholds
(chosen with `tools/calibrate.py --real` on real questions, see `bot/understand/tuning.py`)
and with thresholds refitted by this procedure. A referral entry (`refer.*`, a near-miss
topic answered only with whom to ask) is never counted as an answer, for every method.

The ablation switches one pipeline stage off (`Options`) or sets one scoring signal's weight
to 0 (`Weights`), rebuilds the matcher and refits the thresholds as above; Δ is against the
full pipeline with refitted thresholds. A second table scores the same variants with the
shipped thresholds. "Calibration" columns are (a)+(b) — {n_cal} questions,
a larger sample than dev, though the thresholds were fitted on them.
"""

PAIRS = """\
## 2. Public Chinese question-matching pairs (`../shared/bench`)

Origins and published figures: `../shared/bench/README.md`. The matcher scores a pair (a, b)
as the mean of both directions; one direction is the 0–100 score it gives question a for an
entry whose only example is b, in a knowledge base of the sentences of a block of {block}
pairs (IDF from the block; blocks keep the cost linear, and 1,000-, 250- and 100-pair blocks
gave Spearman within 0.6 points of each other on LCQMC and BQ samples). TF-IDF and BM25 fit
their IDF on every sentence scored, as the shared README's harness does. Keywords are a
curated part of our knowledge base and these sentences have none, so the keyword signals are
silent here. Baselines as defined in the shared README (`ratio_char` = `fuzz.ratio`,
`tfidf_bigram`, `bm25_jieba` = mean of both directions) plus `WRatio`. Rows marked "full
set, shared/bench harness" are the shared README's own measurements on every pair; text2vec
rows are pre-trained or fine-tuned sentence-embedding models (run on a GPU) quoted from the
text2vec README. Best-threshold accuracy uses an oracle threshold on the same pairs.
"""

SPEED = """\
## 3. Speed and memory

Synthetic knowledge bases: the real entries first, then entries recombined from them: each
example question is the first half of a real question of entry A joined to the second half of
one of another entry B, the title likewise, the keywords half A's, half B's (fixed seed). The
text is new but the vocabulary is real, so posting lists grow as they would (faster, in fact:
the vocabulary does not grow with the entries, which is pessimistic for the matcher). Timed
questions: every question of dev.yaml and tests/data/queries.yaml, in and out of scope, {rounds}
passes; methods interleaved question by question in one process pinned to one CPU; a method
stops after {budget:.0f} s of timed work (slow baselines at large sizes: see "questions timed").
Baselines use the layout chosen in part 1 (chosen the same way when this part runs alone).
"""

E2E = """\
## 4. End to end: `policybot serve` against the Bot API stand-in
"""

CONVERSATIONS = """\
## 5. Conversations: follow-ups (`tests/data/conversations.yaml`)

Two- and three-turn chats written for this project in villagers' words (none taken from
`../shared/eval`), each turn with the entry or outcome a right reply has, run turn by turn
through the dialogue core (`DialogueService`, the console's and Telegram's) with one chat per
conversation. **correct** = the expected entry answered (whole, or the part of it that fits a
follow-up) or the expected outcome (buttons, "don't know", menu, small-talk reply); **wrong**
= answered with another entry, or answered where none was expected. "Each message alone" is
the same run with the follow-up memory switched off (every message matched on its own, as
before issue 10).
"""


def _command(argv: list[str]) -> str:
    return " ".join(["python3 -m benchmarks.run_all", *map(shlex.quote, argv)])


def run(sections: list[str], *, quick: bool, pairs: int) -> dict[str, Any]:
    """Run the chosen sections; return their data and run times."""
    results: dict[str, Any] = {}
    layouts: dict[str, str] | None = None  # speed chooses them itself when run without part 1
    for name in sections:
        start = time.perf_counter()
        print(f"[run_all] {name}…", file=sys.stderr, flush=True)
        module = importlib.import_module(f"benchmarks.{name}")
        if name == "accuracy":
            data = module.measure(quick=quick)
            layouts = data["layouts"]
        elif name == "pairs":
            data = module.measure(n=pairs, quick=quick)
        elif name == "speed":
            data = module.measure(quick=quick, layouts=layouts)
        else:
            data = module.measure(quick=quick)
        results[name] = (module, data, time.perf_counter() - start)
        print(f"[run_all] {name} done in {results[name][2]:.0f} s", file=sys.stderr, flush=True)
    return results


def render(results: dict[str, Any], argv: list[str], info: dict[str, str]) -> str:
    """The whole document."""
    total = sum(r[2] for r in results.values())
    parts = [INTRO.format(command=_command(argv), minutes=max(1, round(total / 60)))]
    parts += [
        "## Machine and run",
        table(["", ""], [(k, v) for k, v in info.items()], "ll"),
        table(["part", "run time s"], [(k, f"{r[2]:.0f}") for k, r in results.items()]),
    ]
    for name, (module, data, _) in results.items():
        if name == "accuracy":
            parts.append(
                ACCURACY.format(
                    n_cal=data["sizes"]["calibration_in_scope"],
                    n_bench=data["sizes"]["bench_oos"],
                    max_wrong=module.MAX_WRONG,
                    max_near=module.MAX_OOS_NEAR,
                    max_bench=module.MAX_OOS_BENCH,
                )
            )
        elif name == "pairs":
            parts.append(PAIRS.format(block=module.BLOCK))
        elif name == "speed":
            parts.append(SPEED.format(rounds=module.ROUNDS, budget=module.BUDGET_S))
        elif name == "conversations":
            parts.append(CONVERSATIONS)
        else:
            parts.append(E2E)
        parts.append(module.report(data))
    return "\n\n".join(parts).rstrip() + "\n"


def main(argv: list[str] | None = None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--quick", action="store_true", help="small samples everywhere (smoke run)")
    ap.add_argument("--only", default=",".join(SECTIONS), help="comma-separated sections")
    ap.add_argument("--pairs", type=int, default=0, help="sample of pairs per set (0: all)")
    ap.add_argument("--out", type=Path, default=DOC, help="where to write the markdown")
    args = ap.parse_args(argv)
    sections = [s for s in args.only.split(",") if s]
    unknown = set(sections) - set(SECTIONS)
    if unknown:
        ap.error(f"unknown sections: {', '.join(sorted(unknown))}")
    info = machine_info()  # before the run: the load average is the machine's, not ours
    text = render(run(sections, quick=args.quick, pairs=args.pairs), argv, info)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text, encoding="utf-8")
    print(f"[run_all] wrote {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
