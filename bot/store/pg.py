"""The PostgreSQL backend (asyncpg): the store's `?` SQL translated, asyncpg's errors renamed.

asyncpg rather than SQLAlchemy Core: the store's SQL is already written by hand in the subset
both databases share, so a translation of placeholders and two idioms is all it needs; one
small driver (no ORM, no second query language) keeps the store the only code that speaks SQL.
asyncpg is imported only when a `postgresql://` URL is opened: SQLite users never load it.
"""

from __future__ import annotations

import re
from collections.abc import AsyncIterator, Iterable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from functools import lru_cache
from typing import TYPE_CHECKING, Any
from urllib.parse import urlsplit

from bot.store.driver import (
    POSTGRES,
    BackendError,
    BackendIntegrityError,
    BackendUnavailable,
    Params,
    Row,
)

if TYPE_CHECKING:
    import asyncpg

URL_SCHEMES = ("postgresql", "postgres")
POOL_SIZE = 4  # one transaction at a time per store, plus reads beside it
_QUOTED_OR_MARK = re.compile(r"'(?:[^']|'')*'|\?")
_STATUS_COUNT = re.compile(r"(\d+)$")


def is_postgres_url(target: object) -> bool:
    """Whether a POLICYBOT_DB value names a PostgreSQL database rather than an SQLite file."""
    return isinstance(target, str) and urlsplit(target).scheme.lower() in URL_SCHEMES


def url_label(url: str) -> str:
    """The URL as messages show it: scheme, host, port and database, never the password."""
    parts = urlsplit(url)
    port = f":{parts.port}" if parts.port else ""
    return f"{parts.scheme}://{parts.hostname or ''}{port}{parts.path}"


@lru_cache(maxsize=512)
def translate(sql: str) -> str:
    """Turn the store's SQLite-flavoured SQL into PostgreSQL's: `?` → `$n` (outside string
    literals), `INSERT OR IGNORE` → `INSERT … ON CONFLICT DO NOTHING`."""
    n = 0

    def number(match: re.Match[str]) -> str:
        nonlocal n
        if match.group() != "?":
            return match.group()
        n += 1
        return f"${n}"

    out = _QUOTED_OR_MARK.sub(number, sql)
    if out.startswith("INSERT OR IGNORE INTO"):
        out = "INSERT INTO" + out[len("INSERT OR IGNORE INTO") :] + " ON CONFLICT DO NOTHING"
    return out


def _arguments(params: Params) -> list[object]:
    # PostgreSQL text cannot hold NUL (SQLite can): it is stored escaped, as storable() escapes
    # lone surrogates.
    return [p.replace("\x00", "\\x00") if isinstance(p, str) else p for p in params]


def _rowcount(status: str) -> int:
    found = _STATUS_COUNT.search(status or "")
    return int(found.group(1)) if found else 0


@contextmanager
def renamed_errors() -> Iterator[None]:
    """Raise asyncpg's (and the socket's) errors as the store's BackendError family."""
    import asyncpg

    try:
        yield
    except asyncpg.IntegrityConstraintViolationError as exc:
        raise BackendIntegrityError(str(exc)) from exc
    except (
        asyncpg.PostgresConnectionError,
        asyncpg.CannotConnectNowError,
        asyncpg.AdminShutdownError,
        asyncpg.InterfaceError,
        OSError,
        TimeoutError,
    ) as exc:
        raise BackendUnavailable(f"{type(exc).__name__}: {exc}") from exc
    except asyncpg.PostgresError as exc:
        raise BackendError(f"{type(exc).__name__}: {exc}") from exc


class PgDriver:
    """The adapter over an asyncpg pool: a transaction holds one pooled connection for the
    task that opened it; every other statement borrows one for itself."""

    dialect = POSTGRES

    def __init__(self, pool: asyncpg.Pool) -> None:
        """Wrap an open pool on a migrated database."""
        self.pool = pool
        self._current: ContextVar[Any] = ContextVar(f"policybot_pg_{id(self)}", default=None)

    @asynccontextmanager
    async def _connection(self) -> AsyncIterator[Any]:
        current = self._current.get()
        if current is not None:
            yield current
            return
        with renamed_errors():
            async with self.pool.acquire() as conn:
                yield conn

    async def execute(self, sql: str, params: Params = ()) -> int:
        """Run one statement; return how many rows it changed."""
        async with self._connection() as conn:
            with renamed_errors():
                return _rowcount(await conn.execute(translate(sql), *_arguments(params)))

    async def executemany(self, sql: str, rows: Iterable[Params]) -> int:
        """Run one statement per parameter row; return how many rows they changed in all."""
        async with self.transaction():  # all or none, like sqlite3's executemany
            return sum([await self.execute(sql, params) for params in rows])

    async def insert(self, sql: str, params: Params) -> int:
        """Run an INSERT into a table with an `id` key; return the new row's id."""
        async with self._connection() as conn:
            with renamed_errors():
                new_id = await conn.fetchval(f"{translate(sql)} RETURNING id", *_arguments(params))
        return int(new_id)

    async def fetchall(self, sql: str, params: Params = ()) -> list[Row]:
        """Run a query; return its rows."""
        async with self._connection() as conn:
            with renamed_errors():
                return [tuple(r) for r in await conn.fetch(translate(sql), *_arguments(params))]

    async def fetchone(self, sql: str, params: Params = ()) -> Row | None:
        """Run a query; return its first row, or None."""
        rows = await self.fetchall(sql, params)
        return rows[0] if rows else None

    async def iterate(self, sql: str, params: Params, *, size: int) -> AsyncIterator[Row]:
        """Yield a query's rows, fetching `size` at a time (a server-side cursor)."""
        async with self._connection() as conn:
            with renamed_errors():
                async with conn.transaction():
                    cursor = conn.cursor(translate(sql), *_arguments(params), prefetch=size)
                    async for row in cursor:
                        yield tuple(row)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """Commit what the block wrote at its end, roll it back on an error."""
        if self._current.get() is not None:  # nested: part of the enclosing transaction
            yield
            return
        with renamed_errors():
            async with self.pool.acquire() as conn:
                token = self._current.set(conn)
                try:
                    async with conn.transaction():
                        yield
                finally:
                    self._current.reset(token)

    async def close(self) -> None:
        """Close the pool."""
        with renamed_errors():
            await self.pool.close()


async def connect_pg(url: str) -> PgDriver:
    """Open a pool on the PostgreSQL database at `url` and migrate it."""
    from bot.config import ConfigError
    from bot.store.boundary import StoreUnavailable
    from bot.store.pgschema import migrate_pg

    try:
        import asyncpg
    except ImportError:
        raise ConfigError(
            "POLICYBOT_DB names a PostgreSQL database, but asyncpg is not installed"
            " (pip install 'policybot[postgres]')"
        ) from None
    try:
        with renamed_errors():
            pool = await asyncpg.create_pool(url, min_size=1, max_size=POOL_SIZE)
    except BackendError as exc:  # one line for the operator, and never the password
        raise StoreUnavailable(f"no question log at {url_label(url)} ({exc})") from exc
    try:
        async with pool.acquire() as conn:
            with renamed_errors():
                await migrate_pg(conn)
    except BaseException:
        await pool.close()
        raise
    return PgDriver(pool)
