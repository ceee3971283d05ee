"""What the review site shows, gathered from the workspace through the stages that wrote it.

The overview is the agreement report (``annotate.agreement``: ``measure``, ``bootstrap``, ``summarise``),
with each label's interval from the same bootstrap run on that label's sums alone. Each article carries
the records ``annotate.records`` keeps (each annotator's newest submitted one), its gold record and open
conflicts (``annotate gold``), an adjudicator's decision, the pre-annotation of its task, its rounds.

Each annotator's span is marked with how each other annotator of the article saw it, by the rule the
report's disagreement counts use (``annotate.agreement.CLASSES``, strongest first): the same span; the
same extent with another label; an overlapping span of the same label; an overlapping span of
another label; nothing overlapping (a miss). Summed over spans these are the report's counts (held by
tests/test_review.py).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from annotate.agreement import Measures, bootstrap, summarise
from annotate.agreement.report import measured
from annotate.records import SubmittedAnnotation
from annotate.schema import Schema, load_schema
from annotate.spans import Span
from annotate.workspace import Workspace

GOLD_STATUSES = ("complete", "conflict", "adjudicated", "none")
PREDICTION_LANE = "pre-annotation"
GOLD_LANE = "gold"
DECISION_LANE = "adjudication"


@dataclass(frozen=True)
class ProjectLink:
    """Where an article's task opens in Label Studio: ``<project url>?task=<task id>``."""

    project_id: int
    project_url: str  # ``Studio.project_url``: ``<server>/projects/<id>/data``

    def task_url(self, task_id: int) -> str:
        return f"{self.project_url}?task={task_id}"


@dataclass
class Review:
    """The overview's figures, the names the filters offer, and the articles (streamed by ``articles``)."""

    schema: Schema
    overview: dict[str, Any]
    label_intervals: dict[str, dict[str, Any]]
    annotators: list[str]
    rounds: list[str]
    round_name: str | None
    ranks: dict[str, int]  # article id -> place in the report's order, lowest agreement first
    figures: dict[str, dict[str, Any]]  # article id -> its strict/overlap F1 and alpha_U (where defined)
    by_article: dict[str, dict[str, SubmittedAnnotation]]
    wanted: set[str] | None
    workspace: Workspace
    link: ProjectLink | None = None
    counts: dict[str, int] = field(default_factory=dict)

    def articles(self) -> Iterator[dict[str, Any]]:
        """Each article that has a submitted annotation, gold or a decision, as the site shows it."""
        return _articles(self)


def gather(workspace: Workspace, round_name: str | None = None, link: ProjectLink | None = None) -> Review:
    """Read the workspace once for the overview (the agreement report) and prepare the article pass."""
    schema = load_schema(workspace.schema_path)
    wanted = workspace.round_articles(round_name) if round_name is not None else None
    measures, collected = measured(workspace, schema, round_name)
    overview = summarise(measures, bootstrap(measures), lowest=measures.documents)
    ranks = {row["article_id"]: rank for rank, row in enumerate(overview["disagreements"]["lowest_articles"])}
    figures = {
        row["article_id"]: {key: row[key] for key in ("strict_f1", "overlap_f1", "unitizing_alpha")}
        for row in overview["disagreements"]["lowest_articles"]
    }
    rounds = sorted({record["round"] for record in workspace.read_rounds()})
    return Review(
        schema=schema,
        overview={**({"round": round_name} if round_name else {}), **overview},
        label_intervals=label_intervals(measures),
        annotators=sorted({name for kept in collected.by_article.values() for name in kept}),
        rounds=rounds,
        round_name=round_name,
        ranks=ranks,
        figures=figures,
        by_article=collected.by_article,
        wanted=wanted,
        workspace=workspace,
        link=link,
    )


def label_intervals(measures: Measures) -> dict[str, dict[str, Any]]:
    """Each label's 95% intervals of strict span F1 and alpha_U: the report's bootstrap (same resamples,
    same seed) run on that label's per-article sums alone."""
    found = {}
    for index, label in enumerate(measures.labels):
        arrays = dict(measures.arrays)
        for key in ("strict", "overlap", "sizes", "unit_observed", "unit_expected"):
            arrays[key] = measures.arrays[key][:, index : index + 1]
        one = dataclasses.replace(measures, arrays=arrays, choices={})
        intervals = bootstrap(one)
        found[label] = {"strict_f1": intervals["span_f1.strict"], "unitizing_alpha": intervals["unitizing_alpha"]}
    return found


def classify(spans: dict[str, list[Span]]) -> dict[str, list[dict[str, str]]]:
    """For each annotator's spans (sorted, without repeats), how each other annotator saw each: a class of
    ``CLASSES`` by the other annotator's name."""
    seen: dict[str, list[dict[str, str]]] = {}
    for name, mine in spans.items():
        seen[name] = [
            {other: _seen_as(span, theirs) for other, theirs in spans.items() if other != name} for span in mine
        ]
    return seen


def _seen_as(span: Span, theirs: list[Span]) -> str:
    overlapping = [other for other in theirs if span.overlaps(other)]
    same_extent = [other for other in overlapping if (other.start, other.end) == (span.start, span.end)]
    if any(other.label == span.label for other in same_extent):
        return "matched"
    if same_extent:
        return "label"
    if any(other.label == span.label for other in overlapping):
        return "boundary"
    return "label_and_boundary" if overlapping else "miss"


def gold_status(record: dict[str, Any] | None) -> str:
    """complete (no open conflict), conflict, adjudicated (an adjudicator settled it), none (no gold yet)."""
    if record is None:
        return "none"
    if record.get("conflicts"):
        return "conflict"
    return "adjudicated" if record.get("settled_by") == "adjudicated" else "complete"


