"""The only module that speaks SQL: question log, feedback, schema migrations (aiosqlite)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from types import TracebackType

import aiosqlite

from bot.privacy import mask_pii


@dataclass(frozen=True)
class QuestionRecord:
    """One question as it is logged (the text is masked by the store before it is written)."""

    asked_at: str
    channel: str
    user_key: str
    reply_to: str
    text: str
    outcome: str
    entry_id: str | None
    score: float
    candidates: Sequence[tuple[str, float]]
    latency_ms: float


# States of a question in the unanswered queue (editors work through it).
OPEN, RESOLVED, IGNORED = "open", "resolved", "ignored"
QUEUE_STATES = (OPEN, RESOLVED, IGNORED)
# Delivery of an editor's answer: waiting for the running bot, delivered, undeliverable (the
# villager blocked the bot…), or not needed (console user, or the same villager asked twice).
PENDING, SENT, FAILED, SKIPPED = "pending", "sent", "failed", "skipped"
# Outcomes whose asker may still need a reply later ("none of these" turns clarify into
# unknown); for every other question the chat id is not kept: personal data must not pile up.
_REPLYABLE_OUTCOMES = ("unknown", "clarify")


@dataclass(frozen=True)
class LoggedQuestion:
    """One stored question, with its place in the unanswered queue (status None: not queued)."""

    id: int
    asked_at: str
    channel: str
    user_key: str
    reply_to: str
    text: str
    outcome: str
    entry_id: str | None
    score: float
    candidates: tuple[tuple[str, float], ...]
    latency_ms: float
    status: str | None = None
    answer: str | None = None
    resolved_at: str | None = None
    delivery: str | None = None
    sent_at: str | None = None
    useful: int = 0
    not_useful: int = 0


@dataclass(frozen=True)
class OutcomeCounts:
    """How many questions ended in each outcome."""

    answer: int = 0
    clarify: int = 0
    unknown: int = 0
    empty: int = 0

    @property
    def questions(self) -> int:
        """Questions with text in them (empty messages are not questions)."""
        return self.answer + self.clarify + self.unknown


async def _v1(db: aiosqlite.Connection) -> None:
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS questions (
            id INTEGER PRIMARY KEY,
            asked_at TEXT NOT NULL,
            channel TEXT NOT NULL,
            user_key TEXT NOT NULL,
            reply_to TEXT NOT NULL DEFAULT '',
            text TEXT NOT NULL,
            outcome TEXT NOT NULL,
            entry_id TEXT,
            score REAL NOT NULL DEFAULT 0,
            candidates TEXT NOT NULL DEFAULT '[]',
            latency_ms REAL NOT NULL DEFAULT 0
        );
        CREATE INDEX IF NOT EXISTS questions_asked_at ON questions(asked_at);
        CREATE INDEX IF NOT EXISTS questions_outcome ON questions(outcome);
        CREATE TABLE IF NOT EXISTS feedback (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES questions(id),
            user_key TEXT NOT NULL,
            useful INTEGER NOT NULL,
            at TEXT NOT NULL,
            UNIQUE (question_id, user_key)
        );
        """
    )


