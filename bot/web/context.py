"""What every page of the workbench shares: the store, the matcher, sessions, templates."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import jinja2
from aiohttp import web

from bot.review import LOCAL_TZ, Sender
from bot.store import Store
from bot.understand import Matcher
from bot.web.auth import LoginLimiter, Session, Sessions

TEMPLATES = Path(__file__).resolve().parent / "templates"
COOKIE = "policybot_session"


def _local_time(iso: str) -> str:
    try:
        return dt.datetime.fromisoformat(iso).astimezone(LOCAL_TZ).strftime("%Y-%m-%d %H:%M")
    except ValueError:
        return iso


def templates() -> jinja2.Environment:
    """Jinja2 with autoescape on everywhere: every villager's text is shown as text."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(TEMPLATES),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["local_time"] = _local_time
    return env


@dataclass
class Workbench:
    """The running workbench: shared by every request handler."""

    store: Store
    matcher: Matcher
    sender: Sender | None = None
    kb_path: Path | None = None  # the file 知识库 edits (None: the page only reads)
    sessions: Sessions = field(default_factory=Sessions)
    limiter: LoginLimiter = field(default_factory=LoginLimiter)
    env: jinja2.Environment = field(default_factory=templates)
    now: Callable[[], dt.datetime] = lambda: dt.datetime.now(dt.UTC)

    def titles(self) -> dict[str, str]:
        """Entry id → title, for the pages."""
        return {e.id: e.title for e in self.matcher.kb.entries}

    def render(
        self, request: web.Request, name: str, *, status: int = 200, **values: object
    ) -> web.Response:
        """Render template `name` for the request's session (its CSRF token, its notice)."""
        session = session_of(request)
        html = self.env.get_template(name).render(
            csrf=session.csrf if session else "",
            staff=session.staff if session else None,
            notice=session.take_notice() if session else "",
            **values,
        )
        return web.Response(text=html, content_type="text/html", charset="utf-8", status=status)


WORKBENCH: web.AppKey[Workbench] = web.AppKey("workbench", Workbench)
SESSION_KEY: web.RequestKey[Session] = web.RequestKey("session", Session)


def workbench(request: web.Request) -> Workbench:
    """The workbench serving `request`."""
    return request.app[WORKBENCH]


def session_of(request: web.Request) -> Session | None:
    """The request's session, found by the middleware (None before one exists)."""
    return request.get(SESSION_KEY)


def staff_of(request: web.Request) -> str:
    """The logged-in staff member's name (the middleware has made sure there is one)."""
    session = session_of(request)
    assert session is not None
    assert session.staff is not None
    return session.staff
