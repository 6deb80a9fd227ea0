"""`policybot web` (serve the workbench) and `policybot staff add NAME` (create an account)."""

from __future__ import annotations

import argparse
import asyncio
import datetime as dt
import getpass
import logging
import signal
from typing import TYPE_CHECKING, TextIO

from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.web.auth import MIN_PASSWORD, hash_password

if TYPE_CHECKING:  # the parser (every command builds it) needs none of these
    from bot.review import Sender
    from bot.store import Store
    from bot.understand import Matcher


def _store() -> type[Store]:
    """The store class, imported when a command here opens the log (not to build the parser)."""
    from bot.store import Store as Log

    return Log


logger = logging.getLogger(__name__)
MAX_NAME = 64


def add_web_parsers(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register `policybot web` and `policybot staff`."""
    sub.add_parser("web", help="the workbench for editors and staff (POLICYBOT_WEB_HOST, _PORT)")
    staff = sub.add_parser("staff", help="workbench accounts")
    staff_sub = staff.add_subparsers(dest="staff_command", required=True, metavar="STAFF_COMMAND")
    add = staff_sub.add_parser(
        "add", help="create an account (password prompt, or one stdin line)"
    )
    add.add_argument("name", help="the name to log in with")
    passwd = staff_sub.add_parser("passwd", help="set a new password for an account")
    passwd.add_argument("name", help="the account")


def run_web(settings: Settings, stdout: TextIO, *, sender: Sender | None = None) -> int:
    """Serve the workbench until SIGINT or SIGTERM."""
    from bot.understand import Matcher

    matcher = Matcher(load_knowledge(settings.kb_path))
    return asyncio.run(_serve(settings, matcher, sender, stdout))


async def _serve(
    settings: Settings, matcher: Matcher, sender: Sender | None, stdout: TextIO
) -> int:
    # aiohttp and Jinja2: only `policybot web` needs them, not every command's parser
    from bot.web.app import build_app, start
    from bot.web.context import Workbench

    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    async with await _store().open(settings.database) as store:
        app = build_app(
            Workbench(store=store, matcher=matcher, sender=sender, kb_path=settings.kb_path)
        )
        runner, port = await start(app, settings.web_host, settings.web_port)
        stdout.write(f"policybot web: http://{settings.web_host}:{port}/\n")
        stdout.flush()
        try:
            await stop.wait()
        finally:
            await runner.cleanup()
    return 0


def run_staff_command(
    args: argparse.Namespace, settings: Settings, stdin: TextIO, stderr: TextIO
) -> int:
    """Create an account or set its password; exit 1 with one line on stderr if it cannot."""
    name = args.name.strip()
    if not name or len(name) > MAX_NAME or not name.isprintable() or " " in name:
        stderr.write(f"policybot: a name is 1-{MAX_NAME} printable characters, no spaces\n")
        return 1
    password = _read_password(stdin, stderr)
    if password is None:
        return 1
    return asyncio.run(_save(settings, args.staff_command, name, hash_password(password), stderr))


def _read_password(stdin: TextIO, stderr: TextIO) -> str | None:
    if stdin.isatty():
        password = getpass.getpass("密码: ", stream=stderr)
        if getpass.getpass("再输一遍: ", stream=stderr) != password:
            stderr.write("policybot: the passwords differ\n")
            return None
    else:
        password = stdin.readline().rstrip("\r\n")
    if len(password) < MIN_PASSWORD:
        stderr.write(f"policybot: a password has at least {MIN_PASSWORD} characters\n")
        return None
    return password


async def _save(settings: Settings, command: str, name: str, hashed: str, stderr: TextIO) -> int:
    async with await _store().open(settings.database) as store:
        from bot.review import utc_iso

        now = utc_iso(_now())
        if command == "add":
            done = await store.add_staff(name, hashed, now)
            problem = f"policybot: the account {name!r} exists (use `staff passwd`)"
        else:
            done = await store.set_staff_password(name, hashed)
            problem = f"policybot: no account {name!r} (use `staff add`)"
        if not done:
            stderr.write(problem + "\n")
            return 1
        await store.record_audit(now, "command line", f"staff {command}", name)
    return 0


def _now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)
