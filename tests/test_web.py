"""The workbench over plain HTTP on a real server (127.0.0.1, a free port): logins, sessions
and CSRF, hostile input (bad ids, missing fields, huge bodies), a group that changes between
preview and send, the audit log, and `policybot staff`."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import re
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import openpyxl
import pytest

from bot import messages
from bot.cli import main
from bot.config import Settings
from bot.dialogue import CHOSEN_BY_VILLAGER
from bot.review import MAX_ANSWER, pending_replies
from bot.store import IGNORED, OPEN, PENDING, RESOLVED, SKIPPED, Store
from bot.understand import Matcher
from bot.web import LoginLimiter, Workbench, build_app, hash_password, start, verify_password
from handlers.outbox import bot_api_sender
from tests.fakes.botapi import TOKEN, running_fake
from tests.fakes.workbench import villager_question

NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EDITOR, PASSWORD = "editor", "correct-horse-battery"
LAMP = ["村里路灯坏了找谁修", "路灯不亮了归谁管", "村口路灯坏了咋办"]
ANSWER = "路灯归村委会管，请打村委会电话报修。"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


class Site:
    """A served workbench, its store, and a browser-like client with a cookie jar."""

    def __init__(self, url: str, store: Store, client: aiohttp.ClientSession) -> None:
        self.url, self.store, self.client = url, store, client
        self.csrf = ""

    async def get(self, path: str) -> tuple[int, str]:
        async with self.client.get(self.url + path, allow_redirects=True) as r:
            text = await r.text()
            found = CSRF_RE.search(text)
            self.csrf = found[1] if found else self.csrf
            return r.status, text

    async def post(self, path: str, data: dict[str, str], *, csrf: bool = True) -> tuple[int, str]:
        form = {"csrf": self.csrf, **data} if csrf else data
        async with self.client.post(self.url + path, data=form, allow_redirects=True) as r:
            text = await r.text()
            found = CSRF_RE.search(text)
            self.csrf = found[1] if found else self.csrf
            return r.status, text

    async def log_in(self, password: str = PASSWORD) -> tuple[int, str]:
        await self.get("/login")
        return await self.post("/login", {"name": EDITOR, "password": password})

    async def seed(self, *texts_and_chats: tuple[str, int]) -> list[int]:
        return [
            await self.store.record_question(
                villager_question(text, chat, asked_at=NOW - dt.timedelta(hours=len(text)))
            )
            for text, chat in texts_and_chats
        ]


@pytest.fixture
async def site(db_target: Path | str, matcher: Matcher) -> AsyncIterator[Site]:
    """The workbench on a store of each backend, with one editor's account."""
    store = await Store.open(db_target)
    await store.add_staff(EDITOR, hash_password(PASSWORD), NOW.isoformat())
    wb = Workbench(store=store, matcher=matcher, limiter=LoginLimiter(max_failures=3))
    runner, port = await start(build_app(wb), "127.0.0.1", 0)
    # unsafe: keep cookies for an IP address host (127.0.0.1), as a browser does
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        yield Site(f"http://127.0.0.1:{port}", store, client)
    await runner.cleanup()
    await store.close()


async def test_without_a_login_pages_lead_to_the_login_and_forms_are_refused(site: Site) -> None:
    (qid,) = await site.seed((LAMP[0], 101))
    async with site.client.get(site.url + "/queue", allow_redirects=False) as r:
        assert (r.status, r.headers["Location"]) == (303, "/login")
    await site.get("/login")  # an anonymous session with a token is not a login
    status, text = await site.post(f"/queue/{qid}/send", {"answer": ANSWER, "ids": str(qid)})
    assert status == 403
    assert messages.WEB_LOGIN_FIRST in text
    assert LAMP[0] not in text
    assert (await site.store.get_question(qid)).status == OPEN  # type: ignore[union-attr]


async def test_the_session_cookie_is_httponly_and_samesite_and_pages_forbid_scripts(
    site: Site,
) -> None:
    await site.get("/login")
    async with site.client.post(
        site.url + "/login",
        data={"csrf": site.csrf, "name": EDITOR, "password": PASSWORD},
        allow_redirects=False,
    ) as r:
        assert r.status == 303
        cookie = r.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Strict" in cookie
    async with site.client.get(site.url + "/queue") as r:
        assert "script-src" not in r.headers["Content-Security-Policy"]
        assert "default-src 'none'" in r.headers["Content-Security-Policy"]
        assert r.headers["X-Frame-Options"] == "DENY"


