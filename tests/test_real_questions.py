"""Issue 15: the mechanisms that let the matcher understand questions as real people type them.

Every example here is our own, written in villagers' style; none is copied from an eval set.
"""

from __future__ import annotations

import io
import json
import sys
from dataclasses import replace
from pathlib import Path

import pytest

from bot.cli import main
from bot.knowledge import Entry, KnowledgeBase
from bot.review import referral_problems
from bot.understand import Matcher, Options, Outcome, Thresholds
from tests.conftest import ROOT, SHIPPED_KB


def kb_uses(*words: str) -> bool:
    """Whether the shipped knowledge base's text contains any of these words."""
    text = SHIPPED_KB.read_text(encoding="utf-8")
    return any(word in text for word in words)


def top(matcher: Matcher, question: str) -> str:
    ranked = matcher.rank(question)
    return ranked[0].id if ranked else ""


# 1. background weights ------------------------------------------------------------------------


def test_everyday_words_weigh_less_than_rare_ones(matcher: Matcher) -> None:
    # none of these is in the knowledge base's vocabulary the same way; general Chinese decides
    assert matcher.weight("需要") < matcher.weight("宅基地")
    assert not kb_uses("丈母娘", "狂犬病"), "the premise: the knowledge base never uses these"
    assert matcher.weight("丈母娘") < matcher.weight("狂犬病")


def test_an_everyday_word_does_not_sink_the_only_possible_topic(matcher: Matcher) -> None:
    m = matcher.best_match("俺娘腿脚不好 想吃低保 需要准备点啥")
    assert m.best is not None
    assert m.best.id == "social.dibao"
    assert m.outcome is Outcome.ANSWER


def test_without_background_weights_unseen_words_weigh_the_most(kb: KnowledgeBase) -> None:
    plain = Matcher(kb, options=Options(background=False))
    assert not kb_uses("丈母娘", "狂犬病"), "the premise: the knowledge base never uses these"
    assert plain.weight("丈母娘") == plain.weight("狂犬病")


# 2. context tokens ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "token", ["石家庄", "邢台", "2023年", "73岁", "8万元", "今年", "13912345678", "黑龙江省"]
)
def test_places_times_numbers_are_context(matcher: Matcher, token: str) -> None:
    assert matcher.segmenter.is_context(token)
    if token not in ("石家庄", "今年"):  # words the knowledge base itself uses keep their IDF
        assert matcher.weight(token) == 0.0


def test_context_neither_rewards_nor_punishes(matcher: Matcher) -> None:
    plain = matcher.rank("危房改造咋申请")
    dressed = matcher.rank("俺在邢台 2024年 危房改造咋申请 电话13912345678")
    assert plain[0].id == dressed[0].id == "housing.dilapidated_renovation"
    assert matcher.best_match("俺在邢台 2024年 危房改造咋申请 电话13912345678").outcome is (
        Outcome.ANSWER
    )


def test_numbers_glued_to_units_stay_one_word(matcher: Matcher) -> None:
    assert "60岁" in matcher.segmenter.cut("俺爹60岁了")
    assert "5包1" in matcher.segmenter.cut("5包1是啥")  # a domain word stays intact


# 3. aspect words ------------------------------------------------------------------------------


def test_aspect_words_weigh_little(matcher: Matcher, kb: KnowledgeBase) -> None:
    assert "流程" in kb.lexicon.aspects
    off = Matcher(kb, options=Options(aspects=False), segmenter=matcher.segmenter)
    assert matcher.weight("流程") < off.weight("流程")


@pytest.mark.parametrize("aspect", ["流程是啥", "要啥材料", "一年能分多少", "啥时候发"])
def test_aspect_words_do_not_change_the_topic(matcher: Matcher, aspect: str) -> None:
    assert top(matcher, f"光伏扶贫{aspect}") == "industry.photovoltaic"


# 4. synonyms ----------------------------------------------------------------------------------


def test_new_synonyms_map_to_one_word(matcher: Matcher) -> None:
    assert "火灾" in matcher.analyze("俺家着火了").tokens
    assert "单亲" in matcher.analyze("单亲妈妈带俩娃").tokens
    assert "认定" in matcher.analyze("咋评定").tokens
    assert matcher.analyze("补偿").tokens == matcher.analyze("补贴").tokens


# 5. referral entries --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "referral"),
    [
        ("今年种小麦的补贴打到卡上没", "refer.farm_subsidy"),
        ("俺家的地叫县里征了 征地补偿款给多少", "refer.land_requisition"),
        ("想在自家宅基地上翻盖二层 要批不", "refer.homestead"),
        ("俺哥是事业编 退休以后退休费咋算", "refer.retirement"),
    ],
)
def test_near_miss_topics_get_a_referral_not_an_answer(
    matcher: Matcher, question: str, referral: str
) -> None:
    m = matcher.best_match(question)
    assert m.outcome is Outcome.UNKNOWN
    assert m.referral == referral
    assert m.entry_id is None


