"""The reconciliation of one import: what became of every record and region read.

For each kind of record (annotations, predictions, drafts):

    read = imported + updated + unchanged + superseded + quarantined (+ ids_only: predictions)

and for the regions of the annotations (every item of every ``result`` list):

    read = spans + choices + other + dropped (duplicate, no-label) + superseded + quarantined

where ``spans``, ``choices`` and ``other`` are the regions now held by stored records (a span region
as its span, a choice region in the record's ``choices``, any other region kept in ``other``). The
span regions alone balance the same way: ``read = stored + dropped + superseded + quarantined``.
``ImportSummary.balanced`` is all of these identities.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from annotate.imports.regions import DROPPED

KINDS = ("annotations", "predictions", "drafts")
OUTCOMES = ("imported", "updated", "unchanged", "superseded")
REGION_FIGURES = ("read", "spans", "choices", "other", *DROPPED, "superseded", "quarantined")
SPAN_FIGURES = ("read", "stored", "dropped", "superseded", "quarantined")
LABEL_STUDIO, LABEL_STUDIO_0X = "label-studio", "label-studio-0.x"
LISTED = 1000  # repairs, superseded and quarantined records listed one by one in a report, per kind


@dataclass
class Tally:
    """What became of the records of one kind that were read."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    ids_only: int = 0  # predictions exported as bare ids carry no spans to keep
    repaired: Counter[str] = field(default_factory=Counter)  # repairs in the records of this kind read

    @property
    def accounted(self) -> int:
        return sum(getattr(self, outcome) for outcome in OUTCOMES) + self.quarantined.total() + self.ids_only

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"read": self.read, **{outcome: getattr(self, outcome) for outcome in OUTCOMES}}
        data["quarantined"] = self.quarantined.total()
        data["quarantined_by_reason"] = dict(sorted(self.quarantined.items()))
        data["ids_only"] = self.ids_only
        data["repaired"] = dict(sorted(self.repaired.items()))
        return data


@dataclass
class ImportSummary:
    export: str
    sha256: str = ""
    tasks_read: int = 0
    tasks_without_annotations: int = 0
    articles_added: int = 0
    format: str = LABEL_STUDIO  # or LABEL_STUDIO_0X: tasks with ``completions``, read as annotations
    attributed_to: str | None = None  # the pseudonym every annotation and draft went to (--annotator)
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    regions: Counter[str] = field(default_factory=Counter)  # REGION_FIGURES
    spans: Counter[str] = field(default_factory=Counter)  # SPAN_FIGURES
    other_kept: Counter[str] = field(default_factory=Counter)  # regions kept in ``other``, by control (type)
    # utf16, whitespace, trim, alias, duplicate, no-label: in every record read (all kinds; the tallies split them)
    repaired: Counter[str] = field(default_factory=Counter)
    cancelled: int = 0  # of the export's annotations now in the store
    ground_truth: int = 0
    repairs: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    unlisted: int = 0  # lines beyond LISTED: counted in the figures, not kept in memory

    def note(self, lines: list[str], line: str) -> None:
        """Keep a line for the report; past ``LISTED`` per list only count it (memory stays flat)."""
        if len(lines) < LISTED:
            lines.append(line)
        else:
            self.unlisted += 1

    @property
    def balanced(self) -> bool:
        regions = sum(self.regions[figure] for figure in REGION_FIGURES[1:]) == self.regions["read"]
        spans = sum(self.spans[figure] for figure in SPAN_FIGURES[1:]) == self.spans["read"]
        return regions and spans and all(t.accounted == t.read for t in self.tallies.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export,
            "sha256": self.sha256,
            "tasks": {
                "read": self.tasks_read,
                "without_annotations": self.tasks_without_annotations,
                "articles_added_to_corpus": self.articles_added,
            },
            "format": self.format,
            "attributed_to": self.attributed_to,
            **{kind: tally.as_dict() for kind, tally in self.tallies.items()},
            "regions": {
                **{figure: self.regions[figure] for figure in ("read", "spans", "choices", "other")},
                "dropped": {figure: self.regions[figure] for figure in DROPPED},
                **{figure: self.regions[figure] for figure in ("superseded", "quarantined")},
                "other_by_control": dict(sorted(self.other_kept.items())),
            },
            "spans": {figure: self.spans[figure] for figure in SPAN_FIGURES}
            | {"repaired": dict(sorted(self.repaired.items()))},
            "cancelled": self.cancelled,
            "ground_truth": self.ground_truth,
            "balanced": self.balanced,
            "repairs": self.repairs,
            "superseded_records": self.superseded,
            "quarantined_records": self.quarantined,
            "records_not_listed": self.unlisted,
        }
