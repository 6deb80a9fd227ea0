"""The question log: questions, feedback, the editors' queue and the in-memory backlog."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import asynccontextmanager
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.privacy import mask_pii
from bot.store.records import (
    OPEN,
    REPLYABLE_OUTCOMES,
    LoggedQuestion,
    OutcomeCounts,
    QuestionRecord,
    storable,
)
from bot.store.schema import connect, is_corrupt, move_aside, unavailable

logger = logging.getLogger(__name__)

# While the log cannot be written (locked longer than the busy timeout, read-only or full disk,
# I/O errors) questions wait in memory and are written, oldest first, once it is back. A
# Telegram message is at most 4096 characters, so the bound keeps this under ~100 MB.
BACKLOG_LIMIT = 5000
RETRY_INTERVAL = 5.0  # seconds between attempts while it fails: each may wait the busy timeout
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock (a staff command)


class Store:
    """Async access to the SQLite log; one connection per process."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        backlog_limit: int = BACKLOG_LIMIT,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Wrap an open connection; use `Store.open` instead."""
        self._db = db
        self.path = path
        # One transaction at a time on the shared connection: a rollback after a failed write
        # must not take another coroutine's half-done writes with it.
        self._lock = asyncio.Lock()
        self._kept: deque[QuestionRecord] = deque()
        self._backlog_limit = backlog_limit
        self._retry_interval = retry_interval
        self._retry_at = 0.0
        self.dropped = 0  # questions lost because the backlog was full (since start)

    @classmethod
    async def open(
        cls,
        path: Path | str,
        *,
        recover: bool = False,
        busy_timeout: float = BUSY_TIMEOUT,
        backlog_limit: int = BACKLOG_LIMIT,
        retry_interval: float = RETRY_INTERVAL,
    ) -> Store:
        """Open (creating if needed) the database at `path` and migrate it.

        With `recover` (the bot, not staff tools) a corrupt file is checked for, moved aside
        as `<name>.corrupt-<timestamp>` and replaced by a fresh database.
        """
        path = Path(path)

        def store(db: aiosqlite.Connection) -> Store:
            return cls(db, path, backlog_limit=backlog_limit, retry_interval=retry_interval)

        try:
            return store(await connect(path, busy_timeout, check=recover))
        except sqlite3.DatabaseError as exc:
            if not recover or not is_corrupt(exc):
                raise
            damage = str(exc)
        aside = await asyncio.to_thread(move_aside, path)
        # One line, no traceback: the operator needs what happened and where the old file is.
        logger.error(
            "database %s is corrupt (%s): moved it aside to %s and started a fresh one",
            path,
            damage,
            aside.name,
        )
        return store(await connect(path, busy_timeout, check=False))

    async def close(self) -> None:
        """Write the questions kept in memory if the database allows, and close it."""
        if self._kept:
            await self.flush_kept()
        if self._kept or self.dropped:
            logger.error(
                "closing the question log: %d kept question(s) could not be written, %d dropped",
                len(self._kept),
                self.dropped,
            )
        await self._db.close()

    @property
    def kept(self) -> int:
        """How many questions wait in memory for the database to come back."""
        return len(self._kept)

    @asynccontextmanager
    async def _transaction(self) -> AsyncIterator[None]:
        """Hold the connection for one transaction: commit at the end, roll back on error."""
        async with self._lock:
            try:
                yield
                await self._db.commit()
            except BaseException:
                await self._rollback()
                raise

    async def _rollback(self) -> None:
        try:
            await self._db.rollback()
        except (sqlite3.Error, ValueError):
            logger.debug("rollback failed too", exc_info=True)

    async def __aenter__(self) -> Store:
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()

    async def record_question(self, rec: QuestionRecord) -> int:
        """Log one question (masked) and return its id; an unknown one joins the queue.

        Questions kept in memory during an outage are written first, in the same transaction.
        """
        question_id, _ = await self._write_kept(rec)
        assert question_id is not None
        return question_id

    async def record_or_keep(self, rec: QuestionRecord) -> int | None:
        """Log `rec` and return its id; while the database cannot be written, keep it in memory
        (bounded; see `kept` and `dropped`) and return None: it is written with the next
        question, or by `flush_kept`, once the database is back."""
        if self._kept and time.monotonic() < self._retry_at:
            self._keep(rec)  # it failed a moment ago: do not make this villager wait again
            return None
        try:
            return await self.record_question(rec)
        except (sqlite3.Error, OSError) as exc:
            if not unavailable(exc):
                raise
            self._failed(exc)
            self._keep(rec)
            return None

    async def flush_kept(self) -> int:
        """Try to write the questions kept in memory; return how many were written."""
        if not self._kept:
            return 0
        try:
            _, written = await self._write_kept(None)
        except (sqlite3.Error, OSError) as exc:
            if not unavailable(exc):
                raise
            self._failed(exc)
            return 0
        return written

    async def _write_kept(self, rec: QuestionRecord | None) -> tuple[int | None, int]:
        """Write the kept questions and then `rec` in one transaction; return `rec`'s id and
        how many kept ones were written."""
        async with self._transaction():
            batch = list(self._kept)
            for kept in batch:
                await self._insert(kept)
            question_id = None if rec is None else await self._insert(rec)
            await self._db.commit()
            for _ in batch:  # committed: only now may they leave memory
                self._kept.popleft()
        if batch:
            logger.warning(
                "question log writable again: wrote %d kept question(s); %d dropped so far",
                len(batch),
                self.dropped,
            )
        return question_id, len(batch)

    def _keep(self, rec: QuestionRecord) -> None:
        if len(self._kept) < self._backlog_limit:
            self._kept.append(rec)
            return
        self.dropped += 1  # the oldest are kept: they have waited longest for an answer
        if self.dropped == 1 or self.dropped % 100 == 0:
            logger.error("question backlog full (%d): %d dropped", len(self._kept), self.dropped)

    def _failed(self, exc: BaseException) -> None:
        if not self._kept:
            logger.warning(
                "cannot write the question log (%s); keeping questions in memory until it is back",
                exc,
            )
        self._retry_at = time.monotonic() + self._retry_interval

    async def _insert(self, rec: QuestionRecord) -> int:
        reply_to = rec.reply_to if rec.outcome in REPLYABLE_OUTCOMES else ""
        cursor = await self._db.execute(
            "INSERT INTO questions (asked_at, channel, user_key, reply_to, text, outcome,"
            " entry_id, score, candidates, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.asked_at,
                rec.channel,
                rec.user_key,
                reply_to,
                mask_pii(storable(rec.text)),
                rec.outcome,
                rec.entry_id,
                rec.score,
                json.dumps([[c, s] for c, s in rec.candidates], ensure_ascii=False),
                rec.latency_ms,
            ),
        )
        question_id = cursor.lastrowid
        assert question_id is not None
        # A clarified question waits for editors too, until its villager taps a candidate:
        # one who taps nothing was not answered.
        if rec.outcome in REPLYABLE_OUTCOMES:
            await self._queue(question_id)
        return question_id

    async def _queue(self, question_id: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO unanswered (question_id) VALUES (?)", (question_id,)
        )

    async def question_owner(self, question_id: int) -> str | None:
        """Return the user key of the villager who asked question `question_id`."""
        async with self._db.execute(
            "SELECT user_key FROM questions WHERE id = ?", (question_id,)
        ) as cursor:
            row = await cursor.fetchone()
        return str(row[0]) if row else None

    async def record_feedback(
        self, question_id: int, user_key: str, useful: bool, at: str
    ) -> None:
        """Store 👍/👎 for a question (the latest tap of a villager wins)."""
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO feedback (question_id, user_key, useful, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_key) DO UPDATE SET useful = excluded.useful,"
                " at = excluded.at",
                (question_id, user_key, int(useful), at),
            )

    async def mark_unanswered(self, question_id: int, user_key: str) -> bool:
        """Turn an answered or clarified question into an unknown one ('none of these')."""
        async with self._transaction():
            cursor = await self._db.execute(
                "UPDATE questions SET outcome = 'unknown' WHERE id = ? AND user_key = ?",
                (question_id, user_key),
            )
            changed = cursor.rowcount > 0
            if changed:
                await self._queue(question_id)
        return changed

    async def get_question(self, question_id: int) -> LoggedQuestion | None:
        """Return question `question_id` with its queue state, or None."""
        rows = await self._select("WHERE q.id = ?", (question_id,))
        return rows[0] if rows else None

    async def queued_questions(self, status: str) -> list[LoggedQuestion]:
        """Return the questions of the unanswered queue in state `status`, oldest first."""
        return await self._select("WHERE u.status = ? ORDER BY q.id", (status,))

    async def pending_deliveries(self) -> list[LoggedQuestion]:
        """Return resolved questions whose answer still waits to be sent, oldest first."""
        return await self._select("WHERE u.delivery = 'pending' ORDER BY q.id", ())

    async def iter_questions(self, *, since: str = "") -> AsyncIterator[LoggedQuestion]:
        """Yield every question asked at or after `since` (ISO UTC), oldest first."""
        query = _SELECT + " WHERE q.asked_at >= ? ORDER BY q.id"
        async with self._db.execute(query, (since,)) as cursor:
            while rows := await cursor.fetchmany(500):
                for row in rows:
                    yield _row_to_question(row)

    async def _select(self, where: str, params: Sequence[object]) -> list[LoggedQuestion]:
        async with self._db.execute(f"{_SELECT} {where}", params) as cursor:
            return [_row_to_question(row) for row in await cursor.fetchall()]

    async def resolve_questions(
        self, deliveries: Iterable[tuple[int, str]], answer: str, at: str
    ) -> None:
        """Mark questions resolved with `answer`; each gets its delivery state (one commit)."""
        async with self._transaction():
            await self._db.executemany(
                "INSERT INTO unanswered (question_id, status, answer, resolved_at, delivery)"
                " VALUES (?, 'resolved', ?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET"
                " status = 'resolved', answer = excluded.answer,"
                " resolved_at = excluded.resolved_at, delivery = excluded.delivery,"
                " sent_at = NULL, claimed_at = NULL",
                [(qid, answer, at, delivery) for qid, delivery in deliveries],
            )
            await self._forget_chats_not_pending()

    async def ignore_questions(self, question_ids: Iterable[int], at: str) -> int:
        """Mark queued questions ignored; return how many were changed."""
        async with self._transaction():
            cursor = await self._db.executemany(
                "UPDATE unanswered SET status = 'ignored', resolved_at = ?, delivery = NULL"
                " WHERE question_id = ?",
                [(at, qid) for qid in question_ids],
            )
            await self._forget_chats_not_pending()
        return cursor.rowcount

    async def mark_delivered(self, question_ids: Iterable[int], state: str, at: str) -> None:
        """Record that answers were sent (SENT) or cannot be (FAILED); forget those chat ids."""
        async with self._transaction():
            await self._db.executemany(
                "UPDATE unanswered SET delivery = ?, sent_at = ?"
                " WHERE question_id = ? AND delivery = 'pending'",
                [(state, at, qid) for qid in question_ids],
            )
            await self._forget_chats_not_pending()

    async def claim_deliveries(
        self, question_ids: Iterable[int], at: str, *, stale_before: str
    ) -> list[int]:
        """Claim pending deliveries for one sender; return the ids claimed (not claimed by
        another sender since `stale_before`)."""
        async with self._transaction():
            claimed = []
            for qid in question_ids:  # one transaction: the write lock keeps other processes out
                cursor = await self._db.execute(
                    "UPDATE unanswered SET claimed_at = ? WHERE question_id = ?"
                    " AND delivery = 'pending' AND (claimed_at IS NULL OR claimed_at < ?)",
                    (at, qid, stale_before),
                )
                if cursor.rowcount:
                    claimed.append(qid)
        return claimed

    async def release_deliveries(self, question_ids: Iterable[int]) -> None:
        """Give back claims on deliveries that were not made (they stay pending)."""
        async with self._transaction():
            await self._db.executemany(
                "UPDATE unanswered SET claimed_at = NULL WHERE question_id = ?",
                [(qid,) for qid in question_ids],
            )

    async def _forget_chats_not_pending(self) -> None:
        # Once a queued question is settled nobody will write to that chat again.
        await self._db.execute(
            "UPDATE questions SET reply_to = '' WHERE reply_to != '' AND id IN"
            " (SELECT question_id FROM unanswered WHERE status != 'open'"
            " AND (delivery IS NULL OR delivery != 'pending'))"
        )

    async def outcome_counts(self, since: str, until: str) -> OutcomeCounts:
        """Count questions per outcome asked in [since, until) (ISO UTC)."""
        async with self._db.execute(
            "SELECT outcome, COUNT(*) FROM questions WHERE asked_at >= ? AND asked_at < ?"
            " GROUP BY outcome",
            (since, until),
        ) as cursor:
            rows = await cursor.fetchall()
        return _counts({str(o): int(n) for o, n in rows})

    async def daily_outcomes(
        self, since: str, until: str, *, utc_offset_minutes: int
    ) -> list[tuple[str, OutcomeCounts]]:
        """Outcome counts per local day (YYYY-MM-DD) for questions asked in [since, until)."""
        async with self._db.execute(
            "SELECT date(asked_at, ?) AS day, outcome, COUNT(*) FROM questions"
            " WHERE asked_at >= ? AND asked_at < ? GROUP BY day, outcome ORDER BY day",
            (f"{utc_offset_minutes:+d} minutes", since, until),
        ) as cursor:
            rows = await cursor.fetchall()
        days: dict[str, dict[str, int]] = {}
        for day, outcome, n in rows:
            days.setdefault(str(day), {})[str(outcome)] = int(n)
        return [(day, _counts(by_outcome)) for day, by_outcome in days.items()]

    async def feedback_counts(self, since: str, until: str) -> tuple[int, int]:
        """Return (👍, 👎) taps given in [since, until)."""
        async with self._db.execute(
            "SELECT COALESCE(SUM(useful), 0), COALESCE(SUM(1 - useful), 0) FROM feedback"
            " WHERE at >= ? AND at < ?",
            (since, until),
        ) as cursor:
            row = await cursor.fetchone()
        return (int(row[0]), int(row[1])) if row else (0, 0)

    async def top_entries(self, since: str, until: str, *, limit: int) -> list[tuple[str, int]]:
        """Return the most answered entries in [since, until) with their counts."""
        async with self._db.execute(
            "SELECT entry_id, COUNT(*) AS n FROM questions WHERE outcome = 'answer'"
            " AND entry_id IS NOT NULL AND asked_at >= ? AND asked_at < ?"
            " GROUP BY entry_id ORDER BY n DESC, entry_id LIMIT ?",
            (since, until, limit),
        ) as cursor:
            rows = await cursor.fetchall()
        return [(str(e), int(n)) for e, n in rows]

    async def queue_size(self, status: str = OPEN) -> int:
        """How many questions are in the unanswered queue in state `status`."""
        async with self._db.execute(
            "SELECT COUNT(*) FROM unanswered WHERE status = ?", (status,)
        ) as cursor:
            row = await cursor.fetchone()
        return int(row[0]) if row else 0


_SELECT = (
    "SELECT q.id, q.asked_at, q.channel, q.user_key, q.reply_to, q.text, q.outcome,"
    " q.entry_id, q.score, q.candidates, q.latency_ms, u.status, u.answer, u.resolved_at,"
    " u.delivery, u.sent_at,"
    " (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.useful = 1),"
    " (SELECT COUNT(*) FROM feedback f WHERE f.question_id = q.id AND f.useful = 0)"
    " FROM questions q LEFT JOIN unanswered u ON u.question_id = q.id"
)


def _row_to_question(row: sqlite3.Row | tuple[object, ...]) -> LoggedQuestion:
    (qid, asked_at, channel, user_key, reply_to, text, outcome, entry_id, score) = row[:9]
    (candidates, latency, status, answer, resolved_at, delivery, sent_at, up, down) = row[9:]
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
    )


def _counts(by_outcome: dict[str, int]) -> OutcomeCounts:
    return OutcomeCounts(
        answer=by_outcome.get("answer", 0),
        clarify=by_outcome.get("clarify", 0),
        unknown=by_outcome.get("unknown", 0),
        empty=by_outcome.get("empty", 0),
    )
