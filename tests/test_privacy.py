"""Personal numbers are masked to a few edge digits; everything else is left alone."""

from __future__ import annotations

import io
import logging
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from bot.privacy import MIN_PERSONAL_DIGITS, SEPARATORS, MaskingFilter, mask_pii

DIGIT_RUN = re.compile(rf"\d(?:[{re.escape(SEPARATORS)}]{{0,3}}\d)*")

digits = st.sampled_from("0123456789")


@st.composite
def id_cards(draw: st.DrawFn) -> str:
    body = draw(st.text(digits, min_size=17, max_size=17))
    return body + draw(st.sampled_from("0123456789Xx"))


@st.composite
def mobiles(draw: st.DrawFn) -> str:
    return "1" + draw(st.sampled_from("3456789")) + draw(st.text(digits, min_size=9, max_size=9))


@st.composite
def bank_cards(draw: st.DrawFn) -> str:
    return draw(st.text(digits, min_size=16, max_size=19))


@st.composite
def grouped(draw: st.DrawFn, number: st.SearchStrategy[str]) -> tuple[str, str]:
    """A number as typed (maybe grouped with spaces/hyphens, maybe full-width) and its digits."""
    plain = draw(number)
    typed = plain
    if draw(st.booleans()):
        typed = "".join(chr(ord(c) + 0xFEE0) if c.isdigit() else c for c in typed)
    if draw(st.booleans()):
        sep = draw(st.sampled_from(list(SEPARATORS)))
        sep *= draw(st.integers(1, 3))
        size = draw(st.sampled_from([3, 4]))
        typed = sep.join(typed[i : i + size] for i in range(0, len(typed), size))
    return typed, plain


def _safe_edge(text: str, *, end: bool) -> bool:
    """Whether `text` cannot glue onto a number at this edge (no digit, separator or X)."""
    if not text:
        return True
    ch = text[-1] if end else text[0]
    return not (ch.isdigit() or ch in SEPARATORS or (not end and ch in "XxＸｘ"))


no_digits = st.characters(blacklist_categories=("Nd",))
prefixes = st.text(no_digits, max_size=30).filter(lambda t: _safe_edge(t, end=True))
suffixes = st.text(no_digits, max_size=30).filter(lambda t: _safe_edge(t, end=False))


def _expected(typed: str) -> str:
    chars = [c for c in typed if c not in SEPARATORS]
    head = 3 if len(chars) == 11 and chars[0] in "1１" else 4
    return "".join(chars[:head]) + "*" * (len(chars) - head - 4) + "".join(chars[-4:])


@pytest.mark.parametrize(
    ("text", "masked"),
    [
        ("我身份证是130602199001011234咋办", "我身份证是1306**********1234咋办"),
        ("身份证11010519491231002X", "身份证1101**********002X"),
        ("手机13812345678", "手机138****5678"),
        ("电话 138-1234-5678 谢谢", "电话 138****5678 谢谢"),
        ("卡号6222021234567890123", "卡号6222***********0123"),
        ("卡号 6222 0212 3456 7890", "卡号 6222********7890"),
        ("１３８１２３４５６７８", "１３８****５６７８"),
        ("手机138.1234.5678", "手机138****5678"),
        ("手机138/1234/5678", "手机138****5678"),
        ("手机138   1234   5678", "手机138****5678"),
        ("手机138\u200b1234\u200b5678", "手机138****5678"),
        ("手机138\u00a01234\u00a05678", "手机138****5678"),
        ("卡号6222\u30000212\u30003456\u30007890", "卡号6222********7890"),
        ("身份证130602．19900101．1234", "身份证1306**********1234"),
    ],
)
def test_known_numbers_are_masked_to_edge_digits(text: str, masked: str) -> None:
    assert mask_pii(text) == masked


@pytest.mark.parametrize(
    "text",
    ["低保一个月给300元", "2018年到2020年", "补助标准是每人每年1000元", "电话0312", "3000 4000"],
)
def test_amounts_years_and_short_numbers_are_kept(text: str) -> None:
    assert mask_pii(text) == text


@given(
    prefixes, st.one_of(grouped(id_cards()), grouped(mobiles()), grouped(bank_cards())), suffixes
)
def test_personal_numbers_in_any_text_keep_only_edge_digits(
    prefix: str, number: tuple[str, str], suffix: str
) -> None:
    typed, plain = number
    out = mask_pii(prefix + typed + suffix)
    assert out == prefix + _expected(typed) + suffix
    assert plain not in out
    assert sum(c.isdecimal() for c in out) <= 8


@given(st.text())
def test_masking_is_idempotent(text: str) -> None:
    once = mask_pii(text)
    assert mask_pii(once) == once


@given(st.text(alphabet=st.characters(codec="utf-8"), max_size=200))
def test_no_long_digit_run_survives(text: str) -> None:
    for run in DIGIT_RUN.findall(mask_pii(text)):
        assert sum(c.isdigit() for c in run) < MIN_PERSONAL_DIGITS


@given(st.text(st.characters(blacklist_categories=("Nd",))))
def test_text_without_digits_is_unchanged(text: str) -> None:
    assert mask_pii(text) == text


def test_masking_is_linear_on_adversarial_input() -> None:
    text = "1 " * 50_000 + "X1" + "1X" * 50_000
    out = mask_pii(text)
    assert not any(len(run) >= MIN_PERSONAL_DIGITS for run in re.findall(r"\d+", out))


def test_log_records_are_masked_with_their_arguments_and_tracebacks() -> None:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.addFilter(MaskingFilter())
    handler.setFormatter(logging.Formatter("%(levelname)s %(message)s"))
    logger = logging.getLogger("tests.privacy")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("question from %s: %r", "telegram:1", "身份证130602199001011234")
        try:
            int("bad phone 13812345678")
        except ValueError:
            logger.exception("failed")
    finally:
        logger.removeHandler(handler)
    out = stream.getvalue()
    assert "身份证1306**********1234" in out
    assert "'bad phone 138****5678'" in out
    assert "130602199001011234" not in out
    assert "13812345678" not in out
