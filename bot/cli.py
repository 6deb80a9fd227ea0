"""Composition root: the `policybot` command (chat, serve, match, kb, log, db, web)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, TextIO

from bot import __version__, messages
from bot.config import ConfigError, Settings, log_secrets
from bot.knowledge import KnowledgeError, fit_opening, load_knowledge
from bot.logsummary import RepeatSummary
from bot.privacy import MaskingFilter, SecretFilter

if TYPE_CHECKING:
    from bot.understand import Matcher

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (each has help text)."""
    parser = argparse.ArgumentParser(
        prog="policybot", description="扶贫政策问答机器人 — policy Q&A bot for villagers."
    )
    parser.add_argument("--version", action="version", version=f"policybot {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = sub.add_parser("chat", help="console chat on the dialogue core (stdin, also piped)")
    chat.add_argument("--no-greeting", action="store_true", help="do not print the greeting")
    sub.add_parser("serve", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    sub.add_parser("match", help='JSON lines {"q": …} on stdin → one verdict per line')
    sub.add_parser("health", help="exit 0 if the knowledge base loads and the log answers")
    kb = sub.add_parser("kb", help="knowledge-base tools for editors")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    check = kb_sub.add_parser("check", help="validate the knowledge base (FILE:LINE: messages)")
    check.add_argument("file", nargs="?", type=Path, help="knowledge base (default POLICYBOT_KB)")
    ev = kb_sub.add_parser("eval", help="score a {q, topic} YAML set")
    ev.add_argument("file", type=Path, help="YAML list of {q: question, topic: id or null}")
    ev.add_argument("--show-misses", type=int, default=20, metavar="N", help="misses to list")
    init = kb_sub.add_parser("init", help="copy the bundled knowledge base into DIR for editing")
    init.add_argument("dir", type=Path, help="folder for policies.yaml and lexicon.yaml")
    # review's face pulls in the store and rapidfuzz: still well under `--help`'s 0.3 s
    from bot.review import add_review_parsers
    from bot.web import add_web_parsers

    add_review_parsers(sub)
    add_web_parsers(sub)
    return parser


def main(
    argv: Sequence[str] | None = None,
    *,
    env: Mapping[str, str] | None = None,
    stdin: TextIO | None = None,
    stdout: TextIO | None = None,
    stderr: TextIO | None = None,
) -> int:
    """Run one `policybot` command and return its exit code."""
    stdin, stdout, stderr = stdin or sys.stdin, stdout or sys.stdout, stderr or sys.stderr
    args = build_parser().parse_args(argv)
    try:
        settings = Settings.from_env(os.environ if env is None else env)
    except ConfigError as exc:
        stderr.write(f"policybot: {exc}\n")
        return 1 if args.command == "health" else 2  # Docker reserves a health check's 2
    _configure_logging(settings, stderr)
    try:
        return _dispatch(args, settings, stdin, stdout, stderr)
    except ConfigError as exc:
        stderr.write(f"policybot: {exc}\n")
        return 1 if args.command == "health" else 2  # Docker reserves a health check's 2
    except KnowledgeError as exc:
        for problem in exc.problems:
            stderr.write(f"{problem}\n")
        stderr.write(
            f"policybot: {messages.KB_HAS_ERRORS}"
            " (the knowledge base has errors: run `policybot kb check`)\n"
        )
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        logger.exception("policybot %s failed", args.command)
        stderr.write(f"policybot: {args.command} failed; see the log above\n")
        return 1


def _configure_logging(settings: Settings, stream: TextIO) -> None:
    foreign = list(logging.getLogger().handlers)  # a host's (pytest's, an embedding app's)
    logging.basicConfig(
        level=settings.log_level,
        stream=stream,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # aiosqlite logs every statement's parameters at DEBUG: the inbox's raw updates among them
    logging.getLogger("aiosqlite").setLevel(logging.INFO)
    # Questions may reach a log (DEBUG, a traceback): personal numbers are masked there too.
    # …and no command's log shows the bot token or the webhook secret (PTB logs the Bot API
    # URL, with the token, at DEBUG; setWebhook's parameters carry the secret)
    secrets = log_secrets(settings.token or "")
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())
        if secrets:  # first: masking digits could split a token it should recognise
            handler.filters.insert(0, SecretFilter(secrets))
        if handler not in foreign and not any(
            isinstance(f, RepeatSummary) for f in handler.filters
        ):
            # ours only: it holds state (a host's handler outlives this command); before the
            # other filters, as it reads the message template, which they fill in
            handler.filters.insert(0, RepeatSummary())


def _dispatch(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    if args.command == "chat":
        from bot.console import run_console
        from bot.dialogue import DialogueService
        from bot.store import Store

        matcher = _matcher(settings.kb_path)

        async def chat() -> int:
            async with await Store.open(settings.database, recover=True) as store:
                service = DialogueService(matcher, store)
                return await run_console(
                    service, stdin, stdout, greet=not args.no_greeting and stdin.isatty()
                )

        return asyncio.run(chat())
    if args.command == "serve":
        from handlers.app import serve
        from handlers.reach import BotApiUnreachable

        try:
            return serve(settings)
        except BotApiUnreachable as exc:  # host, error and the proxy hint, in one line
            stderr.write(f"policybot: {exc}\n")
            return 3
    if args.command == "health":
        from bot.health import check_health

        return check_health(settings, stdout, stderr)
    if args.command == "match":
        return _match(_matcher(settings.kb_path), stdin, stdout)
    if args.command == "kb":
        from bot.kbcommand import run_kb

        return run_kb(args, settings, stdout, stderr)
    if args.command in ("web", "staff"):
        return _web(args, settings, stdin, stdout, stderr)
    from bot.review import run_db_command, run_log_command

    if args.command == "db":
        return run_db_command(args, settings, stdout, stderr)
    sender = None
    if settings.token and args.log_command == "resolve":
        # review.py never imports telegram; the Bot API sender is wired in here.
        from handlers.outbox import bot_api_sender

        sender = bot_api_sender(settings)
    return run_log_command(args, settings, stdout, stderr, sender=sender, stdin=stdin)


def _matcher(kb_path: Path) -> Matcher:
    # imported here: `--help` and `log stats` never build a matcher (jieba, pypinyin)
    from bot.understand import Matcher

    return Matcher(load_knowledge(kb_path))


def _web(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    from bot.web import run_staff_command, run_web

    if args.command == "staff":
        return run_staff_command(args, settings, stdin, stderr)
    sender = None
    if settings.token:
        # web/ never imports telegram: answers go out through the Bot API wired in here
        from handlers.outbox import bot_api_sender

        sender = bot_api_sender(settings)
    return run_web(settings, stdout, sender=sender)


def _match(matcher: Matcher, stdin: TextIO, stdout: TextIO) -> int:
    """One output line per input line: a verdict, or {"error": …, "line": n} for a bad line."""
    for n, line in enumerate(_lines(stdin), 1):
        question = _question_of(line)
        if not isinstance(question, str):
            result: dict[str, object] = {"error": question.message, "line": n}
        else:
            result = _verdict(matcher, question)
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


@dataclass(frozen=True)
class _BadLine:
    message: str


def _lines(stdin: TextIO) -> Iterator[str | _BadLine]:
    """The input lines; a line that is not UTF-8 is a bad line, not the end of the stream."""
    raw = getattr(stdin, "buffer", None)
    if raw is None:  # a text stream that is not a file (tests, io.StringIO)
        yield from stdin
        return
    for data in raw:
        try:
            yield data.decode("utf-8")
        except UnicodeDecodeError:
            yield _BadLine("line is not UTF-8 text")


def _question_of(line: str | _BadLine) -> str | _BadLine:
    if isinstance(line, _BadLine):
        return line
    if not line.strip():
        return _BadLine('empty line: expected {"q": "…"}')
    try:
        data = json.loads(line)
    except RecursionError:
        return _BadLine("JSON nested too deeply")
    except ValueError as exc:
        return _BadLine(f"not JSON ({exc.msg})" if hasattr(exc, "msg") else "not JSON")
    if not isinstance(data, dict) or not isinstance(data.get("q"), str):
        return _BadLine('expected an object {"q": "…"} with a text "q"')
    return str(data["q"])


def _verdict(matcher: Matcher, question: str) -> dict[str, object]:
    m = matcher.best_match(question)
    # a referral keeps outcome "unknown" (not an answer) and carries whom to ask
    shown_id = m.entry_id or m.referral
    entry = matcher.kb.get(shown_id) if shown_id else None
    result: dict[str, object] = {
        "outcome": m.outcome.value,
        "id": m.entry_id,
        "score": m.score,
        "candidates": [{"id": c.id, "score": c.score} for c in m.candidates],
        # as the villager reads it: a yes-only opening (「能，」) only for a yes-or-no question
        "answer": fit_opening(entry.answer, question) if entry else None,
    }
    if m.referral:
        result["referral"] = m.referral
    return result
