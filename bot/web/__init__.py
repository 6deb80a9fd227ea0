"""The workbench for editors and staff (`policybot web`): an aiohttp application with Jinja2
pages in Chinese over the faces of review/ and store/, its accounts and its login security.

Other packages use only these names.
"""

from typing import TYPE_CHECKING, Any

from bot.web.auth import LoginLimiter, Sessions, hash_password, verify_password
from bot.web.command import add_web_parsers, run_staff_command, run_web

if TYPE_CHECKING:
    from bot.web.app import build_app, start
    from bot.web.context import Workbench


def __getattr__(name: str) -> Any:
    """`build_app`, `start` and `Workbench` on first use: aiohttp and Jinja2 would cost every
    other command (`match`, `kb check`, `--help`) a third of a second for nothing."""
    if name in ("build_app", "start"):
        import bot.web.app

        return getattr(bot.web.app, name)
    if name == "Workbench":
        import bot.web.context

        return bot.web.context.Workbench
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


__all__ = [
    "LoginLimiter",
    "Sessions",
    "Workbench",
    "add_web_parsers",
    "build_app",
    "hash_password",
    "run_staff_command",
    "run_web",
    "start",
    "verify_password",
]
