"""The editors' loop on both backends (an SQLite file, a real PostgreSQL database): stats,
groups, resolve/ignore, replies, CSV, CLI."""

from __future__ import annotations

import asyncio
import csv
import datetime as dt
import io
import json
from collections.abc import Iterator, Sequence
from pathlib import Path

import pytest
import yaml

from bot import messages
from bot.cli import main
from bot.review import (
    COLUMNS,
    LOCAL_TZ,
    Cluster,
    Delivery,
    Recipient,
    ReviewError,
    collect_stats,
    deliver,
    export_csv,
    format_clusters,
    ignore,
    local_day_start,
    mark_sent,
    pending_replies,
    resolve,
    suggest_yaml,
    unanswered_clusters,
    utc_iso,
)
from bot.store import IGNORED, OPEN, PENDING, RESOLVED, SKIPPED, QuestionRecord, Store
from bot.understand import Matcher
from tests.fakes.botapi import TOKEN, FakeBotAPI

# 12:00 in China, yesterday: the CLI commands read the real clock, so the fixture's week
# must be the real last week (a fixed date drifts out of `--days 7` as the calendar moves on)
NOW = (dt.datetime.now(dt.UTC) - dt.timedelta(days=1)).replace(
    hour=4, minute=0, second=0, microsecond=0
)
TODAY = NOW.date().isoformat()
DAY_STARTS = (NOW.replace(hour=0) - dt.timedelta(hours=8)).isoformat()  # 00:00 in China
ID_CARD = "130602199001011234"
MOBILE = "13912345678"
LAMP = ["村里路灯坏了找谁修", "路灯不亮了归谁管", "村口路灯坏了咋办"]
VACCINE = ["疫苗去哪里打", "哪能打疫苗"]


def at(days_ago: float, hour: int = 3) -> str:
    moment = NOW.replace(hour=hour) - dt.timedelta(days=days_ago)
    return moment.isoformat(timespec="seconds")


def rec(
    text: str,
    *,
    outcome: str = "unknown",
    user: str = "1",
    channel: str = "telegram",
    asked_at: str | None = None,
    entry_id: str | None = None,
) -> QuestionRecord:
    return QuestionRecord(
        asked_at=asked_at or at(0),
        channel=channel,
        user_key=f"{channel}:{user}",
        reply_to=user if channel == "telegram" else "console",
        text=text,
        outcome=outcome,
        entry_id=entry_id,
        score=10.0,
        candidates=[],
        latency_ms=2.0,
    )


async def fill(store: Store) -> dict[str, int]:
    """A week of questions: answered, clarified, two unanswered needs; returns some ids."""
    ids: dict[str, int] = {}
    ids["lamp1"] = await store.record_question(rec(LAMP[0], user="101", asked_at=at(3)))
    await store.record_question(rec("雨露计划咋申请", outcome="answer", entry_id="edu.yulu_plan"))
    await store.record_question(
        rec("雨露计划", outcome="answer", entry_id="edu.yulu_plan", asked_at=at(2))
    )
    ids["dibao"] = await store.record_question(
        rec("低保咋申请", outcome="answer", entry_id="social.dibao", asked_at=at(9))
    )
    ids["clarified"] = await store.record_question(rec("看病", outcome="clarify"))
    await store.record_question(rec("", outcome="empty"))
    ids["vaccine"] = await store.record_question(rec(VACCINE[0], user="201", asked_at=at(1)))
    ids["lamp2"] = await store.record_question(rec(LAMP[1], user="102", asked_at=at(1)))
    ids["lamp3"] = await store.record_question(rec(LAMP[2], user="101"))  # 101 asks again
    ids["lamp_console"] = await store.record_question(rec(LAMP[0], channel="console"))
    ids["vaccine2"] = await store.record_question(rec(VACCINE[1], user="202"))
    answered = await store.record_question(
        rec("雨露计划补多少", outcome="answer", entry_id="edu.yulu_plan")
    )
    await store.record_feedback(answered, "telegram:1", True, at(0))
    await store.record_feedback(ids["vaccine"], "telegram:201", False, at(0))
    return ids


@pytest.fixture
async def store(db_target: Path | str) -> Store:
    s = await Store.open(db_target)
    yield s  # type: ignore[misc]
    await s.close()


