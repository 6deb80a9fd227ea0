"""依据原文 (facts) on the workbench's entry form: an answer with a figure no fact states is
refused, the same answer with the fact added is saved (only those lines of the file change);
whatever is typed into the field is written so that it reads back literally, or refused in
Chinese, and the file always still loads; an entry without facts gets the block after source."""

from __future__ import annotations

import difflib
import html
import json
from pathlib import Path

from bot import messages
from bot.knowledge import Entry, load_knowledge
from bot.web.knowledge import MAX_FIELD
from tests.test_web_kb import CSRF_RE, DIGEST_RE, DOG, NEW_ANSWER, Editor, _field, text_of
from tests.test_web_kb import editor as editor  # the fixtures
from tests.test_web_kb import kb_copy as kb_copy

PHONE_ANSWER = NEW_ANSWER + "办得不对可以打全国扶贫监督举报电话12317反映。"
PHONE_FACT = "全国扶贫监督举报电话：12317（工作日受理）"
HINT = "回答里的数字（金额、比例、年份、电话）都要在这里能找到原文"


def changed_lines(before: str, after: str) -> list[str]:
    diff = difflib.unified_diff(before.splitlines(), after.splitlines(), lineterm="", n=0)
    return [d for d in diff if d.startswith(("+", "-")) and not d.startswith(("+++", "---"))]


def entry(path: Path, entry_id: str) -> Entry:
    found = load_knowledge(path).get(entry_id)
    assert found is not None
    return found


async def test_a_new_figure_is_saved_once_its_fact_is_there(editor: Editor, kb_copy: Path) -> None:
    dibao = entry(kb_copy, "social.dibao")
    status, page = await editor.page("/kb/social.dibao")
    assert HINT in page
    assert _field(page, "facts").splitlines() == list(dibao.facts)
    before = text_of(kb_copy)
    status, page = await editor.edit("social.dibao", answer=PHONE_ANSWER)
    assert status == 400
    assert "没有保存" in page
    assert "回答里的 12317 在这一条的 facts 和 source 里都找不到" in page
    assert text_of(kb_copy) == before
    facts = "\n".join([*dibao.facts, PHONE_FACT])
    status, page = await editor.edit("social.dibao", answer=PHONE_ANSWER, facts=facts)
    assert status == 200, page
    assert messages.WEB_KB_SAVED.format(title="低保") in page
    after = text_of(kb_copy)
    old_answer = f"    {dibao.answer}"
    assert changed_lines(before, after) == [
        f"-{old_answer}",
        f"+    {PHONE_ANSWER}",
        f'+    - "{PHONE_FACT}"',
    ]
    comments = [line for line in before.splitlines() if line.lstrip().startswith("#")]
    assert comments == [line for line in after.splitlines() if line.lstrip().startswith("#")]
    assert len(comments) > 10
    assert entry(kb_copy, "social.dibao").facts == (*dibao.facts, PHONE_FACT)
    assert _field((await editor.page("/kb/social.dibao"))[1], "facts").endswith(PHONE_FACT)
    edits = [a for a in await editor.store.audit_entries() if a.action == "edit"]
    assert [(a.target, a.detail) for a in edits] == [("social.dibao", "answer, facts")]


HOSTILE = [
    "注意: 冒号后有空格 # 后面像注释",
    "- [x]",
    "<script>alert(1)</script>",
    '带"双引号"、\\反斜杠、“中文引号”和‘单引号’：',
    "{a: b}",
    "&anchor *alias !!python/object:os.system",
    "? 问号开头",
    "'单引号开头",
    "%YAML 1.1",
    "---",
    "...",
    "null",
    "true",
    "2026-11-29",
    "12317",
    "|",
    ">-",
    "最长" * 3000,
    "\t制表符\t开头",
]


async def test_what_is_typed_into_facts_reads_back_literally(
    editor: Editor, kb_copy: Path
) -> None:
    dibao = entry(kb_copy, "social.dibao")
    typed = HOSTILE[0] + "\r\n" + "\r".join(HOSTILE[1:5]) + "\n\n  \n" + "\r\n".join(HOSTILE[5:])
    status, page = await editor.edit("social.dibao", facts=typed)
    assert status == 200, page
    assert entry(kb_copy, "social.dibao").facts == tuple(h.strip() for h in HOSTILE)
    status, page = await editor.page("/kb/social.dibao")
    assert "<script>alert" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert _field(page, "facts").splitlines() == [h.strip() for h in HOSTILE]
    assert entry(kb_copy, "social.dibao").answer == dibao.answer
    # and the original facts back again: the entry is as it was
    before_hostile = "\n".join(dibao.facts)
    status, page = await editor.edit("social.dibao", facts=before_hostile)
    assert status == 200, page
    assert entry(kb_copy, "social.dibao").facts == dibao.facts


