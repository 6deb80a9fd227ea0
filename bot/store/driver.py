"""The thin connection adapter both backends implement: SQL in, rows and row counts out.

The store's SQL is written once, in the subset SQLite and PostgreSQL share, with `?`
placeholders; a backend translates what it must (`bot.store.pg`). Where the two dialects
really differ (a day in local time, case-insensitive LIKE) the store asks `dialect`.
"""

from __future__ import annotations

import logging
import sqlite3
from collections.abc import AsyncIterator, Iterable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any, Protocol

import aiosqlite

logger = logging.getLogger(__name__)

Row = tuple[Any, ...]
Params = Sequence[object]
SQLITE, POSTGRES = "sqlite", "postgres"


class BackendError(Exception):
    """A PostgreSQL error, raised by the adapter in place of asyncpg's own exceptions."""


class BackendUnavailable(BackendError):
    """The PostgreSQL server cannot be reached now (refused, dropped, shutting down)."""


class BackendIntegrityError(BackendError):
    """A constraint refused a write on PostgreSQL (a duplicate key, say)."""


# What a backend raises when the database is out of reach (or refuses a statement).
DRIVER_ERRORS: tuple[type[BaseException], ...] = (sqlite3.Error, OSError, BackendError)
INTEGRITY_ERRORS: tuple[type[BaseException], ...] = (
    sqlite3.IntegrityError,
    BackendIntegrityError,
)


class Driver(Protocol):
    """One database connection (or pool) as the store uses it."""

    dialect: str

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; return how many rows they changed in all."""

    async def insert(self, sql: str, params: Params) -> int:
        """Run an INSERT into a table with an `id` key; return the new row's id."""

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; return its rows."""

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query; return its first row, or None."""

    def iterate(self, sql: str, params: Params, *, size: int) -> AsyncIterator[Row]:
        """Yield a query's rows, fetching `size` at a time."""

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """Commit what the block wrote at its end, roll it back on an error."""

    async def close(self) -> None:
        """Close the connection."""


class SqliteDriver:
    """The adapter over one aiosqlite connection (SQLite's own transactions and `?`)."""

    dialect = SQLITE

    def __init__(self, db: aiosqlite.Connection) -> None:
        """Wrap an open, migrated connection."""
        self.db = db

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        cursor = await self.db.execute(sql, params)
        return cursor.rowcount

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; return how many rows they changed in all."""
        cursor = await self.db.executemany(sql, rows)
        return cursor.rowcount

    async def insert(self, sql: str, params: Params) -> int:
        """Run an INSERT into a table with an `id` key; return the new row's id."""
        cursor = await self.db.execute(sql, params)
        assert cursor.lastrowid is not None
        return cursor.lastrowid

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; return its rows."""
        async with self.db.execute(sql, params) as cursor:
            return [tuple(row) for row in await cursor.fetchall()]

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query; return its first row, or None."""
        async with self.db.execute(sql, params) as cursor:
            row = await cursor.fetchone()
        return None if row is None else tuple(row)

    async def iterate(self, sql: str, params: Params, *, size: int) -> AsyncIterator[Row]:
        """Yield a query's rows, fetching `size` at a time."""
        async with self.db.execute(sql, params) as cursor:
            while rows := await cursor.fetchmany(size):
                for row in rows:
                    yield tuple(row)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Commit what the block wrote at its end, roll it back on an error."""
        try:
            yield
            await self.db.commit()
        except BaseException:
            try:
                await self.db.rollback()
            except (sqlite3.Error, ValueError):
                logger.debug("rollback failed too", exc_info=True)
            raise

    async def close(self) -> None:
        """Close the connection."""
        await self.db.close()
