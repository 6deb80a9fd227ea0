"""Staff and editor commands over the question log (`policybot log …`)."""

from __future__ import annotations

import argparse
from typing import TextIO

from bot.config import Settings


def add_log_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `policybot log` and its subcommands."""
    log = sub.add_parser("log", help="question-log reports for staff and editors")
    log.add_subparsers(dest="log_command", required=True, metavar="LOG_COMMAND")


def run_log_command(
    args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO
) -> int:
    """Run one `policybot log` subcommand."""
    stderr.write(f"policybot: unknown log command {args.log_command!r}\n")
    return 2
