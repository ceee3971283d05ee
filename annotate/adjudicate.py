"""Adjudication: the review project in Label Studio, conflicts out and decisions back.

The stage after gold. ``adjudicate_push`` sends each article with open conflicts in ``gold/gold.jsonl``
to a review project: one task per article, with each annotator's spans and document-level choices (read
through ``annotate.records``, as gold counted them) and those already settled as predictions.
``adjudicate_pull`` brings the adjudicators' decisions back, checking every region as ``annotate
import`` does, keeps the newest per article in ``gold/adjudications.jsonl`` (shape:
``Workspace.read_adjudications``) and settles gold again (``annotate.gold``), where a decision
overrides the strategy. Choice regions go both ways through ``annotate.controls``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from annotate import corpus, tasks
from annotate.controls import document_regions
from annotate.errors import AnnotateError, Messages
from annotate.gold import GoldSummary, check_options, gold
from annotate.imports import ANNOTATORS_FILE, Annotators, Refused, ResultReader, iter_export, utf16_to_codepoints
from annotate.pull import download
from annotate.push import DEFAULT_BATCH_SIZE, ensure_project, pushed_articles
from annotate.records import SubmittedAnnotation, collect_submitted, timestamp
from annotate.schema import Schema, load_schema
from annotate.spans import Span
from annotate.studio import Studio
from annotate.workspace import Workspace, atomic_write, jsonl_writer, record_digest, slug

SETTLED_PREDICTION = "settled"  # model_version of the review task's prediction holding the settled spans


def review_project(workspace: Workspace, project: str | None = None) -> str:
    """The review project's title: ``project``, or ``<workspace name>-review``."""
    return project or f"{workspace.config['name']}-review"


# -- conflicts out: the review project --------------------------------------------------------------


@dataclass
class ReviewPushSummary:
    project: str
    project_id: int
    url: str
    created: bool = False
    articles_in_conflict: int = 0
    pushed: int = 0
    already_there: int = 0
    changed_since_push: list[str] = field(default_factory=list)
    predictions: int = 0

    def as_dict(self) -> dict[str, Any]:
        return {key: getattr(self, key) for key in self.__dataclass_fields__}


def adjudicate_push(
    workspace: Workspace,
    studio: Studio,
    project: str | None = None,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int], None] | None = None,
) -> ReviewPushSummary:
    """Send each article with open conflicts in ``gold/gold.jsonl`` to a review project, once.

    A task per article (``data`` as ``annotate tasks build`` makes it), with one prediction per
    annotator (``model_version`` = the pseudonym) holding all their spans of the article, and one
    (``settled``) holding the spans the strategy settled, to start from.
    """
    if not workspace.gold_path.exists():
        raise AnnotateError(Messages.GOLD_MISSING, path=workspace.relative(workspace.gold_path))
    title = review_project(workspace, project)
    open_articles = {r["article_id"]: r for r in workspace.read_gold() if r["conflicts"]}
    schema = load_schema(workspace.schema_path)
    setup = ensure_project(studio, title, schema)
    found, created = setup.project, setup.created
    summary = ReviewPushSummary(title, found.id, studio.project_url(found.id), created)
    summary.articles_in_conflict = len(open_articles)
    there = {} if created else pushed_articles(studio, found.id)
    marks = _annotators_work(workspace, open_articles, schema)
    batch: list[dict[str, Any]] = []
    for article in workspace.read_articles():
        settled = open_articles.get(article["id"])
        if settled is None or settled["sha256"] != article["sha256"]:
            continue
        pushed_sha = there.get(article["id"])
        if pushed_sha == article["sha256"]:
            summary.already_there += 1
        elif pushed_sha is not None:
            summary.changed_since_push.append(article["id"])
        else:
            batch.append(_review_task(article, marks.get(article["id"], {}), settled, schema))
            summary.predictions += len(batch[-1]["predictions"])
        if len(batch) >= batch_size:
            _import(studio, summary, batch, progress)
    if batch:
        _import(studio, summary, batch, progress)
    if summary.predictions and found.model_version != SETTLED_PREDICTION:
        # The adjudicator starts from the settled spans, each annotator's a click away. Label Studio
        # accepts a model version only once predictions of it exist.
        studio.client.projects.update(found.id, model_version=SETTLED_PREDICTION, show_collab_predictions=True)
    return summary


