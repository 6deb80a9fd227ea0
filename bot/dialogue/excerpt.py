"""The part of an answer that fits a follow-up: 「那要啥材料」 gets the sentences on材料.

A follow-up asks one side of the topic just answered (its 材料, where to apply, whom to ask,
how much, when, who qualifies). The answer is cut into sentences and the ones that speak to
that side are shown, with the answer's whom-to-ask line; when none does, the whom-to-ask line
alone, because only local staff can say more.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

MAX_SENTENCES = 2
_SENTENCE_RE = re.compile(r"[^。！？!?]+[。！？!?]*")
# An amount of money (3000元, 5万元, 90%); a bare number (2080户, 1979人) is no amount.
_MONEY_RE = re.compile(r"\d[\d.,]*\s*(?:万元|千元|元|块|%|％)|百分之")
# 「俺能报名不」「能签吗」: can I, whatever the verb.
_CAN_I_RE = re.compile(r"能.{0,4}[不吗么没]$")
# The closing line of an answer that names whom to ask (policy README, rule 5).
_WHOM = ("请问", "请您问", "可以问", "请找", "请到", "请看", "可以向", "咨询")


@dataclass(frozen=True)
class Aspect:
    """One side of a topic: words of a message that ask it, words of a sentence that answer it."""

    name: str
    asks: tuple[str, ...]
    cues: tuple[str, ...]


def _aspect(name: str, asks: str, cues: str) -> Aspect:
    return Aspect(name, tuple(asks.split()), tuple(cues.split()))


# Tried in order: the first aspect whose words the message contains is the one asked
# (「我家能办不」 is about who qualifies, though 办 is also a word of applying).
ASPECTS = (
    _aspect(
        "materials",
        "材料 资料 证明 证件 身份证 户口本 要带 带啥 交啥 准备啥",
        "材料 证明 证件 户口 身份证 带",
    ),
    _aspect(
        "whom",
        "找谁 问谁 谁管 谁负责 谁办 哪个部门 电话 联系",
        "提出 找 联系 电话 窗口 办公",
    ),
    _aspect(
        "eligibility",
        "能办 能不能 够条件 够格 条件 资格 符合 能领 能申请 算不算 能享受 行不行 中不中 能行 "
        "有份 我家 俺家 能不",
        "条件 符合 对象 纳入 建档立卡 贫困 不在 都能 可以",
    ),
    _aspect(
        "when",
        "啥时候 什么时候 时候 多久 多长时间 哪天 几月 期限 批下来 到账 几号 发",
        "时间 期限 按月 按年 时候 以前 之前 学期 季度",
    ),
    _aspect(
        "amount",
        "多少 几多 钱 金额 标准 额度 比例 能报 能给 补几",
        "标准 比例 多少 报销 最高",
    ),
    _aspect(
        "how",
        "上哪 去哪 在哪 哪里 哪儿 申请 咋办 怎么办 咋弄 怎么弄 手续 流程 步骤 办理 咋报 报名 "
        "办 弄",
        "申请 提出 办理 报名 审批 代办 窗口",
    ),
)
# A message with none of the words above («那我家呢», 「这个咋样」) asks, in effect, how it
# applies to the asker.
ELIGIBILITY = DEFAULT_ASPECT = ASPECTS[2]


def aspect_of(text: str) -> Aspect:
    """The side of the topic that `text` (a follow-up, normalized) asks about."""
    for aspect in ASPECTS:
        if aspect is ELIGIBILITY and _CAN_I_RE.search(text):
            return aspect
        if any(w in text for w in aspect.asks):
            return aspect
    return DEFAULT_ASPECT


def sentences(answer: str) -> list[str]:
    """The answer's sentences, each with its closing punctuation."""
    return [s.strip() for s in _SENTENCE_RE.findall(answer) if s.strip()]


def whom_line(answer: str) -> str | None:
    """The answer's last sentence that names whom to ask, if it has one."""
    return next((s for s in reversed(sentences(answer)) if any(w in s for w in _WHOM)), None)


def _fit(sentence: str, aspect: Aspect) -> int:
    hits = sum(cue in sentence for cue in aspect.cues)
    if aspect.name == "amount" and _MONEY_RE.search(sentence):
        hits += 2
    return hits


def whom_fits(whom: str, aspect: Aspect) -> bool:
    """Whether the whom-to-ask line itself speaks to the aspect (「申请时间…请问乡镇」)."""
    return aspect.name == "whom" or bool(_fit(whom, aspect)) or any(w in whom for w in aspect.asks)


def excerpt(answer: str, aspect: Aspect) -> tuple[tuple[str, ...], str | None]:
    """The sentences of `answer` that fit `aspect`, in the answer's order, and whom to ask."""
    parts = sentences(answer)
    whom = whom_line(answer)
    body = [s for s in parts if s != whom]
    if aspect.name == "eligibility" and body:
        # the direct answer comes first and says who is covered (「符合条件的可以申请」)
        ranked = [0, *(i for i in range(1, len(body)) if _fit(body[i], aspect))]
    else:
        scored = [(i, _fit(s, aspect)) for i, s in enumerate(body)]
        ranked = [i for i, hits in sorted(scored, key=lambda p: (-p[1], p[0])) if hits]
    return tuple(body[i] for i in sorted(ranked[:MAX_SENTENCES])), whom
