"""The dataset itself: the features of the ``gold`` and ``annotations`` configs, their Parquet files
(one per config and split), and the check that ``datasets`` loads back exactly what was written.

Tokens and ``ner_tags`` are a view derived from the character spans (``annotate.tokens``). A gold
span that does not start and end on token boundaries, or that overlaps another, is kept exactly in
``spans`` and its tokens get -1 in ``ner_tags`` (``ClassLabel``'s "no label", as spaCy marks such
tokens "-"): it is reported, never shifted.

A schema's document-level controls are a column each, in both configs, named after the control (with
``choice_`` before a name another column has): a single choice is a ``ClassLabel`` of the control's
options (-1: none chosen, or none settled), a multiple choice or taxonomy a list of them (a taxonomy
option is its path, ``"Killed / Feloniously Killed"``).
"""

from __future__ import annotations

import contextlib
import tempfile
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from annotate.controls import check_selection
from annotate.errors import AnnotateError, Messages
from annotate.gold import settled_options
from annotate.release import hf_compat
from annotate.release.sources import CorpusIndex, GoldIndex
from annotate.release.splits import SPLITS, SplitAssignment
from annotate.release.summary import Misaligned, ReleaseSummary
from annotate.schema import Schema
from annotate.spans import Span
from annotate.tokens import spans_to_ner_tags, tokenize
from annotate.workspace import Workspace

CONFIGS = ("gold", "annotations")
ProgressCallback = Callable[[int], None]
# Every column either config has besides the controls': a control's column is never one of these.
COLUMNS = ("id", "article_id", "title", "text", "spans", "tokens", "token_starts", "token_ends", "ner_tags")
COLUMNS += ("annotator", "split")
CHOICE_PREFIX = "choice_"
NO_CHOICE = -1  # ClassLabel's "no label": a single choice with nothing chosen (or settled)
NONE_CHOSEN = "(none)"  # in the summary's counts: published articles with no option of a control settled


def choice_columns(schema: Schema) -> dict[str, str]:
    """Control name -> its column: the name, with ``choice_`` before it while another column has it."""
    taken, columns = set(COLUMNS), {}
    for control in schema.controls:
        column = control.name
        while column in taken or any(column == other.name for other in schema.controls if other is not control):
            column = CHOICE_PREFIX + column
        taken.add(column)
        columns[control.name] = column
    return columns


def choice_features(schema: Schema) -> dict[str, Any]:
    """Column -> feature of each control: ``ClassLabel`` of its options, or a list of them."""
    from datasets import ClassLabel, List

    columns = choice_columns(schema)
    found = {}
    for control in schema.controls:
        label = ClassLabel(names=control.option_names)
        found[columns[control.name]] = List(label) if control.multiple else label
    return found


def choice_values(schema: Schema, choices: dict[str, Any]) -> dict[str, Any]:
    """Column -> the row's value of each control, from ``{control: [option, ...]}``: class ids (-1: none).

    Raises ``ValueError`` (``controls.SelectionError``: a sentence) on what the control cannot hold.
    """
    columns, row = choice_columns(schema), {}
    for control in schema.controls:
        selected = choices.get(control.name) or []
        check_selection(control, selected)
        codes = sorted({control.option_names.index(option) for option in selected})
        row[columns[control.name]] = codes if control.multiple else (codes[0] if codes else NO_CHOICE)
    return row


def features(schema: Schema) -> dict[str, Any]:
    """The ``datasets.Features`` of each config, label names from the schema in its order."""
    from datasets import ClassLabel, Features, List, Value

    span = {
        "start": Value("int32"),
        "end": Value("int32"),
        "label": ClassLabel(names=schema.label_names),
        "text": Value("string"),
    }
    gold = Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "title": Value("string"),
            "text": Value("string"),
            "spans": List(span),
            "tokens": List(Value("string")),
            "token_starts": List(Value("int32")),
            "token_ends": List(Value("int32")),
            "ner_tags": List(ClassLabel(names=schema.bio_tags)),
            **choice_features(schema),
            "split": Value("string"),
        }
    )
    annotations = Features(
        {
            "id": Value("string"),
            "article_id": Value("string"),
            "annotator": Value("string"),
            "spans": List(span),
            **choice_features(schema),
            "split": Value("string"),
        }
    )
    return {"gold": gold, "annotations": annotations}


