"""The log's schema: ordered migrations, opening with integrity checks, damaged files."""

from __future__ import annotations

import asyncio
import datetime as dt
import sqlite3
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import aiosqlite

from bot.config import ConfigError
from bot.store.driver import BackendUnavailable
from bot.store.migrations import MIGRATIONS, SCHEMA_VERSION


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
        await _wal(db, busy_timeout)
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


async def _wal(db: aiosqlite.Connection, busy_timeout: float) -> None:
    """Switch a new file to WAL. Of processes starting on it together, one holding a read
    lock while another converts gets SQLITE_BUSY at once (SQLite does not wait where waiting
    could deadlock): it tries again, for up to the busy timeout."""
    loop = asyncio.get_running_loop()
    give_up = loop.time() + busy_timeout
    while True:
        try:
            await db.execute("PRAGMA journal_mode=WAL")
        except sqlite3.OperationalError as exc:
            if "locked" not in str(exc) or loop.time() > give_up:
                raise
            await asyncio.sleep(0.05)
        else:
            return


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
    """Bring the schema to `target` (tests stop early); return the version found before.

    Under BEGIN IMMEDIATE, in one transaction: of several processes starting on a new file at
    once one migrates, the others wait (busy timeout) for its commit and find the work done
    (two ALTER TABLEs of one column made the second start fail before).
    """
    found = await _user_version(db)
    if found < target:
        await db.execute("BEGIN IMMEDIATE")
        try:
            found = await _user_version(db)
            for version in range(found, target):
                await MIGRATIONS[version](_OneTransaction(db))
                await db.execute(f"PRAGMA user_version = {version + 1}")
            await db.commit()
        except BaseException:
            await db.rollback()
            raise
    return found


async def _user_version(db: aiosqlite.Connection) -> int:
    async with db.execute("PRAGMA user_version") as cursor:
        row = await cursor.fetchone()
    found = int(row[0]) if row else 0
    if found > SCHEMA_VERSION:
        raise sqlite3.DatabaseError(
            f"database schema {found} is newer than this program's {SCHEMA_VERSION}"
        )
    return found


class _OneTransaction:
    """The connection as a migration sees it inside migrate's transaction: a script runs
    statement by statement (sqlite3's executescript COMMITs first, which would let the next
    process in half way), and commit waits for the end of the whole migration."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    def execute(self, sql: str, parameters: Iterable[Any] | None = None, /) -> Any:
        return self._db.execute(sql, parameters)

    async def executemany(self, sql: str, parameters: Iterable[Iterable[Any]], /) -> Any:
        return await self._db.executemany(sql, parameters)

    async def executescript(self, sql_script: str, /) -> None:
        statement = ""
        for line in sql_script.splitlines(keepends=True):
            statement += line
            if sqlite3.complete_statement(statement):
                await self._db.execute(statement)
                statement = ""

    async def commit(self) -> None:
        """Nothing yet: migrate commits once every step is done."""