async def test_a_login_without_its_csrf_token_is_refused(site: Site) -> None:
    await site.get("/login")
    status, text = await site.post(
        "/login", {"name": EDITOR, "password": PASSWORD, "csrf": "forged"}, csrf=False
    )
    assert status == 403
    assert messages.WEB_BAD_CSRF in text


async def test_failed_logins_lock_out_even_the_right_password(site: Site) -> None:
    for _ in range(3):
        status, text = await site.log_in("wrong")
        assert (status, messages.WEB_BAD_LOGIN in text) == (401, True)
    status, text = await site.log_in()
    assert (status, messages.WEB_LOCKED in text) == (429, True)
    status, text = await site.post("/login", {"name": "nobody", "password": "x" * 10_000})
    assert status == 429, "the address is locked out too"


async def test_bad_group_ids_find_nothing(site: Site) -> None:
    await site.log_in()
    for path in ("/queue/abc/preview", "/queue/-1/send", "/queue/1234567890123/ignore"):
        status, text = await site.post(path, {"answer": ANSWER})
        assert (status, messages.WEB_NOT_FOUND in text) == (404, True), path
    status, text = await site.post("/queue/999/preview", {"answer": ANSWER})
    assert status == 200
    assert messages.WEB_NO_GROUP.format(id=999) in text
    _, text = await site.post("/queue/999/ignore", {"ids": "999"})
    assert messages.WEB_NO_GROUP.format(id=999) in text
    _, text = await site.post("/queue/999/ignore", {"ids": "x"})
    assert messages.WEB_BAD in text


async def test_missing_or_malformed_fields_change_nothing(site: Site) -> None:
    (qid,) = await site.seed((LAMP[0], 101))
    await site.log_in()
    status, text = await site.post(f"/queue/{qid}/preview", {})
    assert (status, messages.WEB_EMPTY_ANSWER in text) == (400, True)
    status, text = await site.post(f"/queue/{qid}/preview", {"answer": " \n\t "})
    assert (status, messages.WEB_EMPTY_ANSWER in text) == (400, True)
    for ids in ("", "1,x", "1;2", "9" * 13, ",".join(["1"] * 10_001)):
        status, _ = await site.post(f"/queue/{qid}/send", {"answer": ANSWER, "ids": ids})
        assert status == 400, ids
    status, _ = await site.post(f"/queue/{qid}/send", {"ids": str(qid)})
    assert status == 400
    assert (await site.store.get_question(qid)).status == OPEN  # type: ignore[union-attr]


async def test_huge_input_is_refused_politely(site: Site) -> None:
    (qid,) = await site.seed((LAMP[0], 101))
    await site.log_in()
    status, text = await site.post(f"/queue/{qid}/preview", {"answer": "长" * (MAX_ANSWER + 1)})
    assert status == 400
    assert messages.WEB_LONG_ANSWER.format(limit=MAX_ANSWER) in text
    body = io.BytesIO(f"csrf={site.csrf}&answer=".encode() + b"x" * 2_000_000)
    headers = {"Content-Type": "application/x-www-form-urlencoded"}
    async with site.client.post(
        f"{site.url}/queue/{qid}/preview", data=body, headers=headers
    ) as r:
        assert r.status == 413
        assert messages.WEB_TOO_LARGE in await r.text()
    assert (await site.store.get_question(qid)).status == OPEN  # type: ignore[union-attr]


async def test_a_group_that_grew_after_the_preview_is_shown_again_not_sent(site: Site) -> None:
    ids = await site.seed((LAMP[0], 101), (LAMP[1], 102))
    await site.log_in()
    _, text = await site.post(f"/queue/{ids[0]}/preview", {"answer": ANSWER})
    previewed = re.search(r'name="ids" value="([^"]+)"', text)
    assert previewed is not None
    assert sorted(map(int, previewed[1].split(","))) == ids
    (late,) = await site.seed((LAMP[2], 103))
    _, text = await site.post(f"/queue/{ids[0]}/send", {"answer": ANSWER, "ids": previewed[1]})
    assert messages.WEB_GROUP_CHANGED in text
    assert text.count('class="bubble"') == 3, "the new preview has the late villager too"
    for qid in (*ids, late):
        assert (await site.store.get_question(qid)).status == OPEN  # type: ignore[union-attr]


