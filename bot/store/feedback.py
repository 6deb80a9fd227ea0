"""👍/👎 on answers and what a villager says after a 👎."""

from __future__ import annotations

from bot.privacy import mask_pii
from bot.store.queue import QueueStore
from bot.store.records import storable


class FeedbackStore(QueueStore):
    """Feedback on answers (a part of Store)."""

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
            if not useful:  # a disliked answer waits for the editors like an unanswered one
                await self._queue(question_id)

    async def record_comment(self, question_id: int, user_key: str, text: str) -> bool:
        """Attach what a villager said after 👎 to that feedback; False when there is none."""
        async with self._transaction():
            changed = await self._db.execute(
                "UPDATE feedback SET comment = ? WHERE question_id = ? AND user_key = ?"
                " AND useful = 0",
                (mask_pii(storable(text)), question_id, user_key),
            )
        return changed > 0
