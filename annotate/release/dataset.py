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
import gc
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
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
from annotate.tokens import ner_tags_batch, token_utf8
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


@contextlib.contextmanager
def frozen_heap() -> Iterator[None]:
    """The objects alive on entry left out of garbage collection until exit (``gc.freeze``).

    Why: publish makes millions of short-lived objects (rows, spans, tokens), and each full collection they
    set off walks every object alive -- the modules of ``datasets``, pyarrow, pandas and the SDK among them
    -- which cost about a third of the time of writing the Parquet files. Nothing frozen is lost: freed
    objects are still freed by their reference counts.
    """
    was_frozen = gc.get_freeze_count() > 0
    gc.freeze()
    try:
        yield
    finally:
        if not was_frozen:
            gc.unfreeze()


def data_path(config: str, split: str) -> str:
    """Where a config's split is, relative to the release folder (the Hub's one-shard layout)."""
    return f"{config}/{split}-00000-of-00001.parquet"


ROWS_PER_WRITE = 1000  # rows per Arrow table handed to the writer: one Parquet row group each


class _SplitTables:
    """A config's rows gathered per split and written ``ROWS_PER_WRITE`` at a time, each batch built into one
    Arrow table (``build``) and handed to ``datasets``' Parquet writer, which writes and counts it exactly as it
    writes and counts the same rows given one by one; files only for splits that got rows."""

    def __init__(self, folder: Path, config: str, config_features: Any, build: Callable[[list], Any]):
        self.folder, self.config, self.features, self.build = folder, config, config_features, build
        self.pending: dict[str, list] = {split: [] for split in SPLITS}
        self.writers: dict[str, Any] = {}
        self.samples: dict[str, list[dict[str, Any]]] = {}  # the first rows of each split, for the reload check

    def add(self, split: str, item: Any) -> None:
        self.pending[split].append(item)
        if len(self.pending[split]) >= ROWS_PER_WRITE:
            self._write(split)

    def _write(self, split: str) -> None:
        if split not in self.writers:
            path = self.folder / data_path(self.config, split)
            path.parent.mkdir(parents=True, exist_ok=True)
            self.writers[split] = hf_compat.parquet_writer(path, self.features, batch_size=ROWS_PER_WRITE)
        table = self.build(self.pending[split])
        self.pending[split] = []
        if split not in self.samples:
            self.samples[split] = table.slice(0, SAMPLE_ROWS).to_pylist()
        self.writers[split].write_table(table)

    def finish(self) -> dict[str, dict[str, int]]:
        """``{split: {"num_examples", "num_bytes" (Arrow, as datasets counts it), "download_size"}}``."""
        sizes = {}
        for split in SPLITS:
            if self.pending[split]:
                self._write(split)
            if split in self.writers:
                examples, nbytes = self.writers[split].finalize()
                path = self.folder / data_path(self.config, split)
                sizes[split] = {"num_examples": examples, "num_bytes": nbytes, "download_size": path.stat().st_size}
        return sizes


# -- rows ------------------------------------------------------------------------------------------