async def test_stats_count_today_and_the_period_in_local_days(
    store: Store, matcher: Matcher
) -> None:
    await fill(store)
    titles = {e.id: e.title for e in matcher.kb.entries}
    stats = await collect_stats(store, days=7, now=NOW, titles=titles)
    # today (China): 雨露计划咋申请, 看病, lamp3, lamp_console, vaccine2, 雨露计划补多少 (+ empty)
    assert (stats.today.questions, stats.today.answered, stats.today.unknown) == (6, 2, 3)
    assert stats.today.empty == 1
    # the period excludes 低保 (9 days ago)
    assert (stats.period.questions, stats.period.answered, stats.period.clarified) == (10, 3, 1)
    assert stats.period.share(stats.period.unknown) == 60.0
    assert (stats.period.useful, stats.period.not_useful) == (1, 1)
    assert stats.top_topics[0].entry_id == "edu.yulu_plan"
    assert stats.top_topics[0].count == 3
    assert stats.top_topics[0].title == titles["edu.yulu_plan"]
    assert [d.day for d in stats.daily][-1] == TODAY
    assert len(stats.daily) == 7
    assert sum(d.questions for d in stats.daily) == stats.period.questions
    assert stats.open_unanswered == 7  # 6 unknown and 1 clarified question nobody tapped
    data = json.loads(json.dumps(stats.to_dict(), ensure_ascii=False))
    assert data["period"]["answered_pct"] == 30.0
    text = stats.to_text()
    assert len(text.splitlines()) <= 15
    assert "60%" in text
    assert titles["edu.yulu_plan"] in text


async def test_stats_of_an_empty_log_are_zero(store: Store) -> None:
    stats = await collect_stats(store, days=3, now=NOW)
    assert stats.period.questions == 0
    assert stats.period.share(0) == 0.0
    assert stats.top_topics == ()
    assert stats.to_text()


async def test_unanswered_groups_paraphrases_with_a_stable_id(
    store: Store, matcher: Matcher
) -> None:
    ids = await fill(store)
    clusters = await unanswered_clusters(store, matcher)
    # the clarified 「看病」 nobody tapped a candidate for waits too, alone
    assert [c.count for c in clusters] == [4, 2, 1]
    lamp, vaccine, clarified = clusters
    assert clarified.question_ids == (ids["clarified"],)
    assert lamp.id == ids["lamp1"]
    assert set(lamp.question_ids) == {ids[k] for k in ("lamp1", "lamp2", "lamp3", "lamp_console")}
    assert lamp.examples == tuple(LAMP)
    assert (lamp.first_seen, lamp.last_seen) == (at(3), at(0))
    assert vaccine.id == ids["vaccine"]
    assert lamp.nearest_entry is not None
    assert lamp.nearest_score > 0
    text = format_clusters(clusters, titles={e.id: e.title for e in matcher.kb.entries})
    assert f"#{lamp.id} ×4" in text
    assert LAMP[1] in text


async def test_resolve_answers_the_group_and_each_villager_once(
    store: Store, matcher: Matcher
) -> None:
    ids = await fill(store)
    recipients = await resolve(store, ids["lamp2"], "请找村委会报修。", matcher=matcher, now=NOW)
    assert sorted(recipients, key=lambda r: r.reply_to) == [
        Recipient(
            ids["lamp1"],
            "101",
            messages.EDITOR_REPLY.format(question=LAMP[0], answer="请找村委会报修。"),
        ),
        Recipient(
            ids["lamp2"],
            "102",
            messages.EDITOR_REPLY.format(question=LAMP[1], answer="请找村委会报修。"),
        ),
    ]
    resolved = {q.id: q for q in await store.queued_questions(RESOLVED)}
    assert set(resolved) == {ids[k] for k in ("lamp1", "lamp2", "lamp3", "lamp_console")}
    assert resolved[ids["lamp3"]].delivery == SKIPPED, "villager 101 gets one message"
    assert resolved[ids["lamp_console"]].delivery == SKIPPED
    assert resolved[ids["lamp1"]].delivery == PENDING
    assert {q.id for q in await store.queued_questions(OPEN)} == {
        ids["vaccine"],
        ids["vaccine2"],
        ids["clarified"],
    }
    assert await pending_replies(store) == sorted(recipients, key=lambda r: r.question_id)
    await mark_sent(store, [r.question_id for r in recipients])
    assert await pending_replies(store) == []


class RecordingSender:
    """A sender that takes its time, like the Bot API, and records what it sent."""

    def __init__(self, *, fail: bool = False) -> None:
        self.sent: list[int] = []
        self.fail = fail

    async def __call__(self, recipients: Sequence[Recipient]) -> Delivery:
        if self.fail:
            raise ConnectionError("Telegram is unreachable")
        for r in recipients:
            await asyncio.sleep(0.01)
            self.sent.append(r.question_id)
        return Delivery(sent=tuple(r.question_id for r in recipients))


