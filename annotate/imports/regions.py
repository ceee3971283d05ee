"""One annotation's regions -> checked spans, document-level choices and the regions kept as they came.

A region is one of three kinds (``classify``): a *span* (the schema's ``<Labels>`` control, or, in an
old export without ``from_name``, any ``labels`` region), a *choice* of one of the schema's
document-level controls, or *other* (a control the schema does not model: TextArea, Rating, relations,
per-region choices, another ``<Labels>``), kept unchanged and never a reason to refuse.

A region is refused (``Refused``: a reason code and a sentence) when it cannot be made right; the
reason codes are the keys of the import reconciliation's ``quarantined`` counts. Repairs are counted
by name so the import report can say what it changed: ``utf16`` (offsets in UTF-16 units converted),
``whitespace`` (``value.text`` differs from the text at the offsets only in white space: the offsets
are trusted; ``escaped-newline`` when it also writes line breaks as the two characters ``\\n``),
``trim`` (white space at the span's edges), ``alias`` (a label's older name mapped to the label), and
two that leave a region out of the spans: ``duplicate`` and ``no-label``.
"""

from __future__ import annotations

import bisect
import re
from collections import Counter
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from annotate import controls as choice_regions
from annotate.schema import Control, Schema
from annotate.spans import Span, new_span

ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # characters a browser counts as two UTF-16 units


# -- reasons a record is quarantined (the keys of the reconciliation's "quarantined" counts) -------------

TEXT_CHANGED = "text-changed"  # the task's text is not the corpus text it was pushed as (sha256 differs)
NO_TEXT = "no-text"  # the task has no text field
TEXT_NOT_NORMALISED = "text-not-normalised"  # a foreign task whose text cannot be mapped to its stored form
NO_ANNOTATOR = "no-annotator"
NOT_A_SPAN = "not-a-span"  # a region of the span control without offsets, or a result that is not a list
UNKNOWN_LABEL = "unknown-label"
UNKNOWN_OPTION = "unknown-option"  # a document-level control's region names an option the control lacks
NOT_A_CHOICE = "not-a-choice"  # a document-level control's region that selects nothing readable
OUT_OF_RANGE = "offsets-out-of-range"
TEXT_MISMATCH = "text-mismatch"  # value.text is not text[start:end], even in UTF-16 units or but for white space
EMPTY_SPAN = "empty-span"  # nothing but whitespace

# -- repairs; the last two leave the region out of the spans ---------------------------------------------

UTF16, WHITESPACE, TRIM, ALIAS = "utf16", "whitespace", "trim", "alias"
ESCAPED_NEWLINE = "escaped-newline"  # value.text writes a line break as the two characters \n
INCLUSIVE_END = "inclusive-end"  # `end` is the last character's offset, as early Label Studio 0.x wrote it
DUPLICATE, NO_LABEL = "duplicate", "no-label"
DROPPED = (DUPLICATE, NO_LABEL)

# -- the kinds of region ---------------------------------------------------------------------------------

SPAN, CHOICE, OTHER = "span", "choice", "other"


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