def _span_column(spans: list[list[dict[str, Any]]], label_names: list[str], span_type: Any) -> Any:
    """The ``spans`` column from the records' spans (their offsets, label and text; nothing else is read, so no
    support or pseudonym is published): each label as its class id. ``ValueError`` on a label the schema
    lacks or a span without one of the four."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = list(span_type.value_type)
    read = pa.array(
        [span for row in spans for span in row],
        type=pa.struct([(field.name, pa.string() if field.name == "label" else field.type) for field in fields]),
    )
    codes = pc.index_in(read.field("label"), value_set=pa.array(label_names, type=pa.string()))
    if codes.null_count or any(read.field(field.name).null_count for field in fields):
        raise ValueError(f"a span without start, end, text or a label of the schema ({', '.join(label_names)})")
    values = pa.StructArray.from_arrays(
        [read.field("start"), read.field("end"), codes.cast(fields[2].type), read.field("text")], fields=fields
    )
    pointers = np.concatenate(([0], np.cumsum([len(row) for row in spans]))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(pointers), values, type=span_type)


def _list_column(values: Any, pointers: Any, value_type: Any) -> Any:
    """A list column from flat values and row boundaries (``pointers``, one more than rows)."""
    import numpy as np
    import pyarrow as pa

    return pa.ListArray.from_arrays(pa.array(np.asarray(pointers, dtype=np.int32)), pa.array(values, type=value_type))


def _choice_columns(schema: Schema, rows: list[dict[str, Any]], config_features: Any) -> dict[str, Any]:
    import pyarrow as pa

    columns = choice_columns(schema).values()
    return {
        column: pa.array([row[column] for row in rows], type=config_features.arrow_schema.field(column).type)
        for column in columns
    }


def _gold_table(items: list[tuple], schema: Schema, config_features: Any, misaligned: list[Misaligned]) -> Any:
    """One Arrow table of gold rows from ``(article, spans, choice values, split)`` items: the texts tokenized
    and tagged in one pass (``tokens.ner_tags_batch``); the spans tags cannot hold go to ``misaligned``."""
    import numpy as np
    import pyarrow as pa

    texts = [article["text"] for article, _, _, _ in items]
    spans = [[Span(s["start"], s["end"], s["label"]) for s in row_spans] for _, row_spans, _, _ in items]
    starts, ends, pointers, tags, refused = ner_tags_batch(texts, spans, schema.bio_tags)
    data, offsets = token_utf8(texts, starts, ends, pointers)
    tokens = pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets.astype(np.int32)), pa.py_buffer(data))
    for (article, _, _, _), found in zip(items, refused, strict=True):
        text = article["text"]
        misaligned.extend(
            Misaligned(article["id"], span.start, span.end, span.label, text[span.start : span.end], reason)
            for span, reason in found
        )
    ids = [article["id"] for article, _, _, _ in items]
    columns = {
        "id": pa.array(ids, type=pa.string()),
        "article_id": pa.array(ids, type=pa.string()),
        "title": pa.array([article.get("title") or "" for article, _, _, _ in items], type=pa.string()),
        "text": pa.array(texts, type=pa.string()),
        "spans": _span_column(
            [row_spans for _, row_spans, _, _ in items],
            schema.label_names,
            config_features.arrow_schema.field("spans").type,
        ),
        "tokens": pa.ListArray.from_arrays(pa.array(pointers.astype(np.int32)), tokens),
        "token_starts": _list_column(starts, pointers, pa.int32()),
        "token_ends": _list_column(ends, pointers, pa.int32()),
        "ner_tags": _list_column(tags, pointers, pa.int64()),
        **_choice_columns(schema, [values for _, _, values, _ in items], config_features),
        "split": pa.array([split for _, _, _, split in items], type=pa.string()),
    }
    return pa.Table.from_pydict(columns, schema=config_features.arrow_schema)


def write_gold(
    folder: Path,
    workspace: Workspace,
    schema: Schema,
    gold: GoldIndex,
    corpus: CorpusIndex,
    assignment: SplitAssignment,
    summary: ReleaseSummary,
    progress: ProgressCallback | None,
    samples: dict[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """The ``gold`` config's Parquet files; their sizes. ``samples`` gets ``{"gold": the first rows of each split}``."""
    config_features = features(schema)["gold"]
    misaligned: list[Misaligned] = []
    tables = _SplitTables(
        folder, "gold", config_features, lambda items: _gold_table(items, schema, config_features, misaligned)
    )
    controls, label_names = [control.name for control in schema.controls], set(schema.label_names)
    with (
        frozen_heap(),
        workspace.gold_path.open("rb") as gold_stream,
        workspace.articles_path.open("rb") as corpus_stream,
    ):
        for article_id in sorted(assignment.splits):
            split = assignment.splits[article_id]
            record = gold.index.read(article_id, gold_stream)
            article = corpus.index.read(article_id, corpus_stream)
            spans = record["spans"]
            labels = [span["label"] for span in spans]
            unknown = set(labels) - label_names
            if unknown:
                problem = f"article {article_id} has a span labelled {sorted(unknown)[0]!r}, not a label of the schema"
                _refuse_gold(workspace, gold, article_id, problem)
            tables.add(split, (article, spans, _checked_choices(workspace, gold, schema, record, controls), split))
            summary.articles_per_split[split] += 1
            summary.published_with_conflicts += bool(record.get("conflicts"))
            summary.spans.update(labels)
            summary.spans_per_split.setdefault(split, Counter()).update(labels)
            summary.settled.update(str(span.get("settled")) for span in record["spans"])
            for control in schema.controls:
                entry = record["choices"][control.name]
                summary.choices.setdefault(control.name, Counter(dict.fromkeys(control.option_names, 0)))
                summary.choices[control.name].update(entry["value"] or [NONE_CHOSEN])
            if progress:
                progress(1)
        sizes = tables.finish()
    if samples is not None:
        samples["gold"] = tables.samples
    # Batches are written a split at a time: the spans are reported in article order, as the rows are.
    summary.misaligned.extend(sorted(misaligned, key=lambda m: (m.article_id, m.start, m.end, m.label, m.reason)))
    return sizes


