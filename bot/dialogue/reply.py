"""Turn matcher verdicts and menu choices into reply text with buttons (channel-agnostic)."""

from __future__ import annotations

import re
from dataclasses import dataclass

from bot import messages
from bot.dialogue.excerpt import Aspect, excerpt, whom_fits
from bot.dialogue.kinds import Said, Tap
from bot.knowledge import Category, Entry, KnowledgeBase, fit_opening
from bot.understand import Candidate

MAX_RELATED = 2
# Callback data is echoed back by Telegram and can be forged: keep it short, typed and parsed
# strictly (≤ 64 bytes is Telegram's limit).
_CALLBACK_RE = re.compile(
    r"^(?:(?P<entry>e):(?P<entry_id>[a-z0-9_.]{1,48})(?::(?P<entry_qid>\d{1,12}))?"
    r"|(?P<cat>c):(?P<cat_key>[a-z0-9_]{1,30})"
    r"|(?P<menu>m)"
    r"|(?P<fb>f):(?P<fb_qid>\d{1,12}):(?P<useful>[01])"
    r"|(?P<none>n):(?P<none_qid>\d{1,12})"
    r"|(?P<hand>h):(?P<hand_qid>\d{1,12}))$"
)

# A year in a source line: 「2018年11月」, 「2018–2020年」.
_YEAR = re.compile(r"(?<!\d)((?:19|20)\d{2})(?=年|[–—-]\d)")


@dataclass(frozen=True)
class Button:
    """One tap-able choice: a label and the callback data it sends back."""

    label: str
    data: str


