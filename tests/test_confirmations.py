"""The previews waiting for a staff tap: taken once, by their admin, within the time limit."""

from __future__ import annotations

from bot.review import Action, Proposal
from handlers.confirmations import (
    MAX_WAITING,
    TTL,
    Confirmations,
    cancel_data,
    confirm_data,
    parse_staff_button,
)

PROPOSAL = Proposal(Action.IGNORE, 7, (7, 8), ("路灯坏了找谁",))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_a_preview_is_taken_once_and_only_by_its_admin() -> None:
    waiting = Confirmations()
    token = waiting.add(1, PROPOSAL)
    assert waiting.take(token, 2) is None  # another admin
    assert waiting.take(token, 1) == PROPOSAL
    assert waiting.take(token, 1) is None  # already used


def test_a_preview_expires() -> None:
    clock = Clock()
    waiting = Confirmations(clock=clock)
    token = waiting.add(1, PROPOSAL)
    clock.now += TTL + 1
    assert waiting.take(token, 1) is None


def test_the_oldest_previews_are_forgotten_first() -> None:
    waiting = Confirmations()
    first = waiting.add(1, PROPOSAL)
    last = [waiting.add(1, PROPOSAL) for _ in range(MAX_WAITING)][-1]
    assert waiting.take(first, 1) is None
    assert waiting.take(last, 1) == PROPOSAL


def test_button_data_is_short_and_strictly_parsed() -> None:
    token = Confirmations().add(1, PROPOSAL)
    assert parse_staff_button(confirm_data(token)) == (True, token)
    assert parse_staff_button(cancel_data(token)) == (False, token)
    assert len(confirm_data(token).encode()) <= 64
    for forged in ("s:ok:", "s:ok:" + token + "x", "s:yes:" + token, "e:x", "", None, 5):
        assert parse_staff_button(forged) is None