def test_match_command_reports_unknown_with_the_referral_text() -> None:
    out = io.StringIO()
    stdin = io.StringIO(json.dumps({"q": "买拖拉机国家补多少钱"}, ensure_ascii=False) + "\n")
    code = main(["match"], env={"POLICYBOT_KB": str(SHIPPED_KB)}, stdin=stdin, stdout=out)
    assert code == 0
    result = json.loads(out.getvalue())
    assert result["outcome"] == "unknown"
    assert result["id"] is None
    assert result["referral"] == "refer.farm_machinery"
    assert "不属于扶贫政策" in result["answer"]


def test_referrals_can_be_switched_off_for_the_ablation(kb: KnowledgeBase) -> None:
    assert Matcher(kb).best_match("买拖拉机国家补多少钱").referral == "refer.farm_machinery"
    entries = tuple(e for e in kb.entries if not e.is_referral)
    bare = Matcher(replace(kb, entries=entries))
    assert bare.best_match("买拖拉机国家补多少钱").referral is None


def _referral(answer: str) -> Entry:
    return Entry(
        id="refer.test",
        title="测试",
        category="不属于扶贫政策",
        questions=("问一",) * 6,
        keywords=(),
        answer=answer,
        source="测试",
        updated="2026-12-02",
    )


def test_kb_check_rejects_a_referral_with_a_number_or_nobody_to_ask() -> None:
    good = _referral("这个不属于扶贫政策，请问乡镇财政所。")
    assert referral_problems(good, "kb.yaml") == []
    with_amount = _referral("这个不属于扶贫政策，一亩补一百元，请问乡镇财政所。")
    assert any("number" in p.message for p in referral_problems(with_amount, "kb.yaml"))
    with_digit = _referral("这个不属于扶贫政策，请问乡镇财政所，电话 12345。")
    assert any("number" in p.message for p in referral_problems(with_digit, "kb.yaml"))
    nobody = _referral("这个不属于扶贫政策。")
    assert any("whom" in p.message for p in referral_problems(nobody, "kb.yaml"))


# 6. calibration on real traffic ---------------------------------------------------------------


def test_calibration_counts_a_referral_as_not_answered() -> None:
    sys.path.insert(0, str(ROOT / "tools"))
    import calibrate

    t = Thresholds(answer=40, clarify=8, margin=10)
    assert calibrate.verdict([("refer.homestead", 70.0), ("social.dibao", 20.0)], t)[0] == (
        "unknown"
    )
    rows = [(None, [("refer.homestead", 70.0)]), ("social.dibao", [("social.dibao", 60.0)])]
    figures = calibrate.real_figures(rows, t)
    assert figures["oos_false"] == 0.0
    assert figures["correct"] == 100.0


def test_shipped_thresholds_are_the_real_traffic_fit() -> None:
    t = Thresholds()
    assert t.clarify < t.answer
    assert t.margin >= 2


# 7. too little text ---------------------------------------------------------------------------


@pytest.mark.parametrize("question", ["补助", "看病", "娃上学", "贷款"])
def test_too_little_text_gets_a_clarify_never_silence(matcher: Matcher, question: str) -> None:
    m = matcher.best_match(question)
    assert m.outcome in (Outcome.CLARIFY, Outcome.ANSWER)
    assert m.candidates


def test_short_clarify_falls_back_when_the_bound_is_high(kb: KnowledgeBase) -> None:
    strict = Matcher(kb, thresholds=Thresholds(answer=90, clarify=80, margin=10))
    assert strict.best_match("补助").outcome is Outcome.CLARIFY
    off = Matcher(
        kb,
        thresholds=Thresholds(answer=90, clarify=80, margin=10),
        options=Options(short_clarify=False),
        segmenter=strict.segmenter,
    )
    assert off.best_match("补助").outcome is Outcome.UNKNOWN


# 8. pinyin as people type it ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("dī bǎo zěn me shēn qǐng", "social.dibao"),
        ("di bao zen me shen qing", "social.dibao"),
        ("wei fang gai zao zen me shen qing", "housing.dilapidated_renovation"),
    ],
)
def test_pinyin_with_and_without_tones(matcher: Matcher, question: str, entry_id: str) -> None:
    assert top(matcher, question) == entry_id


def test_toneless_pinyin_with_one_character_words(matcher: Matcher) -> None:
    tokens = matcher.analyze("an jia wa shang zhongzhuan you sha buzhu").tokens
    assert "孩子" in tokens
    assert "中职" in tokens
    assert "补助" in tokens
    assert top(matcher, "an jia wa shang zhongzhuan you sha buzhu").startswith("edu.")


def test_latin_words_that_are_not_pinyin_stay(matcher: Matcher) -> None:
    assert "wifi" in matcher.analyze("wifi连不上").tokens


def test_shipped_kb_path_exists() -> None:
    assert Path(SHIPPED_KB).exists()
