"""Security: SQL is parameterised (injection strings are stored as text, tables survive), and
the code never deserialises untrusted data (safe YAML only; no pickle, marshal, eval…)."""

from __future__ import annotations

import ast
import asyncio
import io
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from bot import messages
from bot.cli import main
from bot.dialogue import DialogueService, User
from bot.privacy import mask_pii
from bot.store import PENDING, QuestionRecord, Store, storable
from bot.understand import Matcher
from tests.conftest import ROOT
from tests.fakes.botapi import TOKEN, running_fake

INJECTIONS = [
    "'; DROP TABLE questions;--",
    '"; DROP TABLE feedback; --',
    "Robert'); DROP TABLE unanswered;--",
    "' OR '1'='1",
    "x' UNION SELECT user_key, reply_to FROM questions --",
    "'; UPDATE questions SET text = 'pwned'; --",
    "'; ATTACH DATABASE '/tmp/pwned.db' AS p; --",
    "\\'; PRAGMA writable_schema = ON; --",
    "%' AND ''='",
    "?",
    "?, ?, ?",
    ":text",
    "$1",
    "\x00'; DROP TABLE questions;--",
]
TABLES = [
    "answer_history",
    "answered_chats",
    "audit",
    "feedback",
    "flood",
    "inbox",
    "leases",
    "questions",
    "staff",
    "unanswered",
]
VILLAGER = User("telegram", "1001", "1001")


