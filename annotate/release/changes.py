"""What changed from one version to another: articles added and removed, spans added, removed and
relabelled, document-level choices changed, split moves, and agreement before and after (``annotate
diff``, and every publish's changelog entry).

Choices are compared by option name, read from each version's own Parquet files (the ``datasets``
features written into them), so two versions of different schemas compare without either schema: a
control column in one version only is reported as added or removed."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NamedTuple

from annotate.release.dataset import COLUMNS
from annotate.release.manifest import MANIFEST
from annotate.release.repository import checked_out, parse_version
from annotate.workspace import Workspace

SHOWN_ARTICLES = 10  # the ids of the first few articles whose settled choice changed, per column


class GoldRow(NamedTuple):
    article_id: str
    split: str
    spans: frozenset[tuple[int, int, str]]
    choices: dict[str, frozenset[str]]  # control column -> the option names selected


def choice_columns_of(path: Path) -> dict[str, list[str]]:
    """Control column -> its option names, from the features ``datasets`` wrote into a gold Parquet file
    (the ``huggingface`` schema metadata): a column besides the fixed ones holding a ``ClassLabel`` or a
    list of them. A release made before controls existed has none."""
    import pyarrow.parquet as pq
    from datasets import ClassLabel, Features

    features = Features.from_arrow_schema(pq.read_schema(path))
    found = {}
    for column, feature in features.items():
        label = getattr(feature, "feature", feature)
        if column not in COLUMNS and isinstance(label, ClassLabel):
            found[column] = list(label.names)
    return found


def _gold_files(folder: Path) -> list[Path]:
    return sorted((folder / "gold").glob("*.parquet"))


def _gold_rows(folder: Path, controls: dict[str, list[str]]) -> Iterator[GoldRow]:
    """A version's gold rows, by article id: each split file is sorted by id when written, so merging
    them streams. Choices are decoded with the version's option names (``controls``, ``_version_columns``)."""
    import heapq

    import pyarrow.parquet as pq

    def names_of(value: Any, names: list[str]) -> frozenset[str]:
        codes = value if isinstance(value, list) else [] if value is None or value < 0 else [value]
        return frozenset(names[code] for code in codes)

    def rows(path: Path) -> Iterator[GoldRow]:
        columns = ["article_id", "split", "spans", *controls]
        for batch in pq.ParquetFile(path).iter_batches(columns=columns, batch_size=1000):
            # Column by column (a span's fields as flat lists), not a dict per row: the same values, read faster.
            spans = batch.column("spans")
            bounds = (spans.offsets.to_numpy() - spans.offsets[0].as_py()).tolist()
            values = spans.flatten()
            triples = list(zip(*(values.field(name).to_pylist() for name in ("start", "end", "label")), strict=True))
            chosen = {column: batch.column(column).to_pylist() for column in controls}
            for number, (article_id, split) in enumerate(
                zip(batch.column("article_id").to_pylist(), batch.column("split").to_pylist(), strict=True)
            ):
                yield GoldRow(
                    article_id,
                    split,
                    frozenset(triples[bounds[number] : bounds[number + 1]]),
                    {column: names_of(chosen[column][number], names) for column, names in controls.items()},
                )

    return heapq.merge(*(rows(path) for path in _gold_files(folder)), key=lambda row: row.article_id)


def _ids_and_span_counts(folder: Path) -> Iterator[tuple[str, int]]:
    """A version's article ids, in id order, each with its number of distinct spans (as ``GoldRow.spans``
    counts them): what a first version's entry needs, read without building a row per article (a tenth of
    the time at 10,000 articles)."""
    import heapq

    import numpy as np
    import pyarrow.parquet as pq

    def counted(path: Path) -> Iterator[tuple[str, int]]:
        for batch in pq.ParquetFile(path).iter_batches(columns=["article_id", "spans"], batch_size=1000):
            spans = batch.column("spans")
            lengths = np.diff(spans.offsets.to_numpy())
            values = spans.flatten()
            rows = np.repeat(np.arange(len(lengths)), lengths)
            keys = np.stack([rows, *(values.field(name).to_numpy() for name in ("start", "end", "label"))], axis=1)
            counts = lengths if _strictly_increasing(keys) else _distinct_per_row(keys, len(lengths))
            yield from zip(batch.column("article_id").to_pylist(), counts.tolist(), strict=True)

    return heapq.merge(*(counted(path) for path in _gold_files(folder)), key=lambda row: row[0])


