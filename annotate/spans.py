"""Character-offset spans: the truth every later view (tokens, BIO tags) is derived from.

Offsets are Python code points into the article text, ``end`` exclusive.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Iterable
from typing import Any, NamedTuple, TypeVar

T = TypeVar("T", bound=tuple)


class Span(NamedTuple):
    """A labelled stretch of text: ``text[start:end]`` carries ``label``."""

    start: int
    end: int
    label: str

    def text_in(self, text: str) -> str:
        return text[self.start : self.end]

    def overlaps(self, other: Span) -> bool:
        return self.start < other.end and other.start < self.end


def tuple_maker(cls: type[T]) -> Callable[[Iterable[Any]], T]:
    """``cls``'s maker from one iterable of its values, as a C call: ``tuple_maker(Span)((0, 4, "actor"))`` is
    ``Span(0, 4, "actor")``. A NamedTuple's own ``__new__`` is a Python function, which the stages that make
    hundreds of thousands of spans, candidates and records (import, agreement, gold) pay for each one."""
    return functools.partial(tuple.__new__, cls)


new_span = tuple_maker(Span)
