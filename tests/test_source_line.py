"""Answers from 2018–2020 material say when that was the policy (issue 10.5)."""

from __future__ import annotations

import dataclasses

from bot import messages
from bot.dialogue.reply import entry_reply, source_line
from bot.knowledge import KnowledgeBase


def test_a_dated_source_says_when_the_policy_was(kb: KnowledgeBase) -> None:
    entry = kb.get("social.dibao")
    assert entry is not None
    dated = dataclasses.replace(entry, source="某文件（2018年11月）；国家扶贫政策（2018–2020年）")
    line = source_line(dated)
    assert line.startswith("依据：某文件")
    assert line.endswith(messages.SOURCE_DATED.format(years="2018–2020年"))
    one = source_line(dataclasses.replace(entry, source="三年行动计划（2019年）"))
    assert "这是2019年的政策" in one


def test_undated_sources_and_odd_numbers_get_no_year_line(kb: KnowledgeBase) -> None:
    entry = kb.get("social.dibao")
    assert entry is not None
    for source in ("本机器人", "第20180号文件", "热线12345", "编号3000-1"):
        line = source_line(dataclasses.replace(entry, source=source))
        assert "的政策；" not in line, source


def test_every_shipped_policy_answer_carries_its_years(kb: KnowledgeBase) -> None:
    dated = [e for e in kb.entries if "20" in e.source and not e.is_smalltalk]
    assert len(dated) > 40
    for entry in dated:
        text = entry_reply(entry, kb).text
        assert "的政策；现在的规定" in text, entry.id
