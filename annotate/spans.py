"""Character-offset spans: the truth every later view (tokens, BIO tags) is derived from.

Offsets are Python code points into the article text, ``end`` exclusive.
"""

from __future__ import annotations

from typing import NamedTuple


class Span(NamedTuple):
    """A labelled stretch of text: ``text[start:end]`` carries ``label``."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end