async def _v2(db: aiosqlite.Connection) -> None:
    """The unanswered queue; old rows re-masked and stripped of chat ids nobody will answer."""
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS unanswered (
            question_id INTEGER PRIMARY KEY REFERENCES questions(id),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'resolved', 'ignored')),
            answer TEXT,
            resolved_at TEXT,
            delivery TEXT CHECK (delivery IN ('pending', 'sent', 'failed', 'skipped')),
            sent_at TEXT
        );
        CREATE INDEX IF NOT EXISTS unanswered_status ON unanswered(status);
        CREATE INDEX IF NOT EXISTS unanswered_delivery ON unanswered(delivery);
        CREATE INDEX IF NOT EXISTS feedback_at ON feedback(at);
        INSERT OR IGNORE INTO unanswered (question_id)
            SELECT id FROM questions WHERE outcome = 'unknown';
        UPDATE questions SET reply_to = '' WHERE outcome NOT IN ('unknown', 'clarify');
        """
    )
    # Rows written by an older, weaker mask_pii are masked again by the current one.
    async with db.execute("SELECT id, text FROM questions") as cursor:
        rows = await cursor.fetchall()
    changed = [(mask_pii(text), qid) for qid, text in rows if mask_pii(text) != text]
    await db.executemany("UPDATE questions SET text = ? WHERE id = ?", changed)
    await db.commit()


async def _v3(db: aiosqlite.Connection) -> None:
    """Claims on pending deliveries, so that `policybot log resolve` and the running bot never
    both send one answer."""
    async with db.execute("PRAGMA table_info(unanswered)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "claimed_at" not in columns:
        await db.execute("ALTER TABLE unanswered ADD COLUMN claimed_at TEXT")
    await db.commit()


# Ordered migrations: MIGRATIONS[n] brings a database from user_version n to n + 1.
# Each is idempotent (IF NOT EXISTS…), so a half-applied one can run again. Never edit a
# released one: append a new one.
MIGRATIONS: tuple[Callable[[aiosqlite.Connection], Awaitable[None]], ...] = (_v1, _v2, _v3)
SCHEMA_VERSION = len(MIGRATIONS)


class Store:
    """Async access to the SQLite log; one connection per process."""

    def __init__(self, db: aiosqlite.Connection, path: Path) -> None:
        """Wrap an open connection; use `Store.open` instead."""
        self._db = db
        self.path = path

    @classmethod
    async def open(cls, path: Path | str) -> Store:
        """Open (creating if needed) the database at `path` and migrate it."""
        path = Path(path)
        db = await aiosqlite.connect(path)
        try:
            await db.execute("PRAGMA journal_mode=WAL")
            # FULL: a question whose reply went out must survive a crash or power loss; at
            # Telegram's ~30 messages/s the fsync per commit costs nothing that matters.
            await db.execute("PRAGMA synchronous=FULL")
            await db.execute("PRAGMA busy_timeout=5000")
            await db.execute("PRAGMA foreign_keys=ON")
            # Deleted or overwritten rows are zeroed on disk, not left in free pages.
            await db.execute("PRAGMA secure_delete=ON")
            await migrate(db)
        except BaseException:
            await db.close()
            raise
        return cls(db, path)

    async def close(self) -> None:
        """Close the connection."""
        await self._db.close()

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
        """Log one question (masked) and return its id; an unknown one joins the queue."""
        reply_to = rec.reply_to if rec.outcome in _REPLYABLE_OUTCOMES else ""
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
        if rec.outcome == "unknown":
            await self._queue(question_id)
        await self._db.commit()
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
        await self._db.execute(
            "INSERT INTO feedback (question_id, user_key, useful, at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (question_id, user_key) DO UPDATE SET useful = excluded.useful,"
            " at = excluded.at",
            (question_id, user_key, int(useful), at),
        )
        await self._db.commit()

    async def mark_unanswered(self, question_id: int, user_key: str) -> bool:
        """Turn an answered or clarified question into an unknown one ('none of these')."""
        cursor = await self._db.execute(
            "UPDATE questions SET outcome = 'unknown' WHERE id = ? AND user_key = ?",
            (question_id, user_key),
        )
        changed = cursor.rowcount > 0
        if changed:
            await self._queue(question_id)
        await self._db.commit()
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
        await self._db.executemany(
            "INSERT INTO unanswered (question_id, status, answer, resolved_at, delivery)"
            " VALUES (?, 'resolved', ?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET"
            " status = 'resolved', answer = excluded.answer,"
            " resolved_at = excluded.resolved_at, delivery = excluded.delivery, sent_at = NULL,"
            " claimed_at = NULL",
            [(qid, answer, at, delivery) for qid, delivery in deliveries],
        )
        await self._forget_chats_not_pending()
        await self._db.commit()

    async def ignore_questions(self, question_ids: Iterable[int], at: str) -> int:
        """Mark queued questions ignored; return how many were changed."""
        cursor = await self._db.executemany(
            "UPDATE unanswered SET status = 'ignored', resolved_at = ?, delivery = NULL"
            " WHERE question_id = ?",
            [(at, qid) for qid in question_ids],
        )
        await self._forget_chats_not_pending()
        await self._db.commit()
        return cursor.rowcount

    async def mark_delivered(self, question_ids: Iterable[int], state: str, at: str) -> None:
        """Record that answers were sent (SENT) or cannot be (FAILED); forget those chat ids."""
        await self._db.executemany(
            "UPDATE unanswered SET delivery = ?, sent_at = ?"
            " WHERE question_id = ? AND delivery = 'pending'",
            [(state, at, qid) for qid in question_ids],
        )
        await self._forget_chats_not_pending()
        await self._db.commit()

    async def claim_deliveries(
        self, question_ids: Iterable[int], at: str, *, stale_before: str
    ) -> list[int]:
        """Claim pending deliveries for one sender; return the ids claimed (not claimed by
        another sender since `stale_before`)."""
        claimed = []
        for qid in question_ids:  # one transaction: the write lock keeps other processes out
            cursor = await self._db.execute(
                "UPDATE unanswered SET claimed_at = ? WHERE question_id = ?"
                " AND delivery = 'pending' AND (claimed_at IS NULL OR claimed_at < ?)",
                (at, qid, stale_before),
            )
            if cursor.rowcount:
                claimed.append(qid)
        await self._db.commit()
        return claimed

    async def release_deliveries(self, question_ids: Iterable[int]) -> None:
        """Give back claims on deliveries that were not made (they stay pending)."""
        await self._db.executemany(
            "UPDATE unanswered SET claimed_at = NULL WHERE question_id = ?",
            [(qid,) for qid in question_ids],
        )
        await self._db.commit()

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


def storable(text: str) -> str:
    """Escape lone surrogates (SQLite stores UTF-8, which cannot hold them) as \\udXXX."""
    return text.encode("utf-8", "backslashreplace").decode("utf-8")


async def migrate(db: aiosqlite.Connection, *, target: int = SCHEMA_VERSION) -> int:
    """Bring the schema to `target` (tests stop early); return the version found before."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    found = int(row[0]) if row else 0
    if found > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"database schema {found} is newer than this program's {SCHEMA_VERSION}"
        )
    for version in range(found, target):
        await MIGRATIONS[version](db)
        await db.execute(f"PRAGMA user_version = {version + 1}")
        await db.commit()
    return found
