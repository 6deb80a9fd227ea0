"""👍/👎 on answers and the candidate a villager chose: one vote per villager per question
(the latest tap wins), and what a vote does to the editors' queue."""

from __future__ import annotations

import json

from bot.privacy import mask_pii
from bot.store.queue import QueueStore
from bot.store.records import CHOSEN_BY_VILLAGER, storable

# a queued question a 👎 may be withdrawn from: still open, no 👎 left on it, not handed to a
# person, and (completed by the caller, on `q`) of the kind the 👎 alone had queued; its one
# parameter is the question's id
_STILL_OPEN = (
    "question_id = ? AND status = 'open' AND NOT EXISTS (SELECT 1 FROM feedback f"
    " WHERE f.question_id = unanswered.question_id AND f.useful = 0) AND EXISTS (SELECT 1"
    " FROM questions q WHERE q.id = unanswered.question_id AND q.handed_off_at IS NULL AND"
)


class FeedbackStore(QueueStore):
    """Votes, comments and chosen candidates (a part of Store)."""

    async def mark_replied(self, question_id: int, at: str) -> None:
        """Telegram accepted the reply to question `question_id` at `at` (the first time
        counts: a reply is never un-sent)."""
        async with self._transaction():
            await self._db.execute(
                "UPDATE questions SET replied_at = ? WHERE id = ? AND replied_at IS NULL",
                (at, question_id),
            )

    async def choose_candidate(
        self, question_id: int, user_key: str, entry_id: str, at: str
    ) -> bool:
        """The villager tapped `entry_id`, a candidate offered for their clarified question: it
        becomes the question's entry (votes on that answer count for it) and the question
        leaves the queue. False, and nothing changed, when the question is not theirs, is not
        a clarified one (「都不是」 or a hand-off made it unknown), or did not offer the entry."""
        async with self._transaction():
            row = await self._db.fetchone(
                "SELECT candidates FROM questions WHERE id = ? AND user_key = ?"
                " AND outcome = 'clarify' AND handed_off_at IS NULL",
                (question_id, user_key),
            )
            if row is None or entry_id not in _candidate_ids(str(row[0])):
                return False
            await self._db.execute(
                "UPDATE questions SET entry_id = ? WHERE id = ?", (entry_id, question_id)
            )
            # an editor's answer (resolved or waiting to be sent) is never overwritten
            await self._db.execute(
                "INSERT INTO unanswered (question_id, status, answer, resolved_at, delivery)"
                " VALUES (?, 'resolved', ?, ?, 'skipped') ON CONFLICT (question_id) DO UPDATE"
                " SET status = 'resolved', answer = excluded.answer,"
                " resolved_at = excluded.resolved_at, delivery = 'skipped', sent_at = NULL,"
                " claimed_at = NULL WHERE unanswered.status = 'open'",
                (question_id, f"{CHOSEN_BY_VILLAGER}{entry_id}", at),
            )
            await self._forget_chats_not_pending()
        return True

    async def record_feedback(
        self, question_id: int, user_key: str, useful: bool, at: str
    ) -> None:
        """Store 👍/👎 for a question: one vote per villager, the latest tap wins.

        A 👎 puts the question in the editors' queue; a 👎 changed to 👍 takes it out again,
        unless an editor has dealt with it or it waits there for another reason (unknown,
        handed to a person, another villager's 👎).
        """
        async with self._transaction():
            before = await self._db.fetchone(
                "SELECT useful FROM feedback WHERE question_id = ? AND user_key = ?",
                (question_id, user_key),
            )
            await self._db.execute(
                "INSERT INTO feedback (question_id, user_key, useful, at) VALUES (?, ?, ?, ?)"
                " ON CONFLICT (question_id, user_key) DO UPDATE SET useful = excluded.useful,"
                " at = excluded.at",
                (question_id, user_key, int(useful), at),
            )
            if not useful:  # a disliked answer waits for the editors like an unanswered one
                await self._queue_disliked(question_id)
            elif before is not None and int(before[0]) == 0:
                await self._withdraw_dislike(question_id, at)

    async def _queue_disliked(self, question_id: int) -> None:
        """Queue the question; one the villager resolved by choosing a candidate is open again
        (the answer they chose is the one they dislike)."""
        await self._db.execute(
            "INSERT INTO unanswered (question_id) VALUES (?) ON CONFLICT (question_id) DO UPDATE"
            " SET status = 'open', answer = NULL, resolved_at = NULL, delivery = NULL,"
            " sent_at = NULL, claimed_at = NULL WHERE unanswered.status = 'resolved'"
            " AND unanswered.delivery = 'skipped' AND substr(unanswered.answer, 1, ?) = ?",
            (question_id, len(CHOSEN_BY_VILLAGER), CHOSEN_BY_VILLAGER),
        )

    async def _withdraw_dislike(self, question_id: int, at: str) -> None:
        """Undo what a 👎 did to the queue, while the question is still open and no 👎 is left."""
        # an answered question (typed, or a tap) was queued by the 👎 alone
        await self._db.execute(
            "DELETE FROM unanswered WHERE " + _STILL_OPEN + " q.outcome IN ('answer', 'tap'))",
            (question_id,),
        )
        # a clarified one whose candidate the villager chose is resolved by that choice again
        await self._db.execute(
            "UPDATE unanswered SET status = 'resolved', resolved_at = ?, delivery = 'skipped',"
            " answer = ? || (SELECT entry_id FROM questions WHERE id = question_id) WHERE "
            + _STILL_OPEN
            + " q.outcome = 'clarify' AND q.entry_id IS NOT NULL)",
            (at, CHOSEN_BY_VILLAGER, question_id),
        )
        await self._forget_chats_not_pending()

    async def record_comment(self, question_id: int, user_key: str, text: str) -> bool:
        """Attach what a villager said after 👎 to that feedback; False when there is none."""
        async with self._transaction():
            changed = await self._db.execute(
                "UPDATE feedback SET comment = ? WHERE question_id = ? AND user_key = ?"
                " AND useful = 0",
                (mask_pii(storable(text)), question_id, user_key),
            )
        return changed > 0


def _candidate_ids(stored: str) -> set[str]:
    """The entry ids of a question's stored candidates (JSON pairs; damaged: none)."""
    try:
        return {str(pair[0]) for pair in json.loads(stored)}
    except (ValueError, TypeError, IndexError, KeyError):
        return set()
