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
import itertools
import operator
import tempfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, NamedTuple

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


@contextlib.contextmanager
def system_memory_pool() -> Iterator[None]:
    """Arrow's buffers allocated with the C library's ``malloc`` until exit, instead of pyarrow's default pool.

    Why: the default pool (mimalloc) keeps the memory of freed buffers for later use rather than give it
    back, so every Parquet batch written or read during a publish left its mark on the process's peak (about
    40 MB at 30,000 articles); ``malloc`` gives it back. Buffers remember the pool they came from, so
    switching back on exit is safe.
    """
    import pyarrow as pa

    previous = pa.default_memory_pool()
    pa.set_memory_pool(pa.system_memory_pool())
    try:
        yield
    finally:
        pa.set_memory_pool(previous)


def give_back_freed_memory() -> None:
    """Hand the pages the C heap holds free back to the system (glibc's ``malloc_trim``; elsewhere nothing).

    Why: the heap keeps what the rows written freed for later use, and the reload check, which loads
    ``datasets``' readers next, would start on top of it (about 20 MB at 30,000 articles). Python has no
    call for it; ctypes reaches the C library's own.
    """
    import ctypes
    import ctypes.util

    name = ctypes.util.find_library("c")
    trim = getattr(ctypes.CDLL(name), "malloc_trim", None) if name else None
    if trim is not None:
        trim(0)


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


SPAN_FIELDS = ("start", "end", "label", "text")  # what a release keeps of a span: no support or pseudonym
_span_fields = operator.itemgetter(*SPAN_FIELDS)


def span_tuples(spans: list[dict[str, Any]]) -> list[tuple]:
    """A record's spans as ``(start, end, label, text)`` tuples, all the ``spans`` column reads of them (a
    missing field is None: ``_span_column`` refuses it)."""
    try:
        return list(map(_span_fields, spans))
    except KeyError:
        return [tuple(span.get(name) for name in SPAN_FIELDS) for span in spans]


def _span_column(spans: list[list[tuple]], label_names: list[str], span_type: Any) -> Any:
    """The ``spans`` column from each row's ``span_tuples`` (offsets, label and text): each label as its class
    id. ``ValueError`` on a label the schema lacks or a span without one of the four."""
    import numpy as np
    import pyarrow as pa
    import pyarrow.compute as pc

    fields = {field.name: field for field in span_type.value_type}
    flat = list(itertools.chain.from_iterable(spans))
    values = zip(*flat, strict=True) if flat else [()] * len(SPAN_FIELDS)
    read = {
        name: pa.array(column, type=pa.string() if name == "label" else fields[name].type)
        for name, column in zip(SPAN_FIELDS, values, strict=True)
    }
    codes = pc.index_in(read["label"], value_set=pa.array(label_names, type=pa.string()))
    if codes.null_count or any(column.null_count for column in read.values()):
        raise ValueError(f"a span without start, end, text or a label of the schema ({', '.join(label_names)})")
    read["label"] = codes.cast(fields["label"].type)
    struct = pa.StructArray.from_arrays([read[field.name] for field in fields.values()], fields=list(fields.values()))
    pointers = np.concatenate(([0], np.cumsum([len(row) for row in spans]))).astype(np.int32)
    return pa.ListArray.from_arrays(pa.array(pointers), struct, type=span_type)


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


class GoldItem(NamedTuple):
    """What a gold row is built from, and no more of the gold record and the article (a batch of them waits
    in memory per split until it is written)."""

    article_id: str
    title: str
    text: str
    spans: list[tuple]  # span_tuples
    choices: dict[str, Any]  # choice_values
    split: str


TOKENIZED_AT_ONCE = 250  # texts per pass of the tokenizer: its arrays, a few per character, stay a few MB


def _token_part(items: list[GoldItem], schema: Schema, misaligned: list[Misaligned]) -> tuple:
    """Tokens and tags of some rows, in one pass (``tokens.ner_tags_batch``, ``tokens.token_utf8``):
    ``(starts, ends, tags, token bytes, bytes per token, tokens per row)``; the spans tags cannot hold go to
    ``misaligned``."""
    import numpy as np

    texts = [item.text for item in items]
    spans = [[Span(start, end, label) for start, end, label, _ in item.spans] for item in items]
    starts, ends, pointers, tags, refused = ner_tags_batch(texts, spans, schema.bio_tags)
    data, offsets = token_utf8(texts, starts, ends, pointers)
    for item, found in zip(items, refused, strict=True):
        misaligned.extend(
            Misaligned(item.article_id, span.start, span.end, span.label, item.text[span.start : span.end], reason)
            for span, reason in found
        )
    return starts.astype(np.int32), ends.astype(np.int32), tags, data, np.diff(offsets), np.diff(pointers)


