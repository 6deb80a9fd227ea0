"""Mask personal numbers (ID cards, mobile and bank-card numbers) before anything is stored."""

from __future__ import annotations

import logging
import re
import traceback

# Characters people put between digit groups: spaces of every width (no-break, ideographic,
# thin, tabs), invisible ones (zero-width space/joiners, word joiner, BOM), hyphens and dashes
# (ASCII, full-width, Unicode), dots and slashes (also full-width) and middle dots. Up to three
# in a row ("138   1234") still join one number.
SEPARATORS = (
    " \t\u00a0\u3000\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009\u200a"
    "\u202f\u205f\u200b\u200c\u200d\u2060\ufeff"
    "-\uff0d\u2010\u2011\u2012\u2013\u2014\u2212"
    ".\uff0e/\uff0f\u00b7\u30fb_"
)
_SEP = f"[{re.escape(SEPARATORS)}]{{0,3}}"
# A run of digits of any length, possibly grouped by separators, possibly ending in X (ID
# cards). \d also matches full-width digits, which villagers' phones often produce. The run is
# possessive and unbounded: a number glued to other digits is masked as a whole, never missed,
# and no input makes the regex backtrack (linear time on 100k characters).
_NUMBER_RUN = re.compile(rf"\d(?:{_SEP}\d)*+(?:{_SEP}[XxＸｘ])?")
# Policy amounts, years and counts never reach 11 digits; anything that long is personal
# (mobile 11, landline with area code 11-12, old ID card 15, ID card 18, bank card 16-19).
MIN_PERSONAL_DIGITS = 11
MASK = "*"


def mask_pii(text: str) -> str:
    """Return `text` with ID-card, mobile and bank-card numbers masked to a few edge digits.

    A mobile number keeps its first 3 and last 4 digits (138****5678); any other run of 11 or
    more digits keeps its first 4 and last 4 (1306**********1234). Separators inside a masked
    number are dropped. Idempotent: masked text is returned unchanged.
    """
    return _NUMBER_RUN.sub(_mask_match, text)


def _mask_match(match: re.Match[str]) -> str:
    raw = match.group()
    chars = [c for c in raw if c not in SEPARATORS]
    if len(chars) < MIN_PERSONAL_DIGITS:
        return raw
    if len(chars) == 11 and chars[0] in "1１":
        head, tail = 3, 4  # mobile: 138****5678
    else:
        head, tail = 4, 4  # ID card / bank card: 1306**********1234
    return "".join(chars[:head]) + MASK * (len(chars) - head - tail) + "".join(chars[-tail:])


class MaskingFilter(logging.Filter):
    """Mask personal numbers in log records (message, arguments and traceback text).

    Attach it to the handlers (not loggers) so that it sees every library's records too.
    """

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record masked; never drop it."""
        record.msg = mask_pii(record.getMessage())
        record.args = None
        if record.exc_info and record.exc_info[1] is not None and not record.exc_text:
            formatted = "".join(traceback.format_exception(*record.exc_info)).rstrip("\n")
            record.exc_text = mask_pii(formatted)
        return True


class SecretFilter(logging.Filter):
    """Replace secrets (the bot token, the webhook secret) in log records: message, arguments
    and traceback text. Attach it to the handlers, like MaskingFilter, for every command."""

    def __init__(self, secrets: dict[str, str]) -> None:
        """`secrets`: each secret and what to write instead (e.g. {token: "<token>"})."""
        super().__init__()
        self._secrets = {k: v for k, v in secrets.items() if k}

    def filter(self, record: logging.LogRecord) -> bool:
        """Rewrite the record without the secrets; never drop it."""
        message = record.getMessage()
        if any(k in message for k in self._secrets):
            record.msg, record.args = self._scrub(message), None
        if record.exc_info and not record.exc_text:
            record.exc_text = logging.Formatter().formatException(record.exc_info)
        if record.exc_text:
            record.exc_text = self._scrub(record.exc_text)
        return True

    def _scrub(self, text: str) -> str:
        for secret, instead in self._secrets.items():
            text = text.replace(secret, instead)
        return text
