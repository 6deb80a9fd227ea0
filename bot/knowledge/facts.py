"""Numbers in an answer must come from the entry's own facts or source: an amount, a share, a
year or a phone number that no fact states was typed from memory, and a villager acts on it.

Each entry may carry `facts:`, the sentences of ../shared/policy/topics.yaml it rests on,
copied verbatim; every figure the answer states must appear among them (or in `source`).
"""

from __future__ import annotations

import re

_WIDE = str.maketrans("０１２３４５６７８９．，％", "0123456789.,%")
# 12317, 3.6, 1,000, 57.3: the number as written (thousands commas dropped when compared)
_NUMBER = re.compile(r"\d+(?:,\d{3})*(?:\.\d+)?")
# amounts and shares in Chinese numerals (五千元, 百分之五); counts like 七个全覆盖 are names
_NUMERAL = "零一二三四五六七八九十百千万亿两"
_CHINESE = re.compile(f"百分之[{_NUMERAL}]+|(?<![0-9.])[{_NUMERAL}]+(?:元|块钱)")
_EXEMPT = ("smalltalk.", "refer.")  # fixed replies; referrals state no figure at all


def numbers_in(text: str) -> list[str]:
    """The number-like tokens of `text`, in order, each once (full-width digits made plain)."""
    plain = text.translate(_WIDE)
    found = [m.replace(",", "") for m in _NUMBER.findall(plain)] + _CHINESE.findall(plain)
    return list(dict.fromkeys(found))


def fact_problems(
    entry_id: str, answer: str, facts: list[str], source: str
) -> list[tuple[str, str]]:
    """What the answer states that its facts do not, as (severity, message) pairs."""
    known = set(numbers_in(" ".join([*facts, source])))
    missing = [n for n in numbers_in(answer) if n not in known]
    if missing:
        return [("error", _unsourced(_NOT_IN_FACTS if facts else _NO_FACTS, missing))]
    if facts or entry_id.startswith(_EXEMPT):
        return []
    return [("warning", _NO_FACTS_AT_ALL)]


# {shown}: the numbers joined by 、, {listed}: by commas (the English half)
_NO_FACTS = (
    "回答里写了 {shown}，可这一条没有 facts：请把这些数字的出处原文（../shared/policy/"
    "topics.yaml 里这一条的 facts）一句一行抄进 facts，或者把数字删掉"
    " (answer states {listed} but the entry has no facts)"
)
_NOT_IN_FACTS = (
    "回答里的 {shown} 在这一条的 facts 和 source 里都找不到：请对照出处改正数字，"
    "或把写有这个数字的原文抄进 facts；出处里没有的数字不能写"
    " (number {listed} in the answer is in no fact of this entry)"
)


def _unsourced(template: str, numbers: list[str]) -> str:
    return template.format(shown="、".join(numbers), listed=", ".join(numbers))


_NO_FACTS_AT_ALL = (
    "这一条没有 facts：请把它依据的原文（../shared/policy/topics.yaml 里这一条的 facts）"
    "一句一行抄进 facts，kb check 才能核对回答里的数字 (the entry has no facts)"
)
