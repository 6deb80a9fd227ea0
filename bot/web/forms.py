"""What the answer and correction pages share: checking a form, the preview, sending, the
audit line, and going back to a list with a notice."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from aiohttp import web

from bot import messages
from bot.review import MAX_ANSWER, AnswerPlan, Delivery, deliver, probable_slip, utc_iso
from bot.web.context import Workbench, session_of, staff_of, workbench

logger = logging.getLogger(__name__)
MAX_IDS = 10_000


def answer_problem(answer: str) -> str:
    """What is wrong with an answer typed in a form, in Chinese ('' when nothing is)."""
    if not answer.strip():
        return messages.WEB_EMPTY_ANSWER
    if len(answer.strip()) > MAX_ANSWER:
        return messages.WEB_LONG_ANSWER.format(limit=MAX_ANSWER)
    if probable_slip(answer):
        return messages.ANSWER_SLIP.format(answer=answer.strip())
    return ""


def parse_ids(text: str) -> list[int] | None:
    """The question ids a preview carried ("1,2,3"), or None when the field is malformed."""
    parts = text.split(",")
    if not text or len(parts) > MAX_IDS or not all(p.isdigit() and len(p) <= 12 for p in parts):
        return None
    return [int(p) for p in parts]


def preview_page(
    request: web.Request,
    base: str,
    group_id: int,
    answer: str,
    plan: AnswerPlan | None,
    *,
    error: str = "",
) -> web.Response:
    """The preview of `plan` (every message exactly as sent), with send and edit forms."""
    wb = workbench(request)
    return wb.render(
        request,
        "preview.html",
        status=200 if plan else 400,
        base=base,
        correcting=base == "/answered",
        group_id=group_id,
        answer=answer,
        plan=plan,
        ids=",".join(map(str, plan.question_ids)) if plan else "",
        error=error,
        sends_now=wb.sender is not None,
        max_answer=MAX_ANSWER,
    )


async def deliver_plan(wb: Workbench, plan: AnswerPlan) -> Delivery:
    """Send the plan's messages now when a Bot API sender is wired in; else (or when Telegram
    cannot be reached) they stay pending for the running bot."""
    if wb.sender is None or not plan.recipients:
        return Delivery()
    try:
        return await deliver(wb.store, plan.recipients, wb.sender)
    except Exception:  # the answers stay pending: the running bot sends them
        logger.warning("could not send through the Bot API", exc_info=True)
        return Delivery()


async def audit(
    request: web.Request, action: str, group_id: int, ids: Sequence[int], detail: str
) -> None:
    """Write who did `action` to which questions into the audit log."""
    wb = workbench(request)
    target = f"group {group_id}: questions {','.join(map(str, ids))}"
    await wb.store.record_audit(utc_iso(wb.now()), staff_of(request), action, target, detail)


def back_to(request: web.Request, path: str, notice: str) -> web.StreamResponse:
    """Redirect to `path` (POST, then GET), showing `notice` there once."""
    session = session_of(request)
    if session is not None:
        session.notice = notice
    raise web.HTTPSeeOther(path)
