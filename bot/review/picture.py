"""The staff report picture, drawn only where the optional `report` extra (matplotlib) is
installed: without it, a ReviewError that says how to install it."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot.review.unanswered import ReviewError
from bot.store import Store
from bot.understand import Matcher

# matplotlib is the `report` extra: an install without it does everything but the picture.
REPORT_EXTRA_MISSING = (
    "the report picture needs matplotlib, which is not installed:"
    " pip install 'policybot[report]' (报表图片需要安装 policybot[report])"
)


async def render_report(
    store: Store, path: Path | str, *, days: int, now: dt.datetime, matcher: Matcher | None = None
) -> Path:
    """Draw the staff report PNG (bot.review.report; matplotlib is imported only when needed)."""
    try:
        from bot.review.report import render_report as render
    except ModuleNotFoundError as exc:
        if not (exc.name or "").startswith("matplotlib"):
            raise
        raise ReviewError(REPORT_EXTRA_MISSING) from None

    return await render(store, path, days=days, now=now, matcher=matcher)