def _refuse_gold(workspace: Workspace, gold: GoldIndex, article_id: str, problem: str) -> None:
    shown, line = workspace.relative(workspace.gold_path), gold.index.lines[article_id]
    raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=line, problem=problem)


def _checked_choices(
    workspace: Workspace, gold: GoldIndex, schema: Schema, record: dict[str, Any], controls: list[str]
) -> dict[str, Any]:
    """The record's choice columns, or the one-line refusal naming the gold line whose choices do not fit."""
    try:
        return choice_values(schema, settled_options(record, controls))
    except KeyError as missing:
        shown, line = workspace.relative(workspace.gold_path), gold.index.lines[record["article_id"]]
        raise AnnotateError(
            Messages.GOLD_WITHOUT_CHOICES, path=shown, line=line, article=record["article_id"], control=missing.args[0]
        ) from None
    except ValueError as problem:
        _refuse_gold(workspace, gold, record["article_id"], str(problem))
        raise  # not reached: _refuse_gold raises


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


def _annotations_table(rows: list[dict[str, Any]], schema: Schema, config_features: Any) -> Any:
    import pyarrow as pa

    columns = {
        "id": pa.array([row["id"] for row in rows], type=pa.string()),
        "article_id": pa.array([row["article_id"] for row in rows], type=pa.string()),
        "annotator": pa.array([row["annotator"] for row in rows], type=pa.string()),
        "spans": _span_column(
            [row["spans"] for row in rows], schema.label_names, config_features.arrow_schema.field("spans").type
        ),
        **_choice_columns(schema, rows, config_features),
        "split": pa.array([row["split"] for row in rows], type=pa.string()),
    }
    return pa.Table.from_pydict(columns, schema=config_features.arrow_schema)


def write_annotations(
    folder: Path,
    workspace: Workspace,
    schema: Schema,
    corpus: CorpusIndex,
    assignment: SplitAssignment,
    summary: ReleaseSummary,
    samples: dict[str, Any] | None = None,
) -> dict[str, dict[str, int]]:
    """The ``annotations`` config's Parquet files; their sizes. ``samples`` as for ``write_gold``."""
    config_features = features(schema)["annotations"]
    tables = _SplitTables(
        folder, "annotations", config_features, lambda rows: _annotations_table(rows, schema, config_features)
    )
    with frozen_heap():
        _add_annotations(tables, workspace, schema, corpus, assignment, summary)
        sizes = tables.finish()
    if samples is not None:
        samples["annotations"] = tables.samples
    return sizes


def _add_annotations(
    tables: _SplitTables,
    workspace: Workspace,
    schema: Schema,
    corpus: CorpusIndex,
    assignment: SplitAssignment,
    summary: ReleaseSummary,
) -> None:
    for record in published_annotations(workspace, assignment, corpus, summary.annotations_excluded, schema):
        split = assignment.splits[record["article_id"]]
        tables.add(
            split,
            {
                "id": f"{record['article_id']}-{record['annotator']}",
                "article_id": record["article_id"],
                "annotator": record["annotator"],
                "spans": record["spans"],
                **(choice_values(schema, record.get("choices") or {}) if schema.controls else {}),
                "split": split,
            },
        )
        summary.annotations_per_split[split] += 1


# -- the reload check ------------------------------------------------------------------------------


SAMPLE_ROWS = 10  # the first rows of every split the reload check compares with what was written


