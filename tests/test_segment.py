import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from bot.understand import Matcher, normalize_text


@pytest.mark.parametrize(
    "term", ["雨露计划", "两免一补", "先诊疗后付费", "建档立卡", "三免一助", "政银企户保"]
)
def test_domain_terms_segment_as_one_word(matcher: Matcher, term: str) -> None:
    words = matcher.segmenter.cut(f"俺想问问{term}咋弄")
    assert term in words


def test_tokens_drop_fillers_and_map_colloquial_words(matcher: Matcher) -> None:
    tokens = matcher.segmenter.tokens("俺家娃上中专有啥补助")
    assert "俺家" not in tokens
    assert "啥" not in tokens
    assert "孩子" in tokens  # 娃 → 孩子
    assert "中职" in tokens  # 中专 → 中职


@settings(max_examples=200, deadline=None)
@given(st.text(max_size=80))
def test_segmentation_keeps_every_non_space_character(matcher: Matcher, text: str) -> None:
    text = normalize_text(text)
    assert "".join(matcher.segmenter.cut(text)) == text.replace(" ", "")


def test_core_dictionary_keeps_common_words_and_drops_rare_ones() -> None:
    from bot.understand.segment import CORE_MIN_FREQ, core_dictionary

    words = {}
    for line in core_dictionary().read_text(encoding="utf-8").splitlines():
        word, freq, *_ = line.split()
        words[word] = int(freq)
    assert "申请" in words
    assert "孩子" in words
    assert min(words.values()) >= CORE_MIN_FREQ
    assert core_dictionary() == core_dictionary()  # written once, then reused