@dataclass(frozen=True)
class Reply:
    """What the bot says: text, rows of buttons, and what it was about (for logs and tests)."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    outcome: Said | None = None
    entry_id: str | None = None
    question_id: int | None = None


@dataclass(frozen=True)
class Action:
    """A parsed button press."""

    kind: Tap
    value: str = ""
    question_id: int | None = None
    useful: bool = False


def parse_callback(data: str) -> Action | None:
    """Parse callback data; None for anything not produced by `Button`s of this module."""
    m = _CALLBACK_RE.match(data or "")
    if not m:
        return None
    if m["entry"]:
        qid = m["entry_qid"]
        return Action(Tap.ENTRY, m["entry_id"], question_id=int(qid) if qid else None)
    if m["cat"]:
        return Action(Tap.CATEGORY, m["cat_key"])
    if m["menu"]:
        return Action(Tap.MENU)
    if m["fb"]:
        return Action(Tap.FEEDBACK, question_id=int(m["fb_qid"]), useful=m["useful"] == "1")
    if m["hand"]:
        return Action(Tap.HANDOFF, question_id=int(m["hand_qid"]))
    return Action(Tap.NONE, question_id=int(m["none_qid"]))


def source_line(entry: Entry) -> str:
    """The source line, and, when the source is dated (the material is from 2018–2020), a few
    words saying when that was the policy and that today's rules are the named office's."""
    line = messages.SOURCE_LINE.format(source=entry.source, updated=entry.updated)
    years = sorted({int(y) for y in _YEAR.findall(entry.source)})
    if not years:
        return line
    span = f"{years[0]}年" if len(years) == 1 else f"{years[0]}–{years[-1]}年"
    return f"{line}\n{messages.SOURCE_DATED.format(years=span)}"


def entry_reply(
    entry: Entry, kb: KnowledgeBase, question_id: int | None = None, *, asked: str | None = None
) -> Reply:
    """The answer of one entry with its source line, feedback and related-topic buttons; its
    opening fits the question `asked` (None: a button tap)."""
    if entry.is_smalltalk:
        return Reply(entry.answer, ((Button(messages.MENU_BUTTON, "m"),),), Said.ANSWER, entry.id)
    source = source_line(entry)
    rows = _answer_rows(entry, kb, question_id)
    answer = fit_opening(entry.answer, asked)
    return Reply(f"{answer}\n\n{source}", rows, Said.ANSWER, entry.id, question_id)


def followup_reply(
    entry: Entry, aspect: Aspect, kb: KnowledgeBase, question_id: int | None, *, asked: str
) -> Reply:
    """A follow-up on `entry`: the part of its answer that fits, and a button for the whole."""
    if entry.is_smalltalk:
        return entry_reply(entry, kb, question_id)
    fitting, whom = excerpt(fit_opening(entry.answer, asked), aspect)
    if not fitting and whom is None:
        return entry_reply(entry, kb, question_id, asked=asked)
    # 「找谁」 (or 「啥时候报」 before 「申请时间…请问乡镇」) is answered by the whom-to-ask
    # line itself; anything else was not written down
    told = fitting or (whom is not None and whom_fits(whom, aspect))
    lead = "" if told else messages.FOLLOWUP_NOT_WRITTEN
    body = "".join((*fitting, whom or ""))
    text = messages.FOLLOWUP_PREFIX.format(title=entry.title) + lead + body
    source = source_line(entry)
    rows = (
        (Button(messages.FULL_ANSWER, f"e:{entry.id}"),),
        *_answer_rows(entry, kb, question_id),
    )
    return Reply(f"{text}\n\n{source}", rows, Said.ANSWER, entry.id, question_id)


def handoff_offer(reply: Reply, question_id: int) -> Reply:
    """`reply` with the offer to pass question `question_id` to a person, button first."""
    offer = (Button(messages.HANDOFF_BUTTON, f"h:{question_id}"),)
    text = f"{reply.text}\n\n{messages.HANDOFF_OFFER}"
    return Reply(text, (offer, *reply.buttons), reply.outcome, reply.entry_id, reply.question_id)


def chat_reply(text: str, question_id: int | None) -> Reply:
    """A short reply to small talk, with the menu (logged, never queued)."""
    return Reply(text, ((Button(messages.MENU_BUTTON, "m"),),), Said.CHAT, None, question_id)


def _answer_rows(
    entry: Entry, kb: KnowledgeBase, question_id: int | None
) -> tuple[tuple[Button, ...], ...]:
    rows: list[tuple[Button, ...]] = []
    if question_id is not None:
        rows.append(
            (
                Button(messages.USEFUL, f"f:{question_id}:1"),
                Button(messages.NOT_USEFUL, f"f:{question_id}:0"),
            )
        )
    for rel_id in entry.related[:MAX_RELATED]:
        rel = kb.get(rel_id)
        if rel is not None:
            rows.append((Button(messages.RELATED_PREFIX + rel.title, f"e:{rel.id}"),))
    rows.append((Button(messages.MENU_BUTTON, "m"),))
    return tuple(rows)


def clarify_reply(
    candidates: tuple[Candidate, ...], kb: KnowledgeBase, question_id: int | None
) -> Reply:
    """「您是想问：」 with the candidates as buttons, best first, plus 「都不是」."""
    suffix = f":{question_id}" if question_id is not None else ""
    rows = [
        (Button(entry.title, f"e:{entry.id}{suffix}"),)
        for c in candidates
        if (entry := kb.get(c.id)) is not None
    ]
    if question_id is not None:
        rows.append((Button(messages.NONE_OF_THESE, f"n:{question_id}"),))
    return Reply(messages.CLARIFY_PROMPT, tuple(rows), Said.CLARIFY, None, question_id)


def unknown_reply(question_id: int | None) -> Reply:
    """The honest "don't know yet" reply naming whom to ask."""
    return Reply(
        messages.UNKNOWN, ((Button(messages.MENU_BUTTON, "m"),),), Said.UNKNOWN, None, question_id
    )


def referral_reply(entry: Entry, question_id: int | None) -> Reply:
    """Not 扶贫政策: the referral's text (whom to ask) and the menu; logged as unknown."""
    return Reply(
        entry.answer, ((Button(messages.MENU_BUTTON, "m"),),), Said.UNKNOWN, None, question_id
    )


def menu_reply(categories: tuple[Category, ...], kb: KnowledgeBase) -> Reply:
    """The categories as buttons, two per row."""
    buttons = [Button(c.name, f"c:{c.key}") for c in categories if kb.in_category(c.key)]
    rows = tuple(tuple(buttons[i : i + 2]) for i in range(0, len(buttons), 2))
    return Reply(messages.MENU_PROMPT, rows)


def category_reply(category: Category, kb: KnowledgeBase) -> Reply:
    """The entries of one category as buttons, with a back button."""
    rows = [(Button(e.title, f"e:{e.id}"),) for e in kb.in_category(category.key)]
    rows.append((Button(messages.BACK, "m"),))
    return Reply(messages.CATEGORY_PROMPT.format(name=category.name), tuple(rows))
