"""Follow-ups in the dialogue core: read against the chat's topic, logged as such, never leaked."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import messages
from bot.dialogue import CONTEXT_TTL, ContextMemory, DialogueService, User
from bot.store import Store
from bot.understand import Matcher

VILLAGER = User("test", "1001", "1001")
NEIGHBOUR = User("test", "1002", "1002")
IN_GROUP = User("test", "1001", "-100500")  # the same villager, in the village group


class Clock:
    """A monotonic clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def service(matcher: Matcher, tmp_path: Path, clock: Clock):  # type: ignore[no-untyped-def]
    store = await Store.open(tmp_path / "log.sqlite3")
    yield DialogueService(matcher, store, memory=ContextMemory(clock=clock))
    await store.close()


async def logged(service: DialogueService) -> list[tuple[str, str, str | None, str | None]]:
    """(text, outcome, entry id, followed-up entry) of every logged question, oldest first."""
    assert service.store is not None
    return [
        (q.text, q.outcome, q.entry_id, q.followup_of)
        async for q in service.store.iter_questions()
    ]


async def queued(service: DialogueService) -> list[str]:
    assert service.store is not None
    return [q.text for q in await service.store.queued_questions("open")]


async def test_three_turns_lean_on_the_answer_and_are_logged_as_follow_ups(
    service: DialogueService,
) -> None:
    first = await service.ask("低保咋申请", VILLAGER)
    materials = await service.ask("那要啥材料", VILLAGER)
    whom = await service.ask("找谁", VILLAGER)
    assert first.entry_id == materials.entry_id == whom.entry_id == "social.dibao"
    for reply in (materials, whom):
        assert reply.text.startswith(messages.FOLLOWUP_PREFIX.format(title="低保"))
        assert "乡镇民政办" in reply.text  # the answer's whom-to-ask line
        assert "依据：" in reply.text
        assert (messages.FULL_ANSWER, "e:social.dibao") in [
            (b.label, b.data) for row in reply.buttons for b in row
        ]
    assert "乡镇政府" in whom.text  # 找谁: where the application goes
    assert await logged(service) == [
        ("低保咋申请", "answer", "social.dibao", None),
        ("那要啥材料", "answer", "social.dibao", "social.dibao"),
        ("找谁", "answer", "social.dibao", "social.dibao"),
    ]


async def test_a_follow_up_naming_a_neighbouring_topic_gets_that_topic(
    service: DialogueService,
) -> None:
    await service.ask("先看病后给钱是真的不", VILLAGER)
    reply = await service.ask("那大病呢", VILLAGER)
    assert reply.entry_id == "health.major_illness"
    assert (await logged(service))[-1][2:] == (
        "health.major_illness",
        "health.treat_first_pay_later",
    )


async def test_a_follow_up_with_nothing_before_it_is_matched_alone(
    service: DialogueService, matcher: Matcher
) -> None:
    reply = await service.ask("那要啥材料", VILLAGER)
    alone = matcher.best_match("那要啥材料")
    assert reply.outcome == alone.outcome.value
    assert reply.entry_id == alone.entry_id
    assert (await logged(service))[-1][3] is None


