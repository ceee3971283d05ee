"""Document-level choices: Label Studio ``choices`` / ``taxonomy`` regions <-> a control's option values.

The one place that converts them (as ``tokens`` is for offsets and tags): import reads regions into the
record's ``choices``, adjudication and predictions write them back. A record holds, per control, the
selected options in the control's ``option_names`` order; a taxonomy option is its path joined with
``OPTION_SEPARATOR`` (``"Killed / Feloniously Killed"``).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from annotate.schema import OPTION_SEPARATOR, Control, Schema

__all__ = [
    "OPTION_SEPARATOR",
    "SelectionError",
    "check_options",
    "check_selection",
    "control_region",
    "document_regions",
    "empty_choices",
    "region_values",
    "sorted_values",
]

# What is wrong with a selection (``SelectionError.kind``): each stage maps it to its own reason code.
NOT_OPTIONS, UNKNOWN_OPTION, TOO_MANY = "not-options", "unknown-option", "too-many"


class SelectionError(ValueError):
    """A selection a control cannot hold; ``kind`` says what is wrong, the message says it for people."""

    def __init__(self, kind: str, message: str):
        super().__init__(message)
        self.kind = kind


def check_options(control: Control, selected: Any) -> None:
    """Refuse (``SelectionError``) what is not a list of ``control``'s option texts."""
    if not isinstance(selected, list | tuple) or not all(isinstance(option, str) for option in selected):
        raise SelectionError(NOT_OPTIONS, f"the choices of '{control.name}' are not a list of options")
    unknown = [option for option in selected if option not in control.option_set]
    if unknown:
        raise SelectionError(UNKNOWN_OPTION, f"option {unknown[0]!r} is not an option of control '{control.name}'")


def check_selection(control: Control, selected: Any) -> None:
    """Refuse (``SelectionError``) what ``control`` cannot hold: not a list of its option texts
    (``check_options``), or more than one option in a single choice. Gold, adjudication and releases
    check every selection with it; import checks each region's options, then counts."""
    check_options(control, selected)
    if not control.multiple and len(set(selected)) > 1:
        raise SelectionError(TOO_MANY, f"{len(set(selected))} options of the single-choice control '{control.name}'")


def region_values(region: dict[str, Any], control: Control) -> list[str]:
    """The options a ``choices`` or ``taxonomy`` region of ``control`` selects.

    Raises ``ValueError`` (a sentence) when the region is malformed, ``SelectionError`` when it names an
    option the control does not have (``check_options``).
    """
    value = region.get("value")
    key = "taxonomy" if control.kind == "taxonomy" else "choices"
    found = value.get(key) if isinstance(value, dict) else None
    if not isinstance(found, list):
        raise ValueError(f"its value has no '{key}' list")
    if key == "taxonomy":
        if not all(isinstance(path, list) and path and all(isinstance(p, str) for p in path) for path in found):
            raise ValueError("its taxonomy is not a list of paths (lists of option texts)")
        selected = [OPTION_SEPARATOR.join(path) for path in found]
    else:
        if not all(isinstance(option, str) for option in found):
            raise ValueError("its choices are not texts")
        selected = list(found)
    check_options(control, selected)
    return selected


def sorted_values(values: Iterable[str], control: Control) -> list[str]:
    """Distinct options in the control's order (how records hold them)."""
    order = {name: index for index, name in enumerate(control.option_names)}
    return sorted(set(values), key=order.__getitem__)


def empty_choices(schema: Schema) -> dict[str, list[str]]:
    """A record's ``choices`` before any region is read: every control, nothing selected."""
    return {control.name: [] for control in schema.controls}


def control_region(control: Control, values: Iterable[str], to_name: str, region_id: str) -> dict[str, Any]:
    """A Label Studio result region selecting ``values`` of ``control`` (for predictions)."""
    values = sorted_values(values, control)
    if control.kind == "taxonomy":
        value: dict[str, Any] = {"taxonomy": [option.split(OPTION_SEPARATOR) for option in values]}
        kind = "taxonomy"
    else:
        value, kind = {"choices": values}, "choices"
    return {"id": region_id, "from_name": control.name, "to_name": to_name, "type": kind, "value": value}


def document_regions(schema: Schema, choices: dict[str, Iterable[str]], prefix: str = "c") -> list[dict[str, Any]]:
    """The regions of every control that has a selection in ``choices`` (controls in schema order)."""
    regions = []
    for control in schema.controls:
        values = list(choices.get(control.name) or ())
        if values:
            regions.append(control_region(control, values, schema.text_name, f"{prefix}{len(regions) + 1}"))
    return regions
