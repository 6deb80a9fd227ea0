"""Staff confirmations waiting for a tap: what /reply or /ignore would do, kept by a random
token that the 确认 and 取消 buttons carry (Telegram's 64-byte callback data holds no answer)."""

from __future__ import annotations

import re
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass

from bot.review import Proposal

# Staff buttons: "s:ok:<token>" or "s:no:<token>"; villagers' buttons never start with "s:".
STAFF_BUTTON_PREFIX = re.compile(r"^s:")
_STAFF_BUTTON_RE = re.compile(r"^s:(ok|no):([A-Za-z0-9_-]{16})$")
TTL = 30 * 60.0  # seconds a preview can be confirmed: later the group may well have changed
MAX_WAITING = 200  # the oldest previews are forgotten first


@dataclass(frozen=True)
class Waiting:
    """A preview shown to `admin`, waiting for 确认 or 取消."""

    admin: int
    proposal: Proposal
    shown_at: float


def confirm_data(token: str) -> str:
    """The 确认 button's callback data."""
    return f"s:ok:{token}"


def cancel_data(token: str) -> str:
    """The 取消 button's callback data."""
    return f"s:no:{token}"


def parse_staff_button(data: object) -> tuple[bool, str] | None:
    """(confirmed?, token) of a staff button's data; None when it is not one of ours."""
    found = _STAFF_BUTTON_RE.match(data) if isinstance(data, str) else None
    return (found[1] == "ok", found[2]) if found else None


class Confirmations:
    """Previews waiting for their admin's tap; each is taken at most once."""

    def __init__(self, *, clock: Callable[[], float] = time.monotonic) -> None:
        """An empty set of previews; `clock` tells their age (seconds)."""
        self._clock = clock
        self._waiting: dict[str, Waiting] = {}

    def add(self, admin: int, proposal: Proposal) -> str:
        """Keep `proposal` for `admin`; return the token its buttons carry."""
        now = self._clock()
        self._waiting = {t: w for t, w in self._waiting.items() if now - w.shown_at <= TTL}
        while len(self._waiting) >= MAX_WAITING:
            del self._waiting[next(iter(self._waiting))]
        token = secrets.token_urlsafe(12)  # 16 characters, 96 random bits: cannot be guessed
        self._waiting[token] = Waiting(admin, proposal, now)
        return token

    def take(self, token: str, admin: int) -> Proposal | None:
        """The proposal `token` stands for, if `admin` was shown it and it has not expired or
        been used; it cannot be taken again."""
        waiting = self._waiting.get(token)
        if waiting is None or waiting.admin != admin:
            return None
        del self._waiting[token]
        if self._clock() - waiting.shown_at > TTL:
            return None
        return waiting.proposal
