"""A villager who changes a vote: one vote per villager per question, the last tap counts, and a
👎 changed to 👍 takes the question out of the editors' queue (while nobody has dealt with it)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from bot import messages
from bot.dialogue import CHOSEN_BY_VILLAGER, DialogueService, User
from bot.store import OPEN, SKIPPED, Store
from bot.understand import Matcher
from tests.test_store import record

VILLAGER = User("test", "1001", "1001")
NEIGHBOUR = User("test", "1002", "1002")
AT = "2026-11-20T02:05:00+00:00"


def feedback_rows(db: Path) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute("SELECT question_id, user_key, useful FROM feedback").fetchall()


async def open_ids(store: Store) -> list[int]:
    return [q.id for q in await store.queued_questions(OPEN)]


async def test_the_last_vote_counts_and_a_dislike_changed_to_a_like_leaves_the_queue(
    matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "log.sqlite3"
    async with await Store.open(db) as store:
        service = DialogueService(matcher, store)
        answer = await service.ask("低保咋申请", VILLAGER)
        qid = answer.question_id
        assert qid is not None
        await service.press(f"f:{qid}:0", VILLAGER)
        disliked = await open_ids(store)
        liked = await service.press(f"f:{qid}:1", VILLAGER)
        after_like = await open_ids(store)
        counts_liked = await store.feedback_counts("", "9999")
        next_text = await service.ask("那要啥材料", VILLAGER)  # no comment is owed any more
        await service.press(f"f:{qid}:0", VILLAGER)  # and back to 👎
        again = await open_ids(store)
        counts_disliked = await store.feedback_counts("", "9999")
    assert disliked == [qid]
    assert liked.text == messages.FEEDBACK_THANKS
    assert after_like == []
    assert counts_liked == (1, 0)  # one vote, the latest
    assert next_text.text != messages.COMMENT_THANKS
    assert again == [qid]
    assert counts_disliked == (0, 1)
    assert feedback_rows(db) == [(qid, VILLAGER.key, 0)]


async def test_a_chosen_candidate_disliked_then_liked_is_resolved_by_the_choice_again(
    matcher: Matcher, db_target: Path | str
) -> None:
    async with await Store.open(db_target) as store:
        service = DialogueService(matcher, store)
        clarify = await service.ask("贷款的事", VILLAGER)
        qid = clarify.question_id
        assert qid is not None
        chosen = await service.press(clarify.buttons[0][0].data, VILLAGER)
        await service.press(f"f:{qid}:0", VILLAGER)
        reopened = await open_ids(store)
        await service.press(f"f:{qid}:1", VILLAGER)
        question = await store.get_question(qid)
    assert reopened == [qid]
    assert question is not None
    assert question.status == "resolved"
    assert question.delivery == SKIPPED
    assert question.answer == f"{CHOSEN_BY_VILLAGER}{chosen.entry_id}"


async def test_a_like_does_not_undo_an_editors_answer_a_hand_off_or_anothers_dislike(
    db_target: Path | str,
) -> None:
    async with await Store.open(db_target) as store:
        answered = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        handed = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        shared = await store.record_question(record(outcome="answer", entry_id="social.dibao"))
        for qid in (answered, handed, shared):
            await store.record_feedback(qid, "telegram:u1", False, AT)
        await store.record_feedback(shared, "telegram:u2", False, AT)
        await store.resolve_questions([(answered, SKIPPED)], "编辑写的回答", AT)
        await store.hand_off(handed, "telegram:u1", "1001", AT)
        for qid in (answered, handed, shared):
            await store.record_feedback(qid, "telegram:u1", True, AT)
        editor = await store.get_question(answered)
        still_open = await open_ids(store)
    assert editor is not None
    assert (editor.status, editor.answer) == ("resolved", "编辑写的回答")
    assert still_open == [handed, shared]


async def test_a_forged_or_stale_vote_change_is_refused_and_changes_nothing(
    matcher: Matcher, tmp_path: Path
) -> None:
    db = tmp_path / "log.sqlite3"
    async with await Store.open(db) as store:
        service = DialogueService(matcher, store)
        answer = await service.ask("低保咋申请", VILLAGER)
        qid = answer.question_id
        await service.press(f"f:{qid}:0", VILLAGER)
        refused = [
            await service.press(f"f:{qid}:1", NEIGHBOUR),  # not their question
            await service.press(f"f:{(qid or 0) + 1000}:1", VILLAGER),  # no such question
            await service.press(f"f:{qid}:2", VILLAGER),  # not a vote
            await service.press(f"f:{qid}:1:x", VILLAGER),
            await service.press(f"f:-{qid}:1", VILLAGER),
        ]
        queued = await open_ids(store)
    assert [r.text for r in refused] == [messages.STALE_BUTTON] * len(refused)
    assert queued == [qid]  # the villager's 👎 stands
    assert feedback_rows(db) == [(qid, VILLAGER.key, 0)]
