"""知识库: list and search the entries; edit an entry's answer, example questions, keywords,
facts (依据原文) and related ids, checked like `kb check` before the file is replaced (the old
one kept)."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from bot import messages
from bot.knowledge import Entry, load_knowledge
from bot.review import EditError, EntryEdit, file_digest, save_entry, utc_iso
from bot.understand import Matcher
from bot.web.context import Workbench, staff_of, workbench
from bot.web.forms import back_to

_LIST_SPLIT = re.compile(r"[\n,，、;；]+")
_ID_SPLIT = re.compile(r"[\s,，、;；]+")
MAX_FIELD = 20_000


async def list_page(request: web.Request) -> web.StreamResponse:
    """GET /kb: the entries, filtered by a word in their id, title, questions or keywords."""
    wb = workbench(request)
    word = request.query.get("q", "").strip()[:100]
    entries = [e for e in wb.matcher.kb.entries if not word or word in _haystack(e)]
    return wb.render(request, "kb_list.html", entries=entries, word=word)


def _haystack(entry: Entry) -> str:
    return "\n".join([entry.id, entry.title, *entry.questions, *entry.keywords])


async def entry_page(request: web.Request) -> web.StreamResponse:
    """GET /kb/{id}: the form for one entry, filled with what the file says now."""
    wb = workbench(request)
    entry = _entry(wb, request.match_info["id"])
    digest = await asyncio.to_thread(_digest, wb)
    return _form(request, entry, _edit_of(entry), digest)


async def save(request: web.Request) -> web.StreamResponse:
    """POST /kb/{id}: check and save the edit; the running bot picks the file up itself."""
    wb = workbench(request)
    entry = _entry(wb, request.match_info["id"])
    if wb.kb_path is None:
        raise web.HTTPForbidden
    form = await request.post()
    facts = str(form.get("facts", ""))
    edit = EntryEdit(
        answer=str(form.get("answer", ""))[:MAX_FIELD].strip(),
        questions=_lines(str(form.get("questions", ""))),
        keywords=_items(str(form.get("keywords", "")), _LIST_SPLIT),
        related=_items(str(form.get("related", "")), _ID_SPLIT),
        # a form from before the page had facts leaves them as they are
        facts=tuple(dict.fromkeys(_lines(facts))) if "facts" in form else entry.facts,
    )
    digest = str(form.get("digest", ""))
    if len(facts) > MAX_FIELD:  # cut short, a fact would no longer be the source's words
        error = messages.KB_EDIT_TOO_LONG.format(field="依据原文", limit=MAX_FIELD)
        return _form(request, entry, edit, digest, error=error, status=400)
    try:
        kb = await asyncio.to_thread(save_entry, wb.kb_path, digest, entry.id, edit)
    except EditError as exc:
        return _form(request, entry, edit, digest, error=str(exc), status=400)
    wb.matcher = await asyncio.to_thread(_matcher, wb.kb_path)
    changed = [f for f, old, new in _fields(entry, edit) if old != new]
    await wb.store.record_audit(
        utc_iso(wb.now()), staff_of(request), "edit", entry.id, ", ".join(changed)
    )
    assert kb.get(entry.id) is not None
    return back_to(request, f"/kb/{entry.id}", messages.WEB_KB_SAVED.format(title=entry.title))


def _matcher(path: Path) -> Matcher:
    return Matcher(load_knowledge(path))


def _fields(entry: Entry, edit: EntryEdit) -> list[tuple[str, object, object]]:
    return [
        ("answer", entry.answer, edit.answer),
        ("questions", entry.questions, edit.questions),
        ("keywords", entry.keywords, edit.keywords),
        ("facts", entry.facts, edit.facts),
        ("related", entry.related, edit.related),
    ]


def _entry(wb: Workbench, entry_id: str) -> Entry:
    entry = wb.matcher.kb.get(entry_id)
    if entry is None:
        raise web.HTTPNotFound
    return entry


def _digest(wb: Workbench) -> str:
    return file_digest(wb.kb_path.read_text(encoding="utf-8")) if wb.kb_path else ""


def _edit_of(entry: Entry) -> EntryEdit:
    return EntryEdit(entry.answer, entry.questions, entry.keywords, entry.related, entry.facts)


def _lines(text: str) -> tuple[str, ...]:
    return tuple(line.strip() for line in text[:MAX_FIELD].splitlines() if line.strip())


def _items(text: str, split: re.Pattern[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip() for i in split.split(text[:MAX_FIELD]) if i.strip()))


def _form(
    request: web.Request,
    entry: Entry,
    edit: EntryEdit,
    digest: str,
    *,
    error: str = "",
    status: int = 200,
) -> web.Response:
    wb = workbench(request)
    return wb.render(
        request,
        "kb_entry.html",
        status=status,
        entry=entry,
        edit=edit,
        digest=digest,
        error=error,
        editable=wb.kb_path is not None,
        titles=wb.titles(),
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the knowledge base's pages."""
    router.add_get("/kb", list_page)
    router.add_get(r"/kb/{id:[A-Za-z0-9_.-]{1,100}}", entry_page)
    router.add_post(r"/kb/{id:[A-Za-z0-9_.-]{1,100}}", save)
