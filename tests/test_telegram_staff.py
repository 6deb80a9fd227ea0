"""End to end over HTTP: staff commands (POLICYBOT_ADMINS) and the refusal everyone else gets."""

from __future__ import annotations

import asyncio
import re
import shutil
from pathlib import Path

import pytest

from bot import messages
from bot.config import DEFAULT_KB
from bot.match import Matcher
from tests.fakes.botapi import command_update
from tests.fakes.telegram_app import running_bot

ADMIN = 9001
VILLAGER = 4001
GROUP = {"id": -100777, "type": "supergroup", "title": "东沟村群"}
PROBLEM_LINE = re.compile(r"^\S+\.yaml:\d+: .+$")


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    """An editable copy of the shipped knowledge base (the shipped lexicon is used)."""
    path = tmp_path / "kb" / "policies.yaml"
    path.parent.mkdir()
    shutil.copy(DEFAULT_KB, path)
    return path


@pytest.mark.parametrize("command", ["/reload"])
async def test_staff_commands_politely_refuse_villagers_and_reveal_nothing(
    tmp_path: Path, matcher: Matcher, command: str
) -> None:
    async with running_bot(tmp_path, matcher, admins=[ADMIN]) as bot:
        await bot.say(VILLAGER, "村口那棵老槐树归谁管")  # something staff could see
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
