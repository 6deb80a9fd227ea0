"""End to end over HTTP: staff commands (POLICYBOT_ADMINS) and the refusal everyone else gets."""

from __future__ import annotations

import asyncio
import io
import json
import re
import shutil
from pathlib import Path

import pytest

from bot import messages
from bot.cli import main
from bot.config import DEFAULT_KB
from bot.understand import Matcher
from handlers.upkeep import KnowledgeWatch
from tests.fakes.botapi import command_update
from tests.fakes.telegram_app import db_rows, running_bot

ADMIN = 9001
VILLAGER = 4001
GROUP = {"id": -100777, "type": "supergroup", "title": "东沟村群"}
PROBLEM_LINE = re.compile(r"^\S+\.yaml:\d+: .+$")
UNKNOWN = "美国大选谁赢了"
GROUP_LINE = re.compile(r"^#(\d+) ×(\d+)")


async def policybot(*argv: str, db: Path) -> tuple[int, str]:
    """Run the `policybot` CLI (its own event loop) beside the running bot."""
    out = io.StringIO()
    env = {"POLICYBOT_DB": str(db)}
    code = await asyncio.to_thread(main, list(argv), env=env, stdout=out, stderr=io.StringIO())
    return code, out.getvalue()


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """An editable copy of the shipped knowledge base (the shipped lexicon is used)."""
    path = tmp_path / "kb" / "policies.yaml"
    path.parent.mkdir()
    shutil.copy(DEFAULT_KB, path)
    return path


