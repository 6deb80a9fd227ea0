"""End to end over HTTP: /reply and /ignore preview first and act only on the admin's 确认;
re-answering sends a 【更正】; /report sends the picture, /export the .xlsx."""

from __future__ import annotations

import io
import sys
from pathlib import Path

import openpyxl
import pytest

from bot import messages
from bot.understand import Matcher
from tests.fakes.botapi import command_update
from tests.fakes.telegram_app import BotUnderTest, db_rows, running_bot

ADMIN = 9001
OTHER_ADMIN = 9002
VILLAGERS = (4001, 4002)
UNKNOWN = "美国大选谁赢了"
ANSWER = "这个我们答不了，请看新闻。"


async def asked(bot: BotUnderTest) -> int:
    """Two villagers ask the same unknown question; the group's id."""
    for villager in VILLAGERS:
        await bot.say(villager, UNKNOWN)
    rows = await db_rows(bot.settings.db_path, "SELECT min(question_id) FROM unanswered")
    return int(str(rows[0][0]))


def got(bot: BotUnderTest, villager: int, answer: str) -> int:
    """How many times `villager` received the editor's `answer` to UNKNOWN."""
    text = messages.EDITOR_REPLY.format(question=UNKNOWN, answer=answer)
    return [c.text for c in bot.fake.messages(villager)].count(text)


