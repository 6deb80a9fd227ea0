"""问答记录: search by day, outcome, entry and text; download the same rows as .xlsx or CSV."""

from __future__ import annotations

import asyncio
import datetime as dt
from urllib.parse import urlencode

from aiohttp import web

from bot import messages
from bot.review import (
    MAX_EXPORT,
    RecordQuery,
    find_records,
    record_rows,
    records_csv,
    records_xlsx,
    utc_iso,
)
from bot.web.context import staff_of, workbench

SHOWN = 200
MAX_TEXT = 100
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _query(request: web.Request) -> tuple[RecordQuery, str]:
    """The search from the address's parameters, and what was wrong with them ('' if none)."""
    params = request.query
    problem = ""
    days: list[dt.date | None] = []
    for name in ("from", "to"):
        text = params.get(name, "").strip()
        try:
            days.append(dt.date.fromisoformat(text) if text else None)
        except ValueError:
            days.append(None)
            problem = messages.WEB_BAD_DATE
    outcome = params.get("outcome", "")
    query = RecordQuery(
        first_day=days[0],
        last_day=days[1],
        outcome=outcome if outcome in messages.OUTCOME_NAMES else "",
        entry_id=params.get("entry", "")[:MAX_TEXT],
        text=params.get("q", "").strip()[:MAX_TEXT],
    )
    return query, problem


async def records_page(request: web.Request) -> web.StreamResponse:
    """GET /records: the search form and the newest matching questions."""
    wb = workbench(request)
    query, problem = _query(request)
    found = await find_records(wb.store, query, limit=SHOWN + 1)
    titles = wb.titles()
    kept = {k: v for k, v in request.query.items() if k in ("from", "to", "outcome", "entry", "q")}
    return wb.render(
        request,
        "records.html",
        query=query,
        problem=problem,
        headers=messages.RECORD_HEADERS,
        rows=record_rows(found[:SHOWN], titles),
        more=len(found) > SHOWN,
        outcomes=messages.OUTCOME_NAMES,
        entries=sorted(titles.items(), key=lambda item: item[1]),
        params=urlencode(kept),
    )


async def export(request: web.Request) -> web.StreamResponse:
    """GET /records.xlsx or /records.csv: every matching question (up to MAX_EXPORT)."""
    wb = workbench(request)
    query, _ = _query(request)
    kind = request.match_info["kind"]
    found = await find_records(wb.store, query, limit=MAX_EXPORT)
    rows = record_rows(found, wb.titles())
    build = records_xlsx if kind == "xlsx" else records_csv
    body = await asyncio.to_thread(build, rows)
    await wb.store.record_audit(
        utc_iso(wb.now()), staff_of(request), "export", kind, f"{len(rows)} rows {query}"
    )
    stamp = wb.now().strftime("%Y%m%d-%H%M")
    return web.Response(
        body=body,
        content_type=XLSX if kind == "xlsx" else "text/csv",
        charset=None if kind == "xlsx" else "utf-8",
        headers={"Content-Disposition": f'attachment; filename="records-{stamp}.{kind}"'},
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the records' pages."""
    router.add_get("/records", records_page)
    router.add_get(r"/records.{kind:xlsx|csv}", export)