def _predictions(workspace: Workspace, wanted: set[str] | None) -> dict[str, list[list[Any]]]:
    """The pre-annotation of each task ``annotate tasks build --prelabel`` wrote: [start, end, label]."""
    if not workspace.tasks_path.exists():
        return {}
    from annotate.push import read_tasks

    found: dict[str, list[list[Any]]] = {}
    for task in read_tasks(workspace):
        article_id = str(task["data"]["article_id"])
        if (wanted is not None and article_id not in wanted) or not task.get("predictions"):
            continue
        regions = task["predictions"][0].get("result") or []
        found[article_id] = sorted(
            [region["value"]["start"], region["value"]["end"], region["value"]["labels"][0]]
            for region in regions
            if region.get("type") == "labels"
        )
    return found


def _usable(record: SubmittedAnnotation, article: dict[str, Any]) -> bool:
    """Whether the agreement report compares this record: its text unchanged and its offsets inside it."""
    if record.sha256 != article.get("sha256"):
        return False
    return record.fits(len(article.get("text") or ""))


def _articles(review: Review) -> Iterator[dict[str, Any]]:
    workspace, labels = review.workspace, review.schema.label_names
    gold = {record["article_id"]: record for record in workspace.read_gold()}
    decisions = {record["article_id"]: record for record in workspace.read_adjudications()}
    predictions = _predictions(workspace, review.wanted)
    rounds = workspace.rounds_of_articles()
    origins = _task_ids(workspace, review) if review.link else {}
    counts = dict.fromkeys(("articles", "spans", "conflicts"), 0)
    for article in workspace.read_articles():
        article_id = str(article["id"])
        if review.wanted is not None and article_id not in review.wanted:
            continue
        records = review.by_article.get(article_id, {})
        record_gold, decision = gold.get(article_id), decisions.get(article_id)
        if not records and record_gold is None and decision is None:
            continue
        usable = {name: record for name, record in sorted(records.items()) if _usable(record, article)}
        spans = {name: sorted(set(record.spans(labels))) for name, record in usable.items()}
        seen = classify(spans)
        lanes = [
            {
                "name": name,
                "kind": "annotator",
                "spans": [
                    [span.start, span.end, span.label, seen[name][index]] for index, span in enumerate(spans[name])
                ],
                **({"choices": usable[name].choices} if usable[name].choices else {}),
            }
            for name in usable
        ]
        if record_gold is not None:
            lanes.append(_gold_lane(record_gold))
        if decision is not None:
            lanes.append(_decision_lane(decision))
        if article_id in predictions:
            lanes.append({"name": PREDICTION_LANE, "kind": "prediction", "spans": predictions[article_id]})
        kinds = sorted(
            {(span[2], kind) for lane in lanes[: len(usable)] for span in lane["spans"] for kind in span[3].values()}
        )
        counts["articles"] += 1
        counts["spans"] += sum(len(lane["spans"]) for lane in lanes[: len(usable)])
        conflicts = (record_gold or {}).get("conflicts") or []
        counts["conflicts"] += len(conflicts)
        figures = review.figures.get(article_id, {})
        task = origins.get(article_id)
        yield {
            "id": article_id,
            "title": str(article.get("title") or ""),
            "text": article.get("text") or "",
            "rank": review.ranks.get(article_id),
            "figures": figures,
            "annotators": sorted(records),
            "compared": sorted(usable),
            "left_out": sorted(set(records) - set(usable)),
            "labels": sorted({span[2] for lane in lanes[: len(usable)] for span in lane["spans"]}),
            "labels_kinds": [[label, kind] for label, kind in kinds],
            "rounds": rounds.get(article_id, []),
            "gold": gold_status(record_gold),
            "lanes": lanes,
            "conflicts": conflicts,
            "decision": _decision_summary(decision),
            "link": review.link.task_url(task) if review.link and task is not None else None,
        }
    review.counts = counts


def _gold_lane(record: dict[str, Any]) -> dict[str, Any]:
    lane: dict[str, Any] = {
        "name": GOLD_LANE,
        "kind": "gold",
        "spans": [[span["start"], span["end"], span["label"], span.get("settled")] for span in record.get("spans", [])],
    }
    if record.get("choices"):
        lane["choices"] = {name: entry.get("value") or [] for name, entry in record["choices"].items()}
    return lane


def _decision_lane(decision: dict[str, Any]) -> dict[str, Any]:
    lane: dict[str, Any] = {
        "name": DECISION_LANE,
        "kind": "decision",
        "spans": [
            [span["start"], span["end"], span["label"], decision.get("adjudicator")] for span in decision["spans"]
        ],
    }
    if decision.get("choices"):
        lane["choices"] = decision["choices"]
    return lane


def _decision_summary(decision: dict[str, Any] | None) -> dict[str, Any] | None:
    if decision is None:
        return None
    return {"adjudicator": decision.get("adjudicator"), "updated_at": decision.get("updated_at")}


def _task_ids(workspace: Workspace, review: Review) -> dict[str, int]:
    """Article id -> its task in the linked project, from the records' ``origin``."""
    assert review.link is not None
    found: dict[str, int] = {}
    for record in workspace.read_annotations():
        origin = record.get("origin") if isinstance(record, dict) else None
        if isinstance(origin, dict) and origin.get("project") == review.link.project_id:
            task = origin.get("task")
            if isinstance(task, int):
                found.setdefault(str(record.get("article_id")), task)
    return found
