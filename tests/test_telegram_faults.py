"""End to end over HTTP: Telegram faults, load and floods (real PTB Application, fake Bot API)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
from telegram.ext import TypeHandler

from bot import messages
from bot.config import DEFAULT_KB, Settings
from bot.dialogue import FLOOD_LIMIT, FloodLimiter
from bot.knowledge import fit_opening
from bot.understand import Matcher
from handlers.app import build_application
from handlers.transport import ChatRateLimiter
from tests.conftest import ROOT
from tests.fakes.botapi import TOKEN, callback_update, message_update
from tests.fakes.telegram_app import db_rows, running_bot

VILLAGER = 2001
OTHER = 2002


async def test_429_is_retried_after_retry_after_and_delivered_once(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        bot.fake.fail("sendMessage", status=429, retry_after=1)
        [reply] = await bot.say(VILLAGER, "低保咋申请")
        refused = bot.fake.calls("sendMessage", ok=False)
    assert "低保" in reply.text
    assert [c.status for c in refused] == [429]
    assert reply.at - refused[0].at >= 1.0  # waited as Telegram asked


async def test_5xx_is_retried_without_duplicates(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        bot.fake.fail("sendMessage", status=502, times=2)
        [reply] = await bot.say(VILLAGER, "低保咋申请")
        failed = bot.fake.calls("sendMessage", ok=False)
    assert "低保" in reply.text
    assert [c.status for c in failed] == [502, 502]
    assert {c.text for c in failed} == {reply.text}


async def test_5xx_that_persists_ends_in_an_apology_and_the_bot_goes_on(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        bot.fake.fail("sendMessage", status=500, times=3)  # the first try and both retries
        [apology] = await bot.say(VILLAGER, "低保咋申请")
        [later] = await bot.say(VILLAGER, "低保咋申请")
    assert apology.text == messages.ERROR
    assert "低保" in later.text


async def test_read_timeout_is_not_retried_so_no_duplicate_reply(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, read_timeout=0.5) as bot:
        # Telegram delivers the message but answers after our read timeout.
        bot.fake.fail("sendMessage", status=200, delay=1.5)
        [late] = await bot.say(VILLAGER, "低保咋申请")
        await asyncio.sleep(0.5)
        await bot.idle()
        everything = bot.fake.calls("sendMessage", chat_id=VILLAGER, ok=None)
        [next_reply] = await bot.say(VILLAGER, "雨露计划补多少钱")
    assert "低保" in late.text
    assert everything == [late]  # no retry, and no apology after an answer that arrived
    assert "3000元" in next_reply.text


async def test_villager_who_blocked_the_bot_costs_nothing_else(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        bot.fake.fail("sendMessage", status=403, chat_id=VILLAGER, times=100)
        bot.fake.push(message_update(VILLAGER, text="低保咋申请"))
        [other] = await bot.say(OTHER, "低保咋申请")
        await bot.idle()
        to_blocker = bot.fake.calls("sendMessage", chat_id=VILLAGER, ok=None)
    assert "低保" in other.text
    assert [c.status for c in to_blocker] == [403]  # no retry, no apology into the void


@pytest.mark.slow  # a real process or real seconds of waiting
async def test_polling_resumes_after_get_updates_fails_for_a_while(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, read_timeout=0.5) as bot:
        bot.fake.fail("getUpdates", status=502, times=2)
        bot.fake.fail("getUpdates", status=429, retry_after=1)
        bot.fake.fail("getUpdates", status=200, delay=2.5)  # beyond the read timeout
        [reply] = await bot.say(VILLAGER, "低保咋申请")
        failures = [c.status for c in bot.fake.calls("getUpdates", ok=False)]
    assert "低保" in reply.text
    assert sorted(failures) == [429, 502, 502]
    assert len(bot.fake.messages(VILLAGER)) == 1


@pytest.mark.slow
async def test_thirty_villagers_asking_five_questions_at_once_all_get_answers_in_order(
    tmp_path: Path, matcher: Matcher
) -> None:
    questions = ["低保咋申请", "雨露计划补多少钱", "看病能报多少", "危房改造补多少钱", "谢谢"]
    expected = [matcher.best_match(q).entry_id for q in questions]
    villagers = range(3001, 3031)
    async with running_bot(tmp_path, matcher, rate_limiter=ChatRateLimiter()) as bot:
        for round_ in range(len(questions)):
            for user in villagers:
                bot.fake.push(message_update(user, text=questions[round_]))
        await bot.wait_for(lambda: len(bot.fake.messages()) >= 150, within=60)
        await bot.idle()
        sent = bot.fake.messages()
        logged = await db_rows(bot.settings.db_path, "SELECT COUNT(*) FROM questions")
    assert logged == [(150,)]
    assert len(sent) == 150
    for user in villagers:
        replies = bot.fake.messages(user)
        assert len(replies) == len(questions)
        for reply, entry_id, question in zip(replies, expected, questions, strict=True):
            entry = matcher.kb.get(entry_id or "")
            assert entry is not None
            # in the order they were asked
            assert reply.text.startswith(fit_opening(entry.answer, question))
        # one chat: a burst of 3, then one a second
        assert replies[-1].at - replies[0].at >= 1.5
    # overall: Telegram's ~30 messages a second
    assert sent[-1].at - sent[0].at >= (150 - 60) / 30


@pytest.mark.slow
async def test_flood_gets_one_slow_down_is_not_stored_and_does_not_hold_up_others(
    tmp_path: Path, matcher: Matcher
) -> None:
    now = [1000.0]
    flood = FloodLimiter(clock=lambda: now[0])
    limiter = ChatRateLimiter()  # the flood is worked off at Telegram's pace
    async with running_bot(tmp_path, matcher, flood=flood, rate_limiter=limiter) as bot:
        for _ in range(300):  # more than PTB's default 256 concurrent updates
            bot.fake.push(message_update(VILLAGER, text="低保咋申请"))
        [other] = await bot.say(OTHER, "雨露计划补多少钱", within=60)
        await bot.wait_for(lambda: len(bot.fake.messages(VILLAGER)) >= 21, within=60)
        await bot.idle()
        flooded = bot.fake.messages(VILLAGER)
        stored = await db_rows(bot.settings.db_path, "SELECT COUNT(*) FROM questions")
        now[0] += 61  # a minute's pause
        [again] = await bot.say(VILLAGER, "低保咋申请")
    assert "3000元" in other.text
    assert other.at < flooded[-1].at  # answered while the flood was still being worked off
    assert len(flooded) == 21
    assert [c.text for c in flooded].count(messages.SLOW_DOWN) == 1
    assert flooded[-1].text == messages.SLOW_DOWN
    assert stored == [(21,)]  # 20 of the flood and the other villager's question
    assert "低保" in again.text


async def test_button_taps_survive_failing_callback_answers_and_edits(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        bot.fake.fail(
            "answerCallbackQuery", status=400, description="Bad Request: query is too old"
        )
        bot.fake.fail(
            "editMessageText", status=400, description="Bad Request: message to edit not found"
        )
        [menu] = await bot.tap(VILLAGER, "m")
        bot.fake.fail(
            "editMessageText", status=400, description="Bad Request: message is not modified"
        )
        await bot.tap(VILLAGER, "m", expect=0)
        replies = bot.replies(VILLAGER)
    assert menu.method == "sendMessage"  # the edit failed, so a new message
    assert menu.text == messages.MENU_PROMPT
    assert replies == [menu]  # "not modified": already on screen, nothing sent


def test_the_flood_limit_is_one_gate_in_front_of_every_handler(
    tmp_path: Path, matcher: Matcher
) -> None:
    settings = Settings(kb_path=DEFAULT_KB, db_path=tmp_path / "db.sqlite3", token=TOKEN)
    app = build_application(settings, matcher)
    [gate] = app.handlers[-1]
    assert isinstance(gate, TypeHandler)
    for path in (ROOT / "handlers").glob("*.py"):
        calls = path.read_text(encoding="utf-8").count("admit(")
        # defined once in villager.py, called once, by the gate in app.py
        assert calls == (1 if path.name in ("app.py", "villager.py") else 0), path.name


async def test_a_flooded_villagers_taps_stop_at_the_gate_but_their_spinners_stop(
    tmp_path: Path, matcher: Matcher
) -> None:
    flood = FloodLimiter(clock=lambda: 1000.0)
    async with running_bot(tmp_path, matcher, flood=flood) as bot:
        for _ in range(FLOOD_LIMIT + 5):
            bot.fake.push(callback_update(VILLAGER, "m"))
        await bot.wait_for(
            lambda: len(bot.fake.calls("answerCallbackQuery")) >= FLOOD_LIMIT + 5, within=30
        )
        await bot.idle()
        texts = [c.text for c in bot.replies(VILLAGER)]
    assert texts.count(messages.SLOW_DOWN) == 1
    assert len(texts) == FLOOD_LIMIT + 1  # the menu each time under the limit, then one warning
