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
    return f"annotate-{rules.RULES_VERSION}/{schema.id}"


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


def span_region(span: Span, text: str, index: int, schema: Schema) -> dict[str, Any]:
    """A Label Studio ``labels`` result for one span (ids are stable so the file is reproducible)."""
    return {
        "id": f"p{index}",
        "from_name": schema.span_control,
        "to_name": schema.text_name,
        "type": "labels",
        "value": {"start": span.start, "end": span.end, "text": span.text_in(text), "labels": [span.label]},
    }


def offset_problem(span: Span, text: str) -> str | None:
    """Why ``span``'s offsets cannot stand in ``text`` (the SDK checks labels, not offsets), or None."""
    if not 0 <= span.start < span.end <= len(text):
        return f"offsets outside 0..{len(text)}"
    covered = text[span.start : span.end]
    if covered != covered.strip():
        return f"span {covered!r} starts or ends with whitespace"
    return None


def checked_prediction(
    article_id: str, text: str, spans: Iterable[Span], schema: Schema, interface: Any, version: str
) -> tuple[dict[str, Any], list[RefusedRegion]]:
    """The prediction for one task, every region checked by the SDK's ``LabelInterface`` (names,
    type, labels of the config) and against its text; refused regions come back apart."""
    result: list[dict[str, Any]] = []
    refused: list[RefusedRegion] = []
    for span in spans:
        region = span_region(span, text, len(result) + 1, schema)
        errors = interface.validate_prediction({"result": [region]}, return_errors=True)
        problem = "; ".join(errors) if errors else offset_problem(span, text)
        if problem is None:
            result.append(region)
        else:
            refused.append(RefusedRegion(article_id, span, problem))
    return {"model_version": version, "result": result}, refused


def build(
    workspace: Workspace,
    out: Path | None = None,
    prelabel: bool = False,
    on_refused: Callable[[RefusedRegion], None] | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> TasksSummary:
    """Write one Label Studio task per corpus article to ``out`` (default ``tasks/tasks.json``).

    ``progress(done, total)`` is told after every task.
    """
    out = Path(out) if out else workspace.tasks_path
    schema = load_schema(workspace.schema_path)
    if prelabel and not set(rules.LABELS) & set(schema.label_names):
        raise AnnotateError(Messages.PRELABEL_NO_LABELS, rules=", ".join(rules.LABELS), schema=schema.id)
    interface = schema.label_interface()
    version = model_version(schema)
    total = _count_lines(workspace.articles_path)
    if total == 0:
        raise AnnotateError(Messages.CORPUS_EMPTY, path=workspace.relative(workspace.articles_path))
    summary = TasksSummary(out=workspace.relative(out), model_version=version if prelabel else None)
    per_label = Counter(dict.fromkeys(schema.label_names, 0))
    with atomic_write(out, "wb") as stream:
        stream.write(b"[")
        for article in workspace.read_articles():
            task = article_task(article, schema.text_key)
            if prelabel:
                spans = rules.prelabel(article["text"])
                prediction, refused = checked_prediction(
                    article["id"], article["text"], spans, schema, interface, version
                )
                task["predictions"] = [prediction]
                per_label.update(region["value"]["labels"][0] for region in prediction["result"])
                summary.refused_regions += len(refused)
                if on_refused:
                    for region in refused:
                        on_refused(region)
            stream.write(b",\n" if summary.tasks else b"\n")
            stream.write(orjson.dumps(task))
            summary.tasks += 1
            if progress:
                progress(summary.tasks, total)
        stream.write(b"\n]\n")
    if prelabel:
        summary.predictions = summary.tasks
        summary.regions_per_label = dict(per_label)
        summary.regions = sum(per_label.values())
    return summary


def _count_lines(path: Path) -> int:
    if not path.exists():
        return 0
    with path.open("rb") as lines:
        return sum(1 for line in lines if line.strip())
