"""👎 reaches the editors: a disliked answer joins the queue, with the villager's comment."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot import messages
from bot.dialogue import DialogueService, User
from bot.dialogue.comments import COMMENT_WINDOW, PendingComments
from bot.review.stats import collect_stats
from bot.review.unanswered import format_clusters, unanswered_clusters
from bot.store import OPEN, Store
from bot.understand import Matcher
from tests.test_store import record

VILLAGER = User("test", "1001", "1001")
NEIGHBOUR = User("test", "1002", "1002")
AT = "2026-11-20T02:05:00+00:00"


async def test_a_disliked_answer_waits_in_the_queue_with_its_comment(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
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


def test_a_comment_is_expected_once_and_only_within_the_window() -> None:
    now = [0.0]
    pending = PendingComments(lambda: now[0])
    pending.expect("a", 7)
    assert pending.take("a") == 7
    assert pending.take("a") is None  # once
    pending.expect("a", 8)
    now[0] = COMMENT_WINDOW + 1
    assert pending.take("a") is None  # too late: a new question again
    pending.expect("b", 9)
    pending.drop("b")
    assert pending.take("b") is None


async def test_the_text_after_a_dislike_is_its_comment_not_a_question(
    matcher: Matcher, db_target: Path | str
) -> None:
    async with await Store.open(db_target) as store:
        service = DialogueService(matcher, store)
        answer = await service.ask("低保咋申请", VILLAGER)
        forged = await service.press(f"f:{answer.question_id}:0", NEIGHBOUR)
        assert forged.text == messages.STALE_BUTTON
        assert (await service.press("f:999999:0", VILLAGER)).text == messages.STALE_BUTTON
        asked = await service.press(f"f:{answer.question_id}:0", VILLAGER)
        again = await service.press(f"f:{answer.question_id}:0", VILLAGER)  # 👎 twice
        thanks = await service.ask("没说去哪办", VILLAGER)
        later = await service.ask("没说去哪办", VILLAGER)  # a second text is a question
        queued = await store.queued_questions(OPEN)
    assert asked.text == again.text == messages.FEEDBACK_ASK
    assert thanks.text == messages.COMMENT_THANKS
    assert later.question_id is not None
    assert queued[0].id == answer.question_id
    assert queued[0].comment == "没说去哪办"
    assert queued[0].not_useful == 1


async def test_a_menu_word_after_a_dislike_is_still_the_menu(
    matcher: Matcher, db_target: Path | str
) -> None:
    async with await Store.open(db_target) as store:
        service = DialogueService(matcher, store)
        answer = await service.ask("低保咋申请", VILLAGER)
        await service.press(f"f:{answer.question_id}:0", VILLAGER)
        menu = await service.ask("菜单", VILLAGER)
        after = await service.ask("医保咋报销", VILLAGER)
        queued = await store.queued_questions(OPEN)
    assert menu.text == service.menu().text
    assert after.text != messages.COMMENT_THANKS
    assert queued[0].id == answer.question_id
    assert queued[0].comment is None


async def test_a_tapped_candidate_votes_on_its_question_and_a_forged_one_on_a_tap_of_its_own(
    matcher: Matcher, db_target: Path | str
) -> None:
    async with await Store.open(db_target) as store:
        service = DialogueService(matcher, store)
        question = await store.record_question(record(outcome="clarify", user=VILLAGER.key))
        own = await service.press(f"e:social.dibao:{question}", VILLAGER)
        forged = await service.press(f"e:social.dibao:{question}", NEIGHBOUR)
        theirs = await store.get_question(forged.question_id or 0)
    own_data = [b.data for row in own.buttons for b in row]
    forged_data = [b.data for row in forged.buttons for b in row]
    assert f"f:{question}:0" in own_data
    assert not any(d.startswith(f"f:{question}:") for d in forged_data)  # not their question
    assert forged.question_id is not None
    assert f"f:{forged.question_id}:0" in forged_data  # the neighbour's own tap, logged
    assert theirs is not None
    assert (theirs.user_key, theirs.outcome, theirs.entry_id) == (
        NEIGHBOUR.key,
        "tap",
        "social.dibao",
    )


async def test_stats_show_feedback_per_entry(db_target: Path | str) -> None:
    now = dt.datetime.fromisoformat("2026-11-20T04:00:00+00:00")
    async with await Store.open(db_target) as store:
        dibao = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        other = await store.record_question(
            record(outcome="answer", entry_id="social.dibao", user="telegram:u2")
        )
        await store.record_feedback(dibao, "telegram:u1", False, AT)
        await store.record_feedback(other, "telegram:u2", True, AT)
        stats = await collect_stats(store, days=7, now=now, titles={"social.dibao": "低保"})
    assert [(f.entry_id, f.useful, f.not_useful) for f in stats.feedback_by_entry] == [
        ("social.dibao", 1, 1)
    ]
    assert "低保（social.dibao）👍1 👎1" in stats.to_text()
