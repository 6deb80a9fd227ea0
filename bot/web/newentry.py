"""A new 知识库 entry, usually from an unanswered group: the group's questions prefilled (as
`log suggest` drafts them), checked like `kb check` before it is added to the file."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

from aiohttp import web

from bot import messages
from bot.knowledge import Entry, load_knowledge
from bot.review import (
    LOCAL_TZ,
    EditError,
    add_entry,
    file_digest,
    unanswered_clusters,
    utc_iso,
)
from bot.understand import Matcher
from bot.web.context import staff_of, workbench
from bot.web.forms import back_to

_SPLIT = re.compile(r"[\n,，、;；]+")
_ID_SPLIT = re.compile(r"[\s,，、;；]+")
MAX_FIELD = 20_000
# the ids the /kb/{id} page can be reached by (category key, a dot, a name)
_ID_RE = re.compile(r"[a-z][a-z0-9_]*\.[a-z0-9_.]{1,80}")


async def new_page(request: web.Request) -> web.StreamResponse:
    """GET /kb/new?group=ID: the form, with the group's questions as example questions."""
    wb = workbench(request)
    if wb.kb_path is None:
        raise web.HTTPForbidden
    group = request.query.get("group", "")
    questions: tuple[str, ...] = ()
    if group.isdigit() and len(group) <= 12:
        for cluster in await unanswered_clusters(wb.store, wb.matcher):
            if cluster.id == int(group):
                questions = cluster.texts
    draft = Entry("", "", "", questions, (), "", "", "")
    digest = await asyncio.to_thread(lambda: file_digest(_read(wb.kb_path)))
    return _form(request, draft, digest)


async def add(request: web.Request) -> web.StreamResponse:
    """POST /kb/new: check and add the entry; the running bot picks the file up itself."""
    wb = workbench(request)
    if wb.kb_path is None:
        raise web.HTTPForbidden
    form = await request.post()

    def field(name: str) -> str:
        return str(form.get(name, ""))[:MAX_FIELD].strip()

    new = Entry(
        id=field("id"),
        title=field("title"),
        category=field("category"),
        questions=tuple(q.strip() for q in field("questions").splitlines() if q.strip()),
        keywords=_items(field("keywords"), _SPLIT),
        answer=field("answer"),
        source=field("source"),
        updated=wb.now().astimezone(LOCAL_TZ).date().isoformat(),
        related=_items(field("related"), _ID_SPLIT),
        facts=tuple(dict.fromkeys(f.strip() for f in field("facts").splitlines() if f.strip())),
    )
    if not _ID_RE.fullmatch(new.id):
        return _form(request, new, field("digest"), error=messages.WEB_KB_BAD_ID, status=400)
    if len(str(form.get("facts", ""))) > MAX_FIELD:  # cut short, a fact is not the source's
        too_long = messages.KB_EDIT_TOO_LONG.format(field="依据原文", limit=MAX_FIELD)
        return _form(request, new, field("digest"), error=too_long, status=400)
    try:
        await asyncio.to_thread(add_entry, wb.kb_path, field("digest"), new)
    except EditError as exc:
        return _form(request, new, field("digest"), error=str(exc), status=400)
    wb.matcher = await asyncio.to_thread(_matcher, wb.kb_path)
    await wb.store.record_audit(utc_iso(wb.now()), staff_of(request), "add", new.id, new.title)
    return back_to(request, f"/kb/{new.id}", messages.WEB_KB_ADDED.format(title=new.title))


def _read(path: Path | None) -> str:
    assert path is not None
    return path.read_text(encoding="utf-8")


def _matcher(path: Path) -> Matcher:
    return Matcher(load_knowledge(path))


def _items(text: str, split: re.Pattern[str]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(i.strip() for i in split.split(text) if i.strip()))


def _form(
    request: web.Request, new: Entry, digest: str, *, error: str = "", status: int = 200
) -> web.Response:
    wb = workbench(request)
    categories = [c.name for c in wb.matcher.kb.categories]
    return wb.render(
        request,
        "kb_new.html",
        status=status,
        new=new,
        digest=digest,
        error=error,
        categories=categories,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the new entry's pages (before /kb/{id}, which "new" would match)."""
    router.add_get("/kb/new", new_page)
    router.add_post("/kb/new", add)
