"""问答记录: finding questions by date, outcome, entry and text, and exporting them for Excel
(CSV and .xlsx: Chinese headers, Beijing time, entry titles, one row per question, no cell
that a spreadsheet would run as a formula)."""

from __future__ import annotations

import csv
import datetime as dt
import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from bot import messages
from bot.privacy import mask_pii
from bot.review.stats import LOCAL_TZ, local_day_start, utc_iso
from bot.store import LoggedQuestion, Store

Cell = str | int | float
# Spreadsheets run a cell that starts with one of these as a formula (=HYPERLINK(…), +1+1,
# -2+3, @SUM…, and tab or CR before them); OWASP's advice: a leading apostrophe.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r", "\n")
MAX_EXPORT = 100_000


@dataclass(frozen=True)
class RecordQuery:
    """What to look for; empty fields match everything. Days are local (Beijing) days."""

    first_day: dt.date | None = None
    last_day: dt.date | None = None
    outcome: str = ""
    entry_id: str = ""
    text: str = ""


async def find_records(
    store: Store, query: RecordQuery, *, limit: int = 200
) -> list[LoggedQuestion]:
    """The questions matching `query`, newest first."""
    since = utc_iso(local_day_start(query.first_day)) if query.first_day else ""
    until = ""
    if query.last_day:
        until = utc_iso(local_day_start(query.last_day + dt.timedelta(days=1)))
    return await store.search_questions(
        since=since,
        until=until,
        outcome=query.outcome,
        entry_id=query.entry_id,
        text=query.text,
        limit=limit,
    )


def local_time(iso: str) -> str:
    """An ISO UTC time as Beijing time, `YYYY-MM-DD HH:MM:SS` (the text itself if no time)."""
    try:
        return dt.datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M:%S")
    except ValueError:
        return iso


def record_rows(
    questions: Sequence[LoggedQuestion], titles: Mapping[str, str]
) -> list[tuple[Cell, ...]]:
    """One row per question under messages.RECORD_HEADERS (chat ids are never exported)."""
    return [
        (
            q.id,
            local_time(q.asked_at),
            messages.CHANNEL_NAMES.get(q.channel, q.channel),
            mask_pii(q.text),  # masked when stored; masked again in case the rules improved
            messages.OUTCOME_NAMES.get(q.outcome, q.outcome),
            q.entry_id or "",
            titles.get(q.entry_id or "", ""),
            round(q.score, 1),
            messages.QUEUE_NAMES.get(q.status or "", ""),
            q.answer or "",
            messages.DELIVERY_NAMES.get(q.delivery or "", ""),
            q.useful,
            q.not_useful,
        )
        for q in questions
    ]


def neutralize(value: Cell) -> Cell:
    """A text a spreadsheet would take for a formula, made plain text (leading apostrophe)."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def records_csv(rows: Sequence[Sequence[Cell]]) -> bytes:
    """CSV in UTF-8 with a byte-order mark (Excel shows the Chinese), formulas neutralized."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(messages.RECORD_HEADERS)
    writer.writerows([[neutralize(c) for c in row] for row in rows])
    return out.getvalue().encode("utf-8-sig")


def records_xlsx(rows: Sequence[Sequence[Cell]]) -> bytes:
    """An .xlsx workbook of the rows; every text cell is stored as text, never a formula."""
    from openpyxl import Workbook  # only the export needs it

    book = Workbook(write_only=False)
    sheet = book.active
    assert sheet is not None
    sheet.title = "问答记录"
    sheet.append(list(messages.RECORD_HEADERS))
    for row in rows:
        sheet.append([neutralize(c) for c in row])
    for cells in sheet.iter_rows(min_row=2):
        for cell in cells:
            if isinstance(cell.value, str):
                cell.data_type = "s"  # openpyxl would store "=…" as a formula otherwise
    sheet.freeze_panes = "A2"
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
