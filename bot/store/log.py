"""The question log: questions, feedback, the editors' queue and the in-memory backlog."""

from __future__ import annotations

import asyncio
import json
import logging
import sqlite3
import time
from collections import deque
from pathlib import Path
from types import TracebackType

from bot.privacy import mask_pii
from bot.store.boundary import guarded_store
from bot.store.corrections import CorrectionStore
from bot.store.driver import DRIVER_ERRORS, Driver, SqliteDriver
from bot.store.feedback import FeedbackStore
from bot.store.figures import FiguresStore
from bot.store.flood import FloodStore
from bot.store.inbox import InboxStore
from bot.store.lease import LeaseStore
from bot.store.pg import connect_pg, is_postgres_url
from bot.store.records import (
    REPLYABLE_OUTCOMES,
    QuestionRecord,
    storable,
)
from bot.store.retention import RetentionStore
from bot.store.schema import (
    NotOurDatabase,
    connect,
    is_corrupt,
    may_move_aside,
    move_aside,
    unavailable,
)
from bot.store.staff import StaffStore

logger = logging.getLogger(__name__)

# While the log cannot be written (locked longer than the busy timeout, read-only or full disk,
# I/O errors) questions wait in memory and are written, oldest first, once it is back. A
# Telegram message is at most 4096 characters, so the bound keeps this under ~100 MB.
BACKLOG_LIMIT = 5000
RETRY_INTERVAL = 5.0  # seconds between attempts while it fails: each may wait the busy timeout
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock (a staff command)


@guarded_store
class Store(
    CorrectionStore,
    FeedbackStore,
    FiguresStore,
    FloodStore,
    InboxStore,
    LeaseStore,
    StaffStore,
    RetentionStore,
):
    """Async access to the question log (an SQLite file or a PostgreSQL database)."""

    def __init__(
        self,
        db: Driver,
        path: Path | None,
        *,
        backlog_limit: int = BACKLOG_LIMIT,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Wrap an open connection; use `Store.open` instead."""
        super().__init__(db)
        self.path = path  # None: PostgreSQL, there is no file to follow
        self._identity = None if path is None else _identity(path)
        self._busy_timeout = BUSY_TIMEOUT
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

        `path` is an SQLite file, or a `postgresql://` URL (then `recover` has no file to
        move aside). With `recover` (the bot, not staff tools) a corrupt file is checked for,
        moved aside as `<name>.corrupt-<timestamp>` and replaced by a fresh database.
        """
        if is_postgres_url(path):
            pg = await connect_pg(str(path))
            return cls(pg, None, backlog_limit=backlog_limit, retry_interval=retry_interval)
        path = Path(path)

        def store(db: Driver) -> Store:
            opened = cls(db, path, backlog_limit=backlog_limit, retry_interval=retry_interval)
            opened._busy_timeout = busy_timeout
            return opened

        try:
            return store(SqliteDriver(await connect(path, busy_timeout, check=recover)))
        except sqlite3.DatabaseError as exc:
            if not recover or not is_corrupt(exc):
                raise
            damage = str(exc)
        if not await asyncio.to_thread(may_move_aside, path):
            raise NotOurDatabase(
                f"{path} is not an SQLite database ({damage}); it was left untouched. "
                "Point POLICYBOT_DB at the bot's .sqlite3 file or at a new file name."
            )
        aside = await asyncio.to_thread(move_aside, path)
        # One line, no traceback: the operator needs what happened and where the old file is.
        logger.error(
            "database %s is corrupt (%s): moved it aside to %s and started a fresh one",
            path,
            damage,
            aside.name,
        )
        return store(SqliteDriver(await connect(path, busy_timeout, check=False)))

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
            await self._follow_the_file()
            return await self.record_question(rec)
        except DRIVER_ERRORS as exc:
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
            await self._follow_the_file()
            _, written = await self._write_kept(None)
        except DRIVER_ERRORS as exc:
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
        for _ in batch:  # committed: only now may they leave memory
            self._kept.popleft()
        if batch:
            logger.warning(
                "question log writable again: wrote %d kept question(s); %d dropped so far",
                len(batch),
                self.dropped,
            )
        return question_id, len(batch)

    async def _follow_the_file(self) -> None:
        """If the database file was deleted or replaced while open, start a log at its path.

        SQLite goes on writing to a deleted file's inode without an error, so every later
        question would be lost silently; a stat per write is cheap next to the commit's fsync.
        """
        if self.path is None:
            return
        now = await asyncio.to_thread(_identity, self.path)
        if now == self._identity:
            return
        async with self._lock:
            logger.error(
                "database %s was %s while the bot ran: starting a fresh log there (questions "
                "written before are in the old file, wherever it went)",
                self.path,
                "deleted" if now is None else "replaced by another file",
            )
            fresh = await connect(self.path, self._busy_timeout, check=True)
            old, self._db = self._db, SqliteDriver(fresh)
            self._identity = await asyncio.to_thread(_identity, self.path)
            try:
                await old.close()
            except (sqlite3.Error, ValueError):
                logger.debug("closing the old connection failed", exc_info=True)

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
        question_id = await self._db.insert(
            "INSERT INTO questions (asked_at, channel, user_key, reply_to, text, outcome,"
            " entry_id, score, candidates, latency_ms, followup_of)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
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
                rec.followup_of,
            ),
        )
        # A clarified question waits for editors too, until its villager taps a candidate:
        # one who taps nothing was not answered.
        if rec.outcome in REPLYABLE_OUTCOMES:
            await self._queue(question_id)
        return question_id


def _identity(path: Path) -> tuple[int, int] | None:
    """The file's (device, inode): a deleted or replaced database file changes it."""
    try:
        stat = path.stat()
    except OSError:
        return None
    return stat.st_dev, stat.st_ino
