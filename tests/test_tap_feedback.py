"""👍/👎 after every answer, however it was reached (a candidate, a related topic, the menu),
each vote tied to a logged question of that villager and counted for the entry answered."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from bot import messages
from bot.dialogue import DialogueService, Reply, User
from bot.review.stats import collect_stats
from bot.store import OPEN, Store
from bot.understand import Matcher

VILLAGER = User("test", "1001", "1001")
NEIGHBOUR = User("test", "1002", "1002")
NOW = dt.datetime.now(dt.UTC)


def data(reply: Reply) -> list[str]:
    return [b.data for row in reply.buttons for b in row]


def votes(reply: Reply) -> list[str]:
    """The reply's 👍/👎 callback data; both carry the question id the vote counts for."""
    return [d for d in data(reply) if d.startswith("f:")]


async def by_entry(store: Store) -> list[tuple[str, int, int]]:
    stats = await collect_stats(store, days=1, now=NOW + dt.timedelta(minutes=1), titles={})
    return [(f.entry_id, f.useful, f.not_useful) for f in stats.feedback_by_entry]


async def test_a_chosen_candidate_answers_its_question_and_the_vote_counts_for_that_entry(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        clarify = await service.ask("贷款的事", VILLAGER)
        qid = clarify.question_id
        assert clarify.outcome == "clarify"
        assert qid is not None
        tap = clarify.buttons[1][0]  # the second guess, not the matcher's best
        answer = await service.press(tap.data, VILLAGER)
        chosen = await store.get_question(qid)
        assert chosen is not None
        assert chosen.status == "resolved"
        await service.press(f"f:{qid}:0", VILLAGER)
        disliked = await store.get_question(qid)
        counted = await by_entry(store)
    entry_id = tap.data.split(":")[1]
    assert votes(answer) == [f"f:{qid}:1", f"f:{qid}:0"]
    assert chosen.entry_id == answer.entry_id == entry_id
    assert disliked is not None
    assert disliked.status == OPEN
    assert counted == [(entry_id, 0, 1)]


async def test_a_related_topic_tap_is_logged_and_voted_on_as_its_own_question(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        first = await service.ask("低保咋申请", VILLAGER)
        related = next(d for d in data(first) if d.startswith("e:"))
        answer = await service.press(related, VILLAGER)
        tap = answer.question_id
        assert tap is not None
        assert tap != first.question_id
        thanks = await service.press(f"f:{tap}:1", VILLAGER)
        logged = await store.get_question(tap)
        counted = await by_entry(store)
        counts = await store.outcome_counts("", "9999")
    entry_id = related.split(":")[1]
    assert votes(answer) == [f"f:{tap}:1", f"f:{tap}:0"]
    assert thanks.text == messages.FEEDBACK_THANKS
    assert logged is not None
    assert (logged.outcome, logged.entry_id, logged.user_key) == ("tap", entry_id, VILLAGER.key)
    assert logged.text == matcher.kb.get(entry_id).title  # type: ignore[union-attr]
    assert counted == [(entry_id, 1, 0)]
    assert counts.questions == 1  # a tap is not a question in the figures


async def test_an_entry_opened_from_the_menu_carries_votes_and_a_dislike_is_queued(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        menu = service.menu()
        category = await service.press(menu.buttons[0][0].data, VILLAGER)
        answer = await service.press(category.buttons[0][0].data, VILLAGER)
        tap = answer.question_id
        assert tap is not None
        asked = await service.press(f"f:{tap}:0", VILLAGER)
        comment = await service.ask("写得太笼统", VILLAGER)
        queued = await store.queued_questions(OPEN)
    assert votes(answer) == [f"f:{tap}:1", f"f:{tap}:0"]
    assert asked.text == messages.FEEDBACK_ASK
    assert comment.text == messages.COMMENT_THANKS
    assert [(q.id, q.entry_id, q.not_useful, q.comment) for q in queued] == [
        (tap, answer.entry_id, 1, "写得太笼统")
    ]


async def test_the_full_answer_after_a_follow_up_carries_votes_too(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        await service.ask("低保咋申请", VILLAGER)
        part = await service.ask("那要啥材料", VILLAGER)
        whole = await service.press(data(part)[0], VILLAGER)  # 「看完整回答」
    assert data(part)[0].startswith("e:")
    assert whole.question_id not in (None, part.question_id)
    assert votes(whole) == [f"f:{whole.question_id}:1", f"f:{whole.question_id}:0"]


async def test_small_talk_and_a_service_without_a_log_show_no_votes(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        greeting = await service.press("e:smalltalk.greeting", VILLAGER)
        logged = await store.outcome_counts("", "9999")
        unlogged = await DialogueService(matcher, None).press("e:social.dibao", VILLAGER)
    assert votes(greeting) == []
    assert logged.questions == 0
    assert votes(unlogged) == []
    assert unlogged.entry_id == "social.dibao"  # the answer all the same


async def test_votes_on_a_tap_that_is_not_theirs_or_has_no_answer_are_refused(
    matcher: Matcher, tmp_path: Path
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        theirs = await service.press("e:social.dibao", NEIGHBOUR)
        unknown = await service.ask("美国大选谁赢了", VILLAGER)
        clarify = await service.ask("贷款的事", VILLAGER)  # no candidate tapped yet
        refused = [
            await service.press(f"f:{theirs.question_id}:0", VILLAGER),
            await service.press(f"f:{unknown.question_id}:1", VILLAGER),
            await service.press(f"f:{clarify.question_id}:0", VILLAGER),
            await service.press("f:424242:0", VILLAGER),
            await service.press("f:abc:0", VILLAGER),
            await service.press(f"e:edu.yulu_plan:{clarify.question_id}", NEIGHBOUR),
        ]
        not_offered = await service.press(f"e:smalltalk.thanks:{clarify.question_id}", VILLAGER)
        wrong = await service.press(f"e:edu.yulu_plan:{clarify.question_id}", VILLAGER)
        feedback = await store.feedback_counts("", "9999")
        still = await store.get_question(clarify.question_id or 0)
    assert [r.text for r in refused[:5]] == [messages.STALE_BUTTON] * 5
    assert refused[5].question_id != clarify.question_id  # a neighbour's tap is their own
    assert feedback == (0, 0)  # nothing stored
    assert votes(not_offered) == []
    offered = [d.split(":")[1] for d in data(clarify) if d.startswith("e:")]
    assert "edu.yulu_plan" not in offered
    assert wrong.question_id != clarify.question_id  # not offered: a tap of its own
    assert still is not None
    assert still.entry_id is None
    assert still.status == OPEN
