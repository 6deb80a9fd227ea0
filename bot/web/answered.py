"""已回答: the groups editors answered, what each villager's delivery did, and a correction:
a new message marked 「更正」 to the same villagers, the earlier answer kept."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from bot import messages
from bot.dialogue import CHOSEN_BY_VILLAGER
from bot.review import GroupChanged, ReviewError, plan_correction, send_correction, sent_notice
from bot.store import FAILED, PENDING, SENT, LoggedQuestion
from bot.web.context import workbench
from bot.web.forms import (
    answer_problem,
    audit,
    back_to,
    deliver_plan,
    parse_ids,
    preview_page,
)

MAX_GROUPS = 30
BASE = "/answered"


@dataclass(frozen=True)
class Answered:
    """A group answered in one go, as the page shows it."""

    id: int
    answer: str
    resolved_at: str
    texts: tuple[str, ...]
    sent: int
    pending: int
    failed: int
    earlier: tuple[tuple[str, str], ...]


async def answered_page(request: web.Request) -> web.StreamResponse:
    """GET /answered: the latest answered groups, newest first."""
    wb = workbench(request)
    groups: dict[tuple[str, str], list[LoggedQuestion]] = {}
    for q in await wb.store.answered_questions():
        if (q.answer or "").startswith(CHOSEN_BY_VILLAGER):
            continue  # the villager tapped one of the bot's guesses: no editor's answer
        groups.setdefault((q.resolved_at or "", q.answer or ""), []).append(q)
    shown = []
    for (resolved_at, answer), members in list(groups.items())[:MAX_GROUPS]:
        first = min(q.id for q in members)
        deliveries = [q.delivery for q in members]
        shown.append(
            Answered(
                id=first,
                answer=answer,
                resolved_at=resolved_at,
                texts=tuple(dict.fromkeys(q.text for q in members)),
                sent=deliveries.count(SENT),
                pending=deliveries.count(PENDING),
                failed=deliveries.count(FAILED),
                earlier=tuple(await wb.store.earlier_answers(first)),
            )
        )
    return wb.render(request, "answered.html", groups=shown)


async def preview(request: web.Request) -> web.StreamResponse:
    """POST /answered/{id}/preview: the correction each villager would receive."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    text = str((await request.post()).get("answer", ""))
    problem = answer_problem(text)
    if problem:
        return preview_page(request, BASE, group_id, text, None, error=problem)
    try:
        plan = await plan_correction(wb.store, group_id, text, now=wb.now())
    except ReviewError:
        return back_to(request, BASE, messages.WEB_NO_ANSWERED.format(id=group_id))
    return preview_page(request, BASE, group_id, text, plan)


async def send(request: web.Request) -> web.StreamResponse:
    """POST /answered/{id}/send: store the correction as previewed, then send it."""
    wb = workbench(request)
    group_id = int(request.match_info["id"])
    form = await request.post()
    text = str(form.get("answer", ""))
    previewed = parse_ids(str(form.get("ids", "")))
    problem = answer_problem(text)
    if problem or previewed is None:
        error = problem or messages.WEB_BAD
        return preview_page(request, BASE, group_id, text, None, error=error)
    before = await wb.store.get_question(group_id)
    try:
        plan = await send_correction(wb.store, group_id, text, previewed, now=wb.now())
    except GroupChanged:
        return back_to(request, BASE, messages.WEB_GROUP_CHANGED_BACK)
    except ReviewError:
        return back_to(request, BASE, messages.WEB_NO_ANSWERED.format(id=group_id))
    done = await deliver_plan(wb, plan)
    earlier = before.answer if before and before.answer else ""
    detail = f"{earlier}\n→ {plan.answer}"
    await audit(request, "correct", group_id, plan.question_ids, detail)
    return back_to(request, BASE, sent_notice(messages.WEB_CORRECTED, group_id, plan, done))


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the answered groups' pages."""
    router.add_get(BASE, answered_page)
    router.add_post(BASE + r"/{id:\d{1,12}}/preview", preview)
    router.add_post(BASE + r"/{id:\d{1,12}}/send", send)
