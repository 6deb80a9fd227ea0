"""The workbench for editors and staff (`policybot web`): an aiohttp application with Jinja2
pages in Chinese over the faces of review/ and store/, its accounts and its login security.

Other packages use only these names.
"""

from bot.web.app import build_app, start
from bot.web.auth import LoginLimiter, Sessions, hash_password, verify_password
from bot.web.command import add_web_parsers, run_staff_command, run_web
from bot.web.context import Workbench

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
