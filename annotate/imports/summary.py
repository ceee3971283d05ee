"""The reconciliation of one import: what became of every record and span read.

    read = imported + updated + unchanged + superseded + quarantined

``ImportSummary.balanced`` is that identity, for every kind of record and for the spans.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

KINDS = ("annotations", "predictions", "drafts")
OUTCOMES = ("imported", "updated", "unchanged", "superseded")
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

    @property
    def accounted(self) -> int:
        return sum(getattr(self, outcome) for outcome in OUTCOMES) + self.quarantined.total() + self.ids_only

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"read": self.read, **{outcome: getattr(self, outcome) for outcome in OUTCOMES}}
        data["quarantined"] = self.quarantined.total()
        data["quarantined_by_reason"] = dict(sorted(self.quarantined.items()))
        data["ids_only"] = self.ids_only
        return data


@dataclass
class ImportSummary:
    export: str
    sha256: str = ""
    tasks_read: int = 0
    tasks_without_annotations: int = 0
    articles_added: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    spans: Counter[str] = field(default_factory=Counter)  # read, stored, superseded, quarantined
    repaired: Counter[str] = field(default_factory=Counter)  # utf16, trim, duplicate
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
        spans_accounted = self.spans["stored"] + self.spans["superseded"] + self.spans["quarantined"]
        return spans_accounted == self.spans["read"] and all(t.accounted == t.read for t in self.tallies.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export,
            "sha256": self.sha256,
            "tasks": {
                "read": self.tasks_read,
                "without_annotations": self.tasks_without_annotations,
                "articles_added_to_corpus": self.articles_added,
            },
            **{kind: tally.as_dict() for kind, tally in self.tallies.items()},
            "spans": {key: self.spans[key] for key in ("read", "stored", "superseded", "quarantined")}
            | {"repaired": dict(sorted(self.repaired.items()))},
            "cancelled": self.cancelled,
            "ground_truth": self.ground_truth,
            "balanced": self.balanced,
            "repairs": self.repairs,
            "superseded_records": self.superseded,
            "quarantined_records": self.quarantined,
            "records_not_listed": self.unlisted,
        }
