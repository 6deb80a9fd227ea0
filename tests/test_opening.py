"""Answers open in a way that fits the question (issue 10.5): no 「能，」「有。」「符合条件的可以
申请。」 before 「上哪申请」「咋办」「找谁」 or after a button tap; kept for 「能办不」."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest

from bot.dialogue import DialogueService, User
from bot.dialogue.reply import entry_reply
from bot.knowledge import KnowledgeBase
from bot.knowledge.opening import YES_OPENING, asks_yes_or_no, fit_opening
from bot.store import Store
from bot.understand import Matcher
from tests.test_cli import run

VILLAGER = User("test", "1001", "1001")
# what the first words of a reply to a how/where/who question must not be: a bare yes
BARE_YES = re.compile(
    r"^(?:符合条件的)?(?:能|可以|有|是的|还管|在推进)[^，。；！？]{0,5}[，。；！]"
)


@pytest.fixture
async def service(matcher: Matcher, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = await Store.open(tmp_path / "log.sqlite3")
    yield DialogueService(matcher, store)
    await store.close()


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("低保上哪申请", "social.dibao"),
        ("低保咋申请", "social.dibao"),
        ("小额贷款咋办", "finance.microcredit"),
        ("雨露计划找谁", "edu.yulu_plan"),
        ("护林员上哪报名", "eco.forest_ranger"),
        ("雨露计划一年给多少钱", "edu.yulu_plan"),
    ],
)
async def test_a_how_where_or_who_question_gets_no_bare_yes(
    service: DialogueService, kb: KnowledgeBase, question: str, entry_id: str
) -> None:
    reply = await service.ask(question, VILLAGER)
    entry = kb.get(entry_id)
    assert entry is not None
    assert reply.entry_id == entry_id
    assert BARE_YES.match(entry.answer)  # the knowledge base opens with a yes …
    assert not BARE_YES.match(reply.text)  # … which the reply leaves out
    assert not reply.text.startswith("能")
    assert entry.answer.endswith(reply.text.split("\n\n")[0])  # every fact after it is there


@pytest.mark.parametrize(
    ("question", "opening"),
    [
        ("我家能办低保不", "符合条件的可以申请。"),
        ("护林员俺能当不", "能，"),
        ("雨露计划能补不", "能补，"),
        ("贫困户有帮扶责任人吗", "有。"),
    ],
)
async def test_a_yes_or_no_question_keeps_the_yes(
    service: DialogueService, question: str, opening: str
) -> None:
    reply = await service.ask(question, VILLAGER)
    assert reply.text.startswith(opening)


async def test_a_follow_up_opens_to_fit_too(service: DialogueService) -> None:
    await service.ask("低保咋申请", VILLAGER)
    who = await service.ask("谁能办", VILLAGER)  # who qualifies: not yes or no
    mine = await service.ask("我家能办不", VILLAGER)
    assert who.entry_id == mine.entry_id == "social.dibao"
    assert "符合条件的可以申请" not in who.text
    assert "丧失劳动能力" in who.text  # who is covered, said without the yes
    assert "符合条件的可以申请" in mine.text


def test_no_shipped_answer_opens_with_a_bare_yes_after_a_how_question_or_a_tap(
    kb: KnowledgeBase,
) -> None:
    for entry in kb.entries:
        if entry.is_smalltalk:
            continue
        for asked in ("上哪申请", "咋办", "找谁", None):
            text = entry_reply(entry, kb, asked=asked).text
            assert not BARE_YES.match(text), (entry.id, asked)
            assert not re.match(r"(?:能|可以|是的)[，。！,]", text), (entry.id, asked)


@pytest.mark.parametrize(
    ("question", "yes_no"),
    [
        ("我家能办不", True),
        ("先看病后给钱是真的不？？", True),
        ("有没有补助", True),
        ("中不中啊", True),
        ("能申请吗~", True),
        ("上哪申请能行不", False),  # names where: the where is what is asked
        ("啥时候发不", False),
        ("低保上哪申请", False),
        ("那大病呢", False),
        ("", False),
        ("？？？", False),
        ("不" * 5000, True),
        ("\udcff\x00吗", True),
    ],
)
def test_what_counts_as_a_yes_or_no_question(question: str, yes_no: bool) -> None:
    assert asks_yes_or_no(question) is yes_no


@pytest.mark.parametrize(
    ("answer", "fitted"),
    [
        ("能。", "能。"),  # nothing but the yes: kept, never an empty answer
        ("能，到乡镇办。", "到乡镇办。"),
        (
            "可以申请特困人员供养（过去叫“五保”）。没有…",
            "可以申请特困人员供养（过去叫“五保”）。没有…",
        ),
        ("有劳动能力的可以申请就业帮扶。", "有劳动能力的可以申请就业帮扶。"),  # not a bare yes
        ("", ""),
    ],
)
def test_fit_opening_drops_only_a_bare_yes_clause(answer: str, fitted: str) -> None:
    assert fit_opening(answer, "上哪办") == fitted
    assert fit_opening(answer, "能办不") == answer
    assert YES_OPENING.pattern.startswith("^")


def test_piped_console_answers_a_where_question_without_a_yes(tmp_path: Path) -> None:
    code, out, _ = run(
        ["chat", "--no-greeting"],
        "低保上哪申请\n",
        env={"POLICYBOT_DB": str(tmp_path / "chat.sqlite3")},
    )
    assert code == 0
    first = next(line for line in out.splitlines() if line.strip())
    assert "纳入低保兜底" in first
    assert not BARE_YES.match(first)
    assert not first.startswith("能")


def test_match_prints_the_answer_as_the_villager_reads_it() -> None:
    lines = [json.dumps({"q": q}, ensure_ascii=False) for q in ("低保上哪申请", "我家能吃低保不")]
    code, out, _ = run(["match"], "\n".join(lines) + "\n")
    assert code == 0
    where, can = (json.loads(line) for line in out.splitlines())
    assert where["id"] == can["id"] == "social.dibao"
    assert not BARE_YES.match(where["answer"]), where["answer"][:20]
    assert BARE_YES.match(can["answer"]), "a yes-or-no question keeps its yes"
    assert can["answer"].endswith(where["answer"])
