"""Group questions that ask for the same thing, so twelve phrasings of one need show as one row.

Each question is reduced to its content words by the matcher's own analysis (normalize, typo
correction, jieba with the policy vocabulary, synonyms mapped, fillers dropped), minus generic
question words and numbers. Two questions are compared by a weighted overlap of those words:
a word counts in full when the other question has it too, and partly when rapidfuzz finds it
inside one of the other's words (迁 / 迁到, 网速 / 网速慢). Words are weighted by the matcher's
IDF, so words the knowledge base does not know (路灯, 疫苗: what out-of-scope questions are
about) weigh most and words many entries share (孩子, 申请) little.

Questions are taken oldest first; each joins the group of the most similar earlier question
when the similarity reaches CLUSTER_THRESHOLD, else starts a group. Groups never merge, so a
group keeps its oldest question (its id) as new questions arrive. Joining on the single most
similar question can chain: on 2000 everyday questions (LCQMC) the largest group, 52, gathers
different questions that all mention 图片; a queue of village questions is far narrower.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from rapidfuzz import fuzz

from bot.understand import Matcher, normalize_text

# Calibrated on tests/test_cluster.py: a paraphrase's best link to its need scores >= 40 for
# all but one (宽带网速慢找谁 — 村里网太慢了: 24); different needs mostly score <= 30, but two
# needs about one thing come close or merge (手机 signal / 手机 screen: ~35; dog bite: who pays /
# which shots: ~50). The weights are the matcher's IDF, so these move a little as the knowledge
# base grows. Over-splitting shows two rows for one need; over-merging hides a need.
CLUSTER_THRESHOLD = 40.0
# A word found inside another word (网速 in 网速慢) is weaker evidence than the same word, and
# a single character inside a word (网 in 网速, but also 新 in 新冠 and in 新闻) weaker still.
PARTIAL_MATCH = 0.8
PARTIAL_CHAR_MATCH = 0.5
# Weight of a word that is part of a longer word of the same question.
SUBWORD = 0.5
# Words of any question, whatever it is about: asking who/where/when/how much, and "village".
_GENERIC = """
谁 找 找谁 归谁 哪 哪里 哪儿 哪个 去 能 会 有 没有 没 不 在 来 到 时候 啥时候 什么时候
多少 多少钱 几 几点 几号 一斤 为啥 为什么 可以 村 村里 好久 太 人 办 弄 整 要 带 手续
事 事儿 问题 一下 知道 告诉 说
"""
GENERIC_WORDS = frozenset(_GENERIC.split())


@dataclass(frozen=True)
class Features:
    """A question's content words and their weights."""

    words: tuple[str, ...]
    weights: tuple[float, ...]

    @property
    def total(self) -> float:
        """Sum of the word weights."""
        return sum(self.weights)


def features(text: str, matcher: Matcher) -> Features:
    """Reduce `text` to the weighted content words clustering compares."""
    words = [
        w
        for w in dict.fromkeys(matcher.analyze(text).tokens)
        if w not in GENERIC_WORDS and not any(c.isdigit() for c in w)
    ]
    # jieba's search mode adds the parts of long words (结婚登记 → 结婚, 登记; 邻居家 → 邻居,
    # 居家): they link paraphrases (结婚证), but at full weight one long word would outweigh
    # the rest of the question.
    weights = [
        matcher.weight(w) * (SUBWORD if any(w != o and w in o for o in words) else 1.0)
        for w in words
    ]
    return Features(tuple(words), tuple(weights))


def similarity(a: Features, b: Features) -> float:
    """Weighted overlap (0-100) of two questions' content words."""
    total = a.total + b.total
    if not total:
        return 0.0
    shared = _covered(a, b) + _covered(b, a)
    return 100 * shared / total


def _covered(a: Features, b: Features) -> float:
    covered = 0.0
    others = set(b.words)
    for word, weight in zip(a.words, a.weights, strict=True):
        if word in others:
            covered += weight
        else:
            covered += weight * max((_partial(word, other) for other in b.words), default=0.0)
    return covered


def _partial(a: str, b: str) -> float:
    """How much a partial match of two different words counts (0 when neither holds the other).

    rapidfuzz's partial alignment scores 100 exactly when the shorter word lies in the longer.
    """
    short, long = (a, b) if len(a) <= len(b) else (b, a)
    if fuzz.partial_ratio(short, long, score_cutoff=100) < 100:
        return 0.0
    return PARTIAL_MATCH if len(short) > 1 else PARTIAL_CHAR_MATCH


def group_similar(
    texts: Sequence[str], matcher: Matcher, *, threshold: float = CLUSTER_THRESHOLD
) -> list[list[int]]:
    """Group the indexes of `texts` (oldest first) by need; groups come in order of their
    first member, members in input order."""
    feats = [features(t, matcher) for t in texts]
    group_of: list[int] = []
    groups: list[list[int]] = []
    by_word: dict[str, list[int]] = defaultdict(list)  # whole word → questions
    by_part: dict[str, list[int]] = defaultdict(list)  # any part of a word → questions
    by_text: dict[str, int] = {}  # questions without content words group by their text
    for i, feat in enumerate(feats):
        best, best_sim = -1, threshold
        for j in sorted(_candidates(feat, by_word, by_part)):
            sim = similarity(feat, feats[j])
            if sim >= best_sim and (best < 0 or sim > best_sim):
                best, best_sim = j, sim
        if not feat.words:
            key = normalize_text(texts[i])
            best = by_text.setdefault(key, i)
            best = -1 if best == i else best
        if best >= 0:
            group_of.append(group_of[best])
            groups[group_of[best]].append(i)
        else:
            group_of.append(len(groups))
            groups.append([i])
        for word in feat.words:
            by_word[word].append(i)
            for part in _parts(word):
                by_part[part].append(i)
    return groups


def _candidates(
    feat: Features, by_word: dict[str, list[int]], by_part: dict[str, list[int]]
) -> set[int]:
    """Earlier questions sharing a word, or with a word inside or around one of ours."""
    found: set[int] = set()
    for word in feat.words:
        found.update(by_part.get(word, ()))
        for part in _parts(word):
            found.update(by_word.get(part, ()))
    return found


def _parts(word: str) -> set[str]:
    """Every substring of `word` (words are short: jieba rarely yields more than 6 chars)."""
    n = len(word)
    return {word[i:j] for i in range(n) for j in range(i + 1, min(n, i + 8) + 1)}
