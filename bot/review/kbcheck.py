"""Editors' knowledge-base commands: `policybot kb check` and `policybot kb eval`."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TextIO

import yaml

from bot import messages
from bot.knowledge import Entry, KnowledgeBase, Problem, parse_knowledge
from bot.understand import Match, Matcher, Outcome


def check_knowledge(path: Path) -> tuple[KnowledgeBase | None, list[Problem]]:
    """Validate the file, then check that every example question reaches its own entry."""
    kb, problems = parse_knowledge(path)
    if kb is None or any(p.severity == "error" for p in problems):
        return kb, problems
    for entry in kb.entries:
        if entry.is_referral:
            problems += referral_problems(entry, kb.path)
    if any(p.severity == "error" for p in problems):
        return kb, problems
    matcher = Matcher(kb)
    for entry in kb.entries:
        for question, line in zip(entry.questions, entry.question_lines, strict=True):
            best = matcher.best_match(question).best
            if best is None or best.id != entry.id:
                reached = best.id if best else "nothing（没有条目）"
                problems.append(
                    Problem(
                        kb.path,
                        line,
                        f"条目 {entry.id!r}: 例句 {question!r} 匹配到了 {reached}，"
                        "不是本条：请改写例句或补 keywords "
                        f"(example question {question!r} reaches {reached})",
                    )
                )
    return kb, problems


# A referral states no figure at all: no digits, no amounts in Chinese numerals.
_REFERRAL_NUMBER = re.compile(
    r"[0-9０-９%％]|[一二三四五六七八九十百千万两几]+(?:元|块|万|亩|年|个月|天|岁)"
)
# …and says whom to ask: an office or person, and a verb of asking.
_REFERRAL_WHO = re.compile(
    r"局|所|办|站|卫生室|卫生院|委员会|村委会|政府|公司|法院|部门|中心|单位|银行|窗口"
)
_REFERRAL_ASK = re.compile(r"问|找|咨询|打听|反映")


def referral_problems(entry: Entry, path: str) -> list[Problem]:
    """A referral entry must give no numbers and must say whom to ask."""
    out = []
    if _REFERRAL_NUMBER.search(entry.answer):
        message = (
            f"转介条目 {entry.id!r}: 回答里不能写数字或金额：请删掉数字，只说找谁问"
            f" (referral {entry.id!r}: the answer states a number)"
        )
        out.append(Problem(path, entry.line, message))
    if not (_REFERRAL_WHO.search(entry.answer) and _REFERRAL_ASK.search(entry.answer)):
        message = (
            f"转介条目 {entry.id!r}: 回答没说去找谁：请写上去哪个部门（局/所/…）问"
            f" (referral {entry.id!r}: say whom to ask)"
        )
        out.append(Problem(path, entry.line, message))
    return out


@dataclass
class EvalResult:
    """Figures of a `{q, topic}` set, as ../shared/tools/score_matches.py defines them."""

    in_scope: int = 0
    out_of_scope: int = 0
    correct: int = 0
    helpful: int = 0
    wrong: int = 0
    oos_false: int = 0
    misses: list[tuple[str, str, object, object]] = field(default_factory=list)

    @staticmethod
    def _pct(n: int, d: int) -> float:
        return 100.0 * n / d if d else 0.0

    @property
    def figures(self) -> dict[str, float]:
        """Correct, helpful, wrong and out-of-scope false-answer percentages."""
        return {
            "correct": self._pct(self.correct, self.in_scope),
            "helpful": self._pct(self.helpful, self.in_scope),
            "wrong": self._pct(self.wrong, self.in_scope),
            "oos_false": self._pct(self.oos_false, self.out_of_scope),
        }


def evaluate(matches: Iterable[tuple[str, object, Match]]) -> EvalResult:
    """Score (question, expected topic or None or list, match) triples."""
    res = EvalResult()
    for question, topic, match in matches:
        ok_ids = set(topic) if isinstance(topic, list) else {topic}
        cands = [c.id for c in match.candidates[:3]]
        if topic:
            res.in_scope += 1
            if match.outcome is Outcome.ANSWER and match.entry_id in ok_ids:
                res.correct += 1
                res.helpful += 1
                continue
            if match.outcome is Outcome.CLARIFY and ok_ids & set(cands):
                res.helpful += 1
                res.misses.append(("clarify", question, topic, cands))
                continue
            if match.outcome is Outcome.ANSWER:
                res.wrong += 1
            res.misses.append((match.outcome.value, question, topic, match.entry_id or cands))
        else:
            res.out_of_scope += 1
            if match.outcome is Outcome.ANSWER and not str(match.entry_id).startswith(
                "smalltalk."
            ):
                res.oos_false += 1
                res.misses.append(("oos-answered", question, None, match.entry_id))
    return res


def load_eval_set(path: Path) -> list[tuple[str, object]]:
    """Read a YAML list of {q, topic}; raise ValueError with the reason when malformed."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    if not isinstance(data, list):
        raise ValueError(f"{path}: expected a list of {{q, topic}} items")
    items = []
    for i, item in enumerate(data, 1):
        if not isinstance(item, dict) or not isinstance(item.get("q"), str):
            raise ValueError(f"{path}: item {i} needs a text 'q'")
        items.append((item["q"], item.get("topic")))
    return items


def print_eval(
    res: EvalResult,
    out: TextIO,
    *,
    name: str,
    show_misses: int,
    titles: Mapping[str, str] | None = None,
) -> None:
    """Print up to `show_misses` misses in Chinese, then the figures: the line that tools read
    (`NAME: n=… correct=…% …`, as ../shared/tools/score_matches.py prints it) and in Chinese."""
    f = res.figures
    for kind, question, expected, got in res.misses[:show_misses]:
        out.write(_miss_line(kind, question, expected, got, titles or {}) + "\n")
    out.write(
        f"{name}: n={res.in_scope}+{res.out_of_scope}oos correct={f['correct']:.1f}% "
        f"helpful={f['helpful']:.1f}% wrong={f['wrong']:.1f}% "
        f"oos_false={f['oos_false']:.1f}%\n"
    )
    out.write(
        messages.KB_EVAL_SUMMARY.format(in_scope=res.in_scope, out_of_scope=res.out_of_scope, **f)
        + "\n"
    )


def _miss_line(
    kind: str, question: str, expected: object, got: object, titles: Mapping[str, str]
) -> str:
    expected_ids = _ids(expected)
    got_ids = _ids(got)
    if kind == "clarify" and not set(expected_ids) & set(got_ids):
        kind = "clarify-none"
    template = messages.KB_EVAL_MISS.get(kind, messages.KB_EVAL_MISS["unknown"])
    return template.format(
        q=question, expected=_named(expected_ids, titles), got=_named(got_ids, titles)
    )


def _ids(value: object) -> list[str]:
    if isinstance(value, list | tuple):
        return [str(v) for v in value if v]
    return [str(value)] if value else []


def _named(ids: list[str], titles: Mapping[str, str]) -> str:
    if not ids:
        return messages.KB_EVAL_NOTHING
    return "、".join(f"「{titles[i]}」({i})" if i in titles else i for i in ids)


def run_eval(matcher: Matcher, items: Sequence[tuple[str, object]]) -> EvalResult:
    """Match every question of a set and score the result."""
    return evaluate((q, topic, matcher.best_match(q)) for q, topic in items)
