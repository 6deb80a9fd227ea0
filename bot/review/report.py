"""One PNG for staff, readable on a phone: daily questions, answered share, top topics, top
unanswered groups (`policybot log report`, /report)."""

from __future__ import annotations

import asyncio
import datetime as dt
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from matplotlib import font_manager, rc_context
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ft2font import FT2Font

from bot import messages
from bot.review.stats import Stats, collect_stats
from bot.review.unanswered import Cluster, ReviewError, unanswered_clusters
from bot.store import Store
from bot.understand import Matcher

# 1080 x 1920 pixels: a phone screen, portrait.
SIZE_INCHES = (7.2, 12.8)
DPI = 150
TOP_ROWS = 6
LABEL_CHARS = 22
COLORS = {
    "answered": "#2e7d32",
    "clarified": "#f9a825",
    "unknown": "#c62828",
    "bar_light": "#bbdefb",
}
# Fonts with Simplified Chinese, in order of preference, when the bundled one is missing.
CJK_FAMILIES = ("Noto Sans SC", "Noto Sans CJK SC", "Source Han Sans SC", "WenQuanYi Micro Hei")
# Characters every report needs (the labels in messages.py are checked by a test too).
_PROBE = "扶贫政策问答每天的问题答上没比例话题按需求归组暂无0123456789%"
_RC = {"axes.unicode_minus": False, "font.size": 13}
_lock = threading.Lock()  # matplotlib's font cache and rcParams are process-wide


class ReportError(ReviewError):
    """The report cannot be drawn (no font with Chinese glyphs)."""


def has_glyphs(font: Path, text: str) -> bool:
    """Whether `font` has a glyph for every non-space character of `text`."""
    charmap = _charmap(str(font))
    return all(ord(c) in charmap for c in text if not c.isspace())


@lru_cache(maxsize=8)
def _charmap(path: str) -> frozenset[int]:
    return frozenset(FT2Font(path).get_charmap())


@lru_cache(maxsize=1)
def cjk_font() -> Path:
    """The font the report is drawn with: Noto Sans SC (SIL OFL) from the pylopdf-fonts-zh-cn
    package, else an installed font with Chinese glyphs."""
    try:
        import pylopdf_fonts_zh_cn

        bundled = Path(pylopdf_fonts_zh_cn.sans_path())
        if bundled.exists() and has_glyphs(bundled, _PROBE):
            return bundled
    except ImportError:
        pass
    by_family = {f.name: Path(f.fname) for f in font_manager.fontManager.ttflist}
    for family in CJK_FAMILIES:
        path = by_family.get(family)
        if path is not None and has_glyphs(path, _PROBE):
            return path
    raise ReportError("no font with Chinese glyphs: pip install pylopdf-fonts-zh-cn")


async def render_report(
    store: Store,
    path: Path | str,
    *,
    days: int,
    now: dt.datetime,
    matcher: Matcher | None = None,
) -> Path:
    """Draw the last `days` days as a PNG at `path` (groups by need when given a matcher)."""
    titles = {e.id: e.title for e in matcher.kb.entries} if matcher else {}
    stats = await collect_stats(store, days=days, now=now, titles=titles)
    clusters = await unanswered_clusters(store, matcher)
    target = Path(path)
    await asyncio.to_thread(draw_report, stats, clusters, target)
    return target


def draw_report(stats: Stats, clusters: Sequence[Cluster], path: Path) -> Figure:
    """Render `stats` and the biggest unanswered groups to a PNG (blocking: call in a thread);
    return the drawn figure."""
    with _lock, rc_context(_font_rc()):
        figure = build_figure(stats, clusters)
        figure.savefig(path, format="png")
    return figure


def _font_rc() -> dict[Any, Any]:
    """rcParams that set every text (ticks drawn later too) in the CJK font."""
    font = cjk_font()
    font_manager.fontManager.addfont(str(font))
    family = font_manager.FontProperties(fname=str(font)).get_name()
    return {**_RC, "font.family": family}


