"""待回答: the grouped queue; answer a group with a preview of every message, then send; ignore."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from aiohttp import web

from bot import messages
from bot.review import (
    MAX_ANSWER,
    Cluster,
    GroupChanged,
    ReviewError,
    best_guesses,
    ignore_as_shown,
    plan_answer,
    send_plan,
    sent_notice,
    unanswered_clusters,
    waiting_villagers,
)
from bot.store import OPEN, LoggedQuestion
from bot.web.context import Workbench, workbench
from bot.web.forms import (
    answer_problem,
    audit,
    back_to,
    deliver_plan,
    parse_ids,
    preview_page,
)

logger = logging.getLogger(__name__)
MAX_GROUPS = 30  # per page: the biggest first, the rest counted
MAX_GUESS_TEXTS = 5


@dataclass(frozen=True)
class Guess:
    """An entry the bot thought near a group, with its answer (the editor may reuse it)."""

    title: str
    score: float
    answer: str


@dataclass(frozen=True)
class Group:
    """One group as the queue page shows it."""

    cluster: Cluster
    waiting: int
    guesses: tuple[Guess, ...]


async def queue_page(request: web.Request) -> web.StreamResponse:
    """GET /queue: the open groups, biggest first."""
    wb = workbench(request)
    clusters = await unanswered_clusters(wb.store, wb.matcher)
    questions = {q.id: q for q in await wb.store.queued_questions(OPEN)}
    groups = await asyncio.to_thread(_groups, wb, clusters[:MAX_GROUPS], questions)
    return wb.render(
        request,
        "queue.html",
        groups=groups,
        more=max(0, len(clusters) - MAX_GROUPS),
        total=sum(c.count for c in clusters),
        max_answer=MAX_ANSWER,
    )


def _groups(
    wb: Workbench, clusters: list[Cluster], questions: dict[int, LoggedQuestion]
) -> list[Group]:
    kb = wb.matcher.kb
    groups = []
    for c in clusters:
        members = [q for i in c.question_ids if (q := questions.get(i)) is not None]
        guesses = []
        for entry_id, score in best_guesses(wb.matcher, c.texts[:MAX_GUESS_TEXTS]):
            entry = kb.get(entry_id)
            if entry is not None:
                guesses.append(Guess(entry.title, score, entry.answer))
        groups.append(Group(c, waiting_villagers(members), tuple(guesses)))
    return groups


async def preview(request: web.Request) -> web.StreamResponse:
    """POST /queue/{id}/preview: exactly what each villager would receive; nothing is sent."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    answer = str((await request.post()).get("answer", ""))
    problem = answer_problem(answer)
    if problem:
        return preview_page(request, "/queue", group_id, answer, None, error=problem)
    try:
        plan = await plan_answer(wb.store, group_id, answer, matcher=wb.matcher)
    except ReviewError:
        return back_to(request, "/queue", messages.WEB_NO_GROUP.format(id=group_id))
    return preview_page(request, "/queue", group_id, answer, plan)


async def send(request: web.Request) -> web.StreamResponse:
    """POST /queue/{id}/send: answer the group as previewed, then send (or leave it pending
    for the running bot); a group that changed since the preview is previewed again."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    form = await request.post()
    answer = str(form.get("answer", ""))
    previewed = parse_ids(str(form.get("ids", "")))
    problem = answer_problem(answer)
    if problem or previewed is None:
        return preview_page(
            request, "/queue", group_id, answer, None, error=problem or messages.WEB_BAD
        )
    try:
        plan = await send_plan(wb.store, group_id, answer, previewed, matcher=wb.matcher)
    except GroupChanged:
        return await preview_again(request, group_id, answer)
    except ReviewError:
        return back_to(request, "/queue", messages.WEB_NO_GROUP.format(id=group_id))
    done = await deliver_plan(wb, plan)
    await audit(request, "answer", group_id, plan.question_ids, plan.answer)
    return back_to(request, "/queue", sent_notice(messages.WEB_SENT, group_id, plan, done))


async def preview_again(request: web.Request, group_id: int, answer: str) -> web.StreamResponse:
    """The preview of the group as it is now, with a notice that it changed."""
    wb = workbench(request)
    try:
        plan = await plan_answer(wb.store, group_id, answer, matcher=wb.matcher)
    except ReviewError:
        return back_to(request, "/queue", messages.WEB_NO_GROUP.format(id=group_id))
    return preview_page(
        request, "/queue", group_id, answer, plan, error=messages.WEB_GROUP_CHANGED
    )


async def ignore(request: web.Request) -> web.StreamResponse:
    """POST /queue/{id}/ignore: set the group aside, as it was shown on the page."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    shown = parse_ids(str((await request.post()).get("ids", "")))
    if shown is None:
        return back_to(request, "/queue", messages.WEB_BAD)
    try:
        ids = await ignore_as_shown(wb.store, group_id, shown, matcher=wb.matcher, now=wb.now())
    except GroupChanged:
        return back_to(request, "/queue", messages.WEB_IGNORE_CHANGED.format(id=group_id))
    except ReviewError:
        return back_to(request, "/queue", messages.WEB_NO_GROUP.format(id=group_id))
    await audit(request, "ignore", group_id, ids, "")
    return back_to(request, "/queue", messages.WEB_IGNORED.format(id=group_id, questions=len(ids)))


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the queue's pages."""
    router.add_get("/queue", queue_page)
    router.add_post(r"/queue/{id:\d{1,12}}/preview", preview)
    router.add_post(r"/queue/{id:\d{1,12}}/send", send)
    router.add_post(r"/queue/{id:\d{1,12}}/ignore", ignore)