async def schema(store: Store) -> list[str]:
    async with store._db.db.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
    ) as cursor:
        return [str(row[0]) for row in await cursor.fetchall()]


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_injection_strings_in_every_field_are_stored_as_text(
    tmp_path: Path, payload: str
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        qid = await store.record_question(
            QuestionRecord(
                asked_at=payload,
                channel=payload,
                user_key=payload,
                reply_to=payload,
                text=payload,
                outcome="unknown",
                entry_id=payload,
                score=1.0,
                candidates=[(payload, 1.0)],
                latency_ms=1.0,
            )
        )
        await store.record_feedback(qid, payload, True, payload)
        assert await store.mark_unanswered(qid, payload)
        assert await store.question_owner(qid) == payload
        assert (await store.outcome_counts(payload, payload + "\uffff")).unknown == 1
        assert await store.top_entries(payload, payload, limit=5) == []
        assert [q.id async for q in store.iter_questions(since=payload)] == [qid]
        await store.resolve_questions([(qid, PENDING)], payload, payload)
        claimed = await store.claim_deliveries([qid], payload, stale_before=payload)
        counted = [await store.count_flood(payload, 1, span=6, limit=1) for _ in range(2)]
        got = await store.get_question(qid)
        tables = await schema(store)
        async with store._db.db.execute("SELECT COUNT(*) FROM questions") as cursor:
            count = await cursor.fetchone()
    assert tables == TABLES
    assert count == (1,)
    assert claimed == [qid]
    assert [(c.total, c.first_over) for c in counted if c] == [(1, False), (2, True)]
    assert got is not None
    assert got.text == mask_pii(storable(payload))
    assert (got.channel, got.user_key, got.reply_to) == (payload, payload, payload)
    assert (got.entry_id, got.asked_at, got.answer) == (payload, payload, payload)
    assert got.candidates == ((payload, 1.0),)
    assert got.useful == 1


@pytest.mark.parametrize("payload", INJECTIONS)
async def test_villagers_typing_injection_strings_get_a_reply_and_change_nothing(
    tmp_path: Path, matcher: Matcher, payload: str
) -> None:
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        reply = await service.ask(payload, VILLAGER)
        forged = [
            await service.press(data, VILLAGER)
            for data in (f"e:{payload}", f"f:{payload}:1", f"n:1{payload}", f"c:{payload}")
        ]
        texts = [q.text async for q in store.iter_questions()]
        tables = await schema(store)
    assert reply.text.strip()
    assert texts == [mask_pii(storable(payload))]
    assert {r.text for r in forged} == {messages.STALE_BUTTON}
    assert tables == TABLES


def test_an_editor_answer_with_injection_strings_reaches_the_export_unchanged(
    tmp_path: Path,
) -> None:
    db = tmp_path / "log.sqlite3"
    env = {"POLICYBOT_DB": str(db)}
    chat = main(
        ["chat"],
        env=env,
        stdin=io.StringIO("美国大选谁赢了\n"),
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    answer = " ".join(INJECTIONS[:8])
    out, err = io.StringIO(), io.StringIO()
    resolved = main(
        ["log", "resolve", "1", "--answer", answer, "--yes"], env=env, stdout=out, stderr=err
    )
    exported = main(
        ["log", "export", "--csv", str(tmp_path / "log.csv")],
        env=env,
        stdout=io.StringIO(),
        stderr=io.StringIO(),
    )
    with sqlite3.connect(db) as conn:
        stored = conn.execute("SELECT answer FROM unanswered").fetchall()
        tables = conn.execute(
            "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
        ).fetchall()
    conn.close()
    csv_text = (tmp_path / "log.csv").read_text(encoding="utf-8-sig")
    assert (chat, resolved, exported) == (0, 0, 0), err.getvalue()
    assert stored == [(answer,)]
    assert [t for (t,) in tables] == TABLES
    assert "Robert'); DROP TABLE unanswered;--" in csv_text


# -- static checks over the code that runs in production ---------------------------------------

SOURCES = sorted([*(ROOT / "bot").rglob("*.py"), *(ROOT / "handlers").rglob("*.py")])
FORBIDDEN_MODULES = {"pickle", "cPickle", "_pickle", "marshal", "shelve", "dill", "jsonpickle"}
UNSAFE_YAML_CALLS = {"unsafe_load", "unsafe_load_all", "full_load", "full_load_all"}
UNSAFE_YAML_LOADERS = {"Loader", "UnsafeLoader", "FullLoader", "CLoader", "CUnsafeLoader"}
YAML_CALLS_NEEDING_SAFE_LOADER = {"load", "load_all", "compose", "compose_all", "parse", "scan"}
SAFE_LOADERS = {"SafeLoader", "CSafeLoader", "BaseLoader", "CBaseLoader"}
# The only f-strings that reach SQL, by what they interpolate: constant SQL (the PostgreSQL
# driver's translation of the store's own), or numbers.
SQL_INTERPOLATIONS = {
    "SELECT_QUESTIONS",
    "where",
    "round(busy_timeout * 1000)",
    "version + 1",
    "translate(sql)",
}
# what SQL is handed to: the drivers' own methods and the store's adapter (bot/store/driver.py)
SQL_CALLS = {
    "execute",
    "executemany",
    "executescript",
    "fetch",
    "fetchval",
    "fetchall",
    "fetchone",
    "insert",
    "iterate",
    "_select",
}


def unsafe_constructs(source: str, filename: str = "<test>") -> list[str]:
    """Every use of pickle-like modules, eval/exec, unsafe YAML or SQL built from values."""
    found: list[str] = []
    for node in ast.walk(ast.parse(source, filename)):
        where = f"{filename}:{getattr(node, 'lineno', 0)}"
        if isinstance(node, ast.Import | ast.ImportFrom):
            names = [a.name for a in node.names]
            if isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            found += [
                f"{where}: import {n}" for n in names if n.split(".")[0] in FORBIDDEN_MODULES
            ]
        elif isinstance(node, ast.Attribute) and _is_yaml(node.value):
            if node.attr in UNSAFE_YAML_CALLS or node.attr in UNSAFE_YAML_LOADERS:
                found.append(f"{where}: yaml.{node.attr}")
        elif isinstance(node, ast.Call):
            found += _unsafe_call(node, where)
    return found


def _is_yaml(node: ast.expr) -> bool:
    return isinstance(node, ast.Name) and node.id == "yaml"


def _unsafe_call(call: ast.Call, where: str) -> list[str]:
    func = call.func
    if isinstance(func, ast.Name) and func.id in ("eval", "exec", "__import__"):
        return [f"{where}: {func.id}()"]
    if not isinstance(func, ast.Attribute):
        return []
    if _is_yaml(func.value) and func.attr in YAML_CALLS_NEEDING_SAFE_LOADER:
        loader = next((k.value for k in call.keywords if k.arg == "Loader"), None)
        if loader is None and len(call.args) > 1:
            loader = call.args[1]
        name = loader.attr if isinstance(loader, ast.Attribute) else getattr(loader, "id", None)
        if name not in SAFE_LOADERS:
            return [f"{where}: yaml.{func.attr} without SafeLoader"]
    if func.attr in SQL_CALLS and call.args:
        return [f"{where}: SQL built with {s}" for s in _sql_interpolations(call.args[0])]
    return []


def _sql_interpolations(sql: ast.expr) -> list[str]:
    if isinstance(sql, ast.JoinedStr):
        parts = [ast.unparse(v.value) for v in sql.values if isinstance(v, ast.FormattedValue)]
        return [p for p in parts if p not in SQL_INTERPOLATIONS]
    if isinstance(sql, ast.BinOp) and isinstance(sql.op, ast.Mod):
        return ["% formatting"]
    if isinstance(sql, ast.Call) and getattr(sql.func, "attr", "") == "format":
        return [".format()"]
    if isinstance(sql, ast.BinOp) and isinstance(sql.op, ast.Add):
        return _sql_interpolations(sql.left) + _sql_interpolations(sql.right)
    return []


def test_production_code_has_no_unsafe_deserialisation_eval_or_sql_formatting() -> None:
    assert len(SOURCES) > 20
    found = [
        problem
        for path in SOURCES
        for problem in unsafe_constructs(
            path.read_text(encoding="utf-8"), str(path.relative_to(ROOT))
        )
    ]
    assert found == []


@pytest.mark.parametrize(
    "source",
    [
        "import pickle",
        "from marshal import loads",
        "import shelve as s",
        "yaml.load(text)",
        "yaml.load(text, Loader=yaml.Loader)",
        "yaml.load(text, yaml.FullLoader)",
        "yaml.unsafe_load(text)",
        "yaml.full_load(text)",
        "yaml.compose(text)",
        "eval(text)",
        "exec(text)",
        "db.execute(f'SELECT * FROM questions WHERE text = {text}')",
        "db.execute('SELECT * FROM questions WHERE text = %s' % text)",
        "db.execute('SELECT * FROM questions WHERE text = {}'.format(text))",
        "db.execute('SELECT * FROM q WHERE t = ' + f'{text}')",
        "self._db.fetchall(f'SELECT * FROM questions WHERE text = {text}')",
        "conn.fetchval(f'SELECT {column} FROM questions')",
    ],
)
def test_the_static_check_catches_each_unsafe_construct(source: str) -> None:
    assert unsafe_constructs(source) != []


@pytest.mark.parametrize(
    "source",
    [
        "yaml.safe_load(text)",
        "yaml.compose(text, Loader=yaml.SafeLoader)",
        "db.execute('SELECT * FROM questions WHERE text = ?', (text,))",
        "db.execute(f'{SELECT_QUESTIONS} {where}', params)",
    ],
)
def test_the_static_check_lets_safe_code_through(source: str) -> None:
    assert unsafe_constructs(source) == []


async def test_a_candidate_tap_forged_with_another_villagers_question_changes_nothing(
    tmp_path: Path, matcher: Matcher
) -> None:
    neighbour = User("telegram", "1002", "1002")
    async with await Store.open(tmp_path / "log.sqlite3") as store:
        service = DialogueService(matcher, store)
        theirs = await service.ask("美国大选谁赢了", neighbour)  # queued for the editors
        assert theirs.question_id is not None
        entry = matcher.kb.entries[0]
        shown = await service.press(f"e:{entry.id}:{theirs.question_id}", VILLAGER)
        queued = [q.id for q in await store.queued_questions("open")]
        question = await store.get_question(theirs.question_id)
    assert shown.entry_id == entry.id  # the entry itself is public: it is shown
    assert queued == [theirs.question_id]  # but their question stays in the queue
    assert question is not None
    assert question.answer is None


@pytest.mark.parametrize("accepted", [True, False], ids=["sent", "token rejected"])
def test_log_resolve_at_debug_keeps_the_token_out_of_its_output(
    tmp_path: Path, accepted: bool
) -> None:
    # issue 14.6: PTB's "Set Bot API URL" line printed the token; redaction was serve's alone.
    # A rejected token is worse: PTB's InvalidToken message quotes it in the traceback.
    db = tmp_path / "bot.sqlite3"
    rec = QuestionRecord(
        "2026-12-02T08:00:00+00:00",
        "telegram",
        "u1",
        "4242",
        "美国大选谁赢了",
        "unknown",
        None,
        0.0,
        (),
        1.0,
    )

    async def log_one() -> None:
        async with await Store.open(db) as store:
            await store.record_question(rec)

    asyncio.run(log_one())
    with running_fake(accept_token=accepted) as fake:
        env = {
            **os.environ,
            "POLICYBOT_DB": str(db),
            "TELEGRAM_BOT_TOKEN": TOKEN,
            "POLICYBOT_TELEGRAM_BASE_URL": fake.base_url,
            "POLICYBOT_LOG_LEVEL": "DEBUG",
        }
        run = [sys.executable, "-m", "bot", "log"]
        listed = subprocess.run(
            [*run, "unanswered", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            cwd=ROOT,
        )
        [group] = json.loads(listed.stdout)
        done = subprocess.run(
            [*run, "resolve", str(group["id"]), "--answer", "请问村委会。", "--yes"],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=ROOT,
        )
        sent = fake.messages(4242)
    output = done.stderr + done.stdout
    # sent, or (token rejected: exit 1) left for the running bot once the token is fixed
    assert done.returncode == (0 if accepted else 1), done.stderr[-2000:]
    assert bool(sent) == accepted
    assert "DEBUG" in done.stderr  # the log really was on
    assert TOKEN not in output
    assert TOKEN.split(":")[1] not in output
    assert "Set Bot API URL: http://127.0.0.1" in output  # the line is kept, redacted:
    assert "/bot<token>" in output
    if not accepted:  # said plainly, not as PTB's traceback (which quotes the token)
        assert done.stderr.splitlines()[-1] == (
            f"policybot: {messages.TOKEN_REJECTED.format(pending=1)}"
        )
        assert "Traceback" not in output