def _annotators_work(
    workspace: Workspace, gold_records: dict[str, dict[str, Any]], schema: Schema
) -> dict[str, dict[str, SubmittedAnnotation]]:
    """Each annotator's record of the given articles, as gold counted them (submitted, newest, same text)."""
    records = (record for record in workspace.read_annotations() if record.get("article_id") in gold_records)
    controls = [control.name for control in schema.controls]
    found: dict[str, dict[str, SubmittedAnnotation]] = {}
    for article_id, by_annotator in collect_submitted(records, schema.label_names, controls).by_article.items():
        settled = gold_records[article_id]
        found[article_id] = {
            annotator: record
            for annotator, record in by_annotator.items()
            if annotator in settled["annotators"] and record.sha256 == settled["sha256"]
        }
    return found


def _review_task(
    article: dict[str, Any], marks: dict[str, SubmittedAnnotation], settled: dict[str, Any], schema: Schema
) -> dict[str, Any]:
    task = tasks.article_task(article, schema.text_key)
    text = article["text"]

    def prediction(version: str, spans: Iterable[Span], choices: dict[str, Any]) -> dict[str, Any]:
        result = [tasks.span_region(span, text, index, schema) for index, span in enumerate(sorted(spans), start=1)]
        result += document_regions(schema, choices)
        return {"model_version": version, "result": result}

    task["predictions"] = []
    for who in settled["annotators"]:
        record = marks.get(who)
        spans = record.spans(schema.label_names) if record else []
        task["predictions"].append(prediction(who, spans, (record.choices or {}) if record else {}))
    settled_choices = {name: entry["value"] for name, entry in settled.get("choices", {}).items()}
    settled_spans = (Span(s["start"], s["end"], s["label"]) for s in settled["spans"])
    task["predictions"].append(prediction(SETTLED_PREDICTION, settled_spans, settled_choices))
    return task


def _import(
    studio: Studio, summary: ReviewPushSummary, batch: list[dict[str, Any]], progress: Callable[[int], None] | None
) -> None:
    studio.client.projects.import_tasks(summary.project_id, request=batch)
    summary.pushed += len(batch)
    if progress:
        progress(len(batch))
    batch.clear()


# -- decisions back: gold settled again -------------------------------------------------------------


@dataclass
class ReviewPullSummary:
    project: str
    project_id: int
    export: str
    tasks: int = 0
    decisions_read: int = 0
    new: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0  # older decisions of one article, in the project or in the file
    skipped: int = 0  # cancelled (skipped) review annotations: no decision
    refused: list[str] = field(default_factory=list)  # "task N annotation M: what is wrong"
    repairs: list[str] = field(default_factory=list)
    gold_changed: list[str] = field(default_factory=list)  # articles whose gold record changed
    gold: GoldSummary | None = None

    def as_dict(self) -> dict[str, Any]:
        data = {key: getattr(self, key) for key in self.__dataclass_fields__ if key != "gold"}
        data["gold"] = self.gold.as_dict() if self.gold else None
        return data


def adjudicate_pull(
    workspace: Workspace,
    studio: Studio,
    project: str | None = None,
    strategy: str | None = None,
    min_support: int | None = None,
) -> ReviewPullSummary:
    """Bring the review project's decisions back as ``gold/adjudications.jsonl`` and re-settle gold.

    Every region is checked as ``annotate import`` checks it; an annotation with a bad region is
    refused and reported with its task. The newest decision per article wins. Gold is settled again
    with ``strategy`` and ``min_support`` (default: those of the current gold file).
    """
    title = review_project(workspace, project)
    strategy, min_support = _previous_options(workspace, strategy, min_support)
    check_options(strategy, min_support)
    found = studio.project(title)
    path, task_count = download(workspace, studio, found.id, slug(title))
    summary = ReviewPullSummary(title, found.id, workspace.relative(path), task_count)
    annotators = Annotators(workspace.annotations_dir / ANNOTATORS_FILE, studio.users_by_id())
    schema = load_schema(workspace.schema_path)
    stored = {article["id"]: article["sha256"] for article in workspace.read_articles()}
    decisions: dict[str, dict[str, Any]] = {}
    for task in iter_export(path, summary.export):
        for decision in _decisions(task, stored, schema, annotators, summary):
            _keep_newest(decisions, decision, summary)
    kept = {record["article_id"]: record for record in workspace.read_adjudications()}
    for article_id, decision in decisions.items():
        earlier = kept.get(article_id)
        if earlier is None:
            summary.new += 1
        elif record_digest(earlier) == record_digest(decision):
            summary.unchanged += 1
            continue
        elif timestamp(earlier.get("updated_at")) > timestamp(decision["updated_at"]):
            summary.superseded += 1
            continue
        else:
            summary.updated += 1
        kept[article_id] = decision
    with atomic_write(workspace.adjudications_path, "wb") as out:
        writer = jsonl_writer(out)
        for article_id in sorted(kept):
            writer.write(kept[article_id])
    annotators.save()
    before = _gold_digests(workspace)
    summary.gold = gold(workspace, strategy, min_support)
    after = _gold_digests(workspace)
    summary.gold_changed = sorted(a for a in before.keys() | after.keys() if before.get(a) != after.get(a))
    return summary


