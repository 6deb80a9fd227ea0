import pytest

from bot.understand import Matcher


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("底保咋申请", "低保"),
        ("雨路计划", "雨露计划"),
        ("建挡立卡户", "建档立卡"),
        ("威房改造", "危房改造"),
        ("扶贫车见", "扶贫车间"),
        ("想当护林圆", "护林员"),
        ("先诊了后付费", "先诊疗后付费"),
    ],
)
def test_homophone_typos_of_domain_terms_are_corrected(
    matcher: Matcher, typed: str, meant: str
) -> None:
    assert meant in matcher.analyze(typed).text


@pytest.mark.parametrize("text", ["公式怎么算", "扶贫的钱都花哪了", "外县派来的干部是干啥的"])
def test_ordinary_words_are_not_corrected(matcher: Matcher, text: str) -> None:
    assert matcher.analyze(text).text == text


def test_questions_typed_in_pinyin_become_chinese(matcher: Matcher) -> None:
    assert matcher.analyze("dibao zenme shenqing").text.split() == ["低保", "怎么", "申请"]
    assert matcher.best_match("dibao zenme shenqing").best.id == "social.dibao"  # type: ignore[union-attr]


def test_latin_words_that_are_not_pinyin_stay(matcher: Matcher) -> None:
    assert "wifi" in matcher.analyze("wifi密码").text


@pytest.mark.parametrize("text", ["能干不", "俺老是生病"])
def test_windows_straddling_a_function_word_are_not_corrected(matcher: Matcher, text: str) -> None:
    assert matcher.analyze(text).text == text
