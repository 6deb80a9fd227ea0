"""`policybot db migrate-to URL`: move the question log from its SQLite file to PostgreSQL."""

from __future__ import annotations

import argparse
import asyncio
from typing import TextIO

from bot.config import Settings
from bot.review.logargs import add_log_parser


def add_review_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register the staff's commands on the log: `policybot log …` and `policybot db …`."""
    add_log_parser(sub)
    add_db_parser(sub)


def add_db_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `policybot db` and its subcommands."""
    db = sub.add_parser("db", help="the question log's database: move it to PostgreSQL")
    db_sub = db.add_subparsers(dest="db_command", required=True, metavar="DB_COMMAND")
    to = db_sub.add_parser(
        "migrate-to", help="copy the SQLite log (POLICYBOT_DB) into an empty PostgreSQL database"
    )
    to.add_argument("url", help="postgresql://user:pass@host:port/db")


def run_db_command(
    args: argparse.Namespace, settings: Settings, stdout: TextIO, stderr: TextIO
) -> int:
    """Copy the log; one line on stdout (the rows per table) or on stderr (why not), 0 or 1."""
    # here, not at the top: every command builds the parser, few copy a log
    from bot.store import CopyRefused, StoreUnavailable, copy_to_postgres, is_postgres_url

    if not is_postgres_url(args.url):
        stderr.write("policybot: migrate-to needs a postgresql://user:pass@host:port/db URL\n")
        return 1
    if settings.db_url is not None:
        stderr.write("policybot: POLICYBOT_DB must name the SQLite file to copy, not a URL\n")
        return 1
    try:
        counts = asyncio.run(copy_to_postgres(settings.db_path, args.url))
    except (CopyRefused, StoreUnavailable) as exc:
        stderr.write(f"policybot: {exc}\n")
        return 1
    rows = ", ".join(f"{n} {table}" for table, n in counts.items())
    target = Settings(db_url=args.url).database_label
    stdout.write(f"copied {settings.db_path} to {target}: {rows}\n")
    return 0
