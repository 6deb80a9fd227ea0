"""The argument parser of `policybot log …` (staff and editor commands over the question log)."""

from __future__ import annotations

import argparse
import datetime as dt
from pathlib import Path

from bot.store import OPEN, QUEUE_STATES


def _positive(text: str) -> int:
    if not text.isdigit() or int(text) < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of at least 1, got {text!r}")
    return int(text)


def _date(text: str) -> dt.date:
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected a date like 2026-11-01, got {text!r}"
        ) from None


def add_log_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `policybot log` and its subcommands."""
    log = sub.add_parser("log", help="question-log reports for staff and editors")
    log_sub = log.add_subparsers(dest="log_command", required=True, metavar="LOG_COMMAND")
    stats = log_sub.add_parser("stats", help="questions, answered share, 👍/👎, top topics")
    stats.add_argument("--days", type=_positive, default=7, help="period in days (default 7)")
    stats.add_argument("--json", action="store_true", help="print JSON instead of text")
    unanswered = log_sub.add_parser("unanswered", help="unanswered questions grouped by need")
    unanswered.add_argument("--status", choices=QUEUE_STATES, default=OPEN, help="queue state")
    unanswered.add_argument("--json", action="store_true", help="print JSON instead of text")
    unanswered.add_argument("--limit", type=_positive, default=20, help="groups shown as text")
    export = log_sub.add_parser("export", help="write the log as CSV (UTF-8 with BOM, Excel)")
    export.add_argument("--csv", type=Path, required=True, metavar="FILE", help="output file")
    export.add_argument(
        "--since", type=_date, metavar="YYYY-MM-DD", help="only questions from this day on"
    )
    res = log_sub.add_parser(
        "resolve",
        help="preview, confirm, then answer a group (or correct its answer) and reply to askers",
    )
    res.add_argument("id", type=int, help="group id (from `log unanswered`) or question id")
    res.add_argument("--answer", required=True, help="the answer villagers will receive")
    res.add_argument(
        "--yes", action="store_true", help="send without asking (scripts); else confirm on a tty"
    )
    ign = log_sub.add_parser("ignore", help="show a group, confirm, then set it aside")
    ign.add_argument("id", type=int, help="group id (from `log unanswered`) or question id")
    ign.add_argument(
        "--yes", action="store_true", help="ignore without asking (scripts); else confirm on a tty"
    )
    log_sub.add_parser("suggest", help="YAML snippets for editors from the unanswered groups")
    purge = log_sub.add_parser("purge", help="delete questions asked before a day (retention)")
    purge.add_argument(
        "--before", type=_date, required=True, metavar="YYYY-MM-DD", help="first day kept"
    )
    purge.add_argument("--dry-run", action="store_true", help="only count what would go")
    report = log_sub.add_parser("report", help="draw a PNG report for staff")
    report.add_argument("--out", type=Path, required=True, metavar="FILE.png", help="output")
    report.add_argument("--days", type=_positive, default=14, help="period in days (default 14)")
