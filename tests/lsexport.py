"""Label Studio JSON export records, shaped as Label Studio 1.23 writes them, for building test exports.

The field set was read off a real 1.23 server's `/api/projects/{id}/export?exportType=JSON`.
"""

from __future__ import annotations

import itertools
import json
from pathlib import Path
from typing import Any

_ids = itertools.count(1)


def region(start: int, end: int, label: str, text: str, region_id: str | None = None) -> dict[str, Any]:
    return {
        "value": {"start": start, "end": end, "text": text, "labels": [label]},
        "id": region_id or f"r{next(_ids)}",
        "from_name": "label",
        "to_name": "text",
        "type": "labels",
        "origin": "manual",
    }


def span_region(text: str, phrase: str, label: str, occurrence: int = 0) -> dict[str, Any]:
    """The region for the ``occurrence``-th ``phrase`` in ``text`` (code-point offsets)."""
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return region(start, start + len(phrase), label, phrase)


def utf16_region(text: str, phrase: str, label: str) -> dict[str, Any]:
    """The region a browser counting UTF-16 code units would send for the first ``phrase``."""
    start = len(text[: text.index(phrase)].encode("utf-16-le")) // 2
    return region(start, start + len(phrase.encode("utf-16-le")) // 2, label, phrase)


def annotation(
    result: list[dict[str, Any]],
    completed_by: Any = 1,
    annotation_id: int | None = None,
    cancelled: bool = False,
    updated_at: str = "2026-11-20T10:00:00.000000Z",
    lead_time: float | None = 30.5,
    ground_truth: bool = False,
) -> dict[str, Any]:
    return {
        "id": annotation_id or next(_ids),
        "completed_by": completed_by,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": ground_truth,
        "created_at": "2026-11-20T09:00:00.000000Z",
        "updated_at": updated_at,
        "draft_created_at": None,
        "lead_time": lead_time,
        "prediction": {},
        "result_count": len(result),
        "unique_id": f"u-{next(_ids)}",
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": 0,
        "project": 7,
        "updated_by": 1,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def task(
    article: dict[str, Any],
    annotations: list[dict[str, Any]] = (),  # type: ignore[assignment]
    task_id: int | None = None,
    predictions: list[Any] = (),  # type: ignore[assignment]
    drafts: list[dict[str, Any]] = (),  # type: ignore[assignment]
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A task as pushed by annotate (data: text, title, article_id, sha256) unless ``data`` is given."""
    task_id = task_id or next(_ids)
    for item in annotations:
        item["task"] = task_id
    return {
        "id": task_id,
        "annotations": list(annotations),
        "drafts": list(drafts),
        "predictions": list(predictions),
        "data": data
        if data is not None
        else {
            "text": article["text"],
            "title": article["title"],
            "article_id": article["id"],
            "sha256": article["sha256"],
        },
        "meta": {},
        "created_at": "2026-11-19T09:00:00.000000Z",
        "updated_at": "2026-11-20T10:00:00.000000Z",
        "allow_skip": True,
        "inner_id": task_id,
        "total_annotations": len(annotations),
        "cancelled_annotations": sum(a["was_cancelled"] for a in annotations),
        "total_predictions": len(predictions),
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": 7,
        "updated_by": 1,
        "comment_authors": [],
    }


def write(path: Path, tasks: list[dict[str, Any]]) -> Path:
    path.write_text(json.dumps(tasks, ensure_ascii=False, indent=1), encoding="utf-8")
    return path
