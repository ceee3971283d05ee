"""What changed from one version to another: articles added and removed, spans added, removed and
relabelled, split moves, and agreement before and after (``annotate diff``, and every publish's
changelog entry)."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.release.manifest import MANIFEST
from annotate.release.repository import checked_out, parse_version
from annotate.workspace import Workspace


def _gold_rows(folder: Path) -> Iterator[tuple[str, str, frozenset[tuple[int, int, str]]]]:
    """(article id, split, spans) of a version's gold rows, by article id: each split file is sorted by
    id when written, so merging them streams."""
    import heapq

    import pyarrow.parquet as pq

    def rows(path: Path) -> Iterator[tuple[str, str, frozenset]]:
        for batch in pq.ParquetFile(path).iter_batches(columns=["article_id", "split", "spans"], batch_size=1000):
            for row in batch.to_pylist():
                yield (
                    row["article_id"],
                    row["split"],
                    frozenset((s["start"], s["end"], s["label"]) for s in row["spans"]),
                )

    files = sorted((folder / "gold").glob("*.parquet"))
    return heapq.merge(*(rows(path) for path in files), key=lambda row: row[0])


def diff_folders(old: Path | None, new: Path) -> dict[str, Any]:
    """What changed from one release folder to another (``old`` None: the first version)."""
    empty: Iterator = iter(())
    old_rows = _gold_rows(old) if old is not None else empty
    result = {
        "articles": {"added": 0, "removed": 0, "kept": 0, "added_ids": [], "removed_ids": []},
        "spans": {"added": 0, "removed": 0, "relabelled": 0, "in_added_articles": 0, "in_removed_articles": 0},
        "split_moves": {"count": 0, "articles": []},
    }
    articles, spans = result["articles"], result["spans"]
    old_row, new_row = next(old_rows, None), None
    new_rows = _gold_rows(new)
    new_row = next(new_rows, None)
    while old_row is not None or new_row is not None:
        if new_row is None or (old_row is not None and old_row[0] < new_row[0]):
            articles["removed"] += 1
            articles["removed_ids"].append(old_row[0])
            spans["in_removed_articles"] += len(old_row[2])
            old_row = next(old_rows, None)
        elif old_row is None or new_row[0] < old_row[0]:
            articles["added"] += 1
            articles["added_ids"].append(new_row[0])
            spans["in_added_articles"] += len(new_row[2])
            new_row = next(new_rows, None)
        else:
            articles["kept"] += 1
            if old_row[1] != new_row[1]:
                result["split_moves"]["count"] += 1
                result["split_moves"]["articles"].append(
                    {"article_id": new_row[0], "from": old_row[1], "to": new_row[1]}
                )
            for key, value in _span_changes(old_row[2], new_row[2]).items():
                spans[key] += value
            old_row, new_row = next(old_rows, None), next(new_rows, None)
    result["agreement"] = {
        "before": json.loads((old / MANIFEST).read_text())["agreement"] if old is not None else None,
        "after": json.loads((new / MANIFEST).read_text())["agreement"],
    }
    return result


def _span_changes(old: frozenset, new: frozenset) -> dict[str, int]:
    """Spans added, removed and relabelled (same extent, other label) between two sets of one article."""

    def by_extent(spans: frozenset) -> dict[tuple[int, int], set[str]]:
        extents: dict[tuple[int, int], set[str]] = {}
        for start, end, label in spans:
            extents.setdefault((start, end), set()).add(label)
        return extents

    before, after = by_extent(old), by_extent(new)
    changes = {"added": 0, "removed": 0, "relabelled": 0}
    for extent in before.keys() | after.keys():
        was, now = before.get(extent, set()), after.get(extent, set())
        if was == now:
            continue
        if was and now:
            changes["relabelled"] += 1
        else:
            changes["added"] += len(now)
            changes["removed"] += len(was)
    return changes


def diff(workspace: Workspace, a: str, b: str) -> dict[str, Any]:
    """What changed between two published versions, read from their tags in the release repository."""
    parse_version(a)
    parse_version(b)
    a, b = a.removeprefix("v"), b.removeprefix("v")
    release_dir = workspace.release_dir
    with checked_out(release_dir, a) as old, checked_out(release_dir, b) as new:
        return {"from": a, "to": b, **diff_folders(old, new)}
