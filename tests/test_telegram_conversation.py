"""A conversation on Telegram (real PTB Application, fake Bot API): follow-ups, typed menu
words, edited messages, captions and small talk, with the broken inputs of each path."""

from __future__ import annotations

from pathlib import Path

from bot import messages
from bot.understand import Matcher
from tests.fakes.botapi import BOT_USERNAME, message_update
from tests.fakes.telegram_app import db_rows, running_bot

VILLAGER = 2001
OTHER = 2002
GROUP = {"id": -100600, "type": "supergroup", "title": "西沟村群"}
PHOTO = {"photo": [{"file_id": "p1", "file_unique_id": "p1u", "width": 90, "height": 90}]}


async def test_a_three_turn_follow_up_conversation(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        [first] = await bot.say(VILLAGER, "低保咋申请")
        [materials] = await bot.say(VILLAGER, "那要啥材料")
        [whom] = await bot.say(VILLAGER, "找谁")
        rows = await db_rows(
            bot.settings.db_path, "SELECT text, entry_id, followup_of FROM questions ORDER BY id"
        )
    assert "应保尽保" in first.text
    prefix = messages.FOLLOWUP_PREFIX.format(title="低保")
    assert materials.text.startswith(prefix)
    assert whom.text.startswith(prefix)
    assert "乡镇民政办" in whom.text
    assert (messages.FULL_ANSWER, "e:social.dibao") in whom.buttons()
    assert rows == [
        ("低保咋申请", "social.dibao", None),
        ("那要啥材料", "social.dibao", "social.dibao"),
        ("找谁", "social.dibao", "social.dibao"),
    ]


async def test_one_villagers_topic_is_not_another_ones(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        await bot.say(VILLAGER, "低保咋申请")
        [other] = await bot.say(OTHER, "那要啥材料")
        rows = await db_rows(bot.settings.db_path, "SELECT followup_of FROM questions")
    assert not other.text.startswith(messages.FOLLOWUP_PREFIX.format(title="低保"))
    assert rows == [(None,), (None,)]


async def test_a_typed_category_name_opens_the_menu(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        [category] = await bot.say(VILLAGER, "教育")
        [menu] = await bot.say(VILLAGER, "菜单")
        rows = await db_rows(bot.settings.db_path, "SELECT COUNT(*) FROM questions")
    assert category.text == messages.CATEGORY_PROMPT.format(name="教育")
    assert ("雨露计划", "e:edu.yulu_plan") in category.buttons()
    assert menu.text == messages.MENU_PROMPT
    assert ("教育", "c:edu") in menu.buttons()
    assert rows == [(0,)]  # navigation, not questions


async def test_an_edited_message_is_answered_as_a_new_question(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        [typo] = await bot.say(VILLAGER, "雨")
        edited = message_update(VILLAGER, text="雨露计划补多少钱", kind="edited_message")
        [fixed] = await bot.exchange(edited, VILLAGER)
        rows = await db_rows(bot.settings.db_path, "SELECT text FROM questions ORDER BY id")
    assert "3000元" not in typo.text
    assert "3000元" in fixed.text
    assert rows == [("雨",), ("雨露计划补多少钱",)]


async def test_a_photo_caption_is_read_as_the_question(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        with_caption = message_update(VILLAGER, extra={**PHOTO, "caption": "这个雨露计划能补多少"})
        [answer] = await bot.exchange(with_caption, VILLAGER)
        blank = message_update(VILLAGER, extra={**PHOTO, "caption": "  "})
        [kind] = await bot.exchange(blank, VILLAGER)
    assert "3000元" in answer.text
    assert kind.text == messages.NON_TEXT


async def test_small_talk_is_answered_and_never_queued(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        await bot.say(VILLAGER, "低保咋申请")
        replies = [(await bot.say(VILLAGER, t))[0].text for t in ("好的", "👍", "哈哈", "再见")]
        queued = await db_rows(bot.settings.db_path, "SELECT COUNT(*) FROM unanswered")
        chat = await db_rows(
            bot.settings.db_path, "SELECT COUNT(*) FROM questions WHERE outcome = 'chat'"
        )
    assert replies == [messages.CHAT_OK, messages.CHAT_OK, messages.CHAT_LAUGH, messages.CHAT_BYE]
    assert queued == [(0,)]
    assert chat == [(4,)]


async def test_in_a_group_edits_and_captions_need_the_bot_addressed(
    tmp_path: Path, matcher: Matcher
) -> None:
    mention = f"@{BOT_USERNAME}"
    async with running_bot(tmp_path, matcher) as bot:
        chat = GROUP["id"]
        assert isinstance(chat, int)
        bot.fake.push(
            message_update(VILLAGER, text="低保咋申请", chat=GROUP, kind="edited_message")
        )
        bot.fake.push(message_update(VILLAGER, chat=GROUP, extra={**PHOTO, "caption": "低保"}))
        await bot.idle()
        assert bot.replies(chat) == []
        entity = {"type": "mention", "offset": 0, "length": len(mention)}
        caption = {**PHOTO, "caption": f"{mention} 雨露计划补多少", "caption_entities": [entity]}
        [answer] = await bot.exchange(message_update(VILLAGER, chat=GROUP, extra=caption), chat)
        rows = await db_rows(bot.settings.db_path, "SELECT text FROM questions")
    assert "3000元" in answer.text
    assert rows == [("雨露计划补多少",)]  # the mention taken out


async def test_an_edited_command_is_not_answered_twice(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        edited = message_update(
            VILLAGER,
            text="/start",
            entities=[{"type": "bot_command", "offset": 0, "length": 6}],
            kind="edited_message",
        )
        bot.fake.push(edited)
        await bot.idle()
        [still] = await bot.say(VILLAGER, "低保咋申请")
    assert bot.fake.messages() == [still]