async def test_two_senders_at_once_send_each_answer_once(
    store: Store, matcher: Matcher, db_target: Path | str
) -> None:
    ids = await fill(store)
    recipients = await resolve(store, ids["lamp1"], "找村委会。", matcher=matcher)
    cli, bot = RecordingSender(), RecordingSender()
    async with await Store.open(db_target) as running_bot:
        await asyncio.gather(
            deliver(store, recipients, cli),
            deliver(running_bot, await pending_replies(running_bot), bot),
        )
    assert sorted(cli.sent + bot.sent) == sorted(r.question_id for r in recipients)
    assert await pending_replies(store) == []


async def test_a_failed_sender_leaves_the_answers_pending(store: Store, matcher: Matcher) -> None:
    ids = await fill(store)
    recipients = await resolve(store, ids["lamp1"], "找村委会。", matcher=matcher)
    with pytest.raises(ConnectionError):
        await deliver(store, recipients, RecordingSender(fail=True))
    assert await pending_replies(store) == recipients
    later = RecordingSender()
    assert len((await deliver(store, await pending_replies(store), later)).sent) == 2
    assert await pending_replies(store) == []


async def test_resolve_without_a_matcher_takes_the_same_text_only(store: Store) -> None:
    ids = await fill(store)
    recipients = await resolve(store, ids["lamp1"], "找村委会。")
    assert [r.reply_to for r in recipients] == ["101"]
    resolved = await store.queued_questions(RESOLVED)
    assert {q.id for q in resolved} == {ids["lamp1"], ids["lamp_console"]}


async def test_resolve_refuses_empty_answers_and_unknown_questions(store: Store) -> None:
    ids = await fill(store)
    with pytest.raises(ReviewError, match="empty"):
        await resolve(store, ids["lamp1"], "  ")
    with pytest.raises(ReviewError, match="not in the unanswered queue"):
        await resolve(store, ids["dibao"], "answer")
    with pytest.raises(ReviewError, match="not in the unanswered queue"):
        await resolve(store, 9999, "answer")


async def test_ignore_sets_the_group_aside(store: Store, matcher: Matcher) -> None:
    ids = await fill(store)
    assert await ignore(store, ids["vaccine2"], matcher=matcher)
    assert {q.id for q in await store.queued_questions(IGNORED)} == {
        ids["vaccine"],
        ids["vaccine2"],
    }
    assert not await ignore(store, ids["dibao"], matcher=matcher)
    assert [c.id for c in await unanswered_clusters(store, matcher, status=IGNORED)] == [
        ids["vaccine"]
    ]


async def test_ignoring_an_answered_group_keeps_its_answer_and_waiting_messages(
    store: Store, matcher: Matcher
) -> None:
    ids = await fill(store)
    recipients = await resolve(store, ids["lamp1"], "找村委会。", matcher=matcher)
    waiting = [q.id for q in await store.pending_deliveries()]
    assert waiting == [r.question_id for r in recipients] != []
    asked_again = await store.record_question(rec(LAMP[0], user="103"))
    assert not await ignore(store, ids["lamp1"], matcher=matcher)
    assert await store.ignore_questions([ids["lamp2"]], at(0)) == 0  # the store refuses too
    assert [q.id for q in await store.pending_deliveries()] == waiting
    assert {q.id for q in await store.queued_questions(RESOLVED)} >= {ids["lamp1"], ids["lamp2"]}
    assert await store.queued_questions(IGNORED) == []
    assert asked_again in {q.id for q in await store.queued_questions(OPEN)}
    assert [r.question_id for r in await pending_replies(store)] == waiting  # still deliverable


async def test_csv_round_trips_chinese_with_a_bom(store: Store, tmp_path: Path) -> None:
    await fill(store)
    await store.record_question(rec(f"身份证{ID_CARD}，电话{MOBILE}，补助咋领？"))
    path = tmp_path / "log.csv"
    assert await export_csv(store, path) == 13
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    assert ID_CARD.encode() not in raw
    assert MOBILE.encode() not in raw
    with path.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert tuple(rows[0]) == COLUMNS
    texts = [r["text"] for r in rows]
    assert LAMP[1] in texts
    assert "身份证1306**********1234，电话139****5678，补助咋领？" in texts
    assert "reply_to" not in rows[0]
    today = utc_iso(local_day_start(NOW.astimezone(LOCAL_TZ).date()))
    assert await export_csv(store, path, since=today) == 8  # 7 of fill + the one above


# ---- the command line (a Bot API stand-in on 127.0.0.1 for the replies) ----------------


