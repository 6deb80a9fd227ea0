"""The dialogue core answers anything, logs it masked, and handles buttons safely."""

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot import messages
from bot.dialogue import DialogueService, User
from bot.store import Store
from bot.understand import Matcher

VILLAGER = User("test", "1001", "1001")
NEIGHBOUR = User("test", "1002", "1002")

ANY_TEXT = st.one_of(
    st.text(),
    st.text(alphabet=st.characters(categories=["Cc", "Cf", "Zs", "So", "Sk"])),  # controls, emoji
    st.text(alphabet="\u200b\u200e\u200f\u202a\u202e\ufeff低保咋申请", max_size=50),  # RTL, ZW
    st.sampled_from(
        ["", " ", "😀" * 30, "\ud800低保\udfff", "低保" * 50_000, "'; DROP TABLE x;--"]
    ),
)


@pytest.fixture
async def service(matcher: Matcher, tmp_path: Path):  # type: ignore[no-untyped-def]
    store = await Store.open(tmp_path / "log.sqlite3")
    yield DialogueService(matcher, store)
    await store.close()


async def stored_texts(service: DialogueService) -> list[str]:
    assert service.store is not None
    return [q.text async for q in service.store.iter_questions()]


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(text=ANY_TEXT)
async def test_any_text_gets_a_reply_and_is_stored(service: DialogueService, text: str) -> None:
    before = len(await stored_texts(service))
    reply = await service.ask(text, VILLAGER)
    assert reply.text.strip()
    assert reply.question_id is not None
    texts = await stored_texts(service)
    assert len(texts) == before + 1
    if not any("\ud800" <= c <= "\udfff" for c in text) and not any(c.isdigit() for c in text):
        assert texts[-1] == text  # stored unchanged (only masking and escaping alter text)


async def test_lone_surrogates_are_stored_escaped(service: DialogueService) -> None:
    await service.ask("\ud800低保", VILLAGER)
    assert (await stored_texts(service))[-1] == "\\ud800低保"


async def test_answer_reply_has_source_feedback_and_related_buttons(
    service: DialogueService,
) -> None:
    reply = await service.ask("雨露计划咋申请", VILLAGER)
    assert reply.outcome == "answer"
    assert reply.entry_id == "edu.yulu_plan"
    assert "3000元" in reply.text
    assert "依据：" in reply.text
    labels = [b.label for row in reply.buttons for b in row]
    assert messages.USEFUL in labels
    assert messages.NOT_USEFUL in labels
    assert any(label.startswith(messages.RELATED_PREFIX) for label in labels)


async def test_unknown_reply_names_whom_to_ask_and_queues_the_question(
    service: DialogueService,
) -> None:
    reply = await service.ask("美国大选谁赢了", VILLAGER)
    assert reply.outcome == "unknown"
    assert "帮扶责任人" in reply.text
    assert "驻村工作队" in reply.text
    assert service.store is not None
    queued = await service.store.queued_questions("open")
    assert [q.text for q in queued] == ["美国大选谁赢了"]


async def test_feedback_is_refused_for_another_villagers_question(
    service: DialogueService,
) -> None:
    reply = await service.ask("低保咋申请", VILLAGER)
    forged = await service.press(f"f:{reply.question_id}:0", NEIGHBOUR)
    assert forged.text == messages.STALE_BUTTON
    own = await service.press(f"f:{reply.question_id}:1", VILLAGER)
    assert own.text == messages.FEEDBACK_THANKS


@pytest.mark.parametrize(
    "data", ["e:no.such_entry", "c:nothing", "x", "", "f:1:2", "e:" + "a" * 80]
)
async def test_forged_or_stale_buttons_are_refused(service: DialogueService, data: str) -> None:
    assert (await service.press(data, VILLAGER)).text == messages.STALE_BUTTON


async def test_menu_category_and_entry_buttons(service: DialogueService) -> None:
    menu = service.menu()
    first = menu.buttons[0][0]
    category = await service.press(first.data, VILLAGER)
    entry_button = category.buttons[0][0]
    assert entry_button.data.startswith("e:")
    answer = await service.press(entry_button.data, VILLAGER)
    assert answer.outcome == "answer"
    assert category.buttons[-1][0].label == messages.BACK


async def test_none_of_these_queues_a_clarified_question(service: DialogueService) -> None:
    reply = await service.ask("贷款的事", VILLAGER)
    assert reply.outcome == "clarify"
    assert reply.question_id is not None
    done = await service.press(f"n:{reply.question_id}", VILLAGER)
    assert done.text == messages.NONE_OF_THESE_REPLY
    assert service.store is not None
    queued = await service.store.queued_questions("open")
    assert reply.question_id in [q.id for q in queued]


async def test_service_without_a_store_still_answers(matcher: Matcher) -> None:
    reply = await DialogueService(matcher, None).ask("低保咋申请", VILLAGER)
    assert reply.outcome == "answer"
    assert reply.question_id is None


async def test_clarify_buttons_carry_the_question_and_a_choice_answers(
    service: DialogueService,
) -> None:
    reply = await service.ask("贷款的事", VILLAGER)
    assert reply.outcome == "clarify"
    first = reply.buttons[0][0]
    assert first.data.endswith(f":{reply.question_id}")
    chosen = await service.press(first.data, VILLAGER)
    assert chosen.outcome == "answer"
    assert first.data.split(":")[1] == chosen.entry_id


@pytest.mark.parametrize(
    ("text", "empty"), [("？？ 。。", True), ("呢吧啊", True), ("低保咋申请", False)]
)
async def test_a_question_is_analysed_once_and_an_empty_one_gets_the_menu(
    matcher: Matcher, text: str, empty: bool, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real = matcher.analyze

    def counting(question: str) -> object:
        calls.append(question)
        return real(question)

    monkeypatch.setattr(matcher, "analyze", counting)
    reply = await DialogueService(matcher, None).ask(text, VILLAGER)
    assert calls == [text]  # the matcher's views come from one analysis; the service adds none
    assert (reply.text == messages.EMPTY_QUESTION) is empty
    assert matcher.best_match(text).empty is empty
