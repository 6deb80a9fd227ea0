"""The editors' queue: unanswered and clarified questions, their answers and deliveries."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from bot.store.connection import Connection
from bot.store.records import SENT, LoggedQuestion

# How long a delivered answer's chat id is kept so that a correction can reach it; then it is
# forgotten like every other (personal data must not pile up).
CORRECTION_WINDOW = dt.timedelta(days=7)


class _NotOpen(Exception):
    """Rolls a resolve back: one of its questions is no longer open."""


def _require_one(rowcount: int) -> None:
    if rowcount != 1:
        raise _NotOpen


class QueueStore(Connection):
    """The queue's reads and writes (a part of Store)."""

    async def question_owner(self, question_id: int) -> str | None:
        """Return the user key of the villager who asked question `question_id`."""
        row = await self._db.fetchone(
            "SELECT user_key FROM questions WHERE id = ?", (question_id,)
        )
        return str(row[0]) if row else None

    async def vote_target(self, question_id: int) -> tuple[str, str | None] | None:
        """Who asked question `question_id` and the entry it was answered with, or None."""
        row = await self._db.fetchone(
            "SELECT user_key, entry_id FROM questions WHERE id = ?", (question_id,)
        )
        return (str(row[0]), None if row[1] is None else str(row[1])) if row else None

    async def mark_unanswered(self, question_id: int, user_key: str) -> bool:
        """Turn an answered or clarified question into an unknown one ('none of these')."""
        async with self._transaction():
            changed = (
                await self._db.execute(
                    "UPDATE questions SET outcome = 'unknown' WHERE id = ? AND user_key = ?",
                    (question_id, user_key),
                )
                > 0
            )
            if changed:
                await self._queue(question_id)
        return changed

    async def hand_off(self, question_id: int, user_key: str, reply_to: str, at: str) -> bool:
        """Queue a question a villager wants a person to answer, with the chat to answer in.

        False when it is not theirs or was handed off already (a second tap changes nothing).
        """
        async with self._transaction():
            changed = (
                await self._db.execute(
                    "UPDATE questions SET outcome = 'unknown', reply_to = ?, handed_off_at = ?"
                    " WHERE id = ? AND user_key = ? AND handed_off_at IS NULL",
                    (reply_to, at, question_id, user_key),
                )
                > 0
            )
            if changed:
                await self._queue(question_id)
        return changed

    async def _queue(self, question_id: int) -> None:
        await self._db.execute(
            "INSERT OR IGNORE INTO unanswered (question_id) VALUES (?)", (question_id,)
        )

    async def get_question(self, question_id: int) -> LoggedQuestion | None:
        """Return question `question_id` with its queue state, or None."""
        rows = await self._select("WHERE q.id = ?", (question_id,))
        return rows[0] if rows else None

    async def queued_questions(self, status: str) -> list[LoggedQuestion]:
        """Return the questions of the unanswered queue in state `status`, oldest first."""
        return await self._select("WHERE u.status = ? ORDER BY q.id", (status,))

    async def pending_deliveries(self) -> list[LoggedQuestion]:
        """Return resolved questions whose answer still waits to be sent, oldest first."""
        return await self._select("WHERE u.delivery = 'pending' ORDER BY q.id", ())

    async def resolve_questions(
        self, deliveries: Iterable[tuple[int, str]], answer: str, at: str
    ) -> None:
        """Mark questions resolved with `answer`; each gets its delivery state (one commit)."""
        async with self._transaction():
            await self._db.executemany(
                "INSERT INTO unanswered (question_id, status, answer, resolved_at, delivery)"
                " VALUES (?, 'resolved', ?, ?, ?) ON CONFLICT (question_id) DO UPDATE SET"
                " status = 'resolved', answer = excluded.answer,"
                " resolved_at = excluded.resolved_at, delivery = excluded.delivery,"
                " sent_at = NULL, claimed_at = NULL",
                [(qid, answer, at, delivery) for qid, delivery in deliveries],
            )
            await self._forget_chats_not_pending()

    async def resolve_open_questions(
        self, deliveries: Iterable[tuple[int, str]], answer: str, at: str
    ) -> bool:
        """Like `resolve_questions`, but only while every one of them is still open: False
        (and nothing changed) when one was answered or ignored meanwhile."""
        try:
            async with self._transaction():
                for qid, delivery in deliveries:
                    await self._resolve_open(qid, delivery, answer, at)
                await self._forget_chats_not_pending()
        except _NotOpen:
            return False
        return True

    async def _resolve_open(self, qid: int, delivery: str, answer: str, at: str) -> None:
        changed = await self._db.execute(
            "UPDATE unanswered SET status = 'resolved', answer = ?, resolved_at = ?,"
            " delivery = ?, sent_at = NULL, claimed_at = NULL"
            " WHERE question_id = ? AND status = 'open'",
            (answer, at, delivery, qid),
        )
        _require_one(changed)

    async def ignore_questions(self, question_ids: Iterable[int], at: str) -> int:
        """Mark open questions ignored; return how many were changed (an answered or ignored
        one is left as it is, its waiting delivery too)."""
        async with self._transaction():
            changed = await self._db.executemany(
                "UPDATE unanswered SET status = 'ignored', resolved_at = ?, delivery = NULL"
                " WHERE question_id = ? AND status = 'open'",
                [(at, qid) for qid in question_ids],
            )
            await self._forget_chats_not_pending()
        return changed

    async def ignore_open_questions(self, question_ids: Iterable[int], at: str) -> bool:
        """Set questions aside only while every one of them is still open: False (and nothing
        changed) when one was answered or ignored meanwhile."""
        try:
            async with self._transaction():
                for qid in question_ids:
                    changed = await self._db.execute(
                        "UPDATE unanswered SET status = 'ignored', resolved_at = ?,"
                        " delivery = NULL WHERE question_id = ? AND status = 'open'",
                        (at, qid),
                    )
                    _require_one(changed)
                await self._forget_chats_not_pending()
        except _NotOpen:
            return False
        return True

    async def mark_delivered(self, question_ids: Iterable[int], state: str, at: str) -> None:
        """Record that answers were sent (SENT) or cannot be (FAILED); forget those chat ids
        (a sent answer's chat is kept CORRECTION_WINDOW apart, for a correction)."""
        question_ids = list(question_ids)
        async with self._transaction():
            if state == SENT:
                await self._keep_chats(question_ids, at)
            await self._db.executemany(
                "UPDATE unanswered SET delivery = ?, sent_at = ?"
                " WHERE question_id = ? AND delivery = 'pending'",
                [(state, at, qid) for qid in question_ids],
            )
            await self._forget_chats_not_pending()

    async def claim_deliveries(
        self, question_ids: Iterable[int], at: str, *, stale_before: str
    ) -> list[int]:
        """Claim pending deliveries for one sender; return the ids claimed (not claimed by
        another sender since `stale_before`)."""
        async with self._transaction():
            claimed = []
            for qid in question_ids:  # one transaction: the write lock keeps other processes out
                if await self._db.execute(
                    "UPDATE unanswered SET claimed_at = ? WHERE question_id = ?"
                    " AND delivery = 'pending' AND (claimed_at IS NULL OR claimed_at < ?)",
                    (at, qid, stale_before),
                ):
                    claimed.append(qid)
        return claimed

    async def release_deliveries(self, question_ids: Iterable[int]) -> None:
        """Give back claims on deliveries that were not made (they stay pending)."""
        async with self._transaction():
            await self._db.executemany(
                "UPDATE unanswered SET claimed_at = NULL WHERE question_id = ?",
                [(qid,) for qid in question_ids],
            )

    async def _keep_chats(self, question_ids: list[int], at: str) -> None:
        try:
            until = (dt.datetime.fromisoformat(at) + CORRECTION_WINDOW).isoformat()
        except ValueError:
            until = at
        await self._db.execute("DELETE FROM answered_chats WHERE keep_until < ?", (at,))
        await self._db.executemany(
            "INSERT INTO answered_chats (question_id, reply_to, keep_until)"
            " SELECT q.id, q.reply_to, ? FROM questions q JOIN unanswered u"
            " ON u.question_id = q.id WHERE q.id = ? AND u.delivery = 'pending'"
            " AND q.reply_to != '' ON CONFLICT (question_id) DO UPDATE SET"
            " reply_to = excluded.reply_to, keep_until = excluded.keep_until",
            [(until, qid) for qid in question_ids],
        )

    async def _forget_chats_not_pending(self) -> None:
        # Once a queued question is settled nobody will write to that chat again.
        await self._db.execute(
            "UPDATE questions SET reply_to = '' WHERE reply_to != '' AND id IN"
            " (SELECT question_id FROM unanswered WHERE status != 'open'"
            " AND (delivery IS NULL OR delivery != 'pending'))"
        )
