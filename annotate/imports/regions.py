"""One annotation's regions -> checked character-offset spans, with the repairs a person would agree with.

A region is refused (``Refused``: a reason code and a sentence) when it cannot be made right; the
reason codes are the keys of the import reconciliation's ``quarantined`` counts. Repairs are counted
by name (``utf16``, ``trim``, ``duplicate``) so the import report can say what it changed.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable
from typing import Any

from annotate.spans import Span

ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # characters a browser counts as two UTF-16 units


# -- reasons a record is quarantined (the keys of the reconciliation's "quarantined" counts) -------------

TEXT_CHANGED = "text-changed"  # the task's text is not the corpus text it was pushed as (sha256 differs)
NO_TEXT = "no-text"  # the task has no text field
TEXT_NOT_NORMALISED = "text-not-normalised"  # a foreign task whose text cannot be mapped to its stored form
NO_ANNOTATOR = "no-annotator"
NOT_A_SPAN = "not-a-span"  # a region of another kind (choices, relation, ...) or without offsets
UNKNOWN_LABEL = "unknown-label"
OUT_OF_RANGE = "offsets-out-of-range"
TEXT_MISMATCH = "text-mismatch"  # value.text is not text[start:end], even in UTF-16 units
EMPTY_SPAN = "empty-span"  # nothing but whitespace


class Refused(Exception):
    """A record that cannot be imported as it is: the reason code and a sentence for people."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# -- checking regions ----------------------------------------------------------------------------------


def utf16_to_codepoints(text: str) -> Callable[[int], int | None] | None:
    """A converter from UTF-16 code-unit offsets to code-point offsets in ``text``.

    None when the two counts agree everywhere (no character beyond U+FFFF). The converter gives
    None for an offset that falls between the two halves of a surrogate pair.
    """
    if text.isascii() or not ASTRAL.search(text):  # both scans run in C: most texts stop here
        return None
    astral = [match.start() for match in ASTRAL.finditer(text)]
    starts = [index + before for before, index in enumerate(astral)]  # each one's UTF-16 offset

    def convert(offset: int) -> int | None:
        before = bisect.bisect_left(starts, offset)
        if before and starts[before - 1] == offset - 1:
            return None
        return offset - before

    return convert


def check_region(region: Any, text: str, labels: frozenset[str], to_codepoints: Any) -> tuple[Span, list[str]]:
    """One Label Studio region as a checked span of ``text``, and the repairs it needed.

    Raises ``Refused`` when it cannot be made right.
    """
    value = region.get("value") if isinstance(region, dict) else None
    if not isinstance(value, dict) or region.get("type", "labels") != "labels":
        kind = region.get("type") if isinstance(region, dict) else type(region).__name__
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} is a '{kind}' region, not a labelled span")
    start, end, found = value.get("start"), value.get("end"), value.get("labels")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} has no integer start/end")
    if not isinstance(found, list) or len(found) != 1 or found[0] not in labels:
        raise Refused(
            UNKNOWN_LABEL, f"region {_region_id(region)} has labels {found!r}; the schema knows {sorted(labels)}"
        )
    expected = value.get("text")
    repairs: list[str] = []
    if not _matches(text, start, end, expected):
        start, end = _from_utf16(region, text, start, end, expected, to_codepoints)
        repairs.append("utf16")
    trimmed_start, trimmed_end = _trim(text, start, end)
    if trimmed_start == trimmed_end:
        raise Refused(EMPTY_SPAN, f"region {_region_id(region)} covers only whitespace")
    if (trimmed_start, trimmed_end) != (start, end):
        repairs.append("trim")
    return Span(trimmed_start, trimmed_end, found[0]), repairs


def _matches(text: str, start: int, end: int, expected: Any) -> bool:
    in_range = 0 <= start < end <= len(text)
    return in_range and (expected is None or text[start:end] == expected)


def _from_utf16(region: Any, text: str, start: int, end: int, expected: Any, to_codepoints: Any) -> tuple[int, int]:
    if to_codepoints is not None and expected is not None:
        converted = to_codepoints(start), to_codepoints(end)
        if None not in converted and _matches(text, converted[0], converted[1], expected):
            return converted  # type: ignore[return-value]
    if not 0 <= start < end <= len(text):
        raise Refused(OUT_OF_RANGE, f"region {_region_id(region)} [{start}, {end}) is outside the text (0-{len(text)})")
    raise Refused(
        TEXT_MISMATCH,
        f"region {_region_id(region)} [{start}, {end}) says {expected!r} but the text there is {text[start:end]!r}",
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _region_id(region: Any) -> str:
    return repr(region.get("id")) if isinstance(region, dict) else "?"


def check_result(result: Any, text: str, labels: frozenset[str], to_codepoints: Any) -> tuple[list[Span], Counter[str]]:
    """All regions of one annotation as sorted, distinct spans, with the repairs counted."""
    if not isinstance(result, list):
        raise Refused(NOT_A_SPAN, f"result is {type(result).__name__}, not a list of regions")
    spans: set[Span] = set()
    repairs: Counter[str] = Counter()
    for region in result:
        span, needed = check_region(region, text, labels, to_codepoints)
        if needed:
            repairs.update(needed)
        if span in spans:
            repairs["duplicate"] += 1
        spans.add(span)
    return sorted(spans), repairs
