"""Paths, data loading, machine facts and markdown helpers shared by the benchmarks."""

from __future__ import annotations

import datetime as dt
import importlib.metadata
import os
import platform
import statistics
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python benchmarks/x.py` as well as `-m benchmarks.x`
    sys.path.insert(0, str(ROOT))

from bot.knowledge import Entry, KnowledgeBase, load_knowledge  # noqa: E402
from bot.review import load_eval_set  # noqa: E402
from bot.understand import Candidate  # noqa: E402

SHARED = ROOT.parent / "shared"
KB_PATH = ROOT / "knowledge" / "policies.yaml"
DEV_PATH = SHARED / "eval" / "dev.yaml"
QUERIES_PATH = ROOT / "tests" / "data" / "queries.yaml"
BENCH_DIR = SHARED / "bench"

Ranked = list[Candidate]
RankFn = Callable[[str], Ranked]
Item = tuple[str, object]  # (question, expected topic id | list of ids | None)


def load_kb(path: Path = KB_PATH) -> KnowledgeBase:
    """The knowledge base as it is on disk now (it is still being tuned)."""
    return load_knowledge(path)


def load_dev(path: Path = DEV_PATH) -> list[Item]:
    """../shared/eval/dev.yaml as (question, topic) pairs."""
    return load_eval_set(path)


def entry_texts(entry: Entry) -> list[str]:
    """The text of an entry every method indexes: example questions, title, keywords."""
    return [*entry.questions, entry.title, *entry.keywords]


def percentile(values: Sequence[float], p: float) -> float:
    """The p-th percentile (0-100) by linear interpolation between the closest ranks."""
    if not values:
        return float("nan")
    data = sorted(values)
    k = (len(data) - 1) * p / 100
    lo = int(k)
    hi = min(lo + 1, len(data) - 1)
    return data[lo] + (data[hi] - data[lo]) * (k - lo)


def median(values: Sequence[float]) -> float:
    """The median, NaN for no values."""
    return statistics.median(values) if values else float("nan")


def _version(dist: str) -> str:
    try:
        return importlib.metadata.version(dist)
    except importlib.metadata.PackageNotFoundError:
        return "-"


def _cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _memory_gib() -> float:
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 1024 / 1024
    except OSError:
        pass
    return float("nan")


def machine_info() -> dict[str, str]:
    """What the numbers were measured on."""
    libs = ("rapidfuzz", "jieba", "pypinyin", "opencc", "rank-bm25", "scikit-learn", "numpy")
    return {
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "cpu": _cpu_model(),
        "cores": str(os.cpu_count()),
        "memory": f"{_memory_gib():.1f} GiB",
        "os": f"{platform.system()} {platform.release()}",
        "python": platform.python_version(),
        "load average at start (1/5/15 min)": " / ".join(f"{x:.2f}" for x in os.getloadavg()),
        "libraries": ", ".join(f"{d} {_version(d)}" for d in libs),
    }


def table(header: Sequence[str], rows: Sequence[Sequence[object]], align: str = "") -> str:
    """A markdown table; `align` has one letter per column (l or r, default: first l, rest r)."""
    align = align or "l" + "r" * (len(header) - 1)
    marks = [":---" if a == "l" else "---:" for a in align]
    lines = ["| " + " | ".join(header) + " |", "| " + " | ".join(marks) + " |"]
    lines += ["| " + " | ".join(_cell(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return "–" if value != value else f"{value:.1f}"  # NaN → dash
    return str(value)
