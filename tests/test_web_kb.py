"""知识库 on the workbench: an entry edited in the form is checked like `kb check`, written
touching only its changed fields (comments and the rest byte for byte), the old file kept as
.bak; a bad edit or a file changed meanwhile saves nothing; the running bot answers with the
new text."""

from __future__ import annotations

import datetime as dt
import difflib
import re
import shutil
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from bot import messages
from bot.knowledge import fit_opening, load_knowledge
from bot.review import LOCAL_TZ
from bot.store import Store
from bot.understand import Matcher
from bot.web import Workbench, build_app, hash_password, start
from tests.conftest import SHIPPED_KB
from tests.fakes.telegram_app import running_bot
from tests.fakes.workbench import villager_question

EDITOR, PASSWORD = "editor", "correct-horse-battery"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
DIGEST_RE = re.compile(r'name="digest" value="([^"]+)"')
NEW_ANSWER = "可以申请低保。向户籍所在地乡镇政府提出，经核查和公示后审批；本县标准请问乡镇民政办。"


@pytest.fixture
def kb_copy(tmp_path: Path) -> Path:
    folder = tmp_path / "knowledge"
    folder.mkdir()
    for name in ("policies.yaml", "lexicon.yaml"):
        shutil.copy(SHIPPED_KB.with_name(name), folder / name)
    return folder / "policies.yaml"


class Editor:
    def __init__(self, url: str, client: aiohttp.ClientSession, store: Store) -> None:
        self.url, self.client, self.store = url, client, store

    async def page(self, path: str) -> tuple[int, str]:
        async with self.client.get(self.url + path) as r:
            return r.status, await r.text()

    async def post(self, path: str, form: dict[str, str]) -> tuple[int, str]:
        async with self.client.post(self.url + path, data=form) as r:
            return r.status, await r.text()

    async def log_in(self) -> None:
        _, text = await self.page("/login")
        csrf = CSRF_RE.search(text)
        assert csrf is not None
        await self.post("/login", {"csrf": csrf[1], "name": EDITOR, "password": PASSWORD})

    async def edit(self, entry_id: str, **fields: str) -> tuple[int, str]:
        _, text = await self.page(f"/kb/{entry_id}")
        form = {name: _field(text, name) for name in ("answer", "questions", "keywords", "facts")}
        form["related"] = re.search(r'name="related" value="([^"]*)"', text)[1]  # type: ignore[index]
        form["csrf"] = CSRF_RE.search(text)[1]  # type: ignore[index]
        form["digest"] = fields.pop("digest", DIGEST_RE.search(text)[1])  # type: ignore[index]
        form.update(fields)
        return await self.post(f"/kb/{entry_id}", form)


def text_of(path: Path) -> str:
    return path.read_text(encoding="utf-8")


def _field(page: str, name: str) -> str:
    import html

    found = re.search(rf'<textarea name="{name}"[^>]*>(.*?)</textarea>', page, re.DOTALL)
    assert found is not None
    return html.unescape(found[1])


@pytest.fixture
async def editor(tmp_path: Path, kb_copy: Path) -> AsyncIterator[Editor]:
    store = await Store.open(tmp_path / "log.sqlite3")
    await store.add_staff(EDITOR, hash_password(PASSWORD), "2026-11-01T00:00:00+00:00")
    matcher = Matcher(load_knowledge(kb_copy))
    runner, port = await start(
        build_app(Workbench(store=store, matcher=matcher, kb_path=kb_copy)), "127.0.0.1", 0
    )
    async with aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as client:
        e = Editor(f"http://127.0.0.1:{port}", client, store)
        await e.log_in()
        yield e
    await runner.cleanup()
    await store.close()


async def test_an_edit_rewrites_only_the_changed_field_and_keeps_the_old_file(
    editor: Editor, kb_copy: Path
) -> None:
    before = text_of(kb_copy)
    status, text = await editor.page("/kb?q=低保")
    assert status == 200
    assert 'href="/kb/social.dibao"' in text
    status, text = await editor.edit("social.dibao", answer=NEW_ANSWER)
    assert status == 200
    assert messages.WEB_KB_SAVED.format(title="低保") in text
    after = text_of(kb_copy)
    changed = [
        line
        for line in difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
        if line.startswith(("+", "-")) and not line.startswith(("+++", "---"))
    ]
    assert changed[-1] == f"+    {NEW_ANSWER}"
    assert len(changed) == 2, changed
    assert text_of(kb_copy.with_name("policies.yaml.bak")) == before
    assert after.startswith("# 扶贫政策知识库")  # comments kept
    assert load_knowledge(kb_copy).get("social.dibao").answer == NEW_ANSWER  # type: ignore[union-attr]
    edits = [a for a in await editor.store.audit_entries() if a.action == "edit"]
    assert [(a.target, a.detail) for a in edits] == [("social.dibao", "answer")]