def _gold_table(items: list[GoldItem], schema: Schema, config_features: Any, misaligned: list[Misaligned]) -> Any:
    """One Arrow table of gold rows: the texts tokenized and tagged in one pass (``tokens.ner_tags_batch``);
    the spans tags cannot hold go to ``misaligned``."""
    import numpy as np
    import pyarrow as pa

    span_column = _span_column(
        [item.spans for item in items], schema.label_names, config_features.arrow_schema.field("spans").type
    )
    texts = [item.text for item in items]
    parts = [
        _token_part(items[at : at + TOKENIZED_AT_ONCE], schema, misaligned)
        for at in range(0, len(items), TOKENIZED_AT_ONCE)
    ]
    starts, ends, tags, data, offsets = (np.concatenate([part[column] for part in parts]) for column in range(5))
    pointers = np.concatenate([[0], np.cumsum([count for part in parts for count in part[5]])]).astype(np.int32)
    offsets = np.concatenate([[0], np.cumsum(offsets)]).astype(np.int32)
    tokens = pa.StringArray.from_buffers(len(starts), pa.py_buffer(offsets), pa.py_buffer(data))
    ids = pa.array([item.article_id for item in items], type=pa.string())
    columns = {
        "id": ids,
        "article_id": ids,
        "title": pa.array([item.title for item in items], type=pa.string()),
        "text": pa.array(texts, type=pa.string()),
        "spans": span_column,
        "tokens": pa.ListArray.from_arrays(pa.array(pointers), tokens),
        "token_starts": _list_column(starts, pointers, pa.int32()),
        "token_ends": _list_column(ends, pointers, pa.int32()),
        "ner_tags": _list_column(tags, pointers, pa.int64()),
        **_choice_columns(schema, [item.choices for item in items], config_features),
        "split": pa.array([item.split for item in items], type=pa.string()),
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
        system_memory_pool(),
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
            choices = _checked_choices(workspace, gold, schema, record, controls)
            title, text = article.get("title") or "", article["text"]
            tables.add(split, GoldItem(article_id, title, text, span_tuples(spans), choices, split))
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
    shown, line = workspace.relative(workspace.gold_path), gold.index.line(article_id)
    raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=line, problem=problem)


def _checked_choices(
    workspace: Workspace, gold: GoldIndex, schema: Schema, record: dict[str, Any], controls: list[str]
) -> dict[str, Any]:
    """The record's choice columns, or the one-line refusal naming the gold line whose choices do not fit."""
    try:
        return choice_values(schema, settled_options(record, controls))
    except KeyError as missing:
        shown, line = workspace.relative(workspace.gold_path), gold.index.line(record["article_id"])
        raise AnnotateError(
            Messages.GOLD_WITHOUT_CHOICES, path=shown, line=line, article=record["article_id"], control=missing.args[0]
        ) from None
    except ValueError as problem:
        _refuse_gold(workspace, gold, record["article_id"], str(problem))
        raise  # not reached: _refuse_gold raises


class AnnotationItem(NamedTuple):
    """What an ``annotations`` row is built from, and no more of the annotation record."""

    article_id: str
    annotator: str
    spans: list[tuple]  # span_tuples
    choices: dict[str, Any]  # choice_values
    split: str


