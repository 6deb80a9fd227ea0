"""The only module that speaks SQL: question log, feedback, schema migrations (aiosqlite)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Awaitable, Callable, Sequence
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


# Ordered migrations: MIGRATIONS[n] brings a database from user_version n to n + 1.
# Each is idempotent (IF NOT EXISTS…), so a half-applied one can run again.
MIGRATIONS: tuple[Callable[[aiosqlite.Connection], Awaitable[None]], ...] = (_v1,)
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
        """Log one question (masked) and return its id."""
        cursor = await self._db.execute(
            "INSERT INTO questions (asked_at, channel, user_key, reply_to, text, outcome,"
            " entry_id, score, candidates, latency_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                rec.asked_at,
                rec.channel,
                rec.user_key,
                rec.reply_to,
                mask_pii(rec.text),
                rec.outcome,
                rec.entry_id,
                rec.score,
                json.dumps([[c, s] for c, s in rec.candidates], ensure_ascii=False),
                rec.latency_ms,
            ),
        )
        await self._db.commit()
        assert cursor.lastrowid is not None
        return cursor.lastrowid

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
        await self._db.commit()
        return cursor.rowcount > 0


async def migrate(db: aiosqlite.Connection) -> int:
    """Bring the schema to SCHEMA_VERSION; return the version found before."""
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    found = int(row[0]) if row else 0
    if found > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"database schema {found} is newer than this program's {SCHEMA_VERSION}"
        )
    for version in range(found, SCHEMA_VERSION):
        await MIGRATIONS[version](db)
        await db.execute(f"PRAGMA user_version = {version + 1}")
        await db.commit()
    return found
