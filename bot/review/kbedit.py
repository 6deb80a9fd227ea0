"""Editing one entry of policies.yaml from the workbench: only that entry's edited fields are
rewritten, every other byte (comments, order, quoting, other entries) stays as it was; the
result is checked like `kb check` before it replaces the file, atomically, the previous file
kept beside it as `<name>.bak`."""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from bot import messages
from bot.knowledge import Entry, KnowledgeBase, parse_knowledge
from bot.review.kbcheck import check_knowledge

EDITABLE = ("answer", "questions", "keywords", "facts", "related")
_ENTRY_RE = re.compile(r"^- id:\s*(\S+)\s*$")
_KEY_RE = re.compile(r"^  ([a-z_]+):")
_CJK_RE = re.compile(r"[\u3400-\u9fff]")
# characters that make a YAML scalar other than plain text when they are in it
_SPECIAL = set(":#[]{},&*!|>'\"%@`")
# what a YAML file cannot hold (control characters other than tab and line breaks, and so on)
_UNPRINTABLE = re.compile("[^\t\n\r\x20-\x7e\x85\xa0-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")


class EditError(Exception):
    """The entry cannot be edited this way; the message says why (in Chinese, for the page)."""


@dataclass(frozen=True)
class EntryEdit:
    """The new values of an entry's editable fields."""

    answer: str
    questions: tuple[str, ...]
    keywords: tuple[str, ...]
    related: tuple[str, ...]
    facts: tuple[str, ...]


def added_text(text: str, new: Entry) -> str:
    """`text` (policies.yaml, whose last key must be `entries:`) with `new` as its last entry."""
    lines = [
        f"- id: {_scalar(new.id)}\n",
        f"  title: {_scalar(new.title)}\n",
        f"  category: {_scalar(new.category)}\n",
        "  questions:\n",
        *(f"    - {_scalar(q)}\n" for q in new.questions),
        f"  keywords: [{', '.join(map(_scalar, new.keywords))}]\n",
        _answer(new.answer),
        f"  source: {_scalar(new.source)}\n",
        *(["  facts:\n", *(f"    - {_quoted(f)}\n" for f in new.facts)] if new.facts else []),
        f"  updated: {json.dumps(new.updated)}\n",
    ]
    if new.related:
        lines.append(f"  related: [{', '.join(map(_scalar, new.related))}]\n")
    top_keys = re.findall(r"^([a-z_]+):", text, re.MULTILINE)
    if not top_keys or top_keys[-1] != "entries":
        raise EditError(messages.KB_EDIT_NOT_LAST)
    return text.rstrip("\n") + "\n\n" + "".join(lines)


def file_digest(text: str) -> str:
    """A short fingerprint of the file's text, to notice it changed since a form was opened."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:32]


def edited_text(text: str, current: Entry, edit: EntryEdit) -> str:
    """`text` (policies.yaml) with the fields of `current` that `edit` changes rewritten; the
    rest, and every unchanged example question's own line, untouched."""
    lines = text.splitlines(keepends=True)
    start, end = _entry_span(lines, current.id)
    body = lines[start + 1 : end]
    while body and not body[-1].strip():  # blank lines after the entry stay after it
        body.pop()
    tail = lines[start + 1 + len(body) : end]
    blocks = _blocks(body)
    rendered = _rendered(current, edit, dict(blocks))
    out = []
    for key, block in blocks:
        out.append(rendered.pop(key) if key in rendered else "".join(block))
        if key == "source" and "facts" in rendered and "facts" not in dict(blocks):
            out.append(rendered.pop("facts"))  # the house order: source, facts, updated
    out += [rendered[k] for k in EDITABLE if k in rendered]  # fields the entry did not have
    return "".join([*lines[: start + 1], *out, *tail, *lines[end:]])


def _rendered(current: Entry, edit: EntryEdit, blocks: dict[str, list[str]]) -> dict[str, str]:
    """The YAML of each field that changes ('' removes an emptied `related` or `facts`)."""
    rendered: dict[str, str] = {}
    if edit.answer.strip() != current.answer:
        rendered["answer"] = _answer(edit.answer)
    if edit.questions != current.questions:
        rendered["questions"] = _list_block(
            "questions", current.questions, edit.questions, blocks.get("questions", []), _scalar
        )
    if edit.facts != current.facts:
        rendered["facts"] = (
            _list_block("facts", current.facts, edit.facts, blocks.get("facts", []), _quoted)
            if edit.facts
            else ""
        )
    if edit.keywords != current.keywords:
        rendered["keywords"] = f"  keywords: [{', '.join(map(_scalar, edit.keywords))}]\n"
    if edit.related != current.related:
        rendered["related"] = (
            f"  related: [{', '.join(map(_scalar, edit.related))}]\n" if edit.related else ""
        )
    return rendered


def _list_block(
    key: str,
    old: tuple[str, ...],
    new: tuple[str, ...],
    block: list[str],
    quote: Callable[[str], str],
) -> str:
    """A block list; the items that stay keep their own line (its quoting) when each old item
    is one line."""
    items = [line for line in block[1:] if line.strip()]
    kept = dict(zip(old, items, strict=False)) if len(items) == len(old) else {}
    return f"  {key}:\n" + "".join(kept.get(item, f"    - {quote(item)}\n") for item in new)