def _strictly_increasing(keys: Any) -> bool:
    """Whether the rows of ``keys`` (an integer matrix) strictly increase, compared column by column (then no
    two are equal: how the gold writes each article's spans)."""
    import numpy as np

    before, after = keys[:-1], keys[1:]
    differs = before != after
    first = np.argmax(differs, axis=1)  # the first column where two neighbours differ
    rows = np.arange(len(first))
    return bool(np.all(differs[rows, first] & (after[rows, first] > before[rows, first])))


def _distinct_per_row(keys: Any, rows: int) -> Any:
    """Distinct ``(row, start, end, label)`` keys counted per row (the first column)."""
    import numpy as np

    distinct = np.unique(keys, axis=0)
    return np.bincount(distinct[:, 0], minlength=rows)


def _version_columns(folder: Path | None) -> dict[str, list[str]]:
    """Control column -> option names over a version's gold files (every split file has the same)."""
    found: dict[str, list[str]] = {}
    for path in _gold_files(folder) if folder is not None else ():
        found.update(choice_columns_of(path))
    return found


def diff_folders(old: Path | None, new: Path) -> dict[str, Any]:
    """What changed from one release folder to another (``old`` None: the first version).

    ``choices`` (only when either version has a control column): per column, ``{"status": "added"}``
    or ``{"status": "removed"}`` when one version lacks it, else ``{"status": "kept", "changed": n,
    "articles": [the first ids], "options_added": [...], "options_removed": [...]}``, ``changed``
    counting the articles of both versions whose selected option names differ."""
    old_columns, new_columns = _version_columns(old), _version_columns(new)
    result: dict[str, Any] = {
        "articles": {"added": 0, "removed": 0, "kept": 0, "added_ids": [], "removed_ids": []},
        "spans": {"added": 0, "removed": 0, "relabelled": 0, "in_added_articles": 0, "in_removed_articles": 0},
        "split_moves": {"count": 0, "articles": []},
    }
    articles, spans = result["articles"], result["spans"]
    choices = _choice_entries(old_columns, new_columns)
    if old is None:  # the first version: every article is added, and nothing needs more than ids and counts
        for article_id, count in _ids_and_span_counts(new):
            articles["added_ids"].append(article_id)
            spans["in_added_articles"] += count
        articles["added"] = len(articles["added_ids"])
    old_rows = _gold_rows(old, old_columns) if old is not None else iter(())
    new_rows = _gold_rows(new, new_columns) if old is not None else iter(())
    old_row, new_row = next(old_rows, None), next(new_rows, None)
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
            _count_choice_changes(choices, old_row, new_row)
            old_row, new_row = next(old_rows, None), next(new_rows, None)
    if choices:
        result["choices"] = choices
    result["agreement"] = {
        "before": json.loads((old / MANIFEST).read_text())["agreement"] if old is not None else None,
        "after": json.loads((new / MANIFEST).read_text())["agreement"],
    }
    return result


def _choice_entries(before: dict[str, list[str]], after: dict[str, list[str]]) -> dict[str, dict[str, Any]]:
    """The ``choices`` entry of each control column of either version, before any article is compared."""
    entries: dict[str, dict[str, Any]] = {}
    for column, names in after.items():
        if column not in before:
            entries[column] = {"status": "added"}
            continue
        entries[column] = {
            "status": "kept",
            "changed": 0,
            "articles": [],
            "options_added": [name for name in names if name not in before[column]],
            "options_removed": [name for name in before[column] if name not in names],
        }
    for column in before:
        if column not in after:
            entries[column] = {"status": "removed"}
    return entries


def _count_choice_changes(entries: dict[str, dict[str, Any]], old: GoldRow, new: GoldRow) -> None:
    for column, entry in entries.items():
        if entry["status"] == "kept" and old.choices[column] != new.choices[column]:
            entry["changed"] += 1
            if len(entry["articles"]) < SHOWN_ARTICLES:
                entry["articles"].append(new.article_id)


def choice_change_text(column: str, entry: dict[str, Any], before: str | None, after: str) -> str:
    """One sentence on a control column's change between two versions (``annotate diff``, the changelog)."""
    if entry["status"] == "added":
        return f"Choice column '{column}': new" + (f" (not in {before})." if before else ".")
    if entry["status"] == "removed":
        return f"Choice column '{column}': removed (in {before}, not in {after})."
    changed, shown = entry["changed"], entry["articles"]
    text = f"Choice column '{column}': settled choice changed in {changed} of the articles in both versions"
    if shown:
        text += f" ({', '.join(shown)}{', ...' if changed > len(shown) else ''})"
    if entry["options_added"]:
        text += f"; options added: {', '.join(entry['options_added'])}"
    if entry["options_removed"]:
        text += f"; options removed: {', '.join(entry['options_removed'])}"
    return text + "."


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
