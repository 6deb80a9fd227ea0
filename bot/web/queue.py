"""待回答: the grouped queue; answer a group with a preview of every message, then send; ignore."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Sequence
from dataclasses import dataclass

from aiohttp import web

from bot import messages
from bot.review import (
    MAX_ANSWER,
    AnswerPlan,
    Cluster,
    Delivery,
    GroupChanged,
    ReviewError,
    best_guesses,
    deliver,
    ignore_group,
    plan_answer,
    send_plan,
    unanswered_clusters,
    utc_iso,
    waiting_villagers,
)
from bot.store import OPEN, LoggedQuestion
from bot.web.context import Workbench, session_of, staff_of, workbench

logger = logging.getLogger(__name__)
MAX_GROUPS = 30  # per page: the biggest first, the rest counted
MAX_GUESS_TEXTS = 5
MAX_IDS = 10_000


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
    problem = _answer_problem(answer)
    if problem:
        return _preview_page(request, group_id, answer, None, error=problem)
    try:
        plan = await plan_answer(wb.store, group_id, answer, matcher=wb.matcher)
    except ReviewError:
        return _back_to_queue(request, messages.WEB_NO_GROUP.format(id=group_id))
    return _preview_page(request, group_id, answer, plan)


async def send(request: web.Request) -> web.StreamResponse:
    """POST /queue/{id}/send: answer the group as previewed, then send (or leave it pending
    for the running bot); a group that changed since the preview is previewed again."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    form = await request.post()
    answer = str(form.get("answer", ""))
    previewed = _ids(str(form.get("ids", "")))
    problem = _answer_problem(answer)
    if problem or previewed is None:
        return _preview_page(request, group_id, answer, None, error=problem or messages.WEB_BAD)
    try:
        plan = await send_plan(wb.store, group_id, answer, previewed, matcher=wb.matcher)
    except GroupChanged:
        return await preview_again(request, group_id, answer)
    except ReviewError:
        return _back_to_queue(request, messages.WEB_NO_GROUP.format(id=group_id))
    done = await _deliver(wb, plan)
    await _audit(request, "answer", group_id, plan.question_ids, plan.answer)
    pending = len(plan.recipients) - len(done.sent) - len(done.failed)
    notice = messages.WEB_SENT.format(
        id=group_id,
        questions=len(plan.question_ids),
        sent=len(done.sent),
        failed=len(done.failed),
        pending=pending,
    )
    return _back_to_queue(request, notice)


async def preview_again(request: web.Request, group_id: int, answer: str) -> web.StreamResponse:
    """The preview of the group as it is now, with a notice that it changed."""
    wb = workbench(request)
    try:
        plan = await plan_answer(wb.store, group_id, answer, matcher=wb.matcher)
    except ReviewError:
        return _back_to_queue(request, messages.WEB_NO_GROUP.format(id=group_id))
    return _preview_page(request, group_id, answer, plan, error=messages.WEB_GROUP_CHANGED)


async def _deliver(wb: Workbench, plan: AnswerPlan) -> Delivery:
    if wb.sender is None or not plan.recipients:
        return Delivery()
    try:
        return await deliver(wb.store, plan.recipients, wb.sender)
    except Exception:  # the answers stay pending: the running bot sends them
        logger.warning("could not send through the Bot API", exc_info=True)
        return Delivery()


async def ignore(request: web.Request) -> web.StreamResponse:
    """POST /queue/{id}/ignore: set the group aside."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    ids = await ignore_group(wb.store, group_id, matcher=wb.matcher, now=wb.now())
    if not ids:
        return _back_to_queue(request, messages.WEB_NO_GROUP.format(id=group_id))
    await _audit(request, "ignore", group_id, ids, "")
    return _back_to_queue(request, messages.WEB_IGNORED.format(id=group_id, questions=len(ids)))


def _answer_problem(answer: str) -> str:
    if not answer.strip():
        return messages.WEB_EMPTY_ANSWER
    if len(answer.strip()) > MAX_ANSWER:
        return messages.WEB_LONG_ANSWER.format(limit=MAX_ANSWER)
    return ""


def _ids(text: str) -> list[int] | None:
    parts = text.split(",")
    if not text or len(parts) > MAX_IDS or not all(p.isdigit() and len(p) <= 12 for p in parts):
        return None
    return [int(p) for p in parts]


def _preview_page(
    request: web.Request, group_id: int, answer: str, plan: AnswerPlan | None, *, error: str = ""
) -> web.Response:
    wb = workbench(request)
    return wb.render(
        request,
        "preview.html",
        status=200 if plan else 400,
        group_id=group_id,
        answer=answer,
        plan=plan,
        ids=",".join(map(str, plan.question_ids)) if plan else "",
        error=error,
        sends_now=wb.sender is not None,
        max_answer=MAX_ANSWER,
    )


def _back_to_queue(request: web.Request, notice: str) -> web.StreamResponse:
    session = session_of(request)
    if session is not None:
        session.notice = notice
    raise web.HTTPSeeOther("/queue")


async def _audit(
    request: web.Request, action: str, group_id: int, ids: Sequence[int], detail: str
) -> None:
    wb = workbench(request)
    target = f"group {group_id}: questions {','.join(map(str, ids))}"
    await wb.store.record_audit(utc_iso(wb.now()), staff_of(request), action, target, detail)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the queue's pages."""
    router.add_get("/queue", queue_page)
    router.add_post(r"/queue/{id:\d{1,12}}/preview", preview)
    router.add_post(r"/queue/{id:\d{1,12}}/send", send)
    router.add_post(r"/queue/{id:\d{1,12}}/ignore", ignore)