async def test_the_topic_expires_after_a_few_minutes(
    service: DialogueService, clock: Clock
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    clock.now += CONTEXT_TTL - 1
    assert (await service.ask("多少钱", VILLAGER)).entry_id == "social.dibao"
    clock.now += CONTEXT_TTL + 1  # from the follow-up, which renewed the topic
    late = await service.ask("那要啥材料", VILLAGER)
    assert late.entry_id != "social.dibao"
    assert (await logged(service))[-1][3] is None


async def test_the_topic_never_leaks_to_another_villager_or_chat(
    service: DialogueService,
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    for other in (NEIGHBOUR, IN_GROUP):
        reply = await service.ask("那要啥材料", other)
        assert reply.entry_id != "social.dibao"
    assert [row[3] for row in await logged(service)] == [None, None, None]
    # and the villager's own chat still has it
    assert (await service.ask("那要啥材料", VILLAGER)).entry_id == "social.dibao"


async def test_a_new_topic_replaces_the_old_and_a_miss_forgets_it(
    service: DialogueService,
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    renovation = await service.ask("俺家房子漏雨 危房改造咋申请", VILLAGER)
    assert renovation.entry_id == "housing.dilapidated_renovation"
    assert (await service.ask("能补多少", VILLAGER)).entry_id == renovation.entry_id
    assert (await service.ask("美国大选谁赢了", VILLAGER)).outcome == "unknown"
    assert (await service.ask("能补多少", VILLAGER)).entry_id != renovation.entry_id


async def test_a_follow_up_on_a_referral_gets_the_referral_again(
    service: DialogueService,
) -> None:
    first = await service.ask("种粮补贴啥时候发", VILLAGER)
    again = await service.ask("一亩多少钱", VILLAGER)
    assert first.outcome == again.outcome == "unknown"
    assert again.text == first.text  # whom to ask; never an amount
    assert (await logged(service))[-1][1:] == ("unknown", None, "refer.farm_subsidy")


async def test_after_a_choice_of_several_a_bare_follow_up_offers_them_again(
    service: DialogueService,
) -> None:
    offered = await service.ask("俺娃上中专有啥补助", VILLAGER)
    again = await service.ask("一年给多少钱", VILLAGER)
    assert offered.outcome == again.outcome == "clarify"
    labels = [[b.label for b in row] for row in offered.buttons][:3]
    assert [[b.label for b in row] for row in again.buttons][:3] == labels


async def test_a_tapped_topic_is_the_topic_and_goodbye_forgets_it(
    service: DialogueService,
) -> None:
    await service.press("e:edu.yulu_plan", VILLAGER)
    assert (await service.ask("啥时候报", VILLAGER)).entry_id == "edu.yulu_plan"
    await service.ask("拜拜", VILLAGER)
    assert (await service.ask("啥时候报", VILLAGER)).entry_id != "edu.yulu_plan"


@pytest.mark.parametrize(
    "text", ["再见", "拜拜", "好的", "嗯", "哈哈", "知道了", "👍", "👍🏻", "好的！"]
)
async def test_small_talk_gets_a_short_reply_is_logged_but_never_queued(
    service: DialogueService, text: str
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    reply = await service.ask(text, VILLAGER)
    assert reply.outcome == "chat"
    assert reply.text in (messages.CHAT_BYE, messages.CHAT_OK, messages.CHAT_LAUGH)
    assert (await logged(service))[-1][:2] == (text, "chat")
    assert await queued(service) == []


async def test_small_talk_keeps_the_topic_unless_it_says_goodbye(
    service: DialogueService,
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    await service.ask("好的", VILLAGER)
    assert (await service.ask("那要啥材料", VILLAGER)).entry_id == "social.dibao"


@pytest.mark.parametrize(
    ("text", "prompt"),
    [
        ("教育", "「教育」里有这些"),
        ("社会保障", "「社会保障」里有这些"),
        ("教育方面", "「教育」里有这些"),
        ("菜单", messages.MENU_PROMPT),
        ("返回", messages.MENU_PROMPT),
        ("帮助", messages.HELP),
        ("help", messages.HELP),
        (" HELP！", messages.HELP),
    ],
)
async def test_typed_menu_words_and_category_names_open_the_menu_unlogged(
    service: DialogueService, text: str, prompt: str
) -> None:
    reply = await service.ask(text, VILLAGER)
    assert reply.outcome == "menu"
    assert reply.text.startswith(prompt)
    assert reply.buttons
    assert await logged(service) == []


async def test_a_question_about_a_category_is_still_a_question(
    service: DialogueService,
) -> None:
    reply = await service.ask("教育补助有啥", VILLAGER)
    assert reply.outcome in ("answer", "clarify")
    assert [row[0] for row in await logged(service)] == ["教育补助有啥"]


def test_the_memory_is_bounded_and_forgets_the_least_recent(clock: Clock) -> None:
    memory = ContextMemory(limit=2, clock=clock)
    for key in ("a", "b", "c"):
        memory.remember(key, ("social.dibao",))
    assert len(memory) == 2
    assert memory.get("a") is None
    assert memory.get("c") is not None
    memory.remember("c", ())
    assert memory.get("c") is None


async def test_a_reloaded_knowledge_base_without_the_topic_is_no_trouble(
    service: DialogueService, matcher: Matcher
) -> None:
    await service.ask("低保咋申请", VILLAGER)
    smaller = type(matcher.kb)(
        tuple(e for e in matcher.kb.entries if e.id != "social.dibao"),
        matcher.kb.categories,
        matcher.kb.lexicon,
    )
    service.replace_matcher(Matcher(smaller))
    reply = await service.ask("那要啥材料", VILLAGER)
    assert reply.entry_id != "social.dibao"
    assert reply.text.strip()


@settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=st.one_of(st.text(max_size=30), st.sampled_from(["那", "呢", "？", "那个呢", "😀"])))
async def test_any_follow_up_gets_a_reply(matcher: Matcher, text: str) -> None:
    service = DialogueService(matcher, None)
    await service.ask("低保咋申请", VILLAGER)
    reply = await service.ask(text, VILLAGER)
    assert reply.text.strip()
