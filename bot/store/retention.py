"""Log retention: questions older than a date go, with their feedback and queue rows."""

from __future__ import annotations

from dataclasses import dataclass

from bot.store.connection import Connection
from bot.store.driver import SQLITE

# An editor's answer still waiting to be sent keeps its question: purging it would leave the
# villager who asked without the answer (the running bot sends it, then a later purge takes it).
_OLD = (
    "SELECT id FROM questions WHERE asked_at < ? AND id NOT IN"
    " (SELECT question_id FROM unanswered WHERE delivery = 'pending')"
)
_COUNT_QUESTIONS = "SELECT COUNT(*) FROM (" + _OLD + ") AS old"  # PostgreSQL needs the alias
_COUNT_FEEDBACK = "SELECT COUNT(*) FROM feedback WHERE question_id IN (" + _OLD + ")"
_COUNT_KEPT = (
    "SELECT COUNT(*) FROM questions q JOIN unanswered u ON u.question_id = q.id"
    " WHERE q.asked_at < ? AND u.delivery = 'pending'"
)
# Children first: feedback and queue rows refer to their question.
_DELETES = (
    "DELETE FROM feedback WHERE question_id IN (" + _OLD + ")",
    "DELETE FROM unanswered WHERE question_id IN (" + _OLD + ")",
    "DELETE FROM questions WHERE id IN (" + _OLD + ")",
)


@dataclass(frozen=True)
class Purge:
    """What a purge took (or, dry, would take) and what it kept back."""

    questions: int
    feedback: int
    kept_pending: int


class RetentionStore(Connection):
    """Deleting old questions (a part of Store)."""

    async def purge_before(self, until: str, *, dry_run: bool = False) -> Purge:
        """Delete questions asked before `until` (UTC ISO) with their feedback and queue rows.

        One transaction; SQLite's secure_delete (set at open) zeroes the freed pages, and a
        checkpoint then clears the write-ahead log of the old rows' content.
        """
        async with self._transaction():
            questions = await self._count(_COUNT_QUESTIONS, until)
            feedback = await self._count(_COUNT_FEEDBACK, until)
            kept = await self._count(_COUNT_KEPT, until)
            if not dry_run:
                for delete in _DELETES:
                    await self._db.execute(delete, (until,))
        if not dry_run and questions and self._db.dialect == SQLITE:
            # A busy reader (the running bot) only makes this partial; never an error.
            async with self._lock:
                await self._db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        return Purge(questions, feedback, kept)

    async def _count(self, sql: str, until: str) -> int:
        row = await self._db.fetchone(sql, (until,))
        return int(row[0]) if row else 0
