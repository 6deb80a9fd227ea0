"""A person when needed: 「我要找人工」 and 「都不是」 offer to pass the question to staff."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest

from bot import messages
from bot.dialogue import DialogueService, Reply, User
from bot.review import collect_stats
from bot.store import Store
from bot.understand import Matcher
from tests.fakes.telegram_app import db_rows, running_bot

VILLAGER = User("test", "3001", "3001")
NEIGHBOUR = User("test", "3002", "3002")


@pytest.fixture
async def store(db_target: Path | str):  # type: ignore[no-untyped-def]
    store = await Store.open(db_target)
    yield store
    await store.close()


def handoff_button(reply: Reply) -> str | None:
    return next((b.data for row in reply.buttons for b in row if b.data.startswith("h:")), None)


async def test_without_staff_to_read_it_nothing_is_offered(matcher: Matcher, store: Store) -> None:
    service = DialogueService(matcher, store)  # the console, or Telegram without admins
    reply = await service.ask("我要找人工", VILLAGER)
    assert reply.entry_id == "smalltalk.human"
    assert handoff_button(reply) is None
    assert (await service.press(f"h:{reply.question_id}", VILLAGER)).text == messages.STALE_BUTTON


async def test_asking_for_a_person_passes_on_the_question_before_it(
    matcher: Matcher, store: Store
) -> None:
    service = DialogueService(matcher, store, handoff=True)
    asked = await service.ask("俺家想申请低保 电话13812345678", VILLAGER)
    offer = await service.ask("我要找人工", VILLAGER)
    assert offer.text.endswith(messages.HANDOFF_OFFER)
    assert handoff_button(offer) == f"h:{asked.question_id}"
    assert (await service.press(f"h:{asked.question_id}", NEIGHBOUR)).text == (
        messages.STALE_BUTTON  # not theirs
    )
    done = await service.press(f"h:{asked.question_id}", VILLAGER)
    again = await service.press(f"h:{asked.question_id}", VILLAGER)
    assert done.text == again.text == messages.HANDOFF_DONE
    assert (done.outcome, again.outcome) == ("handoff", None)  # staff are told once
    assert asked.question_id is not None
    question = await store.get_question(asked.question_id)
    assert question is not None
    assert (question.outcome, question.status, question.reply_to) == ("unknown", "open", "3001")
    assert "13812345678" not in question.text


@pytest.mark.parametrize("text", ["找个人问问", "俺要跟真人说", "转人工"])
async def test_a_request_for_a_person_with_nothing_before_passes_on_itself(
    matcher: Matcher, store: Store, text: str
) -> None:
    service = DialogueService(matcher, store, handoff=True)
    offer = await service.ask(text, VILLAGER)
    assert handoff_button(offer) == f"h:{offer.question_id}"
    assert offer.entry_id == "smalltalk.human"
    assert await store.queued_questions("open") == []  # queued only once handed off
    await service.press(f"h:{offer.question_id}", VILLAGER)
    assert [q.text for q in await store.queued_questions("open")] == [text]


async def test_none_of_these_offers_a_person_and_stats_count_hand_offs(
    matcher: Matcher, store: Store
) -> None:
    service = DialogueService(matcher, store, handoff=True)
    clarify = await service.ask("补助", VILLAGER)
    assert clarify.outcome == "clarify"
    none = await service.press(f"n:{clarify.question_id}", VILLAGER)
    assert none.text.startswith(messages.NONE_OF_THESE_REPLY)
    assert handoff_button(none) == f"h:{clarify.question_id}"
    assert (await service.press(f"h:{clarify.question_id}", VILLAGER)).outcome == "handoff"
    stats = await collect_stats(store, days=7, now=dt.datetime.now(dt.UTC))
    assert stats.period.handoffs == stats.today.handoffs == 1
    assert messages.STATS_HANDOFFS.format(handoffs=1) in stats.to_text()
    assert stats.to_dict()["period"]["handoffs"] == 1  # type: ignore[index]


ADMIN = 3900
ON_TELEGRAM = 3901


async def test_on_telegram_the_admins_get_it_and_their_reply_reaches_the_villager(
    tmp_path: Path, matcher: Matcher
) -> None:
    question = "俺家想申请低保 俺电话13812345678"
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        await bot.say(ON_TELEGRAM, question)
        [offer] = await bot.say(ON_TELEGRAM, "我要找人工")
        data = next(d for _, d in offer.buttons() if d.startswith("h:"))
        qid = int(data.split(":")[1])
        before = len(bot.fake.messages(ADMIN))
        [done] = await bot.tap(ON_TELEGRAM, data)
        await bot.wait_for(lambda: len(bot.fake.messages(ADMIN)) > before)
        [told] = bot.fake.messages(ADMIN)[before:]
        [twice] = await bot.tap(ON_TELEGRAM, data)
        [preview] = await bot.command(ADMIN, f"/reply {qid} 低保去乡镇民政办申请，带上户口本。")
        await bot.tap(ADMIN, preview.buttons()[0][1])
        await bot.wait_for(lambda: "户口本" in bot.fake.messages(ON_TELEGRAM)[-1].text)
        rows = await db_rows(
            bot.settings.db_path, "SELECT COUNT(*) FROM questions WHERE handed_off_at IS NOT NULL"
        )
    assert done.text == twice.text == messages.HANDOFF_DONE
    assert f"#{qid}" in told.text
    assert f"/reply {qid}" in told.text
    assert "138****5678" in told.text
    assert "13812345678" not in told.text
    # the hand-off once, the /reply preview and its summary
    assert len(bot.fake.messages(ADMIN)) == before + 3
    assert rows == [(1,)]
