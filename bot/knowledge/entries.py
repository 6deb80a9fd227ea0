"""The knowledge base as values: entries, categories, lexicon, and validation problems."""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from bot.shipped import LEXICON_NAME as LEXICON_NAME  # re-exported by the package face
from bot.shipped import shipped_file

ID_RE = re.compile(r"^[a-z][a-z0-9_]*\.[a-z0-9_]+$")
MIN_QUESTIONS = 6
MAX_ANSWER = 4096  # Telegram's message limit
LONG_ANSWER = 600  # a villager on a phone stops reading long before this
MAX_TITLE = 40  # fits one inline button
MAX_QUESTION = 200
# used when the knowledge base has no lexicon.yaml beside it
BUNDLED_LEXICON = shipped_file(LEXICON_NAME)


# Entries whose id starts so are referrals: not 扶贫政策, the answer only says whom to ask.
REFERRAL_PREFIX = "refer."


@dataclass(frozen=True)
class Problem:
    """One validation finding, printed as `FILE:LINE: message`."""

    path: str
    line: int
    message: str
    severity: str = "error"

    def __str__(self) -> str:
        label = "" if self.severity == "error" else "提醒 (warning): "
        return f"{self.path}:{self.line}: {label}{self.message}"


class KnowledgeError(Exception):
    """The knowledge base cannot be used; `problems` says where and why."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


@dataclass(frozen=True)
class Category:
    """A menu category: a short key and its Chinese name."""

    key: str
    name: str


@dataclass(frozen=True)
class Entry:
    """One policy topic: how villagers ask about it and what the bot answers."""

    id: str
    title: str
    category: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    answer: str
    source: str
    updated: str
    related: tuple[str, ...] = ()
    line: int = 0
    question_lines: tuple[int, ...] = ()
    # the source's sentences this entry rests on, verbatim: every figure of the answer is in one
    facts: tuple[str, ...] = ()

    @property
    def is_smalltalk(self) -> bool:
        """Whether this entry is small talk (greeting, thanks…) rather than policy."""
        return self.id.startswith("smalltalk.")

    @property
    def is_referral(self) -> bool:
        """Whether this entry only says whom to ask about a topic that is not 扶贫政策.

        The matcher never answers with a referral: it replies "unknown" with the referral text.
        """
        return self.id.startswith(REFERRAL_PREFIX)


@dataclass(frozen=True)
class Lexicon:
    """Colloquial variants mapped to canonical words, and filler words to drop."""

    synonyms: dict[str, str] = field(default_factory=dict)
    fillers: frozenset[str] = frozenset()
    # words that say what is asked about a topic (流程, 条件), not which topic
    aspects: frozenset[str] = frozenset()


@dataclass(frozen=True)
class KnowledgeBase:
    """The validated entries, categories and lexicon the matcher is built from."""

    entries: tuple[Entry, ...]
    categories: tuple[Category, ...]
    lexicon: Lexicon
    path: str = ""

    def get(self, entry_id: str) -> Entry | None:
        """Return the entry with this id, or None."""
        return self._by_id().get(entry_id)

    def _by_id(self) -> dict[str, Entry]:
        cache: dict[str, Entry] | None = self.__dict__.get("_index")
        if cache is None:
            cache = {e.id: e for e in self.entries}
            object.__setattr__(self, "_index", cache)
        return cache

    def in_category(self, key: str) -> tuple[Entry, ...]:
        """Return the entries of one category (by category key), in file order."""
        names = {c.key: c.name for c in self.categories}
        name = names.get(key)
        return tuple(e for e in self.entries if e.category == name)
