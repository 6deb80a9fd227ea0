"""Checks of an answer's wording that editors miss: placeholders, and time words that were
true only when the source was written (the pocket book is from 2018–2020)."""

from __future__ import annotations

import re

# what an unfinished answer says instead of one (log suggest's draft uses 待补充)
PLACEHOLDERS = re.compile(r"待补充|待完善|待定|暂无内容|TODO|TBD|xxx", re.IGNORECASE)
# relative times: "明年底全部完成" read in 2026 is wrong; a year must be written out
RELATIVE_TIME = re.compile(
    r"今年|明年|去年|前年|后年|(?<![0-9０-９年])年底前|(?<![0-9０-９年])年内|目前|当前|近期|现阶段"
)
_SENTENCE = re.compile(r"[^。；;！？!?\n]+")


def wording_problems(answer: str) -> list[str]:
    """What is wrong with how `answer` reads (each in Chinese, English in parentheses)."""
    found = []
    if m := PLACEHOLDERS.search(answer):
        found.append(
            f"回答里还是占位的「{m.group()}」，请写上真正的回答 (answer is a placeholder)"
        )
    for sentence in _SENTENCE.findall(answer):
        time_word = RELATIVE_TIME.search(sentence)
        # a time word next to a figure states a fact as of then; one in a "please ask the
        # office how much this year" sentence is about now and fine
        if time_word and re.search(r"\d", sentence):
            found.append(
                f"「{time_word.group()}」是相对的时间，今天读来就不对了：请写明年份，如"
                f"「2019年底」「截至2018年11月」 (relative time {time_word.group()!r} next to a "
                "figure: write the year)"
            )
    return found