async def test_sending_is_done_once_and_left_pending_for_the_running_bot(site: Site) -> None:
    ids = await site.seed((LAMP[0], 101), (LAMP[1], 102))
    await site.log_in()
    await site.post(f"/queue/{ids[0]}/preview", {"answer": ANSWER})
    form = {"answer": ANSWER, "ids": ",".join(map(str, ids))}
    _, text = await site.post(f"/queue/{ids[0]}/send", form)
    assert messages.WEB_SENT.format(id=ids[0], questions=2, sent=0, failed=0, pending=2) in text
    _, text = await site.post(f"/queue/{ids[0]}/send", form)
    assert messages.WEB_NO_GROUP.format(id=ids[0]) in text
    stored = [await site.store.get_question(i) for i in ids]
    assert [(q.status, q.delivery) for q in stored if q] == [(RESOLVED, PENDING)] * 2
    assert sorted(r.reply_to for r in await pending_replies(site.store)) == ["101", "102"]
    answered = [a for a in await site.store.audit_entries() if a.action == "answer"]
    assert [(a.staff, a.detail) for a in answered] == [(EDITOR, ANSWER)]


async def test_ignoring_a_group_sets_it_aside_and_is_audited(site: Site) -> None:
    ids = await site.seed(("疫苗去哪里打", 201))
    await site.log_in()
    _, text = await site.post(f"/queue/{ids[0]}/ignore", {"ids": str(ids[0])})
    assert messages.WEB_IGNORED.format(id=ids[0], questions=1) in text
    assert (await site.store.get_question(ids[0])).status == IGNORED  # type: ignore[union-attr]
    assert [a.action for a in await site.store.audit_entries()] == ["ignore", "login"]


async def test_a_group_that_grew_after_it_was_shown_is_not_ignored(site: Site) -> None:
    ids = await site.seed((LAMP[0], 101))
    await site.log_in()
    (late,) = await site.seed((LAMP[0], 102))
    _, text = await site.post(f"/queue/{ids[0]}/ignore", {"ids": str(ids[0])})
    assert messages.WEB_IGNORE_CHANGED.format(id=ids[0]) in text
    for qid in (ids[0], late):
        assert (await site.store.get_question(qid)).status == OPEN  # type: ignore[union-attr]


async def test_answered_lists_editors_answers_not_the_villagers_own_taps(site: Site) -> None:
    ids = await site.seed((LAMP[0], 101), ("看病", 102))
    await site.store.resolve_questions(
        [(ids[1], SKIPPED)], f"{CHOSEN_BY_VILLAGER}health.medical_security_net", NOW.isoformat()
    )
    await site.log_in()
    await site.post(f"/queue/{ids[0]}/preview", {"answer": ANSWER})
    await site.post(f"/queue/{ids[0]}/send", {"answer": ANSWER, "ids": str(ids[0])})
    _, text = await site.get("/answered")
    assert f'id="answered-{ids[0]}"' in text
    assert f'id="answered-{ids[1]}"' not in text
    assert CHOSEN_BY_VILLAGER not in text


async def test_logging_out_ends_the_session(site: Site) -> None:
    await site.log_in()
    await site.get("/queue")
    await site.post("/logout", {})
    async with site.client.get(site.url + "/queue", allow_redirects=False) as r:
        assert r.status == 303


async def test_the_overview_shows_the_figures(site: Site) -> None:
    await site.seed((LAMP[0], 101), ("<b>粗</b>", 102))
    await site.log_in()
    status, text = await site.get("/")
    assert status == 200
    assert "近 30 天" in text
    assert "&lt;b&gt;粗&lt;/b&gt;" in text
    assert "<b>粗</b>" not in text


def test_staff_add_stores_a_scrypt_hash_and_refuses_weak_or_duplicate(tmp_path: Path) -> None:
    env = {"POLICYBOT_DB": str(tmp_path / "log.sqlite3")}
    err = io.StringIO()

    def run(*argv: str, password: str) -> int:
        return main(list(argv), env=env, stdin=io.StringIO(password + "\n"), stderr=err)

    assert run("staff", "add", "王编辑", password="long enough 1") == 0
    assert run("staff", "add", "王编辑", password="long enough 2") == 1
    assert run("staff", "add", "short", password="1234567") == 1
    assert run("staff", "add", "has space", password="long enough 3") == 1
    assert run("staff", "passwd", "王编辑", password="long enough 4") == 0
    assert run("staff", "passwd", "nobody", password="long enough 5") == 1

    async def stored() -> str | None:
        async with await Store.open(tmp_path / "log.sqlite3") as store:
            return await store.staff_password_hash("王编辑")

    hashed = asyncio.run(stored())
    assert hashed is not None
    assert hashed.startswith("scrypt$")
    assert verify_password("long enough 4", hashed)
    assert not verify_password("long enough 1", hashed)
    assert "exists" in err.getvalue()


