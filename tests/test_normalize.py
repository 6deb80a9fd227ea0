from hypothesis import given
from hypothesis import strategies as st

from bot.understand import normalize_text


@given(st.text())
def test_normalize_is_idempotent_and_never_raises(text: str) -> None:
    once = normalize_text(text)
    assert normalize_text(once) == once


@given(st.text(alphabet=st.characters(codec=None), max_size=300))
def test_normalize_output_has_no_controls_or_double_spaces(text: str) -> None:
    out = normalize_text(text)
    assert "  " not in out
    assert out == out.strip()
    assert not any(ord(c) < 32 or c in "\u200b\u200d\u202e\ufeff" for c in out)


def test_full_width_digits_and_letters_become_half_width() -> None:
    assert normalize_text("贷款５万 ＡＢＣ") == "贷款5万 abc"


def test_traditional_characters_become_simplified() -> None:
    assert normalize_text("醫保報銷能代辦嗎") == "医保报销能代办吗"
    assert normalize_text("咋样才算脫貧") == "咋样才算脱贫"


def test_punctuation_emoji_and_invisible_characters_are_removed() -> None:
    assert normalize_text("低\u200b保😀咋申请？！") == "低保 咋申请"
    assert normalize_text("  在吗?\n\t ") == "在吗"


def test_lone_surrogates_do_not_break_normalization() -> None:
    assert normalize_text("\ud800低保") == "低保"


def test_very_long_text_keeps_its_end() -> None:
    text = "俺家的事说来话长 " * 2000 + "低保咋申请"
    assert normalize_text(text).endswith("低保咋申请")
