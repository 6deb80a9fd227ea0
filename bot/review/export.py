"""Export the question log to CSV for Excel (`policybot log export`)."""

from __future__ import annotations

import asyncio
import csv
import json
from pathlib import Path

from bot.privacy import mask_pii
from bot.store import LoggedQuestion, Store

# The chat id (reply_to) is left out: a spreadsheet has no use for it and travels far.
COLUMNS = (
    "id",
    "asked_at",
    "channel",
    "user_key",
    "text",
    "outcome",
    "entry_id",
    "score",
    "candidates",
    "latency_ms",
    "status",
    "answer",
    "resolved_at",
    "delivery",
    "sent_at",
    "useful",
    "not_useful",
    "replied_at",
)


def _row(q: LoggedQuestion) -> list[str]:
    values: dict[str, object] = {
        "id": q.id,
        "asked_at": q.asked_at,
        "channel": q.channel,
        "user_key": q.user_key,
        "text": mask_pii(q.text),  # masked when stored; masked again in case rules improved
        "outcome": q.outcome,
        "entry_id": q.entry_id or "",
        "score": q.score,
        "candidates": json.dumps([list(c) for c in q.candidates], ensure_ascii=False),
        "latency_ms": q.latency_ms,
        "status": q.status or "",
        "answer": q.answer or "",
        "resolved_at": q.resolved_at or "",
        "delivery": q.delivery or "",
        "sent_at": q.sent_at or "",
        "useful": q.useful,
        "not_useful": q.not_useful,
        "replied_at": q.replied_at or "",
    }
    return [str(values[c]) for c in COLUMNS]


async def export_csv(store: Store, path: Path, *, since: str = "") -> int:
    """Write questions asked at or after `since` (ISO UTC) to `path`; return how many.

    UTF-8 with a byte-order mark, so that Excel shows the Chinese text.
    """
    rows = [_row(q) async for q in store.iter_questions(since=since)]
    await asyncio.to_thread(_write, path, rows)
    return len(rows)


def _write(path: Path, rows: list[list[str]]) -> None:
    with path.open("w", encoding="utf-8-sig", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(COLUMNS)
        writer.writerows(rows)
