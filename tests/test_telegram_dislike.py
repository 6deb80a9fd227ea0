"""End to end over HTTP: a 👎 on Telegram lands in `policybot log unanswered` with its comment."""

from __future__ import annotations

import asyncio
import io
import json
from pathlib import Path

from bot import messages
from bot.cli import main
from bot.understand import Matcher
from tests.fakes.telegram_app import running_bot
from tests.test_telegram_villager import question_id

VILLAGER = 1001
OTHER = 1002


async def policybot(*argv: str, db: Path) -> str:
    """Run the CLI in a thread (it starts its own event loop)."""
    return await asyncio.to_thread(_policybot, list(argv), db)


def _policybot(argv: list[str], db: Path) -> str:
    out = io.StringIO()
    code = main(argv, env={"POLICYBOT_DB": str(db)}, stdout=out, stderr=io.StringIO())
    assert code == 0
    return out.getvalue()


async def test_a_dislike_and_its_comment_reach_log_unanswered(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        [answer] = await bot.say(VILLAGER, "低保咋申请")
        qid = question_id(answer.buttons(), "f:")
        [forged] = await bot.tap(OTHER, f"f:{qid}:0")  # someone else's question
        [unknown] = await bot.tap(VILLAGER, "f:987654:0")  # no such question
        [asked] = await bot.tap(VILLAGER, f"f:{qid}:0")
        [again] = await bot.tap(VILLAGER, f"f:{qid}:0")  # 👎 twice
        [thanks] = await bot.say(VILLAGER, "没说要带啥材料")
        db = bot.settings.db_path
    assert forged.text == unknown.text == messages.STALE_BUTTON
    assert asked.text == again.text == messages.FEEDBACK_ASK
    assert thanks.text == messages.COMMENT_THANKS
    listed = await policybot("log", "unanswered", db=db)
    assert "👎 不满意 1 问" in listed
    assert "没说要带啥材料" in listed
    [group] = json.loads(await policybot("log", "unanswered", "--json", db=db))
    assert group["question_ids"] == [qid]
    assert group["disliked"] == 1
    assert group["comments"] == ["没说要带啥材料"]


async def test_taps_on_telegram_carry_votes_and_a_changed_vote_leaves_the_queue(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with running_bot(tmp_path, matcher) as bot:
        [answer] = await bot.say(VILLAGER, "低保咋申请")
        related = next(d for _, d in answer.buttons() if d.startswith("e:"))
        [topic] = await bot.tap(VILLAGER, related)
        tap = question_id(topic.buttons(), "f:")
        [forged] = await bot.tap(OTHER, f"f:{tap}:1")
        [asked] = await bot.tap(VILLAGER, f"f:{tap}:0")
        db = bot.settings.db_path
        queued = json.loads(await policybot("log", "unanswered", "--json", db=db))
        [thanks] = await bot.tap(VILLAGER, f"f:{tap}:1")  # changed their mind
        [clarify] = await bot.say(VILLAGER, "贷款的事")
        qid = question_id(clarify.buttons(), "n:")
        [chosen] = await bot.tap(VILLAGER, clarify.buttons()[0][1])
    assert tap != question_id(answer.buttons(), "f:")
    assert (messages.USEFUL, f"f:{tap}:1") in topic.buttons()
    assert forged.text == messages.STALE_BUTTON
    assert asked.text == messages.FEEDBACK_ASK
    assert [g["question_ids"] for g in queued] == [[tap]]
    assert thanks.text == messages.FEEDBACK_THANKS
    assert (messages.NOT_USEFUL, f"f:{qid}:0") in chosen.buttons()
    assert json.loads(await policybot("log", "unanswered", "--json", db=db)) == []
