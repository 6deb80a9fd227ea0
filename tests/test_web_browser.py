"""The workbench in a real headless Chromium (Debian's /usr/bin/chromium, driven by Playwright):
log in, answer a group with a preview and send it to the villagers' chats on the Bot API
stand-in, and the refusals: no login, a bad CSRF token, too many failed logins, `<script>`.

Screenshots of every page (phone and desktop width) go to $POLICYBOT_SCREENSHOTS when it is
set (`POLICYBOT_SCREENSHOTS=docs/workbench python3 -m pytest tests/test_web_browser.py`),
else to the test's tmp_path.
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
from collections.abc import Iterator
from dataclasses import replace
from pathlib import Path

import openpyxl
import pytest

from bot import messages
from bot.config import Settings
from bot.knowledge import load_knowledge
from bot.review import editor_reply
from bot.store import RESOLVED, SENT
from bot.understand import Matcher
from bot.web import LoginLimiter
from handlers.outbox import bot_api_sender
from tests.conftest import ROOT, SHIPPED_KB
from tests.fakes.botapi import TOKEN, FakeBotAPI, running_fake, wait_until
from tests.fakes.workbench import (
    RunningWorkbench,
    add_staff,
    audit,
    question,
    running_workbench,
    seed,
    villager_question,
)

playwright_sync = pytest.importorskip("playwright.sync_api")
CHROMIUM = Path("/usr/bin/chromium")
NOW = dt.datetime.now(dt.UTC).replace(microsecond=0)
EDITOR, PASSWORD = "王编辑", "correct-horse-battery"
LAMP = ["村里路灯坏了找谁修", "路灯不亮了归谁管", "村口路灯坏了咋办"]
SCRIPT = "<script>window.pwned=1</script>疫苗打了发烧咋办 <b>粗体</b>"
ANSWER = "路灯归村委会管，请打村委会电话报修。"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}
PAGES = (
    "login",
    "overview",
    "queue",
    "preview",
    "correction",
    "answered",
    "records",
    "audit",
    "kb",
    "kb-entry",
    "kb-new",
)


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if not CHROMIUM.exists():
        if os.environ.get("CI"):
            pytest.fail("/usr/bin/chromium is missing: .ci/run installs Debian's chromium")
        pytest.skip("/usr/bin/chromium is not installed (apt-get install -y chromium)")
    with playwright_sync.sync_playwright() as p:
        # --no-sandbox: CI and this workplace run as root, where Chromium's sandbox refuses
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser: object) -> Iterator[object]:
    context = browser.new_context(viewport=DESKTOP, locale="zh-CN")  # type: ignore[attr-defined]
    yield context.new_page()
    context.close()


@pytest.fixture
def shots(tmp_path: Path) -> Path:
    folder = Path(os.environ.get("POLICYBOT_SCREENSHOTS") or tmp_path / "shots")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def ago(**delta: float) -> dt.datetime:
    return NOW - dt.timedelta(**delta)


def lamp_questions() -> list[object]:
    return [
        villager_question(LAMP[0], 101, asked_at=ago(hours=30)),
        villager_question(LAMP[1], 102, asked_at=ago(hours=5)),
        villager_question(LAMP[2], 101, asked_at=ago(hours=2)),  # 101 again: one message
        villager_question(SCRIPT, 103, asked_at=ago(hours=1)),
        villager_question("疫苗去哪里打", 201, asked_at=ago(hours=3)),
    ]


def busy_month() -> list[object]:
    """A month of answered, clarified and unanswered questions (for the overview's figures)."""
    topics = [("edu.yulu_plan", "雨露计划咋申请"), ("social.dibao", "低保咋申请")]
    topics += [("health.medical_security_net", "看病能报多少")]
    asked = []
    for day in range(30):
        for n in range(day % 4 + 1):
            entry, text = topics[(day + n) % 3]
            outcome = "answer" if n % 3 != 2 else "clarify"
            q = villager_question(text, 500 + n, asked_at=ago(days=day, hours=n), outcome=outcome)
            asked.append(replace(q, entry_id=entry if outcome == "answer" else None))
    return asked


@pytest.fixture
def db(tmp_path: Path) -> Path:
    path = tmp_path / "log.sqlite3"
    add_staff(path, EDITOR, PASSWORD)
    return path


def log_in(page: object, wb: RunningWorkbench, password: str = PASSWORD) -> None:
    page.goto(f"{wb.url}/login")  # type: ignore[attr-defined]
    page.fill("input[name=name]", EDITOR)  # type: ignore[attr-defined]
    page.fill("input[name=password]", password)  # type: ignore[attr-defined]
    page.click("button:has-text('登录')")  # type: ignore[attr-defined]


def test_an_editor_previews_then_sends_and_each_villager_gets_exactly_the_preview(
    page: object, db: Path, matcher: Matcher, shots: Path
) -> None:
    ids = seed(db, lamp_questions())
    seed(db, busy_month())
    with running_fake() as fake, running_workbench(db, matcher, sender=_sender(fake)) as wb:
        log_in(page, wb)
        assert page.url == f"{wb.url}/"  # type: ignore[attr-defined]
        _snap(page, shots, "overview")
        page.goto(f"{wb.url}/queue")  # type: ignore[attr-defined]
        group = page.locator(f"#group-{ids[0]}")  # type: ignore[attr-defined]
        for text in LAMP:
            assert group.get_by_text(text, exact=True).is_visible()
        _snap(page, shots, "queue")
        group.locator("textarea[name=answer]").fill(ANSWER)
        group.get_by_role("button", name="预览").click()
        bubbles = page.locator(".bubble")  # type: ignore[attr-defined]
        previewed = sorted(bubbles.all_inner_texts())
        _snap(page, shots, "preview")
        assert fake.messages() == [], "nothing is sent before the editor confirms"
        page.get_by_role("button", name="确认发送").click()  # type: ignore[attr-defined]
        notice = page.locator(".notice").inner_text()  # type: ignore[attr-defined]
        assert wait_until(lambda: len(fake.messages()) >= 2)
        received = {m.chat_id: m.text for m in fake.messages()}
    assert [question(db, i).status for i in ids[:3]] == [RESOLVED] * 3
    assert sorted(received) == [101, 102]
    assert sorted(received.values()) == previewed, "the villagers get exactly the preview"
    assert received[101] == editor_reply(LAMP[0], ANSWER)  # 101 asked twice, gets one
    assert received[102] == editor_reply(LAMP[1], ANSWER)
    assert 201 not in received
    assert question(db, ids[1]).delivery == SENT
    assert question(db, ids[4]).status == "open"
    assert f"第 {ids[0]} 组已回答" in notice
    answered = [a for a in audit(db) if a.action == "answer"]
    assert [(a.staff, a.detail) for a in answered] == [(EDITOR, ANSWER)]


def test_a_correction_is_a_new_message_marked_and_the_first_answer_is_kept(
    page: object, db: Path, matcher: Matcher, shots: Path
) -> None:
    ids = seed(db, lamp_questions())
    fixed = "路灯归村委会管，报修请打村委会电话；晚上十点后找乡镇值班室。"
    with running_fake() as fake, running_workbench(db, matcher, sender=_sender(fake)) as wb:
        log_in(page, wb)
        page.goto(f"{wb.url}/queue")  # type: ignore[attr-defined]
        group = page.locator(f"#group-{ids[0]}")  # type: ignore[attr-defined]
        group.locator("textarea[name=answer]").fill(ANSWER)
        group.get_by_role("button", name="预览").click()
        page.get_by_role("button", name="确认发送").click()  # type: ignore[attr-defined]
        assert wait_until(lambda: len(fake.messages()) == 2)
        page.goto(f"{wb.url}/answered")  # type: ignore[attr-defined]
        answered = page.locator(f"#answered-{ids[0]}")  # type: ignore[attr-defined]
        assert answered.get_by_text(ANSWER, exact=True).is_visible()
        answered.locator("textarea[name=answer]").fill(fixed)
        answered.get_by_role("button", name="预览更正").click()
        previewed = sorted(page.locator(".bubble").all_inner_texts())  # type: ignore[attr-defined]
        _snap(page, shots, "correction")
        assert len(fake.messages()) == 2, "nothing more is sent before the editor confirms"
        page.get_by_role("button", name="确认发送").click()  # type: ignore[attr-defined]
        assert wait_until(lambda: len(fake.messages()) == 4)
        page.locator(f"#answered-{ids[0]} details summary").click()  # type: ignore[attr-defined]
        _snap(page, shots, "answered")
        page.goto(f"{wb.url}/audit")  # type: ignore[attr-defined]
        assert page.get_by_text("更正", exact=True).count() == 1  # type: ignore[attr-defined]
        _snap(page, shots, "audit")
        later = [m for m in fake.messages()][2:]
    assert sorted(m.text for m in later) == previewed
    assert sorted(m.chat_id for m in later) == [101, 102]
    correction = messages.CORRECTION.format(answer=fixed)
    assert {m.text for m in later} == {
        editor_reply(LAMP[0], correction),
        editor_reply(LAMP[1], correction),
    }
    assert all("【更正】" in m.text for m in later)
    assert question(db, ids[0]).answer == correction
    assert question(db, ids[0]).reply_to == "", "the chat id is not back in the question log"
    corrected = [a for a in audit(db) if a.action == "correct"]
    assert [a.staff for a in corrected] == [EDITOR]
    assert ANSWER in corrected[0].detail


def test_the_records_page_exports_an_xlsx_that_openpyxl_reads(
    page: object, db: Path, matcher: Matcher, shots: Path, tmp_path: Path
) -> None:
    seed(db, [*lamp_questions(), villager_question('=HYPERLINK("x")', 301, asked_at=NOW)])
    with running_workbench(db, matcher) as wb:
        log_in(page, wb)
        page.goto(f"{wb.url}/records")  # type: ignore[attr-defined]
        page.fill("input[name=q]", "路灯")  # type: ignore[attr-defined]
        page.get_by_role("button", name="查找").click()  # type: ignore[attr-defined]
        shown = page.locator("table.records tbody tr").count()  # type: ignore[attr-defined]
        _snap(page, shots, "records")
        with page.expect_download() as download:  # type: ignore[attr-defined]
            page.get_by_role("link", name="Excel（.xlsx）").click()  # type: ignore[attr-defined]
        path = tmp_path / "records.xlsx"
        download.value.save_as(path)
        assert download.value.suggested_filename.endswith(".xlsx")
    sheet = openpyxl.load_workbook(path).active
    rows = list(sheet.iter_rows(values_only=True))
    assert rows[0] == messages.RECORD_HEADERS
    assert shown == len(rows) - 1 == 3, "the three about street lamps"
    assert all("路灯" in str(row[3]) for row in rows[1:])
    assert {row[4] for row in rows[1:]} == {"没答上"}


def test_an_editor_edits_an_entry_and_a_bad_edit_is_explained(
    page: object, db: Path, tmp_path: Path, shots: Path
) -> None:
    kb_path = tmp_path / "knowledge" / "policies.yaml"
    kb_path.parent.mkdir()
    for name in ("policies.yaml", "lexicon.yaml"):
        shutil.copy(SHIPPED_KB.with_name(name), kb_path.with_name(name))
    matcher = Matcher(load_knowledge(kb_path))
    new = "可以申请低保。向户籍所在地乡镇政府提出，经核查和公示后审批；本县标准请问乡镇民政办。"
    with running_workbench(db, matcher, kb_path=kb_path) as wb:
        log_in(page, wb)
        page.goto(f"{wb.url}/kb")  # type: ignore[attr-defined]
        page.fill("input[name=q]", "低保")  # type: ignore[attr-defined]
        page.get_by_role("button", name="查找").click()  # type: ignore[attr-defined]
        _snap(page, shots, "kb")
        page.get_by_role("link", name="低保", exact=True).click()  # type: ignore[attr-defined]
        page.fill("textarea[name=questions]", "低保咋申请")  # type: ignore[attr-defined]
        page.get_by_role("button", name="检查并保存").click()  # type: ignore[attr-defined]
        assert "没有保存" in page.locator(".error").inner_text()  # type: ignore[attr-defined]
        page.goto(f"{wb.url}/kb/social.dibao")  # type: ignore[attr-defined]
        page.fill("textarea[name=answer]", new)  # type: ignore[attr-defined]
        page.get_by_role("button", name="检查并保存").click()  # type: ignore[attr-defined]
        notice = page.locator(".notice").inner_text()  # type: ignore[attr-defined]
        _snap(page, shots, "kb-entry")
        page.goto(f"{wb.url}/kb/new")  # type: ignore[attr-defined]
        _snap(page, shots, "kb-new")
    assert "已保存" in notice
    assert load_knowledge(kb_path).get("social.dibao").answer == new  # type: ignore[union-attr]


def test_every_page_needs_a_login(page: object, db: Path, matcher: Matcher, shots: Path) -> None:
    ids = seed(db, lamp_questions())
    with running_workbench(db, matcher) as wb:
        for path in ("/", "/queue"):
            page.goto(wb.url + path)  # type: ignore[attr-defined]
            assert page.url == f"{wb.url}/login"  # type: ignore[attr-defined]
        _snap(page, shots, "login")
        response = page.request.post(  # type: ignore[attr-defined]
            f"{wb.url}/queue/{ids[0]}/send", form={"answer": ANSWER, "ids": str(ids[0])}
        )
        assert response.status == 403
        assert LAMP[0] not in response.text()
    assert question(db, ids[0]).status == "open"


def test_a_form_with_a_bad_csrf_token_is_refused(page: object, db: Path, matcher: Matcher) -> None:
    ids = seed(db, lamp_questions())
    with running_workbench(db, matcher) as wb:
        log_in(page, wb)
        page.goto(f"{wb.url}/queue")  # type: ignore[attr-defined]
        group = page.locator(f"#group-{ids[4]}")  # type: ignore[attr-defined]
        group.locator(".ignore input[name=csrf]").evaluate("e => e.value = 'forged'")
        group.get_by_role("button", name="忽略这一组").click()
        assert messages.WEB_BAD_CSRF in page.content()  # type: ignore[attr-defined]
    assert question(db, ids[4]).status == "open"


def test_too_many_failed_logins_lock_the_account_out(
    page: object, db: Path, matcher: Matcher
) -> None:
    limiter = LoginLimiter(max_failures=3, window=600)
    with running_workbench(db, matcher, limiter=limiter) as wb:
        for _ in range(3):
            log_in(page, wb, password="wrong-password")
            assert messages.WEB_BAD_LOGIN in page.content()  # type: ignore[attr-defined]
        log_in(page, wb)  # the right password, too late
        assert messages.WEB_LOCKED in page.content()  # type: ignore[attr-defined]
        assert page.url == f"{wb.url}/login"  # type: ignore[attr-defined]
        page.goto(f"{wb.url}/queue")  # type: ignore[attr-defined]
        assert page.url == f"{wb.url}/login"  # type: ignore[attr-defined]


def test_a_villagers_script_shows_as_text(page: object, db: Path, matcher: Matcher) -> None:
    seed(db, lamp_questions())
    with running_workbench(db, matcher) as wb:
        log_in(page, wb)
        page.goto(f"{wb.url}/queue")  # type: ignore[attr-defined]
        shown = page.get_by_text(SCRIPT)  # type: ignore[attr-defined]
        assert shown.count() >= 1
        assert page.evaluate("typeof window.pwned") == "undefined"  # type: ignore[attr-defined]
        assert page.locator("main b").count() == 0  # type: ignore[attr-defined]


def _sender(fake: FakeBotAPI) -> object:
    return bot_api_sender(Settings(token=TOKEN, telegram_base_url=fake.base_url))


def _snap(page: object, folder: Path, name: str) -> None:
    """Screenshots at desktop and phone width (the whole page)."""
    page.screenshot(path=str(folder / f"{name}-desktop.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(PHONE)  # type: ignore[attr-defined]
    page.screenshot(path=str(folder / f"{name}-phone.png"), full_page=True)  # type: ignore[attr-defined]
    page.set_viewport_size(DESKTOP)  # type: ignore[attr-defined]


def test_the_workbench_doc_shows_every_screenshot_the_tests_take() -> None:
    doc = (ROOT / "docs" / "workbench.md").read_text(encoding="utf-8")
    for page_name in PAGES:
        for width in ("phone", "desktop"):
            name = f"workbench/{page_name}-{width}.png"
            assert name in doc, name
            assert (ROOT / "docs" / name).is_file(), name
