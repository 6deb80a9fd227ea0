"""`policybot db migrate-to URL`: copy an SQLite question log into an empty PostgreSQL one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import aiosqlite

from bot.store.log import BUSY_TIMEOUT
from bot.store.pg import PgDriver, connect_pg, renamed_errors
from bot.store.schema import connect

# parents before children (feedback, the queue and the chats refer to their question)
TABLES = (
    "questions",
    "feedback",
    "unanswered",
    "staff",
    "audit",
    "answered_chats",
    "answer_history",
    "inbox",
)
# tables whose `id` PostgreSQL numbers itself: after the copy it goes on after the last one
NUMBERED = ("questions", "feedback", "audit", "answer_history")
# The statements, built once from the table names above (constants, never values).
_ROWS = {t: f"SELECT * FROM {t}" for t in TABLES}
_ANY = {t: f"SELECT EXISTS (SELECT 1 FROM {t})" for t in TABLES}
_RENUMBER = {
    t: f"SELECT setval(pg_get_serial_sequence('{t}', 'id'), COALESCE(MAX(id), 0) + 1, false)"
    f" FROM {t}"
    for t in NUMBERED
}


class CopyRefused(Exception):
    """The copy was not made (no SQLite log there, or the PostgreSQL log is not empty)."""


async def copy_to_postgres(source: Path, url: str) -> dict[str, int]:
    """Copy every row of the SQLite log at `source` into the PostgreSQL database at `url`
    (migrated first, and empty) in one transaction; return the rows copied per table.

    The SQLite log is brought to the current schema first; stop the bot while it runs, or
    questions asked meanwhile stay behind in the file.
    """
    if not await asyncio.to_thread(source.is_file):
        raise CopyRefused(f"no question log at {source} (set POLICYBOT_DB to the SQLite file)")
    src = await connect(source, BUSY_TIMEOUT, check=True)
    try:
        dst = await connect_pg(url)
        try:
            return await _copy(src, dst)
        finally:
            await dst.close()
    finally:
        await src.close()


async def _copy(src: aiosqlite.Connection, dst: PgDriver) -> dict[str, int]:
    counts: dict[str, int] = {}
    with renamed_errors():
        async with dst.pool.acquire() as conn, conn.transaction():
            for table in TABLES:
                if await conn.fetchval(_ANY[table]):
                    raise CopyRefused(
                        f"the PostgreSQL log already has rows in {table}: nothing was copied"
                    )
            for table in TABLES:
                columns, rows = await _rows(src, table)
                await conn.copy_records_to_table(table, records=rows, columns=columns)
                counts[table] = len(rows)
            for table in NUMBERED:
                await conn.execute(_RENUMBER[table])
    return counts


async def _rows(src: aiosqlite.Connection, table: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    async with src.execute(_ROWS[table]) as cursor:
        columns = [str(d[0]) for d in cursor.description]
        rows = await cursor.fetchall()
    # PostgreSQL text cannot hold NUL: escaped as the store's own writes escape it
    return columns, [
        tuple(v.replace("\x00", "\\x00") if isinstance(v, str) else v for v in row) for row in rows
    ]
