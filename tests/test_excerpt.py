"""The part of an answer that fits a follow-up (bot/dialogue/excerpt.py)."""

from __future__ import annotations

import pytest

from bot.dialogue.excerpt import aspect_of, excerpt, sentences, whom_fits, whom_line

ANSWER = (
    "能补，一般每生每年3000元。保定有2080户已经办完。申请要交学籍证明等材料。"
    "本年度的申请时间，请您问乡镇扶贫办。"
)


@pytest.mark.parametrize(
    ("text", "aspect"),
    [
        ("那要啥材料", "materials"),
        ("要带身份证不", "materials"),
        ("找谁", "whom"),
        ("这事归谁管", "whom"),
        ("我家能办不", "eligibility"),
        ("俺能报名不", "eligibility"),
        ("那我家呢", "eligibility"),
        ("啥时候发", "when"),
        ("一年给多少钱", "amount"),
        ("上哪申请", "how"),
        ("这个", "eligibility"),
    ],
)
def test_a_follow_up_asks_one_side_of_the_topic(text: str, aspect: str) -> None:
    assert aspect_of(text).name == aspect


def test_an_amount_is_money_not_any_number() -> None:
    fitting, whom = excerpt(ANSWER, aspect_of("多少钱"))
    assert fitting == ("能补，一般每生每年3000元。",)
    assert whom == "本年度的申请时间，请您问乡镇扶贫办。"


def test_materials_and_when() -> None:
    assert excerpt(ANSWER, aspect_of("要啥材料"))[0] == ("申请要交学籍证明等材料。",)
    fitting, whom = excerpt(ANSWER, aspect_of("啥时候报"))
    assert fitting == ()
    assert whom is not None
    assert whom_fits(whom, aspect_of("啥时候报"))  # 申请时间…请您问: the line answers it


def test_an_answer_without_whom_to_ask_has_none() -> None:
    assert whom_line("这是一句话。那是另一句！") is None
    assert sentences("一。二！三？四") == ["一。", "二！", "三？", "四"]
    assert excerpt("", aspect_of("多少钱")) == ((), None)
