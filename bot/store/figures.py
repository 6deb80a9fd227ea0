"""What staff read: outcome counts per period and per day, feedback, top entries, exports."""

from __future__ import annotations

from collections.abc import AsyncIterator

from bot.store.connection import SELECT_QUESTIONS, Connection, row_to_question
from bot.store.driver import POSTGRES, SQLITE
from bot.store.records import OPEN, Logged, LoggedQuestion, OutcomeCounts

# Outcomes per local day: SQLite's date(asked_at, '+480 minutes'), and the same in PostgreSQL's
# words (asked_at is ISO with its offset; the shift is in minutes).
_DAILY = {
    SQLITE: "SELECT date(asked_at, ?) AS day, outcome, COUNT(*) FROM questions"
    " WHERE asked_at >= ? AND asked_at < ? GROUP BY day, outcome ORDER BY day",
    POSTGRES: "SELECT to_char((CAST(asked_at AS timestamptz) AT TIME ZONE 'UTC')"
    " + make_interval(mins => ?), 'YYYY-MM-DD') AS day, outcome, COUNT(*) FROM questions"
    " WHERE asked_at >= ? AND asked_at < ? GROUP BY day, outcome ORDER BY day",
}


class FiguresStore(Connection):
    """The staff's reads (a part of Store)."""

    async def iter_questions(self, *, since: str = "") -> AsyncIterator[LoggedQuestion]:
        """Yield every question asked at or after `since` (ISO UTC), oldest first."""
        query = SELECT_QUESTIONS + " WHERE q.asked_at >= ? ORDER BY q.id"
        async for row in self._db.iterate(query, (since,), size=500):
            yield row_to_question(row)

    async def search_questions(
        self,
        *,
        since: str = "",
        until: str = "",
        outcome: str = "",
        entry_id: str = "",
        text: str = "",
        limit: int = 200,
    ) -> list[LoggedQuestion]:
        """Questions asked in [since, until) (ISO UTC; '' = open end) with this outcome,
        entry and text fragment (each '' = any), newest first, at most `limit`."""
        clauses, params = ["q.asked_at >= ?"], [since]
        if until:
            clauses.append("q.asked_at < ?")
            params.append(until)
        for column, value in (("q.outcome", outcome), ("q.entry_id", entry_id)):
            if value:
                clauses.append(f"{column} = ?")
                params.append(value)
        if text:
            escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            like = "ILIKE" if self._db.dialect == POSTGRES else "LIKE"  # as SQLite's: any case
            clauses.append(f"q.text {like} ? ESCAPE '\\'")
            params.append(f"%{escaped}%")
        where = " AND ".join(clauses)
        return await self._select(f"WHERE {where} ORDER BY q.id DESC LIMIT ?", (*params, limit))

    async def outcome_counts(self, since: str, until: str) -> OutcomeCounts:
        """Count questions per outcome asked in [since, until) (ISO UTC)."""
        rows = await self._db.fetchall(
            "SELECT outcome, COUNT(*) FROM questions WHERE asked_at >= ? AND asked_at < ?"
            " GROUP BY outcome",
            (since, until),
        )
        return _counts({str(o): int(n) for o, n in rows})

    async def daily_outcomes(
        self, since: str, until: str, *, utc_offset_minutes: int
    ) -> list[tuple[str, OutcomeCounts]]:
        """Outcome counts per local day (YYYY-MM-DD) for questions asked in [since, until)."""
        shift: object = f"{utc_offset_minutes:+d} minutes"
        if self._db.dialect == POSTGRES:
            shift = utc_offset_minutes
        rows = await self._db.fetchall(_DAILY[self._db.dialect], (shift, since, until))
        days: dict[str, dict[str, int]] = {}
        for day, outcome, n in rows:
            days.setdefault(str(day), {})[str(outcome)] = int(n)
        return [(day, _counts(by_outcome)) for day, by_outcome in days.items()]

    async def feedback_counts(self, since: str, until: str) -> tuple[int, int]:
        """Return (👍, 👎) taps given in [since, until)."""
        row = await self._db.fetchone(
            "SELECT COALESCE(SUM(useful), 0), COALESCE(SUM(1 - useful), 0) FROM feedback"
            " WHERE at >= ? AND at < ?",
            (since, until),
        )
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def feedback_by_entry(
        self, since: str, until: str, *, limit: int
    ) -> list[tuple[str, int, int]]:
        """Return (entry id, 👍, 👎) for the answers tapped in [since, until), most 👎 first."""
        rows = await self._db.fetchall(
            "SELECT q.entry_id, SUM(f.useful), SUM(1 - f.useful) FROM feedback f"
            " JOIN questions q ON q.id = f.question_id WHERE q.entry_id IS NOT NULL"
            " AND f.at >= ? AND f.at < ? GROUP BY q.entry_id"
            " ORDER BY SUM(1 - f.useful) DESC, SUM(f.useful) DESC, q.entry_id LIMIT ?",
            (since, until, limit),
        )
        return [(str(e), int(up), int(down)) for e, up, down in rows]

    async def top_entries(self, since: str, until: str, *, limit: int) -> list[tuple[str, int]]:
        """Return the most answered entries in [since, until) with their counts."""
        rows = await self._db.fetchall(
            "SELECT entry_id, COUNT(*) AS n FROM questions WHERE outcome = 'answer'"
            " AND entry_id IS NOT NULL AND asked_at >= ? AND asked_at < ?"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?",
            (since, until, limit),
        )
        return [(str(e), int(n)) for e, n in rows]

    async def handoff_count(self, since: str, until: str) -> int:
        """How many questions villagers handed to a person in [since, until)."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM questions WHERE handed_off_at >= ? AND handed_off_at < ?",
            (since, until),
        )
        return int(row[0]) if row else 0

    async def queue_size(self, status: str = OPEN) -> int:
        """How many questions are in the unanswered queue in state `status`."""
        row = await self._db.fetchone(
            "SELECT COUNT(*) FROM unanswered WHERE status = ?", (status,)
        )
        return int(row[0]) if row else 0


def _counts(by_outcome: dict[str, int]) -> OutcomeCounts:
    return OutcomeCounts(
        answer=by_outcome.get(Logged.ANSWER, 0),
        clarify=by_outcome.get(Logged.CLARIFY, 0),
        unknown=by_outcome.get(Logged.UNKNOWN, 0),
        empty=by_outcome.get(Logged.EMPTY, 0),
    )
