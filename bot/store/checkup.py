"""A read-only look at the question log for `policybot health`: it creates and migrates nothing."""

from __future__ import annotations

import asyncio
import sqlite3
from pathlib import Path

from bot.store.driver import BackendError
from bot.store.pg import is_postgres_url, renamed_errors


class StoreUnhealthy(Exception):
    """The question log cannot be opened or does not answer; the message says why, in a line."""


def probe(path: Path | str) -> int:
    """Open the database at `path` without creating it, ask `SELECT 1` and return its version.

    Nothing is created: a health check run as another user (root through `docker exec -u 0`,
    a monitoring agent) must not leave behind a file the bot then cannot write. A
    `postgresql://` URL is asked the same over one connection (5 s at most).
    """
    if is_postgres_url(path):
        return asyncio.run(_probe_pg(str(path)))
    path = Path(path)
    if path.is_dir():
        raise StoreUnhealthy(f"the question log {path} is a folder, not a database file")
    if not path.exists():
        raise StoreUnhealthy(
            f"the question log {path} does not exist (`policybot serve` creates it at start)"
        )
    try:
        db = sqlite3.connect(f"{path.resolve().as_uri()}?mode=rw", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise StoreUnhealthy(f"cannot open the question log {path}: {exc}") from None
    try:
        # SELECT 1 alone never reads the file; the version is on its first page, so a file
        # that is not SQLite (or is damaged there) fails here
        version = int(db.execute("PRAGMA user_version").fetchone()[0])
        if db.execute("SELECT 1").fetchone() != (1,):
            raise StoreUnhealthy(f"the question log {path} does not answer SELECT 1")
    except sqlite3.Error as exc:
        raise StoreUnhealthy(f"the question log {path} does not answer: {exc}") from None
    finally:
        db.close()
    return version


async def _probe_pg(url: str) -> int:
    try:
        import asyncpg

        with renamed_errors():
            conn = await asyncpg.connect(url, timeout=5)
            try:
                version = await conn.fetchval("SELECT MAX(version) FROM policybot_schema")
            finally:
                await conn.close()
    except (BackendError, ImportError) as exc:
        raise StoreUnhealthy(f"the question log on PostgreSQL does not answer: {exc}") from None
    return int(version or 0)
