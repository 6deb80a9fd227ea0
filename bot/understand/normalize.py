"""Normalize raw user text: NFKC, traditional → simplified, case, punctuation, emoji, controls."""

from __future__ import annotations

import unicodedata
from functools import lru_cache

import opencc

# Upper bound on how much of a message is analysed; Telegram caps messages at 4096 characters
# and a question longer than this is a story, whose question part is near its end.
MAX_CHARS = 4096


@lru_cache(maxsize=1)
def _converter() -> opencc.OpenCC:
    return opencc.OpenCC("t2s")


def _keep(ch: str) -> str:
    """Map one character: letters and digits stay, formatting goes, the rest becomes a space."""
    cat = unicodedata.category(ch)
    if cat[0] in "LN":
        return ch
    if cat[0] == "M":
        return ""  # combining marks carry no meaning in Chinese questions
    if cat in ("Cf", "Cs", "Co", "Cn", "Cc") and ch not in "\t\n\r\x0b\x0c\x1c\x1d\x1e\x1f\x85":
        return ""  # zero-width, direction marks, lone surrogates, private use, controls
    return " "  # punctuation, symbols (emoji), separators, line breaks


def _pass(text: str) -> str:
    text = "".join(_keep(ch) for ch in text)
    text = unicodedata.normalize("NFKC", text)
    text = _converter().convert(text).casefold()
    text = "".join(_keep(ch) for ch in text)
    return " ".join(text.split())


def normalize_text(text: str) -> str:
    """Return `text` folded to the form the matcher compares (idempotent, never raises).

    Full-width → half-width and compatibility forms (NFKC), traditional → simplified (OpenCC
    t2s), case folded, punctuation/emoji/symbols → one space, zero-width and control characters
    removed, whitespace collapsed.
    """
    text = text[-MAX_CHARS:] if len(text) > MAX_CHARS else text
    for _ in range(4):  # a fixed point is reached in one or two passes in practice
        folded = _pass(text)
        if folded == text:
            break
        text = folded
    return text