def _entry_span(lines: list[str], entry_id: str) -> tuple[int, int]:
    start = next(
        (i for i, line in enumerate(lines) if (m := _ENTRY_RE.match(line)) and m[1] == entry_id),
        None,
    )
    if start is None:
        raise EditError(messages.KB_EDIT_NO_LINE.format(id=entry_id))
    end = start + 1
    while end < len(lines) and (not lines[end].strip() or lines[end].startswith("  ")):
        end += 1
    return start, end


def _blocks(body: list[str]) -> list[tuple[str, list[str]]]:
    blocks: list[tuple[str, list[str]]] = []
    for line in body:
        key = _KEY_RE.match(line)
        if key:
            blocks.append((key[1], [line]))
        elif blocks and not line.lstrip().startswith("#"):
            blocks[-1][1].append(line)
        else:
            raise EditError(messages.KB_EDIT_UNUSUAL)
    return blocks


def _answer(answer: str) -> str:
    lines = [line.rstrip() for line in answer.strip().splitlines()]
    style = "|-" if len(lines) > 1 else ">-"
    return f"  answer: {style}\n" + "".join(f"    {line}\n" if line else "\n" for line in lines)


def _scalar(text: str) -> str:
    """Plain when it is Chinese text with nothing YAML would read otherwise, else quoted."""
    plain = (
        _CJK_RE.search(text)
        and not _SPECIAL & set(text)
        and text == text.strip()
        and not text.startswith(("-", "?"))
    )
    return text if plain else json.dumps(text, ensure_ascii=False)


def _quoted(text: str) -> str:
    """Always in double quotes, as every fact of the file is: a copied sentence keeps its
    colons, quotes and brackets as they are."""
    return json.dumps(text, ensure_ascii=False)


def save_entry(path: Path, digest: str, entry_id: str, edit: EntryEdit) -> KnowledgeBase:
    """Check and write the edited knowledge base (blocking: run it in a thread).

    Raises EditError when the file changed since `digest`, or with the problems `kb check`
    finds (nothing is written then).
    """
    text = _unchanged(path, digest)
    _printable(edit.answer, *edit.questions, *edit.keywords, *edit.related, *edit.facts)
    current = _current(path, text, entry_id)

    def as_filled(kb: KnowledgeBase) -> bool:
        entry = kb.get(entry_id)
        return entry is not None and _values(entry) == (edit.answer.strip(), *_fields(edit))

    return _replace_checked(path, edited_text(text, current, edit), as_filled)


def add_entry(path: Path, digest: str, new: Entry) -> KnowledgeBase:
    """Check and write the knowledge base with `new` added (blocking: run it in a thread)."""
    text = _unchanged(path, digest)
    _printable(new.title, new.category, new.answer, new.source, *new.questions, *new.keywords)
    _printable(*new.related, *new.facts)
    wanted = (new.title, new.category, new.questions, new.keywords, new.answer.strip(), new.facts)

    def as_filled(kb: KnowledgeBase) -> bool:
        e = kb.get(new.id)
        got = (e.title, e.category, e.questions, e.keywords, e.answer, e.facts) if e else None
        return got == wanted

    return _replace_checked(path, added_text(text, new), as_filled)


def _printable(*texts: str) -> None:
    """Refuse a character a YAML file cannot hold (a control character pasted along)."""
    if any(_UNPRINTABLE.search(t) for t in texts):
        raise EditError(messages.KB_EDIT_UNPRINTABLE)


def _unchanged(path: Path, digest: str) -> str:
    text = path.read_text(encoding="utf-8")
    if file_digest(text) != digest:
        raise EditError(messages.KB_EDIT_CHANGED)
    return text


def _replace_checked(
    path: Path, candidate: str, as_filled: Callable[[KnowledgeBase], bool]
) -> KnowledgeBase:
    """Write `candidate` beside `path`, check it like `kb check` and that it says what the form
    said, then put it in place atomically, the previous file kept as `<name>.bak`."""
    fd, temp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".edit", dir=path.parent)
    temp = Path(temp_name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8", newline="") as f:
            f.write(candidate)
            f.flush()
            os.fsync(f.fileno())
        kb, problems = check_knowledge(temp)
        errors = [str(p).replace(str(temp), path.name) for p in problems if p.severity == "error"]
        if errors or kb is None:
            raise EditError(messages.KB_EDIT_PROBLEMS.format(problems="\n".join(errors)))
        if not as_filled(kb):
            raise EditError(messages.KB_EDIT_MISMATCH)
        shutil.copy2(path, path.with_name(path.name + ".bak"))
        os.replace(temp, path)
    finally:
        temp.unlink(missing_ok=True)
    return kb


def _current(path: Path, text: str, entry_id: str) -> Entry:
    kb, _ = parse_knowledge(path)
    entry = kb.get(entry_id) if kb else None
    if entry is None:
        raise EditError(messages.KB_EDIT_NO_ENTRY.format(id=entry_id))
    return entry


def _fields(edit: EntryEdit) -> tuple[tuple[str, ...], ...]:
    return edit.questions, edit.keywords, edit.related, edit.facts


def _values(entry: Entry) -> tuple[object, ...]:
    return entry.answer, entry.questions, entry.keywords, entry.related, entry.facts
