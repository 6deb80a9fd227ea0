"""A conversation on the console (`policybot chat`, piped): follow-ups, typed menu words,
small talk, stray digits, as a real process and through main(argv)."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from bot import messages
from tests.conftest import ROOT
from tests.test_cli import run


def rows(db: Path, sql: str) -> list[tuple[object, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def test_a_piped_three_turn_follow_up_as_a_real_process(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    proc = subprocess.run(
        [sys.executable, "-m", "bot", "chat"],
        input="先看病后给钱是真的不\n那大病呢\n找谁\n".encode(),
        capture_output=True,
        env={**os.environ, "POLICYBOT_DB": str(db)},
        cwd=ROOT,
        timeout=60,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    assert "347家" in out  # 先诊疗后付费
    assert "大病集中救治" in out  # 那大病呢: the neighbouring topic
    assert messages.FOLLOWUP_PREFIX.format(title="大病集中救治") in out  # 找谁: on it
    assert rows(db, "SELECT entry_id, followup_of FROM questions ORDER BY id") == [
        ("health.treat_first_pay_later", None),
        ("health.major_illness", "health.treat_first_pay_later"),
        ("health.major_illness", "health.major_illness"),
    ]


def test_category_names_menu_words_and_small_talk_on_the_console(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    typed = "教育\n菜单\n帮助\n低保咋申请\n好的\n👍\n那要啥材料\n拜拜\n"
    code, out, _ = run(["chat"], typed, env={"POLICYBOT_DB": str(db)})
    assert code == 0
    assert messages.CATEGORY_PROMPT.format(name="教育") in out
    assert out.count(messages.MENU_PROMPT) == 1
    assert messages.HELP in out
    assert out.count(messages.CHAT_OK) == 2
    assert messages.FOLLOWUP_PREFIX.format(title="低保") in out  # small talk kept the topic
    assert messages.CHAT_BYE in out
    assert rows(db, "SELECT text, outcome FROM questions ORDER BY id") == [
        ("低保咋申请", "answer"),
        ("好的", "chat"),
        ("👍", "chat"),
        ("那要啥材料", "answer"),
        ("拜拜", "chat"),
    ]
    assert rows(db, "SELECT COUNT(*) FROM unanswered") == [(0,)]


def test_stray_digits_get_a_hint_and_are_not_logged(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    # 2 taps 👎 (whose reply has no buttons); then 3 and 07 pick nothing; 99 is out of range
    # of the answer's buttons; the first 12317 is the 👎's comment (「哪里不对？」), the second a
    # question (the 举报 line), neither a choice
    typed = "低保咋申请\n99\n2\n3\n07\n12317\n12317\n"
    code, out, _ = run(["chat"], typed, env={"POLICYBOT_DB": str(db)})
    assert code == 0
    assert messages.CONSOLE_CHOICE_RANGE.format(n=5) in out
    assert out.count(messages.CONSOLE_NO_CHOICE) == 2
    assert rows(db, "SELECT text FROM questions ORDER BY id") == [("低保咋申请",), ("12317",)]
    assert rows(db, "SELECT useful, comment FROM feedback") == [(0, "12317")]


def test_every_answer_reached_by_a_tap_carries_votes_on_the_console(tmp_path: Path) -> None:
    db = tmp_path / "chat.sqlite3"
    # a related topic (3), 👎 (2) and its comment; the menu → 政策总览 → its first entry → 👍;
    # a vague question → its second guess → 👎
    typed = "低保咋申请\n3\n2\n说得不清楚\n菜单\n1\n1\n1\n贷款的事\n2\n2\n"
    code, out, _ = run(["chat"], typed, env={"POLICYBOT_DB": str(db)})
    assert code == 0
    assert out.count("  1. " + messages.USEFUL) == 4  # every answer offered 👍 first
    assert messages.FEEDBACK_THANKS in out
    assert rows(db, "SELECT id, outcome, entry_id FROM questions ORDER BY id") == [
        (1, "answer", "social.dibao"),
        (2, "tap", "social.tekun_support"),  # the related topic, logged to be voted on
        (3, "tap", "overview.two_no_worries_three_guarantees"),  # from the menu
        (4, "clarify", "finance.zheng_yin_qi_hu_bao"),  # the guess the villager chose
    ]
    assert rows(db, "SELECT question_id, useful, comment FROM feedback ORDER BY id") == [
        (2, 0, "说得不清楚"),
        (3, 1, None),
        (4, 0, None),
    ]
    # both 👎 wait for the editors, the chosen guess's question open again
    assert rows(db, "SELECT question_id, status FROM unanswered ORDER BY question_id") == [
        (2, "open"),
        (4, "open"),
    ]