def data_path(config: str, split: str) -> str:
    """Where a config's split is, relative to the release folder (the Hub's one-shard layout)."""
    return f"{config}/{split}-00000-of-00001.parquet"


class _SplitWriters:
    """One ``datasets`` Parquet writer per split of a config; files only for splits that got rows."""

    def __init__(self, folder: Path, config: str, config_features: Any):
        self.folder, self.config, self.features = folder, config, config_features
        self.writers: dict[str, Any] = {}

    def write(self, split: str, row: dict[str, Any]) -> None:
        if split not in self.writers:
            self.writers[split] = self._open(split)
        self.writers[split].write(row)

    def _open(self, split: str) -> Any:
        path = self.folder / data_path(self.config, split)
        path.parent.mkdir(parents=True, exist_ok=True)
        return hf_compat.parquet_writer(path, self.features, batch_size=1000)

    def finish(self) -> dict[str, dict[str, int]]:
        """``{split: {"num_examples", "num_bytes" (Arrow, as datasets counts it), "download_size"}}``."""
        sizes = {}
        for split in SPLITS:
            if split in self.writers:
                examples, nbytes = self.writers[split].finalize()
                path = self.folder / data_path(self.config, split)
                sizes[split] = {"num_examples": examples, "num_bytes": nbytes, "download_size": path.stat().st_size}
        return sizes


# -- rows ------------------------------------------------------------------------------------------


def _gold_row(article: dict[str, Any], record: dict[str, Any], split: str, schema: Schema) -> tuple:
    text, tag_names = article["text"], schema.bio_tags
    tokens = tokenize(text)
    spans = [_span(span) for span in record["spans"]]
    tags, refused = spans_to_ner_tags(tokens, [Span(s["start"], s["end"], s["label"]) for s in spans], tag_names)
    row = {
        "id": article["id"],
        "article_id": article["id"],
        "title": article.get("title") or "",
        "text": text,
        "spans": spans,
        "tokens": [text[start:end] for start, end in tokens],
        "token_starts": [start for start, _ in tokens],
        "token_ends": [end for _, end in tokens],
        "ner_tags": tags,
        **choice_values(schema, settled_options(record, [control.name for control in schema.controls])),
        "split": split,
    }
    misaligned = [
        Misaligned(article["id"], span.start, span.end, span.label, text[span.start : span.end], reason)
        for span, reason in refused
    ]
    return row, misaligned


def _span(span: dict[str, Any]) -> dict[str, Any]:
    """The published form of a span: offsets, label and text only (no support: pseudonyms stay per config)."""
    return {"start": span["start"], "end": span["end"], "label": span["label"], "text": span["text"]}


def write_gold(
    folder: Path,
    workspace: Workspace,
    schema: Schema,
    gold: GoldIndex,
    corpus: CorpusIndex,
    assignment: SplitAssignment,
    summary: ReleaseSummary,
    progress: ProgressCallback | None,
) -> dict[str, dict[str, int]]:
    writers = _SplitWriters(folder, "gold", features(schema)["gold"])
    with workspace.gold_path.open("rb") as gold_stream, workspace.articles_path.open("rb") as corpus_stream:
        for article_id in sorted(assignment.splits):
            split = assignment.splits[article_id]
            record = gold.index.read(article_id, gold_stream)
            article = corpus.index.read(article_id, corpus_stream)
            row, misaligned = _checked_gold_row(workspace, gold, article, record, split, schema)
            writers.write(split, row)
            summary.misaligned.extend(misaligned)
            summary.articles_per_split[split] += 1
            summary.published_with_conflicts += bool(record.get("conflicts"))
            for span in record["spans"]:
                summary.spans[span["label"]] += 1
                summary.spans_per_split.setdefault(split, Counter())[span["label"]] += 1
                summary.settled[str(span.get("settled"))] += 1
            for control in schema.controls:
                entry = record["choices"][control.name]
                summary.choices.setdefault(control.name, Counter(dict.fromkeys(control.option_names, 0)))
                summary.choices[control.name].update(entry["value"] or [NONE_CHOSEN])
            if progress:
                progress(1)
    return writers.finish()


