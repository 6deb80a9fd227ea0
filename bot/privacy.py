"""Mask personal numbers (ID cards, mobile and bank-card numbers) before anything is stored."""

from __future__ import annotations

import re

# A run of digits, possibly grouped with spaces or hyphens, possibly ending in X (ID cards).
# \d also matches full-width digits, which villagers' phones often produce.
_NUMBER_RUN = re.compile(r"(?<![\dXx])\d(?:[ \-]?\d){9,22}(?:[ \-]?[Xx])?(?![\dXx])")
# Policy amounts, years and counts never reach 11 digits; anything that long is personal.
_MIN_PERSONAL_DIGITS = 11


def mask_pii(text: str) -> str:
    """Return `text` with ID-card, mobile and bank-card numbers masked to a few edge digits."""
    return _NUMBER_RUN.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    raw = match.group()
    chars = [c for c in raw if c not in " -"]
    if len(chars) < _MIN_PERSONAL_DIGITS:
        return raw
    if len(chars) == 11 and chars[0] in "1１":
        head, tail = 3, 4  # mobile: 138****5678
    else:
        head, tail = 4, 4  # ID card / bank card: 1306**********1234
    return "".join(chars[:head]) + "*" * (len(chars) - head - tail) + "".join(chars[-tail:])
