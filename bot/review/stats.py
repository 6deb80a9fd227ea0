"""Figures for staff: questions per day, answered share, feedback, top topics (`log stats`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from bot import messages
from bot.store import OPEN, OutcomeCounts, Store

# Villagers and staff live in China (UTC+8, no daylight saving): "today" is their day.
LOCAL_TZ = dt.timezone(dt.timedelta(hours=8), "UTC+8")
TOP_TOPICS = 5
FEEDBACK_ENTRIES = 3  # entries with the most 👎 (the text is at most 15 lines)


@dataclass(frozen=True)
class Figures:
    """Questions and feedback over one period of local days (both ends included)."""

    first_day: str
    last_day: str
    questions: int
    answered: int
    clarified: int
    unknown: int
    empty: int
    useful: int
    not_useful: int
    handoffs: int = 0

    def share(self, count: int) -> float:
        """`count` as a percentage of the questions (0 when there were none)."""
        return round(100 * count / self.questions, 1) if self.questions else 0.0

    def to_dict(self) -> dict[str, object]:
        """The counts plus answered/clarified/unknown percentages."""
        return {
            **asdict(self),
            "answered_pct": self.share(self.answered),
            "clarified_pct": self.share(self.clarified),
            "unknown_pct": self.share(self.unknown),
        }


@dataclass(frozen=True)
class TopicCount:
    """An entry and how many questions it answered."""

    entry_id: str
    title: str
    count: int


@dataclass(frozen=True)
class EntryFeedback:
    """An entry and the 👍/👎 its answers got."""

    entry_id: str
    title: str
    useful: int
    not_useful: int


@dataclass(frozen=True)
class DayCount:
    """One local day's questions by outcome."""

    day: str
    questions: int
    answered: int
    clarified: int
    unknown: int


@dataclass(frozen=True)
class Stats:
    """Today's and the last `days` days' figures, for /stats, `log stats` and the report."""

    generated_at: str
    days: int
    today: Figures
    period: Figures
    top_topics: tuple[TopicCount, ...]
    daily: tuple[DayCount, ...]
    open_unanswered: int
    feedback_by_entry: tuple[EntryFeedback, ...] = ()  # most 👎 first

    def to_dict(self) -> dict[str, object]:
        """A JSON-ready dict."""
        return {
            "generated_at": self.generated_at,
            "days": self.days,
            "today": self.today.to_dict(),
            "period": self.period.to_dict(),
            "top_topics": [asdict(t) for t in self.top_topics],
            "daily": [asdict(d) for d in self.daily],
            "open_unanswered": self.open_unanswered,
            "feedback_by_entry": [asdict(f) for f in self.feedback_by_entry],
        }

    def to_text(self) -> str:
        """Short Chinese text for a phone (at most 15 lines)."""
        when = dt.datetime.fromisoformat(self.generated_at).astimezone(LOCAL_TZ)
        lines = [messages.STATS_HEADER.format(now=when.strftime("%m-%d %H:%M"))]
        for label, figures in (
            (messages.STATS_TODAY, self.today),
            (messages.STATS_PERIOD.format(days=self.days), self.period),
        ):
            lines.append(
                messages.STATS_LINE.format(
                    label=label,
                    questions=figures.questions,
                    answered=round(figures.share(figures.answered)),
                    clarified=round(figures.share(figures.clarified)),
                    unknown=round(figures.share(figures.unknown)),
                )
            )
        lines.append(
            messages.STATS_FEEDBACK.format(
                useful=self.period.useful, not_useful=self.period.not_useful
            )
        )
        lines.append(messages.STATS_OPEN.format(open=self.open_unanswered))
        if self.period.handoffs:
            lines.append(messages.STATS_HANDOFFS.format(handoffs=self.period.handoffs))
        if self.top_topics:
            lines.append(messages.STATS_TOPICS)
            lines += [
                messages.STATS_TOPIC.format(rank=i, title=t.title, count=t.count)
                for i, t in enumerate(self.top_topics, 1)
            ]
        if self.feedback_by_entry:
            lines.append(messages.STATS_ENTRY_FEEDBACK)
            lines += [
                messages.STATS_ENTRY_LINE.format(
                    title=f.title, id=f.entry_id, useful=f.useful, not_useful=f.not_useful
                )
                for f in self.feedback_by_entry
            ]
        return "\n".join(lines[:15])


def local_day_start(day: dt.date) -> dt.datetime:
    """Midnight of a local day, as an aware datetime."""
    return dt.datetime.combine(day, dt.time(), LOCAL_TZ)


def utc_iso(moment: dt.datetime) -> str:
    """The ISO-8601 UTC form the log stores (service.utc_now)."""
    return moment.astimezone(dt.UTC).isoformat(timespec="seconds")


async def collect_stats(
    store: Store,
    *,
    days: int,
    now: dt.datetime,
    titles: Mapping[str, str] | None = None,
    top: int = TOP_TOPICS,
) -> Stats:
    """Gather today's and the last `days` local days' figures (`titles`: entry id → title)."""
    if days < 1:
        raise ValueError("days must be at least 1")
    today = now.astimezone(LOCAL_TZ).date()
    first = today - dt.timedelta(days=days - 1)
    since, today_since = utc_iso(local_day_start(first)), utc_iso(local_day_start(today))
    until = utc_iso(local_day_start(today + dt.timedelta(days=1)))
    period = await _figures(store, since, until, first, today)
    today_figures = await _figures(store, today_since, until, today, today)
    top_entries = await store.top_entries(since, until, limit=top)
    by_day = dict(
        await store.daily_outcomes(
            since, until, utc_offset_minutes=_offset_minutes(local_day_start(today))
        )
    )
    daily = []
    for n in range(days):
        day = (first + dt.timedelta(days=n)).isoformat()
        c = by_day.get(day, OutcomeCounts())
        daily.append(DayCount(day, c.questions, c.answer, c.clarify, c.unknown))
    return Stats(
        generated_at=utc_iso(now),
        days=days,
        today=today_figures,
        period=period,
        top_topics=tuple(TopicCount(e, (titles or {}).get(e, e), n) for e, n in top_entries),
        daily=tuple(daily),
        open_unanswered=await store.queue_size(OPEN),
        feedback_by_entry=tuple(
            EntryFeedback(e, (titles or {}).get(e, e), up, down)
            for e, up, down in await store.feedback_by_entry(since, until, limit=FEEDBACK_ENTRIES)
        ),
    )


async def _figures(store: Store, since: str, until: str, first: dt.date, last: dt.date) -> Figures:
    counts = await store.outcome_counts(since, until)
    useful, not_useful = await store.feedback_counts(since, until)
    return Figures(
        first_day=first.isoformat(),
        last_day=last.isoformat(),
        questions=counts.questions,
        answered=counts.answer,
        clarified=counts.clarify,
        unknown=counts.unknown,
        empty=counts.empty,
        useful=useful,
        not_useful=not_useful,
        handoffs=await store.handoff_count(since, until),
    )


def _offset_minutes(moment: dt.datetime) -> int:
    offset = moment.utcoffset() or dt.timedelta()
    return int(offset.total_seconds() // 60)