@pytest.fixture
def bot_api() -> Iterator[FakeBotAPI]:
    with FakeBotAPI() as api:
        yield api


def run(argv: list[str], env: dict[str, str], stdin: str = "") -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(argv, env=env, stdin=io.StringIO(stdin), stdout=out, stderr=err)
    return code, out.getvalue(), err.getvalue()


@pytest.fixture
def logged(db_target: Path | str) -> tuple[dict[str, str], dict[str, int]]:
    """An environment whose POLICYBOT_DB holds `fill`'s questions, and their ids."""
    path = db_target

    async def setup() -> dict[str, int]:
        async with await Store.open(path) as store:
            ids = await fill(store)
            ids["blocked"] = await store.record_question(rec(LAMP[1], user="666"))
            return ids

    return {"POLICYBOT_DB": str(path)}, asyncio.run(setup())


def test_cli_stats_json_and_text(logged: tuple[dict[str, str], dict[str, int]]) -> None:
    env, _ = logged
    code, out, _ = run(["log", "stats", "--days", "7", "--json"], env)
    assert code == 0
    data = json.loads(out)
    assert data["days"] == 7
    assert data["period"]["questions"] >= 10
    code, out, _ = run(["log", "stats"], env)
    assert code == 0
    assert "近7天" in out


def test_cli_unanswered_json_lists_groups(logged: tuple[dict[str, str], dict[str, int]]) -> None:
    env, ids = logged
    code, out, _ = run(["log", "unanswered", "--json"], env)
    assert code == 0
    groups = json.loads(out)
    assert groups[0]["id"] == ids["lamp1"]
    assert groups[0]["count"] == 5
    assert LAMP[0] in groups[0]["examples"]
    code, out, _ = run(["log", "unanswered", "--status", "resolved", "--json"], env)
    assert (code, json.loads(out)) == (0, [])


def test_cli_resolve_without_a_token_leaves_replies_for_the_bot(
    logged: tuple[dict[str, str], dict[str, int]],
) -> None:
    env, ids = logged
    code, out, _ = run(
        ["log", "resolve", str(ids["lamp1"]), "--answer", "找村委会。", "--yes"], env
    )
    assert code == 0
    assert "3 villager(s) will get the answer from the running bot" in out

    async def pending() -> list[Recipient]:
        async with await Store.open(env["POLICYBOT_DB"]) as store:
            return await pending_replies(store)

    assert sorted(r.reply_to for r in asyncio.run(pending())) == ["101", "102", "666"]


def test_cli_resolve_sends_through_the_bot_api(
    logged: tuple[dict[str, str], dict[str, int]], bot_api: FakeBotAPI
) -> None:
    env, ids = logged
    env = env | {"TELEGRAM_BOT_TOKEN": TOKEN, "POLICYBOT_TELEGRAM_BASE_URL": bot_api.base_url}
    bot_api.fail("sendMessage", status=403, chat_id=666)  # this villager blocked the bot
    answer = "路灯归村委会管，请打村委会电话报修。"
    code, out, err = run(["log", "resolve", str(ids["lamp2"]), "--answer", answer, "--yes"], env)
    assert code == 0, err
    assert "sent to 2 villager(s); 1 cannot be reached; 0 left" in out
    sent = {m.chat_id: m.text for m in bot_api.messages()}
    assert sent == {
        101: messages.EDITOR_REPLY.format(question=LAMP[0], answer=answer),
        102: messages.EDITOR_REPLY.format(question=LAMP[1], answer=answer),
    }
    assert [c.chat_id for c in bot_api.calls("sendMessage", ok=False)] == [666]
    assert TOKEN not in out + err

    async def states() -> dict[int, str | None]:
        async with await Store.open(env["POLICYBOT_DB"]) as store:
            return {q.id: q.delivery for q in await store.queued_questions(RESOLVED)}

    deliveries = asyncio.run(states())
    assert deliveries[ids["lamp1"]] == "sent"
    assert deliveries[ids["blocked"]] == "failed"


def test_cli_ignore_and_errors(logged: tuple[dict[str, str], dict[str, int]]) -> None:
    env, ids = logged
    code, out, _ = run(["log", "ignore", str(ids["vaccine"]), "--yes"], env)
    assert (code, out.splitlines()[-1].startswith("ignored 2 question(s)")) == (0, True)
    code, _, err = run(["log", "ignore", str(ids["dibao"]), "--yes"], env)
    assert code == 1
    assert "不在待回答的队列里" in err
    code, _, err = run(["log", "resolve", str(ids["lamp1"]), "--answer", " "], env)
    assert (code, err.strip()) == (1, "policybot: the answer is empty")
    code, _, err = run(["log", "stats"], {"POLICYBOT_DB": env["POLICYBOT_DB"] + ".missing"})
    assert code == 1
    assert "no question log" in err