def check_region(
    region: Any, text: str, labels: Mapping[str, str], to_codepoints: Any
) -> tuple[Span | None, Sequence[str]]:
    """One Label Studio span region as a checked span of ``text``, and the repairs it needed.

    ``labels`` maps each name a region may carry (a label or an alias) to the schema's label
    (``Schema.labels_by_name``). The span is None when the region has no label (repair
    ``no-label``: left out). Raises ``Refused`` when it cannot be made right.

    The usual region (one label by its own name, offsets in range that match ``value.text``, no white
    space at its edges) is taken by ``ResultReader.read`` without calling this; it comes here too when
    called directly, and needs no repair.
    """
    value = region.get("value") if isinstance(region, dict) else None
    if not isinstance(value, dict) or region.get("type", "labels") != "labels":
        kind = region.get("type") if isinstance(region, dict) else type(region).__name__
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} is a '{kind}' region, not a labelled span")
    found = value.get("labels")
    if found is None or found == []:
        return None, (NO_LABEL,)
    start, end = value.get("start"), value.get("end")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} has no integer start/end")
    label = labels.get(found[0]) if isinstance(found, list) and len(found) == 1 and isinstance(found[0], str) else None
    if label is None:
        known = sorted(set(labels.values()))
        raise Refused(UNKNOWN_LABEL, f"region {_region_id(region)} has labels {found!r}; the schema knows {known}")
    expected = value.get("text")
    repairs: list[str] = [] if label == found[0] else [ALIAS]
    if not _matches(text, start, end, expected):
        start, end, needed = _repair_offsets(region, text, start, end, expected, to_codepoints)
        repairs += needed
    trimmed_start, trimmed_end = _trim(text, start, end)
    if trimmed_start == trimmed_end:
        raise Refused(EMPTY_SPAN, f"region {_region_id(region)} covers only whitespace")
    if (trimmed_start, trimmed_end) != (start, end):
        repairs.append(TRIM)
    return Span(trimmed_start, trimmed_end, label), repairs


def _matches(text: str, start: int, end: int, expected: Any) -> bool:
    in_range = 0 <= start < end <= len(text)
    return in_range and (expected is None or text[start:end] == expected)


def _whitespace_repair(text: str, start: int, end: int, expected: Any) -> str | None:
    """``WHITESPACE`` when ``expected`` is ``text[start:end]`` but for white space (runs collapsed, a
    space more or less at an edge: what browsers do to a selection's text); ``ESCAPED_NEWLINE`` when it
    is so once its escaped line breaks (the two characters ``\\n``, as some scripts write them) are
    read as line breaks; None when the two truly differ."""
    if not (0 <= start < end <= len(text)) or not isinstance(expected, str):
        return None
    found = " ".join(text[start:end].split())
    if found == " ".join(expected.split()):
        return WHITESPACE
    if "\\n" in expected and found == " ".join(expected.replace("\\n", "\n").split()):
        return ESCAPED_NEWLINE
    return None


def _repair_offsets(
    region: Any, text: str, start: int, end: int, expected: Any, to_codepoints: Any
) -> tuple[int, int, list[str]]:
    """Offsets that make ``value.text`` match: converted from UTF-16 units, trusted when the two texts
    differ only in white space, or the end made exclusive when ``value.text`` is exactly one character
    longer than the offsets say (Label Studio 0.x's inclusive ``end``); each with the repair it took."""
    converted = None
    if to_codepoints is not None and expected is not None:
        converted = to_codepoints(start), to_codepoints(end)
        if None in converted:
            converted = None
        elif _matches(text, converted[0], converted[1], expected):
            return converted[0], converted[1], [UTF16]
    repair = _whitespace_repair(text, start, end, expected)
    if repair:
        return start, end, [repair]
    repair = _whitespace_repair(text, *converted, expected) if converted is not None else None
    if repair:
        return converted[0], converted[1], [UTF16, repair]  # type: ignore[index]
    if isinstance(expected, str) and len(expected) == end + 1 - start and _matches(text, start, end + 1, expected):
        return start, end + 1, [INCLUSIVE_END]
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


# -- an annotation's regions, by kind --------------------------------------------------------------------


def classify(region: Any, schema: Schema) -> str:
    """``SPAN``, ``CHOICE`` or ``OTHER``: which part of a record the region belongs to.

    Anything that is not a region (not an object) is taken as a span, to be refused as malformed.
    """
    if not isinstance(region, dict):
        return SPAN
    name = region.get("from_name")
    if name is None:
        return SPAN if region.get("type", "labels") == "labels" else OTHER
    if name == schema.span_control:
        return SPAN
    return CHOICE if schema.control(name) is not None else OTHER


def other_key(region: dict[str, Any]) -> str:
    """How a region kept in ``other`` is counted in the report: its control's name and type."""
    name = region.get("from_name")
    kind = region.get("type") or "?"
    return f"{name} ({kind})" if name is not None else f"({kind})"


