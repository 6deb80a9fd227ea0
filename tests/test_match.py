"""Matcher unit tests on the small fixture knowledge base (tests/data/mini_kb/).

The shipped knowledge base is tested by test_kb_shipped.py, test_quality.py and
test_real_questions.py.
"""

import pytest

from bot.understand import Candidate, Matcher, Outcome, Thresholds, decide


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("雨露计划要咋申请呢", "edu.yulu_plan"),
        ("俺住院得先交押金不", "health.treat_first_pay_later"),
        ("想申请低保 该找谁", "social.dibao"),
        ("你好", "smalltalk.greeting"),
    ],
)
def test_clear_questions_are_answered(mini_matcher: Matcher, question: str, entry_id: str) -> None:
    match = mini_matcher.best_match(question)
    assert match.outcome is Outcome.ANSWER
    assert match.entry_id == entry_id


@pytest.mark.parametrize(
    ("question", "entry_id"),
    [
        ("底保咋申请", "social.dibao"),  # homophone typo
        ("雨路计划一年给多少", "edu.yulu_plan"),
        ("醫保報銷能代辦嗎", "health.reimbursement_agency"),  # traditional characters
        ("貧困戶貸款要抵押不", "finance.microcredit"),
    ],
)
def test_typos_and_traditional_characters_reach_their_entry(
    mini_matcher: Matcher, question: str, entry_id: str
) -> None:
    assert mini_matcher.best_match(question).best == mini_matcher.rank(question)[0]
    assert mini_matcher.rank(question)[0].id == entry_id


def test_out_of_scope_question_is_unknown(mini_matcher: Matcher) -> None:
    for question in ("明天下雨不", "双色球咋买能中大奖", "微信咋发语音"):
        assert mini_matcher.best_match(question).outcome is not Outcome.ANSWER


def test_long_story_before_the_question_still_reaches_it(mini_matcher: Matcher) -> None:
    story = (
        "俺家五口人 老伴前年中风了一直躺在炕上 大儿子在外头打工挣得也不多 "
        "俺自己腰也不好种不了几亩地 今年收成又不好 日子紧巴巴的 "
    )
    match = mini_matcher.best_match(story * 3 + "俺家这样的能吃低保不")
    assert match.best is not None
    assert match.best.id == "social.dibao"


def test_empty_and_noise_input_is_unknown(mini_matcher: Matcher) -> None:
    for text in ("", "   ", "😀😀", "啊啊啊", "\u200b"):
        match = mini_matcher.best_match(text)
        assert match.outcome is Outcome.UNKNOWN
        assert match.entry_id is None


def test_decide_answers_a_clear_winner() -> None:
    ranked = [Candidate("a.x", 80.0), Candidate("a.y", 30.0)]
    match = decide(ranked, Thresholds(answer=50, clarify=25, margin=5))
    assert (match.outcome, match.entry_id) == (Outcome.ANSWER, "a.x")


def test_decide_clarifies_close_candidates_best_first() -> None:
    ranked = [Candidate("a.x", 60.0), Candidate("a.y", 58.0), Candidate("a.z", 40.0)]
    ranked.append(Candidate("a.w", 39.0))
    match = decide(ranked, Thresholds(answer=50, clarify=25, margin=5))
    assert match.outcome is Outcome.CLARIFY
    assert match.entry_id is None
    assert [c.id for c in match.candidates] == ["a.x", "a.y", "a.z"]


def test_decide_clarifies_below_the_answer_bound() -> None:
    match = decide([Candidate("a.x", 40.0)], Thresholds(answer=50, clarify=25, margin=5))
    assert match.outcome is Outcome.CLARIFY
    assert [c.id for c in match.candidates] == ["a.x"]


def test_decide_says_unknown_below_the_clarify_bound() -> None:
    match = decide([Candidate("a.x", 20.0)], Thresholds(answer=50, clarify=25, margin=5))
    assert match.outcome is Outcome.UNKNOWN
    assert decide([], Thresholds()).outcome is Outcome.UNKNOWN


def test_scores_are_between_0_and_100(mini_matcher: Matcher) -> None:
    for question in ("雨露计划雨露计划雨露计划", "低保", "扶贫贷款扶贫贷款小额信贷"):
        for cand in mini_matcher.rank(question):
            assert 0 <= cand.score <= 100


def test_a_referral_is_never_an_answer(mini_matcher: Matcher) -> None:
    match = mini_matcher.best_match("宅基地一户能批多大")
    assert match.outcome is Outcome.UNKNOWN
    assert match.referral == "refer.homestead"
    assert match.entry_id is None


def test_decide_turns_a_referral_answer_into_unknown() -> None:
    ranked = [Candidate("refer.x", 80.0), Candidate("a.y", 30.0)]
    match = decide(ranked, Thresholds(answer=50, clarify=25, margin=5), {"refer.x"})
    assert (match.outcome, match.entry_id, match.referral) == (Outcome.UNKNOWN, None, "refer.x")
    # a referral among close candidates is a button like any other
    close = [Candidate("refer.x", 60.0), Candidate("a.y", 58.0)]
    assert decide(close, Thresholds(answer=50, clarify=25, margin=5), {"refer.x"}).outcome is (
        Outcome.CLARIFY
    )
