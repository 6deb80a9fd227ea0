"""Read a message against the chat's topic: a follow-up on it, a topic next to it, or new.

「那要啥材料」 after an answer on 低保 names no topic of its own: it asks about 低保. 「那大病呢」
after 先诊疗后付费 names one that the matcher alone cannot place among its neighbours; the
topic just answered tells which. A message that names a topic the matcher is sure of is
matched alone, as it would be with no topic at all.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from difflib import SequenceMatcher
from enum import Enum
from functools import cached_property

from bot.dialogue.context import Topic
from bot.dialogue.excerpt import Aspect, aspect_of
from bot.knowledge import Entry, KnowledgeBase
from bot.understand import Candidate, Match, Matcher, Outcome, normalize_text

# Words that ask about a topic without naming one, beyond the lexicon's aspects (流程, 材料,
# 多少钱…): pronouns, where / whom / when, "a year", what one brings along. Read through the
# matcher's own analysis, so that 一年 and 每年 are one word here as there.
FOLLOWUP_WORDS = (
    "那 这 它 上 哪 去 在 找 谁 办 钱 不 够 带 还 有 给 要 能 多 几 行 中 管 报 批 下来 到账 "
    "每年 每月 一年 一个月 一个 月 号 天 身份证 户口本 证件 照片 准备 手续 麻烦 难 负责 "
    "电话 享受 有份 够格 别的 其他 以后 之后 先 后 大概 一般 得 多久 批下来 交 拿 领 "
    "钱数 能办 能领 多少钱 时候 啥时候 啥 咋样 可以 我家 俺家 俺们家 我们家 这个 那个 问 "
    "找谁 问谁 找谁问 说 事 归 知道 最 最多 额外 另外 补 分 挣 花钱 给钱 掏钱 交钱 还钱 "
    "自己 完 以前 总共 一共 算 拿到 领到 到手"
)
# A follow-up is short; a long message names its topic or is a new story.
MAX_FOLLOWUP_CHARS = 20
# 「那大病呢」: what is left when the pronoun and the question particles are taken off.
MAX_NEIGHBOUR_CHARS = 12
_LEAD_RE = re.compile(r"^(?:那么|那个|那|这个|这|还有|要是|如果|可|再)+")
_TAIL_RE = re.compile(r"(?:的|呢|吗|嘛|啊|呀|吧|咋样|怎么样|咋办|有没有|有吗|有不|能办不)+$")
# A message left with no words at all still asks something when it has one of these.
_QUESTION_MARKS = ("那", "这", "呢", "咋", "怎", "啥", "什么", "吗", "不", "能", "?", "？")


class Named(Enum):
    """What a message's own words name, next to the chat's topic."""

    NOTHING = "nothing"  # 「那要啥材料」: aspect and pronoun words only
    TOPIC = "topic"  # 「最多能贷多少」 after 扶贫小额信贷: the topic's own words


def _agrees(match: Match, entries: list[Entry]) -> bool:
    """The matcher alone answers with the topic (「低保咋申请」 again after 低保)."""
    return match.outcome is Outcome.ANSWER and match.entry_id == entries[0].id


@dataclass(frozen=True)
class Reading:
    """How a message is understood: the verdict, and the topic it leaned on if any."""

    match: Match
    leaned_on: str | None = None
    # set: answer with the part of the entry that fits this side of it, not the whole answer
    aspect: Aspect | None = None


class FollowUps:
    """Tell follow-ups from new questions for one matcher (rebuilt when the matcher is)."""

    def __init__(self, matcher: Matcher) -> None:
        """Read messages with `matcher`."""
        self.matcher = matcher
        self._entry_words: dict[str, frozenset[str]] = {}

    @cached_property
    def _vocabulary(self) -> frozenset[str]:
        """The words, through the matcher's analysis, that name no topic of their own.

        Learnt on the first follow-up, not at startup: most messages are matched alone.
        """
        words = (*FOLLOWUP_WORDS.split(), *self.matcher.kb.lexicon.aspects)
        return frozenset(t for w in words for t in self.matcher.analyze(w).tokens)

    def read(self, text: str, match: Match, topic: Topic | None) -> Reading:
        """Understand `text` (which the matcher alone judged `match`) against `topic`."""
        kb = self.matcher.kb
        entries = [e for i in topic.entry_ids if (e := kb.get(i)) is not None] if topic else []
        if not entries:
            return Reading(match)
        norm = normalize_text(text)
        if len(norm) > MAX_FOLLOWUP_CHARS:
            return Reading(match)
        named = self._named(norm, entries)
        if named is Named.NOTHING or (named is Named.TOPIC and not _agrees(match, entries)):
            return self._on_topic(norm, match, entries)
        if match.outcome is Outcome.ANSWER or named is Named.TOPIC:
            return Reading(match)
        return self._neighbour(norm, match, entries) or Reading(match)

    def _named(self, norm: str, entries: list[Entry]) -> Named | None:
        """What the words of `norm` name: nothing, the topic itself, or something else (None).

        A word of the topic's own title or keywords (贷款, 利息 after 扶贫小额信贷) names no
        other topic: 「最多能贷多少」 still asks about the loan just answered. Only the entry
        answered has words of its own here: after a choice of several, a word naming one of
        them is a choice, which the matcher alone reads best.
        """
        tokens = self.matcher.analyze(norm).tokens
        rest = [t for t in tokens if t not in self._vocabulary]
        if not rest:
            bare = bool(tokens) or any(mark in norm for mark in _QUESTION_MARKS)
            return Named.NOTHING if bare else None
        if len(entries) > 1:
            return None
        own = self._words(entries[0])
        return Named.TOPIC if all(t in own for t in rest) else None

    def _names(self, core: str, words: frozenset[str], entry: Entry) -> tuple[int, int, int]:
        """How plainly `entry` is the thing named: the title's words as typed (大病, not the
        lexicon's 重病), then as the matcher reads them, then a keyword's."""
        title = self.matcher.analyze(entry.title).tokens
        keyword = max((_shared(core, k) for k in entry.keywords), default=0)
        return _shared(core, entry.title), len(words.intersection(title)), keyword

    def _words(self, entry: Entry) -> frozenset[str]:
        """The words of an entry's title and keywords, as the matcher reads them (cached)."""
        found = self._entry_words.get(entry.id)
        if found is None:
            texts = (entry.title, *entry.keywords)
            found = frozenset(t for x in texts for t in self.matcher.analyze(x).tokens)
            self._entry_words[entry.id] = found
        return found

    def _on_topic(self, norm: str, match: Match, entries: list[Entry]) -> Reading:
        """A follow-up that names no topic: on the entry answered, or the choices offered."""
        leaned = entries[0].id
        if len(entries) == 1 and entries[0].is_referral:  # 「一亩多少钱」 after 种粮补贴
            referred = Match(Outcome.UNKNOWN, None, match.score, match.candidates, referral=leaned)
            return Reading(referred, leaned)
        if len(entries) == 1:
            answered = Match(Outcome.ANSWER, leaned, match.score, match.candidates)
            return Reading(answered, leaned, aspect_of(norm))
        offered = tuple(Candidate(e.id, 0.0) for e in entries)
        return Reading(Match(Outcome.CLARIFY, None, match.score, offered), leaned)

    def _neighbour(self, norm: str, match: Match, entries: list[Entry]) -> Reading | None:
        """「那大病呢」: the matcher's candidate next to the topic that the words name best."""
        core = _TAIL_RE.sub("", _LEAD_RE.sub("", norm)).strip()
        if not core or len(core) > MAX_NEIGHBOUR_CHARS:
            return None
        near = neighbourhood(entries, self.matcher.kb)
        found = [(c, e) for c in match.candidates if c.id in near and (e := near[c.id])]
        if not found:
            return None
        core_words = frozenset(self.matcher.analyze(core).tokens)
        named = [(self._names(core, core_words, e), c) for c, e in found]
        score, best = max(named, key=lambda sc: sc[0])  # ties: the matcher's order
        if not any(score):
            # Its words name none of them plainly: the topic itself, if the matcher finds it
            # plausible (「在哪个医院都行吗」 after 先诊疗后付费), else no reason to prefer one.
            topic = next((c for c, _ in found if c.id == entries[0].id), None)
            if topic is None or len(entries) > 1:
                return None
            best = topic
        answered = replace(match, outcome=Outcome.ANSWER, entry_id=best.id, score=best.score)
        return Reading(answered, entries[0].id)


def neighbourhood(entries: list[Entry], kb: KnowledgeBase) -> dict[str, Entry]:
    """The topic's entries, the entries they name as related, and the others of their category."""
    ids = [e.id for e in entries] + [r for e in entries for r in e.related]
    categories = {e.category for e in entries}
    near = {i: e for i in ids if (e := kb.get(i)) is not None}
    near.update({e.id: e for e in kb.entries if e.category in categories})
    return {i: e for i, e in near.items() if not (e.is_smalltalk or e.is_referral)}


def _shared(core: str, text: str) -> int:
    """The longest run of characters `core` and `text` share, if two or more."""
    found = SequenceMatcher(None, core, text, autojunk=False)
    size = found.find_longest_match(0, len(core), 0, len(text)).size
    return size if size >= 2 else 0