def _checked_gold_row(
    workspace: Workspace,
    gold: GoldIndex,
    article: dict[str, Any],
    record: dict[str, Any],
    split: str,
    schema: Schema,
) -> tuple:
    """``_gold_row``, or the one-line refusal naming the gold line whose choices do not fit the schema."""
    shown, line = workspace.relative(workspace.gold_path), gold.index.lines[article["id"]]
    try:
        return _gold_row(article, record, split, schema)
    except KeyError as missing:
        raise AnnotateError(
            Messages.GOLD_WITHOUT_CHOICES, path=shown, line=line, article=article["id"], control=missing.args[0]
        ) from None
    except ValueError as problem:
        raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=line, problem=str(problem)) from None


def published_annotations(
    workspace: Workspace, assignment: SplitAssignment, corpus: CorpusIndex, excluded: Counter, schema: Schema
):
    """The submitted annotation records of published articles, on the published text, with choices the
    schema's controls can hold; the rest counted."""
    for record in workspace.read_annotations():
        if record.get("status") != "submitted":
            excluded["not_submitted"] += 1
        elif record["article_id"] not in assignment.splits:
            excluded["article_not_published"] += 1
        elif record.get("sha256") != corpus.sha256[record["article_id"]]:
            excluded["text_changed"] += 1
        elif schema.controls and not fits_schema(schema, record):
            excluded["choices_not_in_schema"] += 1
        else:
            yield record


def fits_schema(schema: Schema, record: dict[str, Any]) -> bool:
    """Whether the schema's controls can hold the record's choices (a release column per control)."""
    try:
        choice_values(schema, record.get("choices") or {})
    except ValueError:
        return False
    return True


def write_annotations(
    folder: Path,
    workspace: Workspace,
    schema: Schema,
    corpus: CorpusIndex,
    assignment: SplitAssignment,
    summary: ReleaseSummary,
) -> dict[str, dict[str, int]]:
    writers = _SplitWriters(folder, "annotations", features(schema)["annotations"])
    for record in published_annotations(workspace, assignment, corpus, summary.annotations_excluded, schema):
        split = assignment.splits[record["article_id"]]
        writers.write(
            split,
            {
                "id": f"{record['article_id']}-{record['annotator']}",
                "article_id": record["article_id"],
                "annotator": record["annotator"],
                "spans": [_span(span) for span in record["spans"]],
                **(choice_values(schema, record.get("choices") or {}) if schema.controls else {}),
                "split": split,
            },
        )
        summary.annotations_per_split[split] += 1
    return writers.finish()


# -- the reload check ------------------------------------------------------------------------------


def check_release(folder: Path, schema: Schema, sizes: dict[str, dict[str, dict[str, int]]]) -> None:
    """Load every config back with ``datasets.load_dataset``: the features, label names and split sizes
    must be exactly the ones written, or the publish fails."""
    import datasets

    expected = features(schema)
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the check is part of publish, which has its own progress
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: datasets.enable_progress_bars() if bars_were_on else None)
        cache = stack.enter_context(tempfile.TemporaryDirectory(prefix="annotate-check-"))
        for config in sizes:
            problem = None
            try:
                loaded = datasets.load_dataset(str(folder), config, cache_dir=cache)
            except Exception as exc:  # any failure to load is the failure the check exists for
                raise AnnotateError(
                    Messages.RELEASE_CHECK_FAILED, config=config, problem=f"an error ({type(exc).__name__}: {exc})"
                ) from None
            got = {split: loaded[split].num_rows for split in loaded}
            wanted = {split: size["num_examples"] for split, size in sizes[config].items()}
            if got != wanted:
                problem = f"split sizes {got}, not {wanted}"
            for split in loaded:
                if loaded[split].features != expected[config]:
                    problem = f"features {loaded[split].features} in {split}, not {expected[config]}"
            if config == "gold" and problem is None:
                split = next(iter(loaded))
                tags = loaded[split].features["ner_tags"].feature.names
                labels = loaded[split].features["spans"].feature["label"].names
                if tags != schema.bio_tags or labels != schema.label_names:
                    problem = f"label names {labels} / {tags}"
            if problem is None:
                problem = _choice_names_problem(schema, loaded[next(iter(loaded))].features)
            if problem:
                raise AnnotateError(Messages.RELEASE_CHECK_FAILED, config=config, problem=problem)


def _choice_names_problem(schema: Schema, loaded: Any) -> str | None:
    """What differs between the loaded control columns' class names and the controls' options, or None."""
    columns = choice_columns(schema)
    for control in schema.controls:
        feature = loaded[columns[control.name]]
        names = (feature.feature if control.multiple else feature).names
        if names != control.option_names:
            return f"the options of '{control.name}' came back as {names}"
    return None