def test_cli_suggest_prints_valid_yaml(
    logged: tuple[dict[str, str], dict[str, int]], matcher: Matcher
) -> None:
    env, _ = logged
    code, out, _ = run(["log", "suggest"], env)
    assert code == 0
    assert len(yaml.safe_load(out)) == 3  # lamps, vaccines, and the clarified 看病
    groups = json.loads(run(["log", "unanswered", "--json"], env)[1])
    for group, block in zip(groups, out.strip().split("\n\n"), strict=True):
        assert f"第 {group['id']} 组" in block
        (snippet,) = yaml.safe_load(block)
        assert snippet["questions"]
        if group["nearest_score"] >= matcher.thresholds.answer:
            assert snippet["id"] == group["nearest_entry"]
            assert set(snippet) == {"id", "questions"}
        else:  # a new entry: every field an editor must fill in is there
            assert snippet["id"] == f"todo.topic_{group['id']}"
            assert snippet["category"] == messages.SUGGEST_TODO_CATEGORY
            assert {"title", "keywords", "answer", "source", "updated"} <= set(snippet)


def test_cli_export_since_a_day(
    logged: tuple[dict[str, str], dict[str, int]], tmp_path: Path
) -> None:
    env, _ = logged
    target = tmp_path / "out.csv"
    code, out, _ = run(["log", "export", "--csv", str(target), "--since", TODAY], env)
    assert code == 0
    with target.open(encoding="utf-8-sig", newline="") as f:
        rows = list(csv.DictReader(f))
    assert out.strip() == f"wrote {len(rows)} question(s) to {target}"
    assert rows
    assert all(r["asked_at"] >= DAY_STARTS for r in rows)
    with pytest.raises(SystemExit) as usage:
        run(["log", "export", "--csv", str(target), "--since", "yesterday"], env)
    assert usage.value.code == 2


def test_chat_then_review_finds_no_raw_number_anywhere(tmp_path: Path) -> None:
    """The acceptance check: PII through `policybot chat`, then the staff commands."""
    env = {"POLICYBOT_DB": str(tmp_path / "log.sqlite3")}
    questions = [
        f"我身份证号{ID_CARD}，手机{MOBILE}，低保咋申请",
        "雨露计划咋申请",
        "美国大选谁赢了",
    ]
    code, _, _ = run(["chat", "--no-greeting"], env, "\n".join(questions) + "\n")
    assert code == 0
    code, out, _ = run(["log", "unanswered", "--json"], env)
    assert code == 0
    examples = [e for group in json.loads(out) for e in group["examples"]]
    assert "美国大选谁赢了" in examples
    code, out, _ = run(["log", "stats", "--json"], env)
    assert json.loads(out)["today"]["questions"] == 3
    target = tmp_path / "log.csv"
    assert run(["log", "export", "--csv", str(target)], env)[0] == 0
    assert target.read_bytes().startswith(b"\xef\xbb\xbf")
    for path in tmp_path.iterdir():
        data = path.read_bytes()
        for raw in (ID_CARD, MOBILE, ID_CARD[4:-4]):
            assert raw.encode() not in data, f"{raw} in {path.name}"


def test_suggest_skips_poor_examples_and_known_questions(matcher: Matcher) -> None:
    entry = matcher.kb.entries[0]
    texts = (entry.questions[0], "长" * 300, "我电话138****5678 这个咋办", "新的问法 这个咋办")
    near = Cluster(
        7,
        4,
        "2026-11-01T00:00:00+00:00",
        "2026-11-02T00:00:00+00:00",
        texts[:3],
        (7, 8, 9, 10),
        entry.id,
        99.0,
        texts=texts,
    )
    far = Cluster(
        11,
        2,
        "2026-11-01T00:00:00+00:00",
        "2026-11-02T00:00:00+00:00",
        ("长" * 300,),
        (11, 12),
        None,
        0.0,
        texts=("长" * 300,),
    )
    out = suggest_yaml([near, far], matcher.kb, min_score=50, today=dt.date(2026, 11, 29))
    added, drafted = yaml.safe_load(out)
    assert added == {"id": entry.id, "questions": ["新的问法 这个咋办"]}
    assert drafted["questions"] == ["长" * 200], "nothing better: cut to the KB's limit"
    assert len(drafted["title"]) <= 40
    assert (
        yaml.safe_load(suggest_yaml([], matcher.kb, min_score=50, today=dt.date.today())) is None
    )
