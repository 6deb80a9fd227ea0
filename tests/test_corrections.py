"""Corrections of answers already sent (bot.review.plan_correction / send_correction on a real
SQLite file): a new message marked 【更正】 to the same villagers while their chat is kept, the
replaced answer kept in answer_history, never an overwrite of an undelivered group by stealth."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot import messages
from bot.review import (
    GroupChanged,
    ReviewError,
    editor_reply,
    mark_sent,
    pending_replies,
    plan_answer,
    plan_correction,
    send_correction,
    send_plan,
)
from bot.store import PENDING, SKIPPED, Store
from tests.fakes.workbench import villager_question

# mark_sent stamps the wall clock, from which the correction window runs
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
LAMP = ["村里路灯坏了找谁修", "路灯不亮了归谁管"]


@pytest.fixture
async def store(db_target: Path | str) -> Store:
    s = await Store.open(db_target)
    yield s  # type: ignore[misc]
    await s.close()


async def answered_and_sent(store: Store) -> list[int]:
    ids = [
        await store.record_question(villager_question(LAMP[0], 101, asked_at=NOW)),
        await store.record_question(villager_question(LAMP[1], 102, asked_at=NOW)),
        await store.record_question(
            villager_question(LAMP[0], 0, asked_at=NOW, channel="console")
        ),
    ]
    plan = await plan_answer(store, ids[0], "找村委会", matcher=None)
    await send_plan(store, ids[0], "找村委会", plan.question_ids, matcher=None, now=NOW)
    await mark_sent(store, [r.question_id for r in plan.recipients])
    return ids


async def test_a_correction_goes_to_the_same_villagers_marked_and_keeps_the_old_answer(
    store: Store,
) -> None:
    ids = await answered_and_sent(store)
    assert (await store.get_question(ids[0])).reply_to == ""  # type: ignore[union-attr]
    later = NOW + dt.timedelta(days=2)
    plan = await plan_correction(store, ids[0], "找乡镇", now=later)
    assert plan.question_ids == (ids[0], ids[2]), "the group answered together (same text)"
    await send_correction(store, ids[0], "找乡镇", plan.question_ids, now=later)
    correction = messages.CORRECTION.format(answer="找乡镇")
    pending = await pending_replies(store)
    assert [(r.reply_to, r.text) for r in pending] == [("101", editor_reply(LAMP[0], correction))]
    assert await store.earlier_answers(ids[0]) == [("找村委会", NOW.isoformat())]
    stored = await store.get_question(ids[0])
    assert (stored.answer, stored.delivery) == (correction, PENDING)  # type: ignore[union-attr]


async def test_after_the_correction_window_the_chat_is_gone_and_nobody_is_messaged(
    store: Store,
) -> None:
    ids = await answered_and_sent(store)
    late = NOW + dt.timedelta(days=8)
    plan = await plan_correction(store, ids[0], "找乡镇", now=late)
    assert plan.recipients == ()
    await send_correction(store, ids[0], "找乡镇", plan.question_ids, now=late)
    assert await pending_replies(store) == []
    assert (await store.get_question(ids[0])).delivery == SKIPPED  # type: ignore[union-attr]


async def test_only_answered_groups_can_be_corrected_and_a_changed_group_is_refused(
    store: Store,
) -> None:
    ids = await answered_and_sent(store)
    with pytest.raises(ReviewError):
        await plan_correction(store, 999, "找乡镇", now=NOW)
    with pytest.raises(ReviewError):
        await plan_correction(store, ids[0], "   ", now=NOW)
    with pytest.raises(GroupChanged):
        await send_correction(store, ids[0], "找乡镇", [ids[0], ids[1]], now=NOW)
    plan = await plan_correction(store, ids[0], "找乡镇", now=NOW)
    await send_correction(store, ids[0], "找乡镇", plan.question_ids, now=NOW)
    await send_correction(store, ids[0], "再改", plan.question_ids, now=NOW)  # again: fine
    assert [a for a, _ in await store.earlier_answers(ids[0])] == [
        "找村委会",
        messages.CORRECTION.format(answer="找乡镇"),
    ]


async def test_an_answer_is_sent_only_while_every_question_is_still_open(store: Store) -> None:
    qid = await store.record_question(villager_question(LAMP[0], 101, asked_at=NOW))
    plan = await plan_answer(store, qid, "找村委会", matcher=None)
    await send_plan(store, qid, "找村委会", plan.question_ids, matcher=None, now=NOW)
    with pytest.raises(ReviewError):
        await send_plan(store, qid, "又一个", plan.question_ids, matcher=None, now=NOW)
    assert not await store.resolve_open_questions([(qid, PENDING)], "又一个", NOW.isoformat())
    assert (await store.get_question(qid)).answer == "找村委会"  # type: ignore[union-attr]


async def test_kept_chats_are_purged_once_their_window_has_passed(store: Store) -> None:
    ids = await answered_and_sent(store)
    late = NOW + dt.timedelta(days=8)
    assert await store.kept_chats(ids, NOW.isoformat()) == {ids[0]: "101"}
    plan = await plan_correction(store, ids[0], "找乡镇", now=late)
    await send_correction(store, ids[0], "找乡镇", plan.question_ids, now=late)
    assert await store.kept_chats(ids, NOW.isoformat()) == {}, "gone from the file, not hidden"