@dataclass
class ReadResult:
    """One annotation's ``result``, read: what goes on the record, and how many regions went where."""

    spans: list[Span]
    choices: dict[str, list[str]] | None  # None when the schema has no document-level controls
    other: list[Any]
    repairs: Counter[str] = field(default_factory=Counter)
    span_regions: int = 0
    choice_regions: int = 0


class ResultReader:
    """Reads annotations' ``result`` lists against one schema."""

    def __init__(self, schema: Schema):
        self.schema = schema
        self.names = schema.labels_by_name

    def read(self, result: Any, text: str, to_codepoints: Any) -> ReadResult:
        """All regions of one annotation: checked spans, the selected options per control, the rest kept.

        Raises ``Refused`` when a span or choice region cannot be made right (the whole annotation is
        refused: a partial one would count as misses in agreement).
        """
        if not isinstance(result, list):
            raise Refused(NOT_A_SPAN, f"result is {type(result).__name__}, not a list of regions")
        found = ReadResult([], None, [])
        spans: dict[Span, None] = {}  # a set in the regions' order: often sorted already, so sorting is quick
        selected: dict[str, list[str]] = {}
        names, span_control, length = self.names, self.schema.span_control, len(text)
        span_regions = 0
        for region in result:
            # the span control's regions first, without a call: nearly every region of an export is one
            is_span = isinstance(region, dict) and region.get("from_name") == span_control
            kind = SPAN if is_span else classify(region, self.schema)
            if kind == SPAN:
                span_regions += 1
                span = None
                if is_span:
                    # check_region's first return, inline (its call was a fifth of reading an export): one
                    # label by its own name, integer offsets in range that match value.text, no white space
                    # at the edges. Anything else, and any doubt about a type, goes to check_region.
                    value = region.get("value")
                    if type(value) is dict and region.get("type", "labels") == "labels":
                        labels, start, end, expected = (
                            value.get("labels"),
                            value.get("start"),
                            value.get("end"),
                            value.get("text"),
                        )
                        if (
                            type(start) is int
                            and type(end) is int
                            and 0 <= start < end <= length
                            and type(labels) is list
                            and len(labels) == 1
                            and type(label := labels[0]) is str
                            and names.get(label) == label
                            and (expected is None or text[start:end] == expected)
                            and not text[start].isspace()
                            and not text[end - 1].isspace()
                        ):
                            span = new_span((start, end, label))
                if span is None:
                    span, needed = check_region(region, text, names, to_codepoints)
                    if needed:  # most spans need none: Counter.update costs a microsecond even when given nothing
                        found.repairs.update(needed)
                if span is not None:
                    if span in spans:
                        found.repairs[DUPLICATE] += 1
                    spans[span] = None
            elif kind == CHOICE:
                found.choice_regions += 1
                control = self.schema.control(region["from_name"])
                selected.setdefault(control.name, []).extend(_choice_values(region, control))
            else:
                found.other.append(region)
        found.span_regions = span_regions
        found.spans = sorted(spans)
        if self.schema.controls:
            found.choices = {control.name: self._selection(control, selected) for control in self.schema.controls}
        return found

    @staticmethod
    def _selection(control: Control, selected: dict[str, list[str]]) -> list[str]:
        values = choice_regions.sorted_values(selected.get(control.name, ()), control)
        if not control.multiple and len(values) > 1:
            raise Refused(
                NOT_A_CHOICE, f"control '{control.name}' takes one option but the annotation selects {values}"
            )
        return values


def _choice_values(region: dict[str, Any], control: Control) -> list[str]:
    try:
        return choice_regions.region_values(region, control)
    except choice_regions.SelectionError as problem:
        reason = UNKNOWN_OPTION if problem.kind == choice_regions.UNKNOWN_OPTION else NOT_A_CHOICE
        raise Refused(reason, f"region {_region_id(region)}: {problem}") from None
    except ValueError as problem:  # the region itself is malformed
        raise Refused(NOT_A_CHOICE, f"region {_region_id(region)} of control '{control.name}': {problem}") from None