def test_password_hashes_are_salted_and_malformed_ones_never_match() -> None:
    first, second = hash_password("same password"), hash_password("same password")
    assert first != second
    assert verify_password("same password", first)
    for stored in ("", "plain", "md5$x$y$z$a$b", "scrypt$1$8$1$AAAA$AAAA", "scrypt$x$8$1$A$A"):
        assert not verify_password("same password", stored)


HOSTILE = ['=HYPERLINK("http://evil","点我")', "+1+1", "-2+3", "@SUM(A1)", "\t=1+1"]


async def test_records_find_by_text_and_outcome_and_export_without_formulas(site: Site) -> None:
    ids = await site.seed(
        *((text, 300 + i) for i, text in enumerate(HOSTILE)), ("低保咋申请", 400)
    )
    await site.log_in()
    status, text = await site.get("/records?q=%2B1&outcome=unknown")
    assert status == 200
    assert "+1+1" in text
    assert "低保咋申请" not in text
    status, text = await site.get("/records?from=2026-13-45&q=_%25")
    assert (status, messages.WEB_BAD_DATE in text) == (200, True)
    async with site.client.get(site.url + "/records.csv") as r:
        assert r.headers["Content-Disposition"].startswith("attachment;")
        body = (await r.read()).decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(body)))
    assert tuple(rows[0]) == messages.RECORD_HEADERS
    questions = {row[0]: row[3] for row in rows[1:]}
    assert {questions[str(i)] for i in ids[:-1]} == {"'" + h for h in HOSTILE}
    async with site.client.get(site.url + "/records.xlsx?outcome=unknown") as r:
        book = openpyxl.load_workbook(io.BytesIO(await r.read()))
    sheet = book.active
    assert sheet is not None
    values = list(sheet.iter_rows(values_only=True))
    assert values[0] == messages.RECORD_HEADERS
    cells = [c for row in sheet.iter_rows(min_row=2) for c in row if c.column == 4]
    assert all(c.data_type == "s" for c in cells)
    assert sorted(str(c.value) for c in cells) == sorted(
        ["'" + h for h in HOSTILE] + ["低保咋申请"]
    )
    exports = [a for a in await site.store.audit_entries() if a.action == "export"]
    assert [a.target for a in exports] == ["xlsx", "csv"]


async def test_records_need_a_login_too(site: Site) -> None:
    for path in ("/records", "/records.xlsx", "/records.csv", "/answered", "/audit", "/x"):
        async with site.client.get(site.url + path, allow_redirects=False) as r:
            assert (r.status, r.headers.get("Location")) == (303, "/login"), path


def test_strangers_cannot_make_the_process_remember_without_bound(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from bot.web import auth

    monkeypatch.setattr(auth, "MAX_SESSIONS", 100)
    sessions = auth.Sessions()
    staff_sid, _ = sessions.new("editor")
    for _ in range(1000):
        sessions.new()
    assert len(sessions._by_id) <= 100
    assert sessions.get(staff_sid) is not None, "a logged-in session is kept"
    monkeypatch.setattr(auth, "MAX_LIMITED_KEYS", 50)
    limiter = LoginLimiter(window=0.0)
    for n in range(500):
        limiter.failed(f"name:{n}")
    assert len(limiter._failures) <= 51


async def test_a_token_telegram_refuses_is_said_after_sending_and_nothing_is_lost(
    tmp_path: Path, matcher: Matcher
) -> None:
    store = await Store.open(tmp_path / "log.sqlite3")
    await store.add_staff(EDITOR, hash_password(PASSWORD), NOW.isoformat())
    with running_fake(accept_token=False) as refusing:
        sender = bot_api_sender(Settings(token=TOKEN, telegram_base_url=refusing.base_url))
        wb = Workbench(store=store, matcher=matcher, sender=sender)
        runner, port = await start(build_app(wb), "127.0.0.1", 0)
        async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
            site = Site(f"http://127.0.0.1:{port}", store, client)
            ids = await site.seed((LAMP[0], 101), (LAMP[1], 102))
            await site.log_in()
            await site.post(f"/queue/{ids[0]}/preview", {"answer": ANSWER})
            form = {"answer": ANSWER, "ids": ",".join(map(str, ids))}
            status, text = await site.post(f"/queue/{ids[0]}/send", form)
        await runner.cleanup()
    assert status == 200
    assert messages.TOKEN_REJECTED.format(pending=2) in text
    assert not refusing.messages(), "nothing reached a villager"
    stored = [await store.get_question(i) for i in ids]
    assert [(q.status, q.delivery) for q in stored if q] == [(RESOLVED, PENDING)] * 2
    assert sorted(r.reply_to for r in await pending_replies(store)) == ["101", "102"]
    await store.close()
