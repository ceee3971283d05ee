"""A stand-in for ``annotate gold`` until gold.py lands: gold records in ``Workspace.read_gold``'s shape.

Majority vote on exact spans: a span marked by more than half of an article's annotators is settled
("unanimous" when all marked it, "single" when the article has one annotator); spans fewer marked are
open conflicts, so articles with them are what ``publish`` holds back.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

import orjson

from annotate.workspace import Workspace, atomic_write


def gold_records(workspace: Workspace, conflicts: bool = True) -> list[dict[str, Any]]:
    texts = {article["id"]: article for article in workspace.read_articles()}
    by_article: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in workspace.read_annotations():
        if record["status"] == "submitted":
            by_article[record["article_id"]][record["annotator"]] = record
    records = []
    for article_id in sorted(by_article):
        annotators = sorted(by_article[article_id])
        support: dict[tuple, list[str]] = defaultdict(list)
        for name in annotators:
            for span in by_article[article_id][name]["spans"]:
                support[(span["start"], span["end"], span["label"], span["text"])].append(name)
        spans, open_conflicts = [], []
        for (start, end, label, text), who in sorted(support.items()):
            span = {"start": start, "end": end, "label": label, "text": text}
            if len(who) * 2 > len(annotators):
                kind = "single" if len(annotators) == 1 else "unanimous" if len(who) == len(annotators) else "majority"
                spans.append({**span, "settled": kind, "support": who})
            elif conflicts:
                open_conflicts.append(
                    {"start": start, "end": end, "reason": "minority", "candidates": [{**span, "support": who}]}
                )
        records.append(
            {
                "article_id": article_id,
                "sha256": texts[article_id]["sha256"],
                "strategy": "majority",
                "settled_by": "majority",
                "annotators": annotators,
                "spans": spans,
                "conflicts": open_conflicts,
            }
        )
    return records


def write_gold(workspace: Workspace, records: list[dict[str, Any]]) -> None:
    with atomic_write(workspace.gold_path, "wb") as out:
        for record in records:
            out.write(orjson.dumps(record) + b"\n")
