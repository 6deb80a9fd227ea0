"""YAML snippets for editors from the unanswered groups (`policybot log suggest`)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

import yaml

from bot import messages
from bot.knowledge import MAX_QUESTION, MAX_TITLE, KnowledgeBase
from bot.review.unanswered import Cluster, local_date

MAX_QUESTIONS = 12


def suggest_yaml(
    clusters: Sequence[Cluster], kb: KnowledgeBase, *, min_score: float, today: dt.date
) -> str:
    """For each group: its questions to add to the nearest entry (when it scores at least
    `min_score`), else a new-entry skeleton. The result is valid YAML (a list of entries).

    The skeleton's category is a placeholder `policybot kb check` rejects until an editor
    picks one of the names listed above it.
    """
    if not clusters:
        return messages.SUGGEST_NONE + "\n"
    return "\n".join(_snippet(c, kb, min_score=min_score, today=today) for c in clusters)


def _snippet(cluster: Cluster, kb: KnowledgeBase, *, min_score: float, today: dt.date) -> str:
    questions = _questions(cluster)
    entry = kb.get(cluster.nearest_entry) if cluster.nearest_entry else None
    span: dict[str, object] = {
        "id": cluster.id,
        "count": cluster.count,
        "first": local_date(cluster.first_seen),
        "last": local_date(cluster.last_seen),
    }
    if entry is not None and cluster.nearest_score >= min_score:
        known = set(entry.questions)
        header = messages.SUGGEST_ADD.format(
            **span, title=entry.title, entry_id=entry.id, score=cluster.nearest_score
        )
        body: dict[str, object] = {
            "id": entry.id,
            "questions": [q for q in questions if q not in known],
        }
    else:
        # the nearest entry is far from this need: its category would only mislead
        names = "、".join(c.name for c in kb.categories)
        header = messages.SUGGEST_NEW.format(**span)
        header += "\n" + messages.SUGGEST_CATEGORIES.format(names=names)
        body = {
            "id": f"todo.topic_{cluster.id}",
            "title": questions[0][:MAX_TITLE],
            "category": messages.SUGGEST_TODO_CATEGORY,
            "questions": questions,
            "keywords": [],
            "answer": messages.SUGGEST_TODO_ANSWER,
            "source": messages.SUGGEST_TODO_SOURCE,
            "updated": today.isoformat(),
        }
    dumped = yaml.safe_dump([body], allow_unicode=True, sort_keys=False, width=1000)
    return f"{header}\n{dumped}"


def _questions(cluster: Cluster) -> list[str]:
    """Distinct phrasings; those with masked numbers or too long for the knowledge base make
    poor examples and are used only when there is nothing else."""
    texts = [" ".join(t.split()) for t in cluster.texts or cluster.examples]
    clean = [t for t in texts if "*" not in t and 0 < len(t) <= MAX_QUESTION]
    fallback = [t[:MAX_QUESTION] for t in texts]
    return list(dict.fromkeys(clean or fallback))[:MAX_QUESTIONS]
