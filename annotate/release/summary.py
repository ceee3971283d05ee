"""What a publish did: ``ReleaseSummary`` (the ``--json`` report, and the counts the card, manifest
and changelog give) and the ``Misaligned`` gold spans it lists."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from annotate.release.splits import DEFAULT_RATIOS, SPLITS, SplitAssignment


@dataclass(frozen=True)
class Misaligned:
    """A gold span BIO tags cannot hold: kept in ``spans``, its tokens -1 in ``ner_tags``."""

    article_id: str
    start: int
    end: int
    label: str
    text: str
    reason: str

    def as_dict(self) -> dict[str, Any]:
        return {
            "article_id": self.article_id,
            "start": self.start,
            "end": self.end,
            "label": self.label,
            "text": self.text,
            "reason": self.reason,
        }


@dataclass
class ReleaseSummary:
    """What ``publish`` did; every count adds up (``as_dict`` is the ``--json`` output)."""

    version: str
    path: str
    gold_records: int = 0
    published: int = 0
    held_back: list[str] = field(default_factory=list)
    include_conflicts: bool = False
    published_with_conflicts: int = 0
    spans: Counter[str] = field(default_factory=Counter)  # per label, over published gold
    spans_per_split: dict[str, Counter[str]] = field(default_factory=dict)
    settled: Counter[str] = field(default_factory=Counter)  # spans per settled kind
    choices: dict[str, Counter[str]] = field(default_factory=dict)  # control -> published articles per option
    articles_per_split: Counter[str] = field(default_factory=Counter)
    annotations_per_split: Counter[str] = field(default_factory=Counter)
    annotations_excluded: Counter[str] = field(default_factory=Counter)
    misaligned: list[Misaligned] = field(default_factory=list)
    splits: SplitAssignment | None = None
    sizes: dict[str, dict[str, dict[str, int]]] = field(default_factory=dict)
    changes: dict[str, Any] = field(default_factory=dict)
    pushed: dict[str, Any] | None = None
    unchanged: bool = False  # this version was already published from exactly these inputs: nothing written
    ratios: tuple[float, ...] = DEFAULT_RATIOS
    review: str | None = None  # the review overview's page inside the release (publish --with-review)

    @property
    def empty_splits(self) -> list[str]:
        """Splits the ratios give a share that got no article (a small corpus): reported, not hidden."""
        shares = zip(SPLITS, self.ratios, strict=True)
        return [split for split, ratio in shares if ratio > 0 and not self.articles_per_split[split]]

    def as_dict(self) -> dict[str, Any]:
        splits = self.splits or SplitAssignment({})
        return {
            "version": self.version,
            "path": self.path,
            "gold_records": self.gold_records,
            "published": self.published,
            "held_back": {"count": len(self.held_back), "articles": self.held_back},
            "include_conflicts": self.include_conflicts,
            "published_with_conflicts": self.published_with_conflicts,
            "articles_per_split": {split: self.articles_per_split[split] for split in SPLITS},
            "empty_splits": [] if self.unchanged else self.empty_splits,
            "spans": {"total": sum(self.spans.values()), "per_label": dict(self.spans)},
            "spans_settled": dict(self.settled),
            **({"choices": {name: dict(counts) for name, counts in self.choices.items()}} if self.choices else {}),
            "annotations": {
                "per_split": {split: self.annotations_per_split[split] for split in SPLITS},
                "excluded": dict(self.annotations_excluded),
            },
            "misaligned": {
                "count": len(self.misaligned),
                "by_reason": dict(Counter(m.reason for m in self.misaligned)),
                "spans": [m.as_dict() for m in self.misaligned],
            },
            "splits": {
                "kept": splits.kept,
                "new": splits.new,
                "joined_near_duplicate": splits.joined_group,
                "near_duplicate_groups_across_splits": len(splits.groups_across_splits),
            },
            "changes": self.changes,
            "pushed": self.pushed,
            "unchanged": self.unchanged,
            "review": self.review,
        }
