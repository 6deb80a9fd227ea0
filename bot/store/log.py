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

import aiosqlite

from bot.privacy import mask_pii
from bot.store.corrections import CorrectionStore
from bot.store.figures import FiguresStore
from bot.store.records import (
    REPLYABLE_OUTCOMES,
    QuestionRecord,
    storable,
)
from bot.store.schema import connect, is_corrupt, move_aside, unavailable
from bot.store.staff import StaffStore

logger = logging.getLogger(__name__)

# While the log cannot be written (locked longer than the busy timeout, read-only or full disk,
# I/O errors) questions wait in memory and are written, oldest first, once it is back. A
# Telegram message is at most 4096 characters, so the bound keeps this under ~100 MB.
BACKLOG_LIMIT = 5000
RETRY_INTERVAL = 5.0  # seconds between attempts while it fails: each may wait the busy timeout
BUSY_TIMEOUT = 5.0  # seconds a write waits for another process's lock (a staff command)


class Store(CorrectionStore, FiguresStore, StaffStore):
    """Async access to the SQLite log; one connection per process."""

    def __init__(
        self,
        db: aiosqlite.Connection,
        path: Path,
        *,
        backlog_limit: int = BACKLOG_LIMIT,
        retry_interval: float = RETRY_INTERVAL,
    ) -> None:
        """Wrap an open connection; use `Store.open` instead."""
        super().__init__(db)
        self.path = path
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

        With `recover` (the bot, not staff tools) a corrupt file is checked for, moved aside
        as `<name>.corrupt-<timestamp>` and replaced by a fresh database.
        """
        path = Path(path)

        def store(db: aiosqlite.Connection) -> Store:
            return cls(db, path, backlog_limit=backlog_limit, retry_interval=retry_interval)

        try:
            return store(await connect(path, busy_timeout, check=recover))
        except sqlite3.DatabaseError as exc:
            if not recover or not is_corrupt(exc):
                raise
            damage = str(exc)
        aside = await asyncio.to_thread(move_aside, path)
        # One line, no traceback: the operator needs what happened and where the old file is.
        logger.error(
            "database %s is corrupt (%s): moved it aside to %s and started a fresh one",
            path,
            damage,
            aside.name,
        )
        return store(await connect(path, busy_timeout, check=False))

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
            return await self.record_question(rec)
        except (sqlite3.Error, OSError) as exc:
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
            _, written = await self._write_kept(None)
        except (sqlite3.Error, OSError) as exc:
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
            await self._db.commit()
            for _ in batch:  # committed: only now may they leave memory
                self._kept.popleft()
        if batch:
            logger.warning(
                "question log writable again: wrote %d kept question(s); %d dropped so far",
                len(batch),
                self.dropped,
            )
        return question_id, len(batch)

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
        # A clarified question waits for editors too, until its villager taps a candidate:
        # one who taps nothing was not answered.
        if rec.outcome in REPLYABLE_OUTCOMES:
            await self._queue(question_id)
        return question_id

    async def record_feedback(
        self, question_id: int, user_key: str, useful: bool, at: str
    ) -> None:
        """Store 👍/👎 for a question (the latest tap of a villager wins)."""
        async with self._transaction():
            await self._db.execute(
                "INSERT INTO feedback (question_id, user_key, useful, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_key) DO UPDATE SET useful = excluded.useful,"
                " at = excluded.at",
                (question_id, user_key, int(useful), at),
            )
