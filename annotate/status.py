"""How a campaign is going: a Label Studio project read through its API, summed up.

Per annotator: submitted, skipped, what is left in their queue, median lead time, spans per article.
Per round (``data.round``, set by ``annotate push --round``): articles complete, in progress and
untouched. For pre-annotated tasks: how many predicted spans the annotators kept, changed or deleted, over all
and per pre-annotator version (the predictions' ``model_version``: the rules, a model, both), so a lead sees
whether a model helps.
And the articles still waiting for their N-th annotator.

Tasks are listed page by page with their overlap target and predictions (the export gives only the
predictions' ids), and each batch of them is fetched with its annotations through the export
endpoint, as pull does; only counters and the list of articles awaited stay in memory.
Annotators are named by the pseudonyms of ``annotations/annotators.json`` (the same ``ann-NN`` as
in imported records), by e-mail only when asked; Label Studio user ids never appear.
"""

from __future__ import annotations

import itertools
import statistics
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from annotate.imports import ANNOTATORS_FILE, Annotators, Refused, ResultReader, utf16_to_codepoints
from annotate.pull import DEFAULT_BATCH_SIZE, exported_tasks
from annotate.push import OVERLAP_FIELDS
from annotate.schema import Schema, load_schema
from annotate.spans import Span
from annotate.studio import Studio
from annotate.workspace import Workspace

OUTCOMES = ("kept", "changed", "deleted")
NO_ROUND = None  # the round of a task pushed without --round
IGNORE_SKIPPED = "IGNORE_SKIPPED"  # Label Studio's skip_queue under which a skip completes a task


@dataclass
class _Annotator:
    submitted: int = 0
    skipped: int = 0
    spans: int = 0
    lead_times: list[float] = field(default_factory=list)
    open_tasks_touched: int = 0  # tasks still short of annotations that this annotator annotated or skipped


@dataclass
class _Round:
    articles: int = 0
    complete: int = 0
    in_progress: int = 0
    untouched: int = 0


def prediction_outcome(predicted: Span, annotated: set[Span]) -> str:
    """What an annotator did with a predicted span: ``kept`` (the same start, end and label),
    ``changed`` (an overlapping span of another extent or label) or ``deleted`` (nothing overlapping)."""
    if predicted in annotated:
        return "kept"
    return "changed" if any(predicted.overlaps(span) for span in annotated) else "deleted"


class _Tally:
    def __init__(self, schema: Schema, annotators: Annotators, skips_complete: bool):
        labels = schema.label_names
        self.labels = labels
        self.reader = ResultReader(schema)
        self.annotators = annotators
        self.skips_complete = skips_complete
        self.people: dict[str, _Annotator] = {}
        self.rounds: dict[str | None, _Round] = {}
        self.acceptance = {label: Counter(dict.fromkeys(OUTCOMES, 0)) for label in labels}
        self.by_version: dict[str, dict[str, Counter[str]]] = {}  # model_version -> label -> outcome -> count
        self.version_tasks: Counter[str] = Counter()
        self.waiting: list[dict[str, Any]] = []
        self.tasks = 0
        self.open_tasks = 0
        self.pre_annotated_tasks = 0
        self.unreadable: Counter[str] = Counter()  # annotations or predictions left out, by reason

    def task(self, task: dict[str, Any], target: int, predictions: list[tuple[str | None, Any]]) -> None:
        """One exported task, with its overlap target and its predictions (from the listing): each a
        ``(model_version, result)`` pair."""
        self.tasks += 1
        data = task.get("data") or {}
        text = str(data.get(self.reader.schema.text_key) or data.get("text") or "")
        to_codepoints = utf16_to_codepoints(text)
        done: list[tuple[str, list[Span] | None]] = []  # (annotator, spans) of submitted annotations
        touched: set[str] = set()
        for annotation in task.get("annotations") or []:
            try:
                name = self.annotators.pseudonym(annotation.get("completed_by"))
            except Refused:
                self.unreadable["annotation without annotator"] += 1
                continue
            touched.add(name)
            person = self.people.setdefault(name, _Annotator())
            if annotation.get("was_cancelled"):
                person.skipped += 1
                continue
            person.submitted += 1
            if isinstance(annotation.get("lead_time"), (int, float)):
                person.lead_times.append(float(annotation["lead_time"]))
            spans = self._spans(annotation.get("result"), text, to_codepoints, "annotation")
            person.spans += len(spans or ())
            done.append((name, spans))
        skipped = sum(1 for a in task.get("annotations") or [] if a.get("was_cancelled"))
        completed = len(done) + (skipped if self.skips_complete else 0)
        self._progress(data.get("round", NO_ROUND), completed, target, bool(touched))
        if completed < target:
            self.open_tasks += 1
            for name in touched:
                self.people[name].open_tasks_touched += 1
            if target > 1 and done:
                self.waiting.append(
                    {
                        "article_id": data.get("article_id"),
                        "task": task.get("id"),
                        "round": data.get("round", NO_ROUND),
                        "annotators": sorted(name for name, _ in done),
                        "target": target,
                    }
                )
        self._predictions(predictions, text, to_codepoints, done)

    def _progress(self, round_name: str | None, completed: int, target: int, touched: bool) -> None:
        progress = self.rounds.setdefault(round_name, _Round())
        progress.articles += 1
        if completed >= target:
            progress.complete += 1
        elif touched:
            progress.in_progress += 1
        else:
            progress.untouched += 1

    def _spans(self, result: Any, text: str, to_codepoints: Any, kind: str) -> list[Span] | None:
        try:
            spans = self.reader.read(result, text, to_codepoints).spans
        except Refused as refused:
            self.unreadable[f"{kind}: {refused.reason}"] += 1
            return None
        return spans

    def _predictions(
        self,
        predictions: list[tuple[str | None, Any]],
        text: str,
        to_codepoints: Any,
        done: list[tuple[str, list[Span] | None]],
    ) -> None:
        predicted: set[Span] = set()
        per_version: dict[str, set[Span]] = {}
        for version, result in predictions:
            spans = set(self._spans(result, text, to_codepoints, "prediction") or ())
            predicted.update(spans)
            if spans:
                per_version.setdefault(version or "(no model_version)", set()).update(spans)
        if not predicted:
            return
        self.pre_annotated_tasks += 1
        for version in per_version:
            self.version_tasks[version] += 1
        for _, spans in done:
            if spans is None:  # an unreadable annotation is counted there, not judged here
                continue
            annotated = set(spans)
            outcome = {span: prediction_outcome(span, annotated) for span in predicted}
            for span in predicted:
                self.acceptance[span.label][outcome[span]] += 1
            for version, version_spans in per_version.items():
                counts = self.by_version.setdefault(version, {})
                for span in version_spans:
                    counts.setdefault(span.label, Counter(dict.fromkeys(OUTCOMES, 0)))[outcome[span]] += 1


