"""An answer's opening that fits the question: 「能。」「有这项政策。」 answer "can I / is
there" and read wrong after 「上哪申请」「找谁」「一年给多少」: said only to a yes-or-no question.

Editors write answers for the villager who asks whether; the same answer serves the one who
asks how, where or who, and a button tap (a menu title is no yes-or-no question either).
"""

from __future__ import annotations

import re

# The first clause of an answer that only says yes: 「能。」「能贷，」「可以上。」「有这回事。」
# 「能有人帮您办。」「还管。」「在推进。」「符合条件的可以申请。」 (at most five more characters,
# so that 「可以申请特困人员供养（过去叫“五保”）。」, which names the help, stays).
YES_OPENING = re.compile(
    r"^(?:符合条件的)?(?:能|可以|有|是的|还管|在推进)[^，。；！？,;!?\s]{0,5}[，。；！,;!]\s*"
)
# asks how, where, who, what, how much, when: never answered by yes or no
_ASKS_WH = re.compile(r"咋|怎|哪|谁|啥|什么|多少|几|如何|何时|多久|多大|多长|为何")
# asks yes or no: 「能贷款不」「是真的吗」「有没有」「能不能」「中不中」
_ASKS_YES_NO = re.compile(
    r"(?:吗|么|嘛|不|没|没有|不了|不行|没得)[呢啊呀吧哈\s？?！!。.~～]*$"
    r"|(能|有|是|可|会|行|中|管|用|要|算|给|够)[不没]\1"
)


def asks_yes_or_no(question: str) -> bool:
    """Whether `question` asks yes or no (「我家能办不」) rather than how, where or who."""
    return bool(_ASKS_YES_NO.search(question)) and not _ASKS_WH.search(question)


def fit_opening(answer: str, question: str | None) -> str:
    """`answer` for `question` (None: a button tap): its yes-only first clause kept only when
    the question asks yes or no."""
    if question is not None and asks_yes_or_no(question):
        return answer
    m = YES_OPENING.match(answer)
    if m is None or m.end() == len(answer):
        return answer
    return answer[m.end() :]
