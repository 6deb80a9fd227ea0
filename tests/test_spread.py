"""Keyword spread: how many entries' texts contain a keyword, counted on first use."""

from __future__ import annotations

from bot.understand.spread import KeywordSpread


def test_each_entry_counts_once_and_a_keyword_nobody_uses_counts_as_one() -> None:
    spread = KeywordSpread(["低保 低保户 低保", "危房改造 低保户", "雨露计划"])
    assert spread["低保"] == 2  # twice in the first entry, once in the second
    assert spread["低保户"] == 2
    assert spread["雨露计划"] == 1
    assert spread["宅基地"] == 1  # none: as weak a discount as one
    assert spread["低保"] == 2  # remembered, the same


def test_a_keyword_never_spans_two_entries() -> None:
    spread = KeywordSpread(["村里低", "保户", "要低保"])
    assert spread["低保"] == 1  # only the third: 低|保 across the first two is no use of it
