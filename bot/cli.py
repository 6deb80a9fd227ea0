"""Composition root: the `policybot` command (chat, serve, match, kb, log)."""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TextIO

from bot.config import ConfigError, Settings
from bot.knowledge import KnowledgeError, load_knowledge
from bot.privacy import MaskingFilter
from bot.review import check_knowledge, load_eval_set, print_eval, run_eval
from bot.understand import Matcher

logger = logging.getLogger(__name__)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every subcommand (each has help text)."""
    parser = argparse.ArgumentParser(
        prog="policybot", description="扶贫政策问答机器人 — policy Q&A bot for villagers."
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    chat = sub.add_parser("chat", help="console chat on the dialogue core (stdin, also piped)")
    chat.add_argument("--no-greeting", action="store_true", help="do not print the greeting")
    sub.add_parser("serve", help="run the Telegram bot (TELEGRAM_BOT_TOKEN)")
    sub.add_parser("match", help='JSON lines {"q": …} on stdin → one verdict per line')
    kb = sub.add_parser("kb", help="knowledge-base tools for editors")
    kb_sub = kb.add_subparsers(dest="kb_command", required=True, metavar="KB_COMMAND")
    check = kb_sub.add_parser("check", help="validate the knowledge base (FILE:LINE: messages)")
    check.add_argument("file", nargs="?", type=Path, help="knowledge base (default POLICYBOT_KB)")
    ev = kb_sub.add_parser("eval", help="score a {q, topic} YAML set")
    ev.add_argument("file", type=Path, help="YAML list of {q: question, topic: id or null}")
    ev.add_argument("--show-misses", type=int, default=20, metavar="N", help="misses to list")
    from bot.review import add_log_parser
    from bot.web import add_web_parsers

    add_log_parser(sub)
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
        return 2
    _configure_logging(settings.log_level, stderr)
    try:
        return _dispatch(args, settings, stdin, stdout, stderr)
    except ConfigError as exc:
        stderr.write(f"policybot: {exc}\n")
        return 2
    except KnowledgeError as exc:
        for problem in exc.problems:
            stderr.write(f"{problem}\n")
        stderr.write("policybot: the knowledge base has errors (run `policybot kb check`)\n")
        return 2
    except KeyboardInterrupt:
        return 130
    except Exception:
        logger.exception("policybot %s failed", args.command)
        stderr.write(f"policybot: {args.command} failed; see the log above\n")
        return 1


def _configure_logging(level: str, stream: TextIO) -> None:
    logging.basicConfig(
        level=level, stream=stream, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    # httpx logs every request URL, and Bot API URLs contain the token.
    logging.getLogger("httpx").setLevel(logging.WARNING)
    logging.getLogger("httpcore").setLevel(logging.WARNING)
    # Questions may reach a log (DEBUG, a traceback): personal numbers are masked there too.
    for handler in logging.getLogger().handlers:
        if not any(isinstance(f, MaskingFilter) for f in handler.filters):
            handler.addFilter(MaskingFilter())


def _dispatch(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, stdout: TextIO, stderr: TextIO
) -> int:
    if args.command == "chat":
        from bot.console import run_console
        from bot.dialogue import DialogueService
        from bot.store import Store

        matcher = Matcher(load_knowledge(settings.kb_path))

        async def chat() -> int:
            async with await Store.open(settings.db_path, recover=True) as store:
                service = DialogueService(matcher, store)
                return await run_console(
                    service, stdin, stdout, greet=not args.no_greeting and stdin.isatty()
                )

        return asyncio.run(chat())
    if args.command == "serve":
        from handlers.app import serve

        return serve(settings)
    if args.command == "match":
        return _match(Matcher(load_knowledge(settings.kb_path)), stdin, stdout)
    if args.command == "kb":
        return _kb(args, settings, stdout)
    if args.command in ("web", "staff"):
        return _web(args, settings, stdin, stdout, stderr)
    from bot.review import run_log_command

    sender = None
    if settings.token and args.log_command == "resolve":
        # review.py never imports telegram; the Bot API sender is wired in here.
        from handlers.outbox import bot_api_sender

        sender = bot_api_sender(settings)
    return run_log_command(args, settings, stdout, stderr, sender=sender)


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
    for line in stdin:
        if not line.strip():
            continue
        try:
            question = json.loads(line).get("q")
        except (ValueError, AttributeError):
            question = None
        if not isinstance(question, str):
            question = ""
        m = matcher.best_match(question)
        # a referral keeps outcome "unknown" (not an answer) and carries whom to ask
        shown_id = m.entry_id or m.referral
        entry = matcher.kb.get(shown_id) if shown_id else None
        result = {
            "outcome": m.outcome.value,
            "id": m.entry_id,
            "score": m.score,
            "candidates": [{"id": c.id, "score": c.score} for c in m.candidates],
            "answer": entry.answer if entry else None,
        }
        if m.referral:
            result["referral"] = m.referral
        stdout.write(json.dumps(result, ensure_ascii=False) + "\n")
        stdout.flush()
    return 0


def _kb(args: argparse.Namespace, settings: Settings, stdout: TextIO) -> int:
    if args.kb_command == "check":
        path = args.file or settings.kb_path
        kb, problems = check_knowledge(path)
        for problem in problems:
            stdout.write(f"{problem}\n")
        errors = [p for p in problems if p.severity == "error"]
        if errors or kb is None:
            stdout.write(f"{path}: {len(errors)} error(s)\n")
            return 1
        n_questions = sum(len(e.questions) for e in kb.entries)
        stdout.write(f"{path}: ok, {len(kb.entries)} entries, {n_questions} example questions\n")
        return 0
    try:
        items = load_eval_set(args.file)
    except (OSError, ValueError) as exc:
        stdout.write(f"policybot: cannot read the set: {exc}\n")
        return 1
    matcher = Matcher(load_knowledge(settings.kb_path))
    print_eval(run_eval(matcher, items), stdout, name=args.file.name, show_misses=args.show_misses)
    return 0
