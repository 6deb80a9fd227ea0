"""The knowledge base: its entries and lexicon, parsed from YAML with line numbers, validated.

Other packages use only these names; `parse` (YAML → entries) and `entries` (the records and
their limits) are this package's own business. `fit_opening` fits an answer's first words to
the question asked (console, Telegram and `policybot match` alike).
"""

from bot.knowledge.entries import (
    LEXICON_NAME,
    MAX_QUESTION,
    MAX_TITLE,
    REFERRAL_PREFIX,
    Category,
    Entry,
    KnowledgeBase,
    KnowledgeError,
    Problem,
)
from bot.knowledge.load import load_knowledge, parse_knowledge
from bot.knowledge.opening import asks_yes_or_no, fit_opening

__all__ = [
    "LEXICON_NAME",
    "MAX_QUESTION",
    "MAX_TITLE",
    "REFERRAL_PREFIX",
    "Category",
    "Entry",
    "KnowledgeBase",
    "KnowledgeError",
    "Problem",
    "asks_yes_or_no",
    "fit_opening",
    "load_knowledge",
    "parse_knowledge",
]
