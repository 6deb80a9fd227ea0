"""Telegram entry point (`policybot serve`); the adapter itself is issue #3."""

from __future__ import annotations

import sys

from bot.config import Settings


def serve(settings: Settings) -> int:
    """Run the Telegram bot until stopped; return the exit code."""
    settings.require_token()
    sys.stderr.write("policybot serve: the Telegram adapter is not built yet (issue #3)\n")
    return 2