def check_release(
    folder: Path,
    schema: Schema,
    sizes: dict[str, dict[str, dict[str, int]]],
    samples: dict[str, dict[str, list[dict[str, Any]]]] | None = None,
) -> None:
    """Load every config back with ``datasets`` (``load_dataset_builder``, then streaming) and fail the publish
    unless

    - the data files ``datasets`` resolves for each split are the ones written, and their Parquet footers
      hold the rows written (``sizes``; the card's split sizes too);
    - the features -- the card's, the ones in each file's schema, the ones the loaded split has -- are
      exactly the schema's (label, tag and option names included);
    - the first ``SAMPLE_ROWS`` rows of every split, as ``datasets`` gives them back, are the rows written
      (``samples``: ``{config: {split: rows}}``, when given).

    It reads the metadata and a sample, not every row: the Parquet writer is ``datasets``' own, and a full
    load would cost as much as the whole publish (docs/releases.md).
    """
    import datasets
    import pyarrow.parquet as pq

    expected = features(schema)
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the check is part of publish, which has its own progress
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: datasets.enable_progress_bars() if bars_were_on else None)
        # datasets runs gc.collect() each time a split is read only in part (an Arrow workaround).
        stack.enter_context(frozen_heap())
        cache = stack.enter_context(tempfile.TemporaryDirectory(prefix="annotate-check-"))
        for config in sizes:
            wanted = {split: size["num_examples"] for split, size in sizes[config].items()}
            written = (samples or {}).get(config, {})
            try:
                builder = datasets.load_dataset_builder(str(folder), config, cache_dir=cache)
                files = {split: [Path(path) for path in paths] for split, paths in builder.config.data_files.items()}
                rows = {split: sum(pq.read_metadata(path).num_rows for path in paths) for split, paths in files.items()}
                file_features = [
                    (path, datasets.Features.from_arrow_schema(pq.read_schema(path)))
                    for paths in files.values()
                    for path in paths
                ]
                loaded = builder.as_streaming_dataset()
                got_rows = {split: list(loaded[split].take(len(written.get(split, [])))) for split in loaded}
            except Exception as exc:  # any failure to load is the failure the check exists for
                raise AnnotateError(
                    Messages.RELEASE_CHECK_FAILED, config=config, problem=f"an error ({type(exc).__name__}: {exc})"
                ) from None
            problem = _loaded_problem(schema, config, expected[config], wanted, rows, builder, file_features, loaded)
            if problem is None:
                problem = _sample_problem(folder, files, written, got_rows)
            if problem:
                raise AnnotateError(Messages.RELEASE_CHECK_FAILED, config=config, problem=problem)


def _loaded_problem(
    schema: Schema,
    config: str,
    expected: Any,
    wanted: dict[str, int],
    rows: dict[str, int],
    builder: Any,
    file_features: list[tuple[Path, Any]],
    loaded: Any,
) -> str | None:
    """What differs between the loaded config's split sizes and features and the written ones, or None."""
    card_sizes = {split: info.num_examples for split, info in (builder.info.splits or {}).items()}
    if rows != wanted:
        return f"split sizes {rows}, not {wanted}"
    if card_sizes != wanted:
        return f"split sizes {card_sizes} in the card, not {wanted}"
    for path, found in file_features:
        if found != expected:
            return f"features {found} in {path.name}, not {expected}"
    for split in loaded:
        if loaded[split].features != expected:
            return f"features {loaded[split].features} in {split}, not {expected}"
    found = loaded[next(iter(loaded))].features
    if config == "gold":
        tags, labels = found["ner_tags"].feature.names, found["spans"].feature["label"].names
        if tags != schema.bio_tags or labels != schema.label_names:
            return f"label names {labels} / {tags}"
    return _choice_names_problem(schema, found)


def _sample_problem(
    folder: Path, files: dict[str, list[Path]], written: dict[str, list], got: dict[str, list]
) -> str | None:
    """Which split's first rows came back other than they were written, or None."""
    for split, rows in written.items():
        if got.get(split) != rows:
            shown = [path.relative_to(folder).as_posix() for path in files.get(split, [])]
            return f"other rows than were written at the start of {split} ({', '.join(shown)})"
    return None


def _choice_names_problem(schema: Schema, loaded: Any) -> str | None:
    """What differs between the loaded control columns' class names and the controls' options, or None."""
    columns = choice_columns(schema)
    for control in schema.controls:
        feature = loaded[columns[control.name]]
        names = (feature.feature if control.multiple else feature).names
        if names != control.option_names:
            return f"the options of '{control.name}' came back as {names}"
    return None
