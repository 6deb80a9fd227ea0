"""Corrections of answers already given: the group answered together, the chats still known,
and replacing the answer while keeping the one it replaces."""

from __future__ import annotations

from collections.abc import Iterable, Sequence

from bot.store.queue import QueueStore
from bot.store.records import PENDING, LoggedQuestion


class _NotResolved(Exception):
    """Rolls a correction back: one of its questions is not resolved any more."""


class CorrectionStore(QueueStore):
    """Answered groups and their corrections (a part of Store)."""

    async def answered_questions(self, *, limit: int = 500) -> list[LoggedQuestion]:
        """The latest resolved questions, most recently answered first."""
        return await self._select(
            "WHERE u.status = 'resolved' ORDER BY u.resolved_at DESC, q.id LIMIT ?", (limit,)
        )

    async def answered_together(self, question_id: int) -> list[LoggedQuestion]:
        """The questions resolved with `question_id` in one go (same answer, same moment)."""
        return await self._select(
            "WHERE u.status = 'resolved' AND (u.answer, u.resolved_at) ="
            " (SELECT answer, resolved_at FROM unanswered WHERE question_id = ?"
            " AND status = 'resolved') ORDER BY q.id",
            (question_id,),
        )

    async def kept_chats(self, question_ids: Sequence[int], at: str) -> dict[int, str]:
        """The chats of delivered answers still kept at `at`, by question id."""
        kept: dict[int, str] = {}
        for qid in question_ids:
            row = await self._db.fetchone(
                "SELECT reply_to FROM answered_chats WHERE question_id = ? AND keep_until >= ?",
                (qid, at),
            )
            if row:
                kept[qid] = str(row[0])
        return kept

    async def earlier_answers(self, question_id: int) -> list[tuple[str, str]]:
        """The answers corrections replaced for `question_id`: (answer, when it was given)."""
        rows = await self._db.fetchall(
            "SELECT answer, COALESCE(resolved_at, '') FROM answer_history"
            " WHERE question_id = ? ORDER BY id",
            (question_id,),
        )
        return [(str(a), str(at)) for a, at in rows]

    async def correct_questions(
        self, deliveries: Iterable[tuple[int, str]], answer: str, at: str
    ) -> bool:
        """Replace resolved questions' answer with a correction to deliver (PENDING: to the
        chat kept for it); the replaced answers go to answer_history. False (nothing
        changed) when one of them is not resolved any more."""
        try:
            async with self._transaction():
                await self._db.execute("DELETE FROM answered_chats WHERE keep_until < ?", (at,))
                for qid, delivery in deliveries:
                    await self._correct(qid, delivery, answer, at)
                await self._forget_chats_not_pending()
        except _NotResolved:
            return False
        return True

    async def _correct(self, qid: int, delivery: str, answer: str, at: str) -> None:
        copied = await self._db.execute(
            "INSERT INTO answer_history (question_id, answer, resolved_at, replaced_at)"
            " SELECT question_id, answer, resolved_at, ? FROM unanswered"
            " WHERE question_id = ? AND status = 'resolved' AND answer IS NOT NULL",
            (at, qid),
        )
        if copied != 1:
            raise _NotResolved
        if delivery == PENDING:
            await self._db.execute(
                "UPDATE questions SET reply_to = COALESCE((SELECT reply_to FROM answered_chats"
                " WHERE question_id = ?), reply_to) WHERE id = ?",
                (qid, qid),
            )
        await self._db.execute(
            "UPDATE unanswered SET answer = ?, resolved_at = ?, delivery = ?, sent_at = NULL,"
            " claimed_at = NULL WHERE question_id = ?",
            (answer, at, delivery, qid),
        )