def _previous_options(workspace: Workspace, strategy: str | None, min_support: int | None) -> tuple[str, int | None]:
    if strategy is not None:
        return strategy, min_support
    first = next(iter(workspace.read_gold()), None)
    if first is None:
        return "majority", min_support
    return first["strategy"], min_support if min_support is not None else first.get("min_support")


def _decisions(
    task: dict[str, Any],
    stored: dict[str, str],
    schema: Schema,
    annotators: Annotators,
    summary: ReviewPullSummary,
) -> Iterator[dict[str, Any]]:
    data = task.get("data") if isinstance(task.get("data"), dict) else {}
    article_id, text, items = data.get("article_id"), data.get(schema.text_key), task.get("annotations") or []
    reader = ResultReader(schema)
    where = f"task {task.get('id')}"
    if not items:
        return
    if article_id not in stored or not isinstance(text, str):
        summary.refused.append(f"{where}: article {article_id!r} is not in the corpus; its decisions are ignored")
        return
    if corpus.text_sha256(text) != stored[article_id]:
        summary.refused.append(f"{where}: the text of article {article_id} changed since review; ignored")
        return
    to_codepoints = utf16_to_codepoints(text)
    for item in items:
        summary.decisions_read += 1
        if item.get("was_cancelled"):
            summary.skipped += 1
            continue
        try:
            read = reader.read(item.get("result"), text, to_codepoints)
            spans, choices, other, repairs = read.spans, read.choices, read.other, read.repairs
            adjudicator = annotators.pseudonym(item.get("completed_by"))
        except Refused as refused:
            summary.refused.append(f"{where} annotation {item.get('id')}: {refused.detail}")
            continue
        if repairs:
            done = ", ".join(f"{count} {name}" for name, count in sorted(repairs.items()))
            summary.repairs.append(f"{where} annotation {item.get('id')}: repaired {done}")
        decision = {
            "article_id": article_id,
            "sha256": stored[article_id],
            "spans": [{"start": s.start, "end": s.end, "label": s.label, "text": s.text_in(text)} for s in spans],
        }
        if schema.controls:
            decision["choices"] = choices
        if other:
            decision["other"] = other
        yield decision | {
            "adjudicator": adjudicator,
            "updated_at": item.get("updated_at") or item.get("created_at"),
            "origin": {"project": task.get("project"), "task": task.get("id"), "annotation": item.get("id")},
        }


def _keep_newest(decisions: dict[str, dict[str, Any]], decision: dict[str, Any], summary: ReviewPullSummary) -> None:
    earlier = decisions.get(decision["article_id"])
    if earlier is not None:
        summary.superseded += 1
        order = (timestamp(decision["updated_at"]), decision["origin"]["annotation"] or 0)
        if order < (timestamp(earlier["updated_at"]), earlier["origin"]["annotation"] or 0):
            return
    decisions[decision["article_id"]] = decision


def _gold_digests(workspace: Workspace) -> dict[str, bytes]:
    """article id -> digest of its gold record: 16 bytes an article, to tell what a re-settle changed."""
    return {record["article_id"]: record_digest(record) for record in workspace.read_gold()}