@pytest.mark.parametrize(
    "command",
    ["/stats", "/unanswered", "/reply 1 答案", "/ignore 1", "/report", "/export", "/reload"],
)
async def test_staff_commands_politely_refuse_villagers_and_reveal_nothing(
    tmp_path: Path, matcher: Matcher, command: str
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        await bot.say(VILLAGER, "美国大选谁赢了")  # something staff could see
        [refusal] = await bot.command(VILLAGER, command)
        in_group = await bot.exchange(command_update(ADMIN, command, chat=GROUP), -100777)
    assert refusal.text == messages.ADMIN_ONLY
    assert refusal.buttons() == []
    # Staff output stays in private chats, even for an admin.
    assert [c.text for c in in_group] == [messages.ADMIN_ONLY]


async def test_reload_serves_the_edited_knowledge_base(
    tmp_path: Path, matcher: Matcher, kb_copy: Path
) -> None:
    text = await asyncio.to_thread(kb_copy.read_text, encoding="utf-8")
    assert "每生每年3000元" in text
    async with running_bot(tmp_path, matcher, admins=[ADMIN], kb_path=kb_copy) as bot:
        [before] = await bot.say(VILLAGER, "雨露计划补多少钱")
        await asyncio.to_thread(
            kb_copy.write_text, text.replace("每生每年3000元", "每生每年3500元"), encoding="utf-8"
        )
        [done] = await bot.command(ADMIN, "/reload")
        [after] = await bot.say(VILLAGER, "雨露计划补多少钱")
    assert "3000元" in before.text
    assert done.text == messages.RELOAD_OK.format(entries=len(matcher.kb.entries))
    assert "3500元" in after.text


async def test_reload_of_a_broken_file_keeps_the_old_one_and_lists_file_line_problems(
    tmp_path: Path, matcher: Matcher, kb_copy: Path
) -> None:
    text = await asyncio.to_thread(kb_copy.read_text, encoding="utf-8")
    broken = text.replace("每生每年3000元", "每生每年9999元", 1).replace(
        "\n  source:", "\n  sauce:", 1
    )
    async with running_bot(tmp_path, matcher, admins=[ADMIN], kb_path=kb_copy) as bot:
        await asyncio.to_thread(kb_copy.write_text, broken, encoding="utf-8")
        [failed] = await bot.command(ADMIN, "/reload")
        await asyncio.to_thread(kb_copy.write_text, "entries: [\n", encoding="utf-8")
        [syntax] = await bot.command(ADMIN, "/reload")
        [still] = await bot.say(VILLAGER, "雨露计划补多少钱")
    head, _, problems = failed.text.partition("\n")
    assert messages.RELOAD_FAILED.startswith(head)
    lines = problems.splitlines()
    assert lines
    assert all(PROBLEM_LINE.match(line) for line in lines), lines
    assert all(line.startswith(str(kb_copy)) for line in lines)
    assert PROBLEM_LINE.match(syntax.text.splitlines()[-1])
    assert "3000元" in still.text


async def test_stats_gives_staff_today_and_seven_days(tmp_path: Path, matcher: Matcher) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        [first] = await bot.say(4001, "低保咋申请")
        await bot.say(4002, "低保咋申请")
        await bot.say(4003, "贷款的事")
        await bot.say(4004, UNKNOWN)
        qid = int(first.buttons()[0][1].split(":")[1])
        await bot.tap(4001, f"f:{qid}:1")
        [stats] = await bot.command(ADMIN, "/stats")
    lines = stats.text.splitlines()
    figures = {"questions": 4, "answered": 50, "clarified": 25, "unknown": 25}
    assert messages.STATS_LINE.format(label=messages.STATS_TODAY, **figures) in lines
    period = messages.STATS_PERIOD.format(days=7)
    assert messages.STATS_LINE.format(label=period, **figures) in lines
    assert messages.STATS_FEEDBACK.format(useful=1, not_useful=0) in lines
    assert messages.STATS_TOPIC.format(rank=1, title="低保", count=2) in lines


async def test_unanswered_lists_groups_with_counts_and_ids(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        [empty] = await bot.command(ADMIN, "/unanswered")
        for villager in (4001, 4002, 4003):
            await bot.say(villager, UNKNOWN)
        await bot.say(4004, "低保咋申请")  # answered: not listed
        [listing] = await bot.command(ADMIN, "/unanswered")
        asked = await db_rows(
            bot.settings.db_path, "SELECT id FROM questions WHERE outcome = 'unknown'"
        )
    assert empty.text == messages.UNANSWERED_NONE
    groups = [GROUP_LINE.match(line) for line in listing.text.splitlines()]
    found = [(int(m[1]), int(m[2])) for m in groups if m]
    assert found == [(min(row[0] for row in asked), 3)]  # type: ignore[type-var]
    assert UNKNOWN in listing.text


async def test_reply_sends_the_answer_to_every_asker_once_and_resolves(
    tmp_path: Path, matcher: Matcher
) -> None:
    answer = "这个我们答不了，请看新闻。"
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        for villager in (4001, 4002, 4001, 4003):
            await bot.say(villager, UNKNOWN)
        bot.fake.fail("sendMessage", status=403, chat_id=4003)  # 4003 blocked the bot since
        [listing] = await bot.command(ADMIN, "/unanswered")
        group = int(next(m for m in map(GROUP_LINE.match, listing.text.splitlines()) if m)[1])
        [usage] = await bot.command(ADMIN, "/reply")
        [missing] = await bot.command(ADMIN, "/reply 999999 不存在")
        [preview] = await bot.command(ADMIN, f"/reply {group} {answer}")
        [done] = await bot.tap(ADMIN, preview.buttons()[0][1])
        await bot.idle()
        statuses = await db_rows(bot.settings.db_path, "SELECT status FROM unanswered")
        code, still_open = await policybot("log", "unanswered", "--json", db=bot.settings.db_path)
    editor_reply = messages.EDITOR_REPLY.format(question=UNKNOWN, answer=answer)
    for villager in (4001, 4002):
        got = [c.text for c in bot.fake.messages(villager)]
        assert got.count(editor_reply) == 1  # 4001 asked twice, gets it once
    assert editor_reply not in [c.text for c in bot.fake.messages(4003)]
    assert usage.text == messages.REPLY_USAGE
    assert missing.text == messages.REPLY_NOT_FOUND.format(id=999999)
    assert done.text == messages.REPLY_DONE.format(
        id=group, questions=4, sent=2, failed=1, pending=0
    )
    assert statuses
    assert all(s == ("resolved",) for s in statuses)
    assert code == 0
    assert json.loads(still_open) == []


async def test_unanswered_question_shows_in_the_log_cli_and_cli_answers_are_delivered(
    tmp_path: Path, matcher: Matcher
) -> None:
    answer = "找村委会。"
    async with running_bot(tmp_path, matcher, admins=[ADMIN], upkeep_interval=0.2) as bot:
        await bot.say(4001, UNKNOWN)
        code, listed = await policybot("log", "unanswered", "--json", db=bot.settings.db_path)
        [group] = json.loads(listed)
        resolved, _ = await policybot(
            "log",
            "resolve",
            str(group["id"]),
            "--answer",
            answer,
            "--yes",
            db=bot.settings.db_path,
        )
        editor_reply = messages.EDITOR_REPLY.format(question=UNKNOWN, answer=answer)
        await bot.wait_for(lambda: editor_reply in [c.text for c in bot.fake.messages(4001)])
        await asyncio.sleep(0.5)  # a few more sweeps: it must not be sent again
        sent = [c.text for c in bot.fake.messages(4001)].count(editor_reply)
    assert code == 0
    assert resolved == 0
    assert group["count"] == 1
    assert UNKNOWN in group["examples"]
    assert sent == 1


async def test_without_any_admins_configured_everyone_is_refused(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:  # POLICYBOT_ADMINS is empty
        replies = [(await bot.command(ADMIN, c))[0] for c in ("/stats", "/unanswered")]
    assert [r.text for r in replies] == [messages.ADMIN_ONLY] * 2


async def test_an_edited_knowledge_base_is_picked_up_without_reload_and_a_broken_one_is_not(
    tmp_path: Path, matcher: Matcher, kb_copy: Path, caplog: pytest.LogCaptureFixture
) -> None:
    text = await asyncio.to_thread(kb_copy.read_text, encoding="utf-8")
    edited = text.replace("每生每年3000元", "每生每年3500元")
    async with running_bot(tmp_path, matcher, kb_path=kb_copy, upkeep_interval=0.1) as bot:
        await asyncio.to_thread(kb_copy.write_text, edited, encoding="utf-8")
        await bot.wait_for(lambda: bot.service.matcher is not matcher)
        [after] = await bot.say(VILLAGER, "雨露计划补多少钱")
        serving = bot.service.matcher
        broken = edited.replace("3500元", "9999元").replace("\n  answer:", "\n  answr:", 1)
        await asyncio.to_thread(kb_copy.write_text, broken, encoding="utf-8")
        await bot.wait_for(lambda: "reload refused" in caplog.text)
        await asyncio.sleep(0.3)  # a few more sweeps
        [still] = await bot.say(VILLAGER, "雨露计划补多少钱")
    assert "3500元" in after.text
    assert bot.service.matcher is serving
    assert "3500元" in still.text
    assert caplog.text.count("reload refused") == 1  # once per edit, not every sweep


def test_the_knowledge_watch_waits_until_a_save_has_settled(tmp_path: Path) -> None:
    kb = tmp_path / "policies.yaml"
    kb.write_text("version: 1\n", encoding="utf-8")
    watch = KnowledgeWatch(kb)
    assert not watch.changed()
    kb.write_text("version: 1\nentries:\n", encoding="utf-8")  # an editor's save begins
    assert not watch.changed()  # seen once: maybe still being written
    kb.write_text("version: 1\nentries: []\n", encoding="utf-8")  # …and goes on
    assert not watch.changed()
    assert watch.changed()  # the same for a whole sweep: now it counts, once
    assert not watch.changed()
    kb.unlink()  # a deleted file is a change too, after it settles
    assert not watch.changed()
    assert watch.changed()
