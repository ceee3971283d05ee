"""The tasks stage: corpus articles (+ pre-annotations) -> a Label Studio import file.

One task per article, ``data = {text, title, article_id, sha256}``: ``article_id`` is how a task is
matched back to the corpus when annotations come home, and ``sha256`` tells whether the text the
annotator saw is still the text in the corpus. The file is a JSON array written one task at a time.

Offsets in predictions are Python code points, which is what Label Studio stores; every prediction
is checked with the SDK's ``LabelInterface`` and against its own text before it is written, and a
region that fails is left out and reported, never written broken.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotate import prelabel as rules
from annotate.errors import AnnotateError, Messages
from annotate.prelabel.annotators import RULES, PreAnnotator, Suggestion, pre_annotator, rules_version
from annotate.schema import TEXT_KEY, Schema, load_schema
from annotate.spans import Span
from annotate.workspace import Workspace, atomic_write


@dataclass(frozen=True)
class RefusedRegion:
    """A predicted region that failed validation and was left out of its task."""

    article_id: str
    span: Span
    reason: str

    def __str__(self) -> str:
        start, end, label = self.span
        return f"article {self.article_id}: predicted {label} [{start}:{end}] left out: {self.reason}"


@dataclass
class TasksSummary:
    out: str
    tasks: int = 0
    predictions: int = 0
    regions: int = 0
    regions_per_label: dict[str, int] = field(default_factory=dict)
    refused_regions: int = 0
    model_version: str | None = None

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def model_version(schema: Schema) -> str:
    """Names the rules and the schema the pre-annotations were made with."""
    return rules_version(schema)


def article_task(article: dict[str, Any], text_key: str = TEXT_KEY) -> dict[str, Any]:
    """A Label Studio task for an article: its text under the schema's data key (``$text`` unless the
    schema says otherwise), with what import needs to match the annotations back (``article_id``, ``sha256``)."""
    return {
        "data": {
            text_key: article["text"],
            "title": article.get("title") or "",
            "article_id": article["id"],
            "sha256": article["sha256"],
        }
    }


def span_region(span: Span, text: str, index: int, schema: Schema, score: float | None = None) -> dict[str, Any]:
    """A Label Studio ``labels`` result for one span (ids are stable so the file is reproducible), with the
    pre-annotator's ``score`` for it when it gives one."""
    region = {
        "id": f"p{index}",
        "from_name": schema.span_control,
        "to_name": schema.text_name,
        "type": "labels",
        "value": {"start": span.start, "end": span.end, "text": span.text_in(text), "labels": [span.label]},
    }
    if score is not None:
        region["score"] = score
    return region


def offset_problem(span: Span, text: str) -> str | None:
    """Why ``span``'s offsets cannot stand in ``text`` (the SDK checks labels, not offsets), or None."""
    if not 0 <= span.start < span.end <= len(text):
        return f"offsets outside 0..{len(text)}"
    covered = text[span.start : span.end]
    if covered != covered.strip():
        return f"span {covered!r} starts or ends with whitespace"
    return None


def checked_prediction(
    article_id: str,
    text: str,
    spans: Iterable[Span | Suggestion],
    schema: Schema,
    interface: Any,
    version: str,
) -> tuple[dict[str, Any], list[RefusedRegion]]:
    """The prediction for one task, every region checked by the SDK's ``LabelInterface`` (names,
    type, labels of the config) and against its text; refused regions come back apart.

    A suggestion's score goes on its region; the prediction's ``score`` is the lowest of them (how sure the
    pre-annotator is of its least sure region: Label Studio sorts tasks by it), absent when none has one."""
    result: list[dict[str, Any]] = []
    refused: list[RefusedRegion] = []
    for item in spans:
        span, score = (item.span, item.score) if isinstance(item, Suggestion) else (item, None)
        region = span_region(span, text, len(result) + 1, schema, score)
        errors = interface.validate_prediction({"result": [region]}, return_errors=True)
        problem = "; ".join(errors) if errors else offset_problem(span, text)
        if problem is None:
            result.append(region)
        else:
            refused.append(RefusedRegion(article_id, span, problem))
    prediction: dict[str, Any] = {"model_version": version, "result": result}
    scores = [region["score"] for region in result if "score" in region]
    if scores:
        prediction["score"] = min(scores)
    return prediction, refused


def build(
    workspace: Workspace,
    out: Path | None = None,
    prelabel: bool | str = False,
    on_refused: Callable[[RefusedRegion], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TasksSummary:
    """Write one Label Studio task per corpus article to ``out`` (default ``tasks/tasks.json``).

    ``prelabel``: False, True (the rules), or a pre-annotator's name: ``rules``, ``model:PATH``,
    ``rules+model:PATH`` (``annotate.prelabel.annotators``). ``progress(done, total)`` is told after every task.
    """
    out = Path(out) if out else workspace.tasks_path
    schema = load_schema(workspace.schema_path)
    spec = RULES if prelabel is True else prelabel or None
    if spec == RULES and not set(rules.LABELS) & set(schema.label_names):
        raise AnnotateError(Messages.PRELABEL_NO_LABELS, rules=", ".join(rules.LABELS), schema=schema.id)
    annotator = pre_annotator(spec, schema, workspace.root) if spec else None
    interface = schema.label_interface()
    total = _count_lines(workspace.articles_path)
    if total == 0:
        raise AnnotateError(Messages.CORPUS_EMPTY, path=workspace.relative(workspace.articles_path))
    summary = TasksSummary(out=workspace.relative(out), model_version=annotator.version if annotator else None)
    per_label = Counter(dict.fromkeys(schema.label_names, 0))
    with atomic_write(out, "wb") as stream:
        stream.write(b"[")
        for batch in _batches(workspace.read_articles(), PREDICT_BATCH):
            found = annotator.predict([article["text"] for article in batch]) if annotator else [None] * len(batch)
            for article, suggestions in zip(batch, found, strict=True):
                task = article_task(article, schema.text_key)
                if annotator is not None:
                    task["predictions"] = [
                        _prediction(article, suggestions, schema, interface, annotator, summary, per_label, on_refused)
                    ]
                stream.write(b",\n" if summary.tasks else b"\n")
                stream.write(orjson.dumps(task))
                summary.tasks += 1
                if progress:
                    progress(summary.tasks, total)
        stream.write(b"\n]\n")
    if annotator is not None:
        summary.predictions = summary.tasks
        summary.regions_per_label = dict(per_label)
        summary.regions = sum(per_label.values())
    return summary


PREDICT_BATCH = 32  # articles a model reads at once


def _batches(items: Iterable[dict[str, Any]], size: int) -> Iterable[list[dict[str, Any]]]:
    batch: list[dict[str, Any]] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch


def _prediction(
    article: dict[str, Any],
    suggestions: list[Suggestion],
    schema: Schema,
    interface: Any,
    annotator: PreAnnotator,
    summary: TasksSummary,
    per_label: Counter,
    on_refused: Callable[[RefusedRegion], None] | None,
) -> dict[str, Any]:
    prediction, refused = checked_prediction(
        article["id"], article["text"], suggestions, schema, interface, annotator.version
    )
    per_label.update(region["value"]["labels"][0] for region in prediction["result"])
    summary.refused_regions += len(refused)
    if on_refused:
        for region in refused:
            on_refused(region)
    return prediction


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.strip())
