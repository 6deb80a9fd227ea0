"""The workbench's aiohttp application: security middleware, login and logout, the routes."""

from __future__ import annotations

import asyncio
import logging
import socket
from collections.abc import Awaitable, Callable

from aiohttp import web

from bot import messages
from bot.review import utc_iso
from bot.web import answered, audit, knowledge, newentry, overview, queue, records
from bot.web.auth import SESSION_SECONDS, csrf_ok, dummy_hash, verify_password
from bot.web.context import (
    COOKIE,
    SESSION_KEY,
    TEMPLATES,
    WORKBENCH,
    Workbench,
    session_of,
    workbench,
)

logger = logging.getLogger(__name__)
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
PUBLIC = frozenset({"/login", "/static/style.css"})
# Answers are at most 3500 characters; anything near this is not a form a person filled in.
MAX_BODY = 256 * 1024
MAX_NAME = 64
MAX_PASSWORD = 1024
HEADERS = {
    "Content-Security-Policy": (
        "default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self';"
        " frame-ancestors 'none'; base-uri 'none'"
    ),
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",
    "Cache-Control": "no-store",
}


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Every page but the login needs a logged-in session; every form needs its CSRF token."""
    wb = workbench(request)
    session = wb.sessions.get(request.cookies.get(COOKIE))
    if session is not None:
        request[SESSION_KEY] = session
    if request.method == "POST":
        form = await request.post()
        token = form.get("csrf")
        if session is None or not isinstance(token, str) or not csrf_ok(session, token):
            logger.warning("form refused: bad or missing CSRF token (%s)", request.path)
            return wb.render(request, "error.html", status=403, message=messages.WEB_BAD_CSRF)
    if request.path not in PUBLIC and (session is None or session.staff is None):
        if request.method == "GET":
            raise web.HTTPSeeOther("/login")
        return wb.render(request, "error.html", status=403, message=messages.WEB_LOGIN_FIRST)
    return await handler(request)


@web.middleware
async def errors(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Chinese pages for missing pages and oversized forms; a generic one for a crash."""
    response = await _page_or_error(request, handler)
    response.headers.update(HEADERS)
    return response


async def _page_or_error(request: web.Request, handler: Handler) -> web.StreamResponse:
    wb = workbench(request)
    try:
        return await handler(request)
    except web.HTTPRedirection:
        raise
    except web.HTTPNotFound:
        return wb.render(request, "error.html", status=404, message=messages.WEB_NOT_FOUND)
    except web.HTTPRequestEntityTooLarge:
        return wb.render(request, "error.html", status=413, message=messages.WEB_TOO_LARGE)
    except web.HTTPException as exc:
        return wb.render(request, "error.html", status=exc.status, message=messages.WEB_BAD)
    except Exception:  # the edge of a request: log once, show nothing of it
        logger.exception("workbench page %s failed", request.path)
        return wb.render(request, "error.html", status=500, message=messages.ERROR)


async def login_page(request: web.Request) -> web.StreamResponse:
    """GET /login: the form, with a fresh anonymous session to carry its CSRF token."""
    wb = workbench(request)
    session = session_of(request)
    if session is not None and session.staff:
        raise web.HTTPSeeOther("/")
    response = wb.render(request, "login.html", error="") if session else None
    if response is None:
        sid, session = wb.sessions.new()
        request[SESSION_KEY] = session
        response = wb.render(request, "login.html", error="")
        _set_cookie(request, response, sid)
    return response


async def login(request: web.Request) -> web.StreamResponse:
    """POST /login: check the password (scrypt, in a thread); a new session on success."""
    wb = workbench(request)
    form = await request.post()
    name = str(form.get("name", "")).strip()[:MAX_NAME]
    password = str(form.get("password", ""))[:MAX_PASSWORD]
    keys = (f"name:{name}", f"addr:{request.remote}")
    if wb.limiter.locked(*keys):
        logger.warning("login locked out for %r from %s", name, request.remote)
        return wb.render(request, "login.html", status=429, error=messages.WEB_LOCKED)
    stored = await wb.store.staff_password_hash(name) if name else None
    ok = await asyncio.to_thread(verify_password, password, stored or dummy_hash())
    if not ok or stored is None:
        wb.limiter.failed(*keys)
        logger.info("failed login for %r from %s", name, request.remote)
        return wb.render(request, "login.html", status=401, error=messages.WEB_BAD_LOGIN)
    wb.limiter.succeeded(keys[0])
    wb.sessions.end(request.cookies.get(COOKIE))
    sid, _ = wb.sessions.new(name)
    await wb.store.record_audit(utc_iso(wb.now()), name, "login")
    response = web.HTTPSeeOther("/")
    _set_cookie(request, response, sid)
    raise response


async def logout(request: web.Request) -> web.StreamResponse:
    """POST /logout: end the session."""
    workbench(request).sessions.end(request.cookies.get(COOKIE))
    response = web.HTTPSeeOther("/login")
    response.del_cookie(COOKIE, path="/")
    raise response


def _set_cookie(request: web.Request, response: web.StreamResponse, sid: str) -> None:
    response.set_cookie(
        COOKIE,
        sid,
        httponly=True,
        samesite="Strict",
        secure=request.secure,
        path="/",
        max_age=SESSION_SECONDS,
    )


def build_app(wb: Workbench) -> web.Application:
    """The workbench application over an open store and a loaded matcher."""
    app = web.Application(middlewares=[errors, guard], client_max_size=MAX_BODY)
    app[WORKBENCH] = wb
    app.router.add_get("/login", login_page)
    app.router.add_post("/login", login)
    app.router.add_post("/logout", logout)
    app.router.add_static("/static", TEMPLATES.parent / "static", append_version=False)
    overview.add_routes(app.router)
    queue.add_routes(app.router)
    answered.add_routes(app.router)
    records.add_routes(app.router)
    audit.add_routes(app.router)
    newentry.add_routes(app.router)
    knowledge.add_routes(app.router)
    return app


async def start(app: web.Application, host: str, port: int) -> tuple[web.AppRunner, int]:
    """Serve `app` on host:port (0: a free port); return the runner and the port bound."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, host, port)
    await site.start()
    server = site._server
    sockets: list[socket.socket] = list(getattr(server, "sockets", None) or ())
    return runner, int(sockets[0].getsockname()[1]) if sockets else port
