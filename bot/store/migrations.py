"""The log's SQLite migrations, in order: MIGRATIONS[n] brings user_version n to n + 1.

Each is idempotent (IF NOT EXISTS…), so a half-applied one can run again. Never edit a
released one: append a new one (and its PostgreSQL twin in pgschema.py).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterable
from typing import Any, Protocol

from bot.privacy import mask_pii


class MigrationDb(Protocol):
    """What a migration uses of its connection (aiosqlite's, or migrate's one-transaction
    view of it)."""

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> Any:
        """Run one statement (awaitable, and an async context manager giving the cursor)."""

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> Any:
        """Run one statement per parameter row."""

    async def executescript(self, sql_script: str, /) -> Any:
        """Run several statements."""

    async def commit(self) -> None:
        """Commit (inside migrate: at the end of the whole migration)."""


async def _v1(db: MigrationDb) -> None:
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


async def _v2(db: MigrationDb) -> None:
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


async def _v3(db: MigrationDb) -> None:
    """Claims on pending deliveries, so that `policybot log resolve` and the running bot never
    both send one answer."""
    async with db.execute("PRAGMA table_info(unanswered)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "claimed_at" not in columns:
        await db.execute("ALTER TABLE unanswered ADD COLUMN claimed_at TEXT")
    await db.commit()


async def _v4(db: MigrationDb) -> None:
    """Follow-ups: the entry of the chat's topic a question was understood against."""
    async with db.execute("PRAGMA table_info(questions)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "followup_of" not in columns:
        await db.execute("ALTER TABLE questions ADD COLUMN followup_of TEXT")
    await db.commit()


async def _v5(db: MigrationDb) -> None:
    """Hand-offs: when a villager asked for a person to answer the question."""
    async with db.execute("PRAGMA table_info(questions)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "handed_off_at" not in columns:
        await db.execute("ALTER TABLE questions ADD COLUMN handed_off_at TEXT")
    await db.commit()


async def _v6(db: MigrationDb) -> None:
    """The workbench (`policybot web`): staff accounts, the audit log of what they did, and
    what corrections need: delivered answers' chats for a while, the answers replaced."""
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS staff (
            name TEXT PRIMARY KEY,
            password_hash TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE TABLE IF NOT EXISTS audit (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            staff TEXT NOT NULL,
            action TEXT NOT NULL,
            target TEXT NOT NULL DEFAULT '',
            detail TEXT NOT NULL DEFAULT ''
        );
        CREATE INDEX IF NOT EXISTS audit_at ON audit(at);
        -- a delivered answer's chat, kept a few days so that a correction can follow it
        CREATE TABLE IF NOT EXISTS answered_chats (
            question_id INTEGER PRIMARY KEY REFERENCES questions(id),
            reply_to TEXT NOT NULL,
            keep_until TEXT NOT NULL
        );
        -- every answer a correction replaced: a stored answer is never overwritten silently
        CREATE TABLE IF NOT EXISTS answer_history (
            id INTEGER PRIMARY KEY,
            question_id INTEGER NOT NULL REFERENCES questions(id),
            answer TEXT NOT NULL,
            resolved_at TEXT,
            replaced_at TEXT NOT NULL
        );
        CREATE INDEX IF NOT EXISTS answer_history_question ON answer_history(question_id);
        """
    )
    await db.commit()


async def _v7(db: MigrationDb) -> None:
    """The inbox: every update fetched from Telegram, kept until it has been handled, so that
    a killed bot answers it after its restart (and a re-fetched one is not answered twice)."""
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS inbox (
            update_id INTEGER PRIMARY KEY,
            raw TEXT,  -- the update's JSON (a villager's words): NULL once handled
            fetched_at TEXT NOT NULL,
            handled_at TEXT
        );
        CREATE INDEX IF NOT EXISTS inbox_unhandled ON inbox(update_id) WHERE handled_at IS NULL;
        """
    )
    await db.commit()


async def _v8(db: MigrationDb) -> None:
    """👎 reaches the editors: the villager's comment on an answer they disliked."""
    async with db.execute("PRAGMA table_info(feedback)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "comment" not in columns:
        await db.execute("ALTER TABLE feedback ADD COLUMN comment TEXT")
    await db.commit()


async def _v9(db: MigrationDb) -> None:
    """Several instances: leases (long polling's, one per token; each webhook instance's, to
    show it alive), and which instance holds each inbox update (adopted once it is gone)."""
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS leases (
            name TEXT PRIMARY KEY,
            holder TEXT NOT NULL,
            expires_at INTEGER NOT NULL  -- Unix seconds
        );
        """
    )
    async with db.execute("PRAGMA table_info(inbox)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "holder" not in columns:
        await db.execute("ALTER TABLE inbox ADD COLUMN holder TEXT")
    await db.commit()


async def _v10(db: MigrationDb) -> None:
    """When Telegram accepted a question's reply (NULL: not known to have been sent — in
    flight, never sent, or its answer lost; and every question logged before this)."""
    async with db.execute("PRAGMA table_info(questions)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "replied_at" not in columns:
        await db.execute("ALTER TABLE questions ADD COLUMN replied_at TEXT")
    await db.commit()


async def _v11(db: MigrationDb) -> None:
    """The flood limit shared by webhook instances: messages per villager (the pseudonymous
    user key) per few-second bucket, pruned a couple of minutes later."""
    await db.executescript(
        """
        CREATE TABLE IF NOT EXISTS flood (
            user_key TEXT NOT NULL,
            bucket INTEGER NOT NULL,  -- Unix seconds // the bucket's width
            n INTEGER NOT NULL,  -- messages counted in it
            flagged INTEGER NOT NULL DEFAULT 0,  -- 1: one of them was over the limit
            PRIMARY KEY (user_key, bucket)
        );
        CREATE INDEX IF NOT EXISTS flood_bucket ON flood(bucket);
        """
    )
    await db.commit()


# Ordered migrations: MIGRATIONS[n] brings a database from user_version n to n + 1.
# Each is idempotent (IF NOT EXISTS…), so a half-applied one can run again. Never edit a
# released one: append a new one.
MIGRATIONS: tuple[Callable[[MigrationDb], Awaitable[None]], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
    _v9,
    _v10,
    _v11,
)
SCHEMA_VERSION = len(MIGRATIONS)
