"""👎 reaches the editors: a disliked answer joins the queue, with the villager's comment."""

from __future__ import annotations

from pathlib import Path

from bot.review.unanswered import format_clusters, unanswered_clusters
from bot.store import OPEN, Store
from tests.test_store import record

AT = "2026-11-20T02:05:00+00:00"


async def test_a_disliked_answer_waits_in_the_queue_with_its_comment(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        qid = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        liked = await store.record_question(record("医保咋报", outcome="answer"))
        await store.record_feedback(liked, "telegram:u1", True, AT)
        assert await store.queued_questions(OPEN) == []
        assert not await store.record_comment(qid, "telegram:u1", "没说要啥材料")  # no 👎 yet
        await store.record_feedback(qid, "telegram:u1", False, AT)
        await store.record_feedback(qid, "telegram:u1", False, AT)  # 👎 twice: one row
        assert not await store.record_comment(qid, "telegram:other", "别人的话")
        assert await store.record_comment(qid, "telegram:u1", "没说要啥材料 13812345678")
        queued = await store.queued_questions(OPEN)
        assert [q.id for q in queued] == [qid]
        assert queued[0].not_useful == 1
        assert queued[0].comment is not None
        assert "13812345678" not in queued[0].comment
        assert queued[0].entry_id == "social.dibao"
        clusters = await unanswered_clusters(store, None)
    assert [(c.disliked, c.question_ids) for c in clusters] == [(1, (qid,))]
    assert "👎 不满意 1 问" in format_clusters(clusters)
    assert "没说要啥材料" in format_clusters(clusters)