def published_annotations(
    workspace: Workspace,
    assignment: SplitAssignment,
    corpus: CorpusIndex,
    excluded: Counter,
    schema: Schema,
    outside: Counter | None = None,
) -> Iterator[tuple[dict[str, Any], dict[str, Any]]]:
    """``(record, its choice values)`` of each submitted annotation record of a published article, on the
    published text, with choices the schema's controls can hold; the rest counted in ``excluded``.
    ``outside`` (when given) counts every record read (``"records"``) and those of an article not published or
    with choices the schema cannot hold (``"outside"``): when there is none, the published annotations are
    all of the store (``card.agreement_figures``)."""
    for record in workspace.read_annotations():
        published = record.get("article_id") in assignment.splits
        choices = _choice_values_or_none(schema, record) if published else None
        if outside is not None:
            outside["records"] += 1
            outside["outside"] += choices is None
        if record.get("status") != "submitted":
            excluded["not_submitted"] += 1
        elif record["article_id"] not in assignment.splits:
            excluded["article_not_published"] += 1
        elif record.get("sha256") != corpus.sha256[record["article_id"]]:
            excluded["text_changed"] += 1
        elif choices is None:
            excluded["choices_not_in_schema"] += 1
        else:
            yield record, choices


def _choice_values_or_none(schema: Schema, record: dict[str, Any]) -> dict[str, Any] | None:
    """The record's choice columns (none without controls), or None when the schema's controls cannot hold them."""
    if not schema.controls:
        return {}
    try:
        return choice_values(schema, record.get("choices") or {})
    except ValueError:
        return None


def fits_schema(schema: Schema, record: dict[str, Any]) -> bool:
    """Whether the schema's controls can hold the record's choices (a release column per control)."""
    return _choice_values_or_none(schema, record) is not None


def _annotations_table(items: list[AnnotationItem], schema: Schema, config_features: Any) -> Any:
    import pyarrow as pa

    columns = {
        "id": pa.array([f"{item.article_id}-{item.annotator}" for item in items], type=pa.string()),
        "article_id": pa.array([item.article_id for item in items], type=pa.string()),
        "annotator": pa.array([item.annotator for item in items], type=pa.string()),
        "spans": _span_column(
            [item.spans for item in items], schema.label_names, config_features.arrow_schema.field("spans").type
        ),
        **_choice_columns(schema, [item.choices for item in items], config_features),
        "split": pa.array([item.split for item in items], type=pa.string()),
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
) -> tuple[dict[str, dict[str, int]], bool]:
    """The ``annotations`` config's Parquet files: their sizes, and whether every record of the store is of a
    published article with choices the schema can hold. ``samples`` as for ``write_gold``."""
    config_features = features(schema)["annotations"]
    tables = _SplitTables(
        folder, "annotations", config_features, lambda items: _annotations_table(items, schema, config_features)
    )
    outside: Counter = Counter()
    with frozen_heap(), system_memory_pool():
        for record, choices in published_annotations(
            workspace, assignment, corpus, summary.annotations_excluded, schema, outside
        ):
            split = assignment.splits[record["article_id"]]
            spans = span_tuples(record["spans"])
            tables.add(split, AnnotationItem(record["article_id"], record["annotator"], spans, choices, split))
            summary.annotations_per_split[split] += 1
        sizes = tables.finish()
    if samples is not None:
        samples["annotations"] = tables.samples
    return sizes, bool(outside["records"]) and not outside["outside"]


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
    import pyarrow.dataset as pads
    import pyarrow.parquet as pq

    expected = features(schema)
    bars_were_on = datasets.is_progress_bar_enabled()
    datasets.disable_progress_bars()  # the check is part of publish, which has its own progress
    # The sample is read SAMPLE_ROWS rows at a time, not a whole row group (1,000 rows) at once, and without
    # pre-buffering the row group's columns: about 50 MB less at the peak of a publish (both are public options
    # of the Parquet loader, ``ParquetConfig``).
    reading = {"batch_size": SAMPLE_ROWS, "fragment_scan_options": pads.ParquetFragmentScanOptions(pre_buffer=False)}
    give_back_freed_memory()
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: datasets.enable_progress_bars() if bars_were_on else None)
        # datasets runs gc.collect() each time a split is read only in part (an Arrow workaround).
        stack.enter_context(frozen_heap())
        stack.enter_context(system_memory_pool())
        stack.enter_context(hf_compat.without_scipy_io())
        cache = stack.enter_context(tempfile.TemporaryDirectory(prefix="annotate-check-"))
        for config in sizes:
            wanted = {split: size["num_examples"] for split, size in sizes[config].items()}
            written = (samples or {}).get(config, {})
            try:
                builder = datasets.load_dataset_builder(str(folder), config, cache_dir=cache, **reading)
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
