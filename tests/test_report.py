"""The staff report: a phone-sized PNG whose Chinese text is drawn in a font that has it."""

from __future__ import annotations

import datetime as dt
import string
from pathlib import Path

import matplotlib.image
from matplotlib import font_manager
from matplotlib.text import Text

from bot import messages
from bot.review import Cluster, collect_stats, unanswered_clusters
from bot.review.report import cjk_font, draw_report, has_glyphs, render_report
from bot.store import QuestionRecord, Store
from bot.understand import Matcher

NOW = dt.datetime(2026, 11, 29, 4, 0, tzinfo=dt.UTC)


def literal_text(template: str) -> str:
    """The fixed characters of a format string (placeholders removed)."""
    return "".join(part for part, *_ in string.Formatter().parse(template))


def report_labels() -> list[str]:
    return [literal_text(v) for k, v in vars(messages).items() if k.startswith("REPORT_")]


async def fill(store: Store) -> None:
    rows = [
        ("雨露计划咋申请", "answer", "edu.yulu_plan", 0),
        ("雨露计划", "answer", "edu.yulu_plan", 1),
        ("看病", "clarify", None, 1),
        ("村里路灯坏了找谁修🙏", "unknown", None, 2),
        ("路灯不亮了归谁管", "unknown", None, 0),
        ("美国大选谁赢了", "unknown", None, 5),
    ]
    for text, outcome, entry_id, days_ago in rows:
        asked = (NOW - dt.timedelta(days=days_ago)).isoformat(timespec="seconds")
        await store.record_question(
            QuestionRecord(
                asked, "telegram", "telegram:1", "1", text, outcome, entry_id, 50.0, [], 1.0
            )
        )


def test_the_report_font_has_every_label_and_topic_title(matcher: Matcher) -> None:
    font = cjk_font()
    for label in report_labels():
        assert has_glyphs(font, label), label
    for entry in matcher.kb.entries:
        assert has_glyphs(font, entry.title), entry.title
    assert has_glyphs(font, string.digits + "%#…～（）：，")


def test_the_glyph_check_can_fail() -> None:
    latin_only = Path(font_manager.findfont("DejaVu Sans", fallback_to_default=False))
    assert has_glyphs(latin_only, "report 2026")
    assert not has_glyphs(latin_only, "每天的问题")


async def test_every_text_of_the_report_is_set_in_the_cjk_font(
    tmp_path: Path, matcher: Matcher
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        await fill(store)
        stats = await collect_stats(store, days=14, now=NOW)
        clusters = await unanswered_clusters(store, matcher)
    figure = draw_report(stats, clusters, tmp_path / "r.png")
    texts = [t for t in figure.findobj(Text) if t.get_text().strip()]
    assert any("路灯" in t.get_text() for t in texts)
    assert not any("🙏" in t.get_text() for t in texts), "a glyph the font lacks is dropped"
    _assert_drawn_in_cjk_font(texts)


def _assert_drawn_in_cjk_font(texts: list[Text]) -> None:
    font = cjk_font().resolve()
    for text in texts:
        used = Path(font_manager.findfont(text.get_fontproperties(), fallback_to_default=False))
        assert used.resolve() == font, text.get_text()
        assert has_glyphs(font, text.get_text()), text.get_text()


async def test_render_report_writes_a_phone_sized_png(tmp_path: Path, matcher: Matcher) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        await fill(store)
        path = await render_report(
            store, tmp_path / "report.png", days=7, now=NOW, matcher=matcher
        )
    assert path.read_bytes().startswith(b"\x89PNG")
    height, width, _ = matplotlib.image.imread(path).shape
    assert (width, height) == (1080, 1920)


async def test_an_empty_log_still_draws(tmp_path: Path) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        path = await render_report(store, tmp_path / "empty.png", days=1, now=NOW)
    assert path.stat().st_size > 0


async def test_long_and_many_labels_fit(tmp_path: Path) -> None:
    """Ten groups with 200-character questions: drawn without error, top six shown."""
    clusters = [
        Cluster(i, 10 - i, "2026-11-01", "2026-11-02", ("长" * 200,), (i,), None, 0.0)
        for i in range(10)
    ]
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        stats = await collect_stats(store, days=30, now=NOW)
    figure = draw_report(stats, clusters, tmp_path / "long.png")
    labels = [t.get_text() for t in figure.findobj(Text) if t.get_text().startswith("#")]
    assert len(labels) == 6
    assert all(len(label) < 40 for label in labels)
