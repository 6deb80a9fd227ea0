"""The store's edge: driver errors leave it as `StoreUnavailable`, and the dialogue survives."""

from __future__ import annotations

import logging
import sqlite3
from pathlib import Path

import pytest

from bot.dialogue import DialogueService, User
from bot.store import QuestionRecord, Store, StoreUnavailable
from bot.understand import Matcher

VILLAGER = User("telegram", "1001", "1001")


def _record(text: str = "低保咋申请") -> QuestionRecord:
    return QuestionRecord(
        asked_at="2026-11-20T02:00:00+00:00",
        channel="telegram",
        user_key=VILLAGER.key,
        reply_to="1001",
        text=text,
        outcome="unknown",
        entry_id=None,
        score=0.0,
        candidates=[],
        latency_ms=1.0,
    )


def _drop_feedback_and_queue(path: Path) -> None:
    """What an operator's stray `sqlite3` session might do: the driver then fails for real."""
    db = sqlite3.connect(path)
    db.executescript("DROP TABLE feedback; DROP TABLE unanswered;")
    db.close()


async def test_a_driver_error_leaves_the_store_as_store_unavailable(tmp_path: Path) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path) as store:
        qid = await store.record_question(_record())
        _drop_feedback_and_queue(path)
        with pytest.raises(StoreUnavailable) as caught:
            await store.record_feedback(qid, VILLAGER.key, False, "t")
        assert isinstance(caught.value.__cause__, sqlite3.OperationalError)
        assert "无法读写" in str(caught.value)
        assert "feedback" in str(caught.value)
        with pytest.raises(StoreUnavailable):  # async iterators too
            async for _ in store.iter_questions():
                pass
        # the question written before is still there, and the store still reads
        assert await store.question_owner(qid) == VILLAGER.key


async def test_not_a_store_error_is_not_renamed(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        with pytest.raises(AttributeError):
            await store.record_question("not a record")  # type: ignore[arg-type]


async def test_the_villager_is_answered_when_the_store_fails_under_the_dialogue(
    tmp_path: Path, matcher: Matcher, caplog: pytest.LogCaptureFixture
) -> None:
    path = tmp_path / "log.sqlite3"
    async with await Store.open(path) as store:
        service = DialogueService(matcher, store)
        first = await service.ask("低保咋申请", VILLAGER)
        _drop_feedback_and_queue(path)
        assert first.question_id is not None
        with caplog.at_level(logging.WARNING):
            thanks = await service.press(f"f:{first.question_id}:0", VILLAGER)
            again = await service.ask("低保咋申请", VILLAGER)
        assert thanks.text.strip()
        assert again.text.strip()
        # the vote is checked against its question first (issue 10; that read needs only the
        # questions table, still there), then storing it fails: logged with its id, and the
        # villager still gets a reply
        logged = [r.getMessage() for r in caplog.records]
        assert any(
            f"could not store feedback on question {first.question_id}" in m for m in logged
        ), logged
