"""The log's schema: ordered migrations, opening with integrity checks, damaged files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Awaitable, Callable
from pathlib import Path

import aiosqlite

from bot.config import ConfigError
from bot.privacy import mask_pii
from bot.store.driver import BackendUnavailable


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


async def _v4(db: aiosqlite.Connection) -> None:
    """Follow-ups: the entry of the chat's topic a question was understood against."""
    async with db.execute("PRAGMA table_info(questions)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "followup_of" not in columns:
        await db.execute("ALTER TABLE questions ADD COLUMN followup_of TEXT")
    await db.commit()


async def _v5(db: aiosqlite.Connection) -> None:
    """Hand-offs: when a villager asked for a person to answer the question."""
    async with db.execute("PRAGMA table_info(questions)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "handed_off_at" not in columns:
        await db.execute("ALTER TABLE questions ADD COLUMN handed_off_at TEXT")
    await db.commit()


async def _v6(db: aiosqlite.Connection) -> None:
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


async def _v7(db: aiosqlite.Connection) -> None:
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


async def _v8(db: aiosqlite.Connection) -> None:
    """👎 reaches the editors: the villager's comment on an answer they disliked."""
    async with db.execute("PRAGMA table_info(feedback)") as cursor:
        columns = {str(row[1]) for row in await cursor.fetchall()}
    if "comment" not in columns:
        await db.execute("ALTER TABLE feedback ADD COLUMN comment TEXT")
    await db.commit()


# Ordered migrations: MIGRATIONS[n] brings a database from user_version n to n + 1.
# Each is idempotent (IF NOT EXISTS…), so a half-applied one can run again. Never edit a
# released one: append a new one.
MIGRATIONS: tuple[Callable[[aiosqlite.Connection], Awaitable[None]], ...] = (
    _v1,
    _v2,
    _v3,
    _v4,
    _v5,
    _v6,
    _v7,
    _v8,
)
SCHEMA_VERSION = len(MIGRATIONS)


class CorruptDatabase(sqlite3.DatabaseError):
    """`PRAGMA quick_check` found damage in a database file."""


class NotOurDatabase(ConfigError):
    """The configured database path holds a file that is not an SQLite database (a swapped
    setting naming the knowledge base, say): it is never moved aside or written to."""


SQLITE_MAGIC = b"SQLite format 3\x00"


# names the bot's database files have (Settings' default is …/policybot.sqlite3)
DATABASE_SUFFIXES = (".sqlite3", ".sqlite", ".db")


def may_move_aside(path: Path) -> bool:
    """Whether recovery may rename `path`: an SQLite file by its header (damaged or not), an
    empty file, or one named like a database (its header may be what was damaged) — never a
    knowledge base, a config file or anything else a swapped setting may name."""
    if path.suffix.lower() in DATABASE_SUFFIXES:
        return True
    try:
        with path.open("rb") as f:
            head = f.read(len(SQLITE_MAGIC))
    except OSError:
        return False
    return head in (SQLITE_MAGIC, b"")


async def connect(path: Path, busy_timeout: float, *, check: bool) -> aiosqlite.Connection:
    """Open, configure and migrate the database at `path` (with `check`: verify it first)."""
    db = await aiosqlite.connect(path)
    try:
        if check:  # before anything writes to a file that may be damaged
            await _check(db)
        await db.execute("PRAGMA journal_mode=WAL")
        # FULL: a question whose reply went out must survive a crash or power loss; at
        # Telegram's ~30 messages/s the fsync per commit costs nothing that matters.
        await db.execute("PRAGMA synchronous=FULL")
        await db.execute(f"PRAGMA busy_timeout={round(busy_timeout * 1000)}")
        await db.execute("PRAGMA foreign_keys=ON")
        # Deleted or overwritten rows are zeroed on disk, not left in free pages.
        await db.execute("PRAGMA secure_delete=ON")
        await migrate(db)
    except BaseException:
        await db.close()
        raise
    return db


async def _check(db: aiosqlite.Connection) -> None:
    """Raise CorruptDatabase when SQLite's quick integrity check finds damage."""
    async with db.execute("PRAGMA quick_check(5)") as cursor:
        found = [str(row[0]) for row in await cursor.fetchall()]
    if found != ["ok"]:
        raise CorruptDatabase(" ".join(" ".join(found).split()))  # one line for the log


def is_corrupt(exc: sqlite3.DatabaseError) -> bool:
    """Whether `exc` says the file is damaged or not a database at all (not: locked, newer)."""
    code = getattr(exc, "sqlite_errorcode", None)
    primary = code & 0xFF if isinstance(code, int) else None
    return isinstance(exc, CorruptDatabase) or primary in (
        sqlite3.SQLITE_CORRUPT,
        sqlite3.SQLITE_NOTADB,
    )


def unavailable(exc: BaseException) -> bool:
    """Whether a failed write says the database is out of reach for now (locked, read-only,
    full, I/O error, damaged) rather than that the program is wrong."""
    if isinstance(exc, sqlite3.OperationalError | OSError | CorruptDatabase | BackendUnavailable):
        return True
    return isinstance(exc, sqlite3.DatabaseError) and is_corrupt(exc)


def move_aside(path: Path) -> Path:
    """Rename a damaged database and its WAL files to `<name>.corrupt-<UTC timestamp>…`."""
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
    aside = path.with_name(f"{path.name}.corrupt-{stamp}")
    n = 1
    while aside.exists():
        n += 1
        aside = path.with_name(f"{path.name}.corrupt-{stamp}-{n}")
    for suffix in ("", "-wal", "-shm"):  # the WAL keeps its name beside its database
        source = Path(f"{path}{suffix}")
        if source.exists():
            source.rename(f"{aside}{suffix}")
    return aside


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