async def test_reply_previews_and_sends_only_on_confirm_and_only_once(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        group = await asked(bot)
        [preview] = await bot.command(ADMIN, f"/reply {group} {ANSWER}")
        before = [got(bot, v, ANSWER) for v in VILLAGERS]
        (confirm_label, confirm), (cancel_label, _) = preview.buttons()
        [done] = await bot.tap(ADMIN, confirm)
        [again] = await bot.tap(ADMIN, confirm)  # a second tap sends nothing more
        after = [got(bot, v, ANSWER) for v in VILLAGERS]
        edits = bot.fake.calls("editMessageReplyMarkup", chat_id=ADMIN)
    assert f"「{UNKNOWN}」" in preview.text
    assert len(edits) == 1  # the buttons are taken off the preview once it is confirmed
    assert messages.EDITOR_REPLY.format(question=UNKNOWN, answer=ANSWER) in preview.text
    assert (confirm_label, cancel_label) == (messages.CONFIRM_BUTTON, messages.CANCEL_BUTTON)
    assert len(confirm.encode()) <= 64
    assert before == [0, 0]
    assert done.text == messages.REPLY_DONE.format(
        id=group, questions=2, sent=2, failed=0, pending=0
    )
    assert again.text == messages.CONFIRM_STALE
    assert after == [1, 1]


async def test_cancel_sends_nothing_and_leaves_the_group_open(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        group = await asked(bot)
        [preview] = await bot.command(ADMIN, f"/reply {group} {ANSWER}")
        (_, confirm), (_, cancel) = preview.buttons()
        [cancelled] = await bot.tap(ADMIN, cancel)
        [stale] = await bot.tap(ADMIN, confirm)  # cancelled: its 确认 is gone too
        statuses = await db_rows(bot.settings.db_path, "SELECT status FROM unanswered")
    assert cancelled.text == messages.STAFF_CANCELLED
    assert stale.text == messages.CONFIRM_STALE
    assert [got(bot, v, ANSWER) for v in VILLAGERS] == [0, 0]
    assert statuses == [("open",), ("open",)]


async def test_staff_buttons_refuse_villagers_other_admins_and_forged_tokens(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN, OTHER_ADMIN]) as bot:
        group = await asked(bot)
        [preview] = await bot.command(ADMIN, f"/reply {group} {ANSWER}")
        confirm = preview.buttons()[0][1]
        [villager] = await bot.tap(VILLAGERS[0], confirm)
        [other] = await bot.tap(OTHER_ADMIN, confirm)
        forged = [
            (await bot.tap(ADMIN, data))[0].text
            for data in ("s:ok:AAAAAAAAAAAAAAAA", "s:ok:" + confirm[5:-1], "s:ok:../../x", "s:")
        ]
        delivered_before = [got(bot, v, ANSWER) for v in VILLAGERS]
        [done] = await bot.tap(ADMIN, confirm)  # the admin's own button still works
    assert villager.text == messages.ADMIN_ONLY
    assert other.text == messages.CONFIRM_STALE
    assert forged == [messages.CONFIRM_STALE] * 4
    assert delivered_before == [0, 0]
    assert done.text.startswith(f"问题 #{group} 已解决")
    assert [got(bot, v, ANSWER) for v in VILLAGERS] == [1, 1]


async def test_reanswering_sends_a_correction_and_keeps_the_first_answer(
    tmp_path: Path, matcher: Matcher
) -> None:
    fixed = "这个问题不属于扶贫政策，请看新闻。"
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        group = await asked(bot)
        [first] = await bot.command(ADMIN, f"/reply {group} {ANSWER}")
        await bot.tap(ADMIN, first.buttons()[0][1])
        [slip] = await bot.command(ADMIN, f"/reply {group} 好")
        [preview] = await bot.command(ADMIN, f"/reply {group} {fixed}")
        [done] = await bot.tap(ADMIN, preview.buttons()[0][1])
        kept = await db_rows(bot.settings.db_path, "SELECT DISTINCT answer FROM answer_history")
        audit = await db_rows(bot.settings.db_path, "SELECT staff, action FROM audit ORDER BY id")
    correction = messages.CORRECTION.format(answer=fixed)
    assert slip.text == messages.ANSWER_SLIP.format(answer="好")
    assert "【更正】" in preview.text
    assert messages.PREVIEW_EARLIER.format(answer=ANSWER) in preview.text
    assert done.text == messages.REPLY_CORRECTED.format(
        id=group, questions=2, sent=2, failed=0, pending=0
    )
    assert [got(bot, v, ANSWER) for v in VILLAGERS] == [1, 1]
    assert [got(bot, v, correction) for v in VILLAGERS] == [1, 1]
    assert kept == [(ANSWER,)]
    assert audit == [(f"telegram:{ADMIN}", "answer"), (f"telegram:{ADMIN}", "correct")]


async def test_ignore_previews_and_sets_the_group_aside_on_confirm(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        group = await asked(bot)
        [usage] = await bot.command(ADMIN, "/ignore")
        [preview] = await bot.command(ADMIN, f"/ignore {group}")
        open_before = await db_rows(bot.settings.db_path, "SELECT status FROM unanswered")
        [done] = await bot.tap(ADMIN, preview.buttons()[0][1])
        statuses = await db_rows(bot.settings.db_path, "SELECT status FROM unanswered")
    assert usage.text == messages.IGNORE_USAGE
    assert preview.text.startswith(messages.PREVIEW_IGNORE.format(id=group, questions=2))
    assert f"「{UNKNOWN}」" in preview.text
    assert preview.buttons()[0][0] == messages.CONFIRM_IGNORE_BUTTON
    assert open_before == [("open",), ("open",)]
    assert done.text == messages.IGNORE_DONE.format(id=group, questions=2)
    assert statuses == [("ignored",), ("ignored",)]
    assert all(len(bot.fake.messages(v)) == 1 for v in VILLAGERS)  # only the bot's own reply


async def test_report_sends_the_picture_as_a_photo(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        await asked(bot)
        bot.fake.push(command_update(ADMIN, "/report"))
        await bot.wait_for(lambda: bot.fake.calls("sendPhoto", chat_id=ADMIN), within=60)
        [photo] = bot.fake.calls("sendPhoto", chat_id=ADMIN)
    picture = photo.params["photo"]
    assert isinstance(picture, bytes)
    assert picture.startswith(b"\x89PNG\r\n\x1a\n")
    assert photo.params["caption"] == messages.STAFF_REPORT_CAPTION.format(days=14)


async def test_report_without_matplotlib_says_so_in_plain_words(
    tmp_path: Path, matcher: Matcher, monkeypatch: pytest.MonkeyPatch
) -> None:
    # as on an install without the `report` extra: `import matplotlib` fails
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    monkeypatch.delitem(sys.modules, "bot.review.report", raising=False)
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        [reply] = await bot.command(ADMIN, "/report")
    assert reply.text == messages.STAFF_REPORT_MISSING
    assert bot.fake.calls("sendPhoto") == []


async def test_export_sends_an_xlsx_document_that_opens(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        [empty] = await bot.command(ADMIN, "/export")
        await asked(bot)
        bot.fake.push(command_update(ADMIN, "/export"))
        await bot.wait_for(lambda: bot.fake.calls("sendDocument", chat_id=ADMIN), within=30)
        [document] = bot.fake.calls("sendDocument", chat_id=ADMIN)
    assert empty.text == messages.STAFF_EXPORT_EMPTY
    book = openpyxl.load_workbook(io.BytesIO(document.params["document"]))
    rows = list(book.active.iter_rows(values_only=True))  # type: ignore[union-attr]
    assert rows[0] == messages.RECORD_HEADERS
    assert [r[3] for r in rows[1:]] == [UNKNOWN, UNKNOWN]
    assert messages.STAFF_EXPORT_CAPTION.format(count=2) == document.params["caption"]