async def test_what_a_yaml_file_cannot_hold_is_refused_in_chinese(
    editor: Editor, kb_copy: Path
) -> None:
    before = text_of(kb_copy)
    facts = "\n".join(entry(kb_copy, "social.dibao").facts)
    for bad, message in [
        (facts + "\n响铃\x07字符", messages.KB_EDIT_UNPRINTABLE),
        (facts + "\n空\x00字符", messages.KB_EDIT_UNPRINTABLE),
        (facts + "\n删除\x7f字符", messages.KB_EDIT_UNPRINTABLE),
        (
            facts + "\n" + "长" * MAX_FIELD,
            messages.KB_EDIT_TOO_LONG.format(field="依据原文", limit=MAX_FIELD),
        ),
    ]:
        status, page = await editor.edit("social.dibao", facts=bad)
        assert (status, html.escape(message) in page) == (400, True), repr(bad[-20:])
        assert "Traceback" not in page
        assert text_of(kb_copy) == before
        load_knowledge(kb_copy)


async def test_emptied_facts_are_checked_and_a_missing_block_goes_after_source(
    editor: Editor, kb_copy: Path
) -> None:
    before = text_of(kb_copy)
    status, page = await editor.edit("overview.consolidation", facts="")
    assert status == 400  # its answer states a figure: without facts nothing backs it
    assert "回答里写了 13，可这一条没有 facts" in page
    assert text_of(kb_copy) == before
    human = entry(kb_copy, "smalltalk.human")
    assert human.facts == ()
    status, page = await editor.edit("smalltalk.human", facts=f"  {PHONE_FACT}  \r\n\r\n")
    assert status == 200, page
    after = text_of(kb_copy)
    assert changed_lines(before, after) == ["+  facts:", f'+    - "{PHONE_FACT}"']
    lines = after.splitlines()
    at = lines.index("  facts:", lines.index("- id: smalltalk.human"))
    assert lines[at - 1] == f"  source: {human.source}"
    assert lines[at + 2].startswith("  updated:")
    assert entry(kb_copy, "smalltalk.human").facts == (PHONE_FACT,)
    status, page = await editor.edit("smalltalk.human", facts="")
    assert status == 200, page
    assert text_of(kb_copy) == before


async def test_a_new_entry_writes_its_facts_after_source(editor: Editor, kb_copy: Path) -> None:
    _, page = await editor.page("/kb/new")
    assert HINT in page
    form = {
        "csrf": CSRF_RE.search(page)[1],  # type: ignore[index]
        "digest": DIGEST_RE.search(page)[1],  # type: ignore[index]
        "id": "health.dog_bite",
        "title": "被狗咬了咋办",
        "category": "医疗健康",
        "questions": "\n".join(DOG),
        "keywords": "狗咬、狂犬疫苗",
        "answer": "被狗咬伤要用清水冲洗伤口15分钟，尽快到乡镇卫生院打狂犬疫苗。"
        "能不能报销请问村医。",
        "source": "卫生健康部门的一般做法",
        "related": "",
    }
    before = text_of(kb_copy)
    status, page = await editor.post("/kb/new", form)
    assert status == 400
    assert "回答里写了 15，可这一条没有 facts" in page
    assert text_of(kb_copy) == before
    fact = "伤口要用肥皂水和流动清水交替冲洗约15分钟：“先冲洗，再就医”"
    status, page = await editor.post("/kb/new", {**form, "facts": f"{fact}\r\n- [x] # 注"})
    assert status == 200, page
    assert entry(kb_copy, "health.dog_bite").facts == (fact, "- [x] # 注")
    tail = text_of(kb_copy).splitlines()[-5:]
    assert tail[:4] == [
        f"  source: {form['source']}",
        "  facts:",
        f"    - {json.dumps(fact, ensure_ascii=False)}",
        '    - "- [x] # 注"',
    ]
    assert tail[4].startswith("  updated: ")
