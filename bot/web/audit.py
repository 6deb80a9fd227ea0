"""操作记录: the audit log, newest first (logins, answers, corrections, ignores, exports)."""

from __future__ import annotations

from aiohttp import web

from bot.web.context import workbench

SHOWN = 200
ACTIONS = {
    "login": "登录",
    "answer": "回答",
    "correct": "更正",
    "ignore": "忽略",
    "export": "导出",
    "edit": "改知识库",
    "add": "加条目",
    "staff add": "建账号",
    "staff passwd": "改密码",
}


async def audit_page(request: web.Request) -> web.StreamResponse:
    """GET /audit: the latest lines of the audit log."""
    wb = workbench(request)
    entries = await wb.store.audit_entries(limit=SHOWN)
    return wb.render(request, "audit.html", entries=entries, actions=ACTIONS)


def add_routes(router: web.UrlDispatcher) -> None:
    """Register the audit log's page."""
    router.add_get("/audit", audit_page)
