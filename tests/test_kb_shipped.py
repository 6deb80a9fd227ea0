"""The shipped knowledge base covers every topic of ../shared/policy and invents no facts."""

import re
from typing import Any

import pytest
import yaml

from bot.knowledge import KnowledgeBase
from bot.review import check_knowledge
from tests.conftest import SHIPPED_KB, shared_path

WHOM_TO_ASK = ("帮扶责任人", "驻村工作队", "村“两委”", "乡镇", "村委会", "县", "学校", "村医")


@pytest.fixture(scope="module")
def topics() -> dict[str, Any]:
    return yaml.safe_load(shared_path("policy", "topics.yaml").read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def checked() -> tuple[KnowledgeBase | None, list[Any]]:
    """`kb check` on the shipped file, run once (it rebuilds the matcher per fold: ~5 s)."""
    kb, problems = check_knowledge(SHIPPED_KB)
    return kb, list(problems)


def test_kb_check_passes_on_the_shipped_file(
    checked: tuple[KnowledgeBase | None, list[Any]],
) -> None:
    kb, problems = checked
    assert kb is not None
    assert [str(p) for p in problems if p.severity == "error"] == []


def test_kb_check_finds_nothing_at_all_in_the_shipped_file(
    checked: tuple[KnowledgeBase | None, list[Any]],
) -> None:
    """Not even a warning: every policy entry has its facts, every figure is in them."""
    _, problems = checked
    assert [str(p) for p in problems] == []


def test_every_entry_s_facts_are_its_topic_s_facts_verbatim(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    by_id = {t["id"]: [f["text"] for f in t["facts"]] for t in topics["topics"]}
    for entry in kb.entries:
        if entry.is_referral or entry.is_smalltalk:
            assert entry.facts == (), entry.id
            continue
        assert entry.facts, entry.id
        assert list(entry.facts) == by_id[entry.id], entry.id


def test_every_topic_has_its_entry_with_its_category(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    assert [e.id for e in kb.entries if not e.is_referral] == [t["id"] for t in topics["topics"]]
    names = {c["key"]: c["name"] for c in topics["categories"]}
    # referral entries (not 扶贫政策) have a category of their own, after the topics' ones
    assert [(c.key, c.name) for c in kb.categories] == [
        *names.items(),
        ("refer", "不属于扶贫政策"),
    ]
    for topic in topics["topics"]:
        assert kb.get(topic["id"]).category == topic["category"]  # type: ignore[union-attr]


def test_every_answer_contains_its_must_mention_phrases(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    for topic in topics["topics"]:
        answer = kb.get(topic["id"]).answer  # type: ignore[union-attr]
        for phrase in topic["must_mention"]:
            assert phrase in answer, (topic["id"], phrase)


def test_smalltalk_answers_are_the_fixed_replies(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    for topic in topics["topics"]:
        if "reply" in topic:
            assert kb.get(topic["id"]).answer == topic["reply"]  # type: ignore[union-attr]


def test_no_number_in_an_answer_is_invented(kb: KnowledgeBase, topics: dict[str, Any]) -> None:
    """Every number an answer states appears in its topic's facts (amounts, counts, phones)."""
    for topic in topics["topics"]:
        facts = " ".join(f["text"] for f in topic["facts"]) + topic.get("reply", "")
        answer = kb.get(topic["id"]).answer  # type: ignore[union-attr]
        for number in re.findall(r"\d+(?:\.\d+)?", answer):
            assert number in facts, (topic["id"], number)


def test_answers_that_cannot_know_local_details_say_whom_to_ask(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    for topic in topics["topics"]:
        if topic.get("ask_locally"):
            answer = kb.get(topic["id"]).answer  # type: ignore[union-attr]
            assert any(who in answer for who in WHOM_TO_ASK), topic["id"]


def test_sources_name_the_article_or_national_policy(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    for topic in topics["topics"]:
        source = kb.get(topic["id"]).source  # type: ignore[union-attr]
        kinds = {f["source"] for f in topic["facts"]}
        if "seed" in kinds:
            assert "保定市扶贫开发工作新闻发布会" in source, topic["id"]
        if "national" in kinds:
            assert "国家" in source, topic["id"]


def test_entries_have_varied_villager_examples(kb: KnowledgeBase) -> None:
    for entry in kb.entries:
        assert len(entry.questions) >= 6
        if not entry.is_smalltalk:  # 「谢谢」 is both the title and how people say it
            assert all(q != entry.title for q in entry.questions), entry.id
        assert len(entry.answer) <= 600, entry.id


def test_referral_entries_state_no_number_and_never_clash_with_a_topic(
    kb: KnowledgeBase, topics: dict[str, Any]
) -> None:
    referrals = [e for e in kb.entries if e.is_referral]
    assert len(referrals) >= 10
    topic_ids = {t["id"] for t in topics["topics"]}
    for entry in referrals:
        assert entry.id not in topic_ids
        assert entry.category == "不属于扶贫政策"
        assert not re.search(r"[0-9０-９]", entry.answer), entry.id
        assert "不属于扶贫政策" in entry.answer, entry.id