def status(
    workspace: Workspace,
    studio: Studio,
    project: str,
    show_emails: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> dict[str, Any]:
    """The state of ``project``'s annotation, read from the server (see the module's docstring).

    Annotators are pseudonyms unless ``show_emails``; ``progress(done, total)`` hears of tasks read.
    """
    found = studio.project(project)
    settings = studio.client.projects.get(found.id)
    schema = load_schema(workspace.schema_path)
    annotators = Annotators(workspace.annotations_dir / ANNOTATORS_FILE, studio.users_by_id())
    tally = _Tally(schema, annotators, settings.skip_queue == IGNORE_SKIPPED)
    listing = studio.tasks(found.id, include="id,overlap,predictions")
    while chunk := {task.id: task for task in itertools.islice(listing, batch_size)}:
        for tasks in exported_tasks(studio, found.id, sorted(chunk), batch_size):
            for task in tasks:
                listed = chunk[task["id"]]
                predictions = [(p.model_version, p.result) for p in listed.predictions or []]
                tally.task(task, int(listed.overlap or 1), predictions)
        if progress:
            progress(tally.tasks, max(tally.tasks, settings.task_number or 0))
    annotators.save()
    emails = {name: key.split(":", 1)[1] for key, name in annotators.keys.items() if key.startswith("email:")}
    shown = (lambda name: emails.get(name, name)) if show_emails else (lambda name: name)
    recorded = {r["round"]: r["sample"] for r in workspace.read_rounds() if r["project"] == project}
    return {
        "project": project,
        "project_id": found.id,
        "url": studio.project_url(found.id),
        "overlap": {ours: getattr(settings, theirs) for ours, theirs in OVERLAP_FIELDS.items()},
        "tasks": tally.tasks,
        "open_tasks": tally.open_tasks,
        "annotators": [
            _annotator_row(shown(name), person, tally.open_tasks) for name, person in sorted(tally.people.items())
        ],
        "rounds": [
            {"round": name, "recorded": recorded.get(name), **vars(progress_)}
            for name, progress_ in sorted(tally.rounds.items(), key=lambda item: (item[0] is not None, item[0] or ""))
        ],
        "pre_annotations": _acceptance(tally),
        "waiting": {
            "count": len(tally.waiting),
            "articles": [{**entry, "annotators": [shown(n) for n in entry["annotators"]]} for entry in tally.waiting],
        },
        "left_out": dict(tally.unreadable),
    }


def _annotator_row(name: str, person: _Annotator, open_tasks: int) -> dict[str, Any]:
    return {
        "annotator": name,
        "submitted": person.submitted,
        "skipped": person.skipped,
        "remaining": open_tasks - person.open_tasks_touched,
        "median_lead_time": statistics.median(person.lead_times) if person.lead_times else None,
        "spans_per_article": person.spans / person.submitted if person.submitted else None,
    }


def _acceptance(tally: _Tally) -> dict[str, Any]:
    def row(counts: Counter[str]) -> dict[str, Any]:
        judged = sum(counts[outcome] for outcome in OUTCOMES)
        return {
            **{outcome: counts[outcome] for outcome in OUTCOMES},
            "predicted": judged,
            "acceptance": counts["kept"] / judged if judged else None,
        }

    overall = sum(tally.acceptance.values(), Counter())
    return {
        "tasks": tally.pre_annotated_tasks,
        "per_label": {label: row(counts) for label, counts in tally.acceptance.items()},
        "all": row(overall),
        "per_version": {
            version: {
                "tasks": tally.version_tasks[version],
                "per_label": {label: row(counts) for label, counts in by_label.items()},
                "all": row(sum(by_label.values(), Counter())),
            }
            for version, by_label in sorted(tally.by_version.items())
        },
    }
