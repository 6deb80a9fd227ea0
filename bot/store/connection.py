"""The one connection a store holds, its transactions, and reading logged questions back."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from bot.store.driver import Driver, Row
from bot.store.records import LoggedQuestion


class Connection:
    """One database connection (SQLite's or a PostgreSQL pool) shared by the process's
    coroutines, one transaction at a time."""

    def __init__(self, db: Driver) -> None:
        """Wrap an open connection."""
        self._db = db
        # One transaction at a time on the shared connection: a rollback after a failed write
        # must not take another coroutine's half-done writes with it.
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """Hold the connection for one transaction: commit at the end, roll back on error."""
        async with self._lock, self._db.transaction():
            yield

    async def _select(self, where: str, params: Sequence[object]) -> list[LoggedQuestion]:
        rows = await self._db.fetchall(f"{SELECT_QUESTIONS} {where}", params)
        return [row_to_question(row) for row in rows]


SELECT_QUESTIONS = (
    "SELECT q.id, q.asked_at, q.channel, q.user_key, q.reply_to, q.text, q.outcome,"
    " q.entry_id, q.score, q.candidates, q.latency_ms, u.status, u.answer, u.resolved_at,"
    " u.delivery, u.sent_at,"
    " (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.useful = 1),"
    " (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.useful = 0),"
    " q.followup_of,"
    " (SELECT MAX(f.comment) FROM feedback f WHERE f.question_id = q.id AND f.useful = 0),"
    " q.replied_at"
    " FROM questions q LEFT JOIN unanswered u ON u.question_id = q.id"
)


def row_to_question(row: Row) -> LoggedQuestion:
    (qid, asked_at, channel, user_key, reply_to, text, outcome, entry_id, score) = row[:9]
    (candidates, latency, status, answer, resolved_at, delivery, sent_at, up, down) = row[9:18]
    followup_of, comment, replied_at = row[18], row[19], row[20]
    try:
        pairs = tuple((str(c), float(s)) for c, s in json.loads(str(candidates)))
    except (ValueError, TypeError):
        pairs = ()
    return LoggedQuestion(
        id=int(str(qid)),
        asked_at=str(asked_at),
        channel=str(channel),
        user_key=str(user_key),
        reply_to=str(reply_to),
        text=str(text),
        outcome=str(outcome),
        entry_id=None if entry_id is None else str(entry_id),
        score=float(str(score)),
        candidates=pairs,
        latency_ms=float(str(latency)),
        status=None if status is None else str(status),
        answer=None if answer is None else str(answer),
        resolved_at=None if resolved_at is None else str(resolved_at),
        delivery=None if delivery is None else str(delivery),
        sent_at=None if sent_at is None else str(sent_at),
        useful=int(str(up)),
        not_useful=int(str(down)),
        followup_of=None if followup_of is None else str(followup_of),
        comment=None if comment is None else str(comment),
        replied_at=None if replied_at is None else str(replied_at),
    )
