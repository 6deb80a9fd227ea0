"""概况: today, 7 and 30 days at a glance, top topics, the biggest unanswered groups."""

from __future__ import annotations

from aiohttp import web

from bot.review import collect_stats, unanswered_clusters
from bot.web.context import workbench

TOP_GROUPS = 5


async def overview_page(request: web.Request) -> web.StreamResponse:
    """GET /: the figures staff look at first."""
    wb = workbench(request)
    now = wb.now()
    titles = wb.titles()
    week = await collect_stats(wb.store, days=7, now=now, titles=titles)
    month = await collect_stats(wb.store, days=30, now=now, titles=titles, top=10)
    clusters = await unanswered_clusters(wb.store, wb.matcher)
    periods = (("今天", week.today), ("近 7 天", week.period), ("近 30 天", month.period))
    peak = max((d.questions for d in month.daily), default=0)
    return wb.render(
        request,
        "overview.html",
        periods=periods,
        daily=month.daily,
        peak=max(peak, 1),
        topics=month.top_topics,
        groups=clusters[:TOP_GROUPS],
        open_groups=len(clusters),
        open_questions=month.open_unanswered,
        titles=titles,
        generated_at=month.generated_at,
    )


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the overview page."""
    router.add_get("/", overview_page)
