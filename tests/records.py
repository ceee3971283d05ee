"""Builders of the workspace's own records (annotations, gold) for tests that write them by hand."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import Any

from annotate.spans import Span
from annotate.workspace import atomic_write, jsonl_writer


def span_at(text: str, phrase: str, label: str, trim_end: int = 0) -> Span:
    """The span of the first ``phrase`` in ``text`` (``trim_end`` characters short of its end)."""
    start = text.index(phrase)
    return Span(start, start + len(phrase) - trim_end, label)


def span_record(span: Span, text: str, **extra: Any) -> dict[str, Any]:
    return {**span._asdict(), "text": span.text_in(text), **extra}


def write_records(path: Path, records: Iterable[dict[str, Any]]) -> None:
    with atomic_write(path, "wb") as out:
        writer = jsonl_writer(out)
        for record in records:
            writer.write(record)


def annotation_record(
    article: dict[str, Any],
    annotator: str,
    spans: Iterable[Span],
    status: str = "submitted",
    ground_truth: bool = False,
    sha256: str | None = None,
    updated: str = "2026-11-20",
) -> dict[str, Any]:
    """An ``annotations.jsonl`` record (``Workspace.read_annotations``' shape)."""
    return {
        "article_id": article["id"],
        "annotator": annotator,
        "status": status,
        "spans": [span_record(span, article["text"]) for span in sorted(spans)],
        "sha256": sha256 or article["sha256"],
        "created_at": updated,
        "updated_at": updated,
        "lead_time": 12.0,
        "ground_truth": ground_truth,
        "origin": {"project": 1, "task": 1, "annotation": 1},
    }


def gold_record(
    article: dict[str, Any],
    spans: Iterable[Span],
    conflicts: Sequence[dict[str, Any]] = (),
    support: Sequence[str] = ("ann-01", "ann-02"),
) -> dict[str, Any]:
    """A ``gold.jsonl`` record (``Workspace.read_gold``' shape), every span settled by ``support``."""
    return {
        "article_id": article["id"],
        "sha256": article["sha256"],
        "strategy": "majority",
        "settled_by": "majority",
        "annotators": list(support),
        "spans": [
            span_record(span, article["text"], settled="majority", support=list(support)) for span in sorted(spans)
        ],
        "conflicts": list(conflicts),
    }
