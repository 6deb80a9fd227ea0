"""A question as the scorer sees it: normalised, corrected and segmented."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Query:
    """A question after normalization, typo correction and segmentation."""

    text: str
    tokens: tuple[str, ...]
    compact: str = ""

    @property
    def joined(self) -> str:
        """The content tokens run together, for character-level fuzzy comparison."""
        return "".join(dict.fromkeys(self.tokens))