async def test_a_bad_edit_or_a_file_changed_meanwhile_saves_nothing(
    editor: Editor, kb_copy: Path
) -> None:
    before = text_of(kb_copy)
    status, text = await editor.edit("social.dibao", questions="低保咋申请")
    assert status == 400
    assert "没有保存" in text
    status, text = await editor.edit("social.dibao", related="no.such_entry")
    assert (status, "no.such_entry" in text) == (400, True)
    status, text = await editor.edit("social.dibao", answer=NEW_ANSWER, digest="stale")
    assert (status, messages.KB_EDIT_CHANGED in text) == (400, True)
    assert text_of(kb_copy) == before
    assert not kb_copy.with_name("policies.yaml.bak").is_file()
    assert (await editor.page("/kb/no.such_entry"))[0] == 404
    assert (await editor.page("/kb/<script>"))[0] == 404


async def test_the_running_bot_answers_with_the_edited_text(
    editor: Editor, kb_copy: Path, tmp_path: Path
) -> None:
    matcher = Matcher(load_knowledge(kb_copy))
    # 「可以申请低保。」 opens the answer for 「我家能办不」, not for 「咋申请」 (issue 10.5)
    shown = fit_opening(NEW_ANSWER, "低保咋申请")
    assert shown == NEW_ANSWER.removeprefix("可以申请低保。")
    async with running_bot(tmp_path, matcher, kb_path=kb_copy, upkeep_interval=0.1) as bot:
        (old,) = await bot.say(42, "低保咋申请")
        assert shown not in old.text
        status, _ = await editor.edit("social.dibao", answer=NEW_ANSWER)
        assert status == 200
        deadline = dt.datetime.now() + dt.timedelta(seconds=20)
        while dt.datetime.now() < deadline:
            (reply,) = await bot.say(42, "低保咋申请")
            if shown in reply.text:
                break
        assert reply.text.startswith(shown)


DOG = [
    "村里的狗把人咬了咋办",
    "被狗咬了去哪打狂犬疫苗",
    "狂犬疫苗能报销不",
    "让狗咬了能报销不",
    "被野狗咬伤了找谁",
    "狗咬伤打针要花多少钱",
]


async def test_a_new_entry_from_an_unanswered_group_is_checked_and_added_at_the_end(
    editor: Editor, kb_copy: Path
) -> None:
    asked = dt.datetime.now(dt.UTC)
    qid = await editor.store.record_question(villager_question(DOG[0], 101, asked_at=asked))
    before = text_of(kb_copy)
    status, page = await editor.page(f"/kb/new?group={qid}")
    assert status == 200
    assert DOG[0] in page
    form = {
        "csrf": CSRF_RE.search(page)[1],  # type: ignore[index]
        "digest": DIGEST_RE.search(page)[1],  # type: ignore[index]
        "id": "health.dog_bite",
        "title": "被狗咬了咋办",
        "category": "医疗健康",
        "questions": "\n".join(DOG),
        "keywords": "狗咬、狂犬疫苗",
        "answer": "被狗咬伤要马上用清水冲洗伤口，尽快到乡镇卫生院或县疾控中心打狂犬疫苗。"
        "能不能报销请问村医。",
        "source": "卫生健康部门的一般做法",
        "related": "",
    }
    for bad_id in ("", "//evil.example", "社会.低保", "x" * 200):
        status, page = await editor.post("/kb/new", {**form, "id": bad_id})
        assert (status, messages.WEB_KB_BAD_ID in page) == (400, True), bad_id
    bad = {**form, "id": "social.dibao"}
    status, page = await editor.post("/kb/new", bad)
    assert (status, "没有保存" in page) == (400, True)
    assert text_of(kb_copy) == before
    status, page = await editor.post("/kb/new", form)
    assert status == 200, page
    assert messages.WEB_KB_ADDED.format(title="被狗咬了咋办") in page
    after = text_of(kb_copy)
    assert after.startswith(before.rstrip("\n"))
    today = dt.datetime.now(LOCAL_TZ).date().isoformat()
    assert after.rstrip().endswith(f'updated: "{today}"')
    kb = load_knowledge(kb_copy)
    assert kb.get("health.dog_bite").questions == tuple(DOG)  # type: ignore[union-attr]
    adds = [a for a in await editor.store.audit_entries() if a.action == "add"]
    assert [a.target for a in adds] == ["health.dog_bite"]