def build_figure(stats: Stats, clusters: Sequence[Cluster]) -> Figure:
    """The report as a matplotlib Figure, every text set in the CJK font."""
    font = cjk_font()
    figure = Figure(figsize=SIZE_INCHES, dpi=DPI, layout="constrained")
    with rc_context(_font_rc()):
        grid = figure.add_gridspec(4, 1, height_ratios=(3.2, 2.2, 3, 3))
        period = stats.period
        figure.suptitle(
            "\n".join(
                (
                    messages.REPORT_TITLE.format(
                        days=stats.days, first=period.first_day[5:], last=period.last_day[5:]
                    ),
                    messages.REPORT_SUMMARY.format(
                        questions=period.questions,
                        answered=round(period.share(period.answered)),
                        clarified=round(period.share(period.clarified)),
                        unknown=round(period.share(period.unknown)),
                    ),
                    messages.REPORT_FEEDBACK.format(
                        useful=period.useful,
                        not_useful=period.not_useful,
                        open=stats.open_unanswered,
                    ),
                )
            ),
            fontsize=14,
        )
        _daily(figure.add_subplot(grid[0]), stats)
        _share(figure.add_subplot(grid[1]), stats)
        topics = [(t.title, t.count) for t in stats.top_topics[:TOP_ROWS]]
        _ranking(figure.add_subplot(grid[2]), messages.REPORT_TOPICS, topics, font)
        groups = [(f"#{c.id} {c.examples[0]}", c.count) for c in clusters[:TOP_ROWS]]
        _ranking(figure.add_subplot(grid[3]), messages.REPORT_UNANSWERED, groups, font)
    return figure


def _daily(ax: Axes, stats: Stats) -> None:
    days = [d.day[5:] for d in stats.daily]
    x = range(len(days))
    bottom = [0] * len(days)
    for key, label, values in (
        ("answered", messages.REPORT_ANSWERED, [d.answered for d in stats.daily]),
        ("clarified", messages.REPORT_CLARIFIED, [d.clarified for d in stats.daily]),
        ("unknown", messages.REPORT_UNKNOWN, [d.unknown for d in stats.daily]),
    ):
        ax.bar(x, values, bottom=bottom, color=COLORS[key], label=label)
        bottom = [b + v for b, v in zip(bottom, values, strict=True)]
    ax.set_title(messages.REPORT_DAILY, loc="left")
    _day_ticks(ax, days)
    ax.legend(loc="upper left", ncols=3, frameon=False)
    ax.set_ylim(0, max([*bottom, 1]) * 1.3)


def _share(ax: Axes, stats: Stats) -> None:
    days = [d.day[5:] for d in stats.daily]
    shares = [100 * d.answered / d.questions if d.questions else None for d in stats.daily]
    points = [(i, s) for i, s in enumerate(shares) if s is not None]
    if points:
        ax.plot(*zip(*points, strict=True), marker="o", color=COLORS["answered"])
    ax.set_ylim(0, 105)
    ax.set_ylabel("%")
    ax.set_title(messages.REPORT_SHARE, loc="left")
    _day_ticks(ax, days)
    ax.grid(axis="y", alpha=0.3)


def _day_ticks(ax: Axes, days: Sequence[str]) -> None:
    step = max(1, len(days) // 7)
    ticks = list(range(0, len(days), step))
    ax.set_xticks(ticks, [days[i] for i in ticks])
    ax.set_xlim(-0.6, len(days) - 0.4)


def _ranking(ax: Axes, title: str, rows: Sequence[tuple[str, int]], font: Path) -> None:
    """Horizontal bars, biggest on top, each labelled inside (long labels need the width)."""
    ax.set_title(title, loc="left")
    ax.set_axis_off()
    if not rows:
        ax.text(0.5, 0.5, messages.REPORT_EMPTY, ha="center", va="center", fontsize=16)
        return
    top = max(count for _, count in rows)
    for y, (label, count) in enumerate(rows):
        ax.barh(-y, count / top, height=0.8, color=COLORS["bar_light"])
        ax.text(0.01, -y, f"{_printable(_shorten(label), font)}  {count}", va="center")
    ax.set_xlim(0, 1)
    ax.set_ylim(-TOP_ROWS + 0.5, 0.5)


def _shorten(text: str) -> str:
    text = " ".join(text.split())
    return text if len(text) <= LABEL_CHARS else text[: LABEL_CHARS - 1] + "…"


def _printable(text: str, font: Path) -> str:
    """Drop characters the font cannot draw (a villager's emoji) instead of drawing boxes."""
    return "".join(c for c in text if c.isspace() or has_glyphs(font, c))
