"""A raw Label Studio export (streamed) -> annotation records + quarantine, with repairs.

Every annotation read ends in exactly one place, and the reconciliation says where:

    read = imported + updated + unchanged + superseded + quarantined

- imported / updated: written to ``annotations/annotations.jsonl`` (one record per annotator per
  article; an updated annotation replaces the stored version);
- unchanged: the store already holds exactly this record (importing an export twice changes nothing);
- superseded: an older version of a record kept in its place — the same annotator twice on one
  article in the export (the newest wins, and it is reported), or older than what is stored;
- quarantined: written with its raw record and a reason to ``annotations/quarantine.jsonl``.

Predictions and drafts go the same way into their own files, apart from human annotations. Each
region of a result is a span (checked against the task's text), a choice of one of the schema's
document-level controls (kept in the record's ``choices``) or a region of a control the schema does
not model (kept unchanged in ``other``); the regions balance too (``summary``). Offsets counted in
UTF-16 code units (the browser's count, shifted after an emoji) are converted when that makes the text
match, a ``value.text`` that differs from the text only in white space is taken as the offsets say,
whitespace at span edges is trimmed, a label's alias is mapped to the label and a region without a
label is left out; each repair is reported. Nothing is written until the whole export has been read:
malformed JSON is refused with its byte and line position and leaves every file as it was.

A Label Studio 0.x export (``completions`` in place of ``annotations``) is read the same way.
``--annotator NAME`` gives every annotation and draft of the file to one person, for teams that
export a file per annotator.

The layers, one module each: ``reading`` (the export as a stream of tasks), ``regions`` (regions ->
checked spans, repairs, refusal reasons), ``annotators`` (pseudonyms), ``stores`` (the keyed JSONL
stores and the quarantine), ``summary`` (the reconciliation). This module is the stage that joins them.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, Any

from annotate import corpus
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.imports.annotators import ANNOTATORS_FILE, Annotators
from annotate.imports.reading import (
    CountingReader,
    NotPlain,
    iter_export,
    keep_export,
    read_export,
    read_export_fast,
)
from annotate.imports.regions import (
    DROPPED,
    NO_TEXT,
    NOT_A_SPAN,
    SPAN,
    TEXT_CHANGED,
    TEXT_NOT_NORMALISED,
    ReadResult,
    Refused,
    ResultReader,
    check_region,
    classify,
    utf16_to_codepoints,
)
from annotate.imports.stores import KeyedStore, Quarantine, RegionCounts, record_key, store_path
from annotate.imports.summary import KINDS, LABEL_STUDIO, LABEL_STUDIO_0X, LISTED, OUTCOMES, ImportSummary, Tally
from annotate.records import collector_paused
from annotate.schema import Schema, load_schema
from annotate.workspace import Workspace

__all__ = [
    "ANNOTATORS_FILE",
    "KINDS",
    "LABEL_STUDIO",
    "LABEL_STUDIO_0X",
    "LISTED",
    "OUTCOMES",
    "Annotators",
    "ImportSummary",
    "KeyedStore",
    "Quarantine",
    "ReadResult",
    "Refused",
    "ResultReader",
    "Tally",
    "check_region",
    "import_export",
    "iter_export",
    "keep_export",
    "read_export",
    "record_key",
    "store_path",
    "utf16_to_codepoints",
]


@dataclass
class _TaskText:
    """The article a task's annotations point into, and how offsets map onto its stored text."""

    article_id: str
    text: str  # the task's text, the one the offsets count in
    sha256: str  # of the stored article text
    shift: int  # subtract from offsets into ``text`` to get offsets into the stored article


class _Corpus:
    """article id -> sha256 of the stored text; new articles from foreign tasks are added at the end."""

    def __init__(self, workspace: Workspace, source: str, text_key: str):
        self.workspace = workspace
        self.source = source
        self.text_key = text_key
        self.sha256 = {article["id"]: article["sha256"] for article in workspace.read_articles()}
        self.new: list[dict[str, Any]] = []

    def match(self, task: dict[str, Any]) -> _TaskText:
        data = task.get("data")
        text = data.get(self.text_key, data.get("text")) if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise Refused(NO_TEXT, f"task {task.get('id')} has no data.{self.text_key}")
        pushed_id = data.get("article_id")
        if isinstance(pushed_id, str) and pushed_id in self.sha256:
            actual = corpus.text_sha256(text)
            if actual != self.sha256[pushed_id]:
                raise Refused(
                    TEXT_CHANGED, f"task {task.get('id')}: the text of article {pushed_id} changed since it was pushed"
                )
            return _TaskText(pushed_id, text, actual, 0)
        return self._by_text(task, data, text)

    def _by_text(self, task: dict[str, Any], data: dict[str, Any], text: str) -> _TaskText:
        """A task this tool did not push: matched by its text, or added to the corpus."""
        stored = corpus.normalise_text(text)
        if stored != text.strip():
            raise Refused(
                TEXT_NOT_NORMALISED,
                f"task {task.get('id')}: NFC or line-end normalisation changes its text; offsets cannot be mapped",
            )
        digest = corpus.text_sha256(stored)
        found = corpus.article_id(digest)
        if found not in self.sha256:
            source_id = data.get("article_id") or data.get("id")
            self.new.append(
                corpus.make_article({"text": stored, "title": data.get("title"), "id": source_id}, self.source)
            )
            self.sha256[found] = digest
        return _TaskText(found, text, digest, len(text) - len(text.lstrip()))

    def save(self) -> None:
        if self.new:
            corpus.append_articles(self.workspace, self.new)


def import_export(
    workspace: Workspace,
    path: Path | str,
    users_by_id: dict[int, str] | None = None,
    progress: Callable[[int], None] | None = None,
    annotator: str | None = None,
    source: IO[bytes] | None = None,
) -> ImportSummary:
    """Import a Label Studio JSON export into the workspace's annotation records.

    ``users_by_id`` (from the server, on pull) ties bare ``completed_by`` ids to e-mails for stable
    pseudonyms; ``annotator`` (a name or e-mail) gives every annotation and draft of the file to that
    one person, whoever ``completed_by`` says; ``progress(bytes)`` hears of the bytes read. ``source``
    is read in place of ``path`` when given (pull imports while it downloads: the stream gives the bytes
    being written to ``path``, which holds them all once the stream ends, and is then moved into exports/).
    """
    path = Path(path)
    if annotator is not None and not annotator.strip():
        raise AnnotateError(Messages.IMPORT_EMPTY_ANNOTATOR, exit_code=ExitCode.USAGE)
    if not path.is_file():
        raise AnnotateError(Messages.FILE_MISSING, path=path, fix="Give the path of a Label Studio JSON export.")
    schema = load_schema(workspace.schema_path)
    shown = workspace.relative(path)

    def read(fast: bool, progress: Callable[[int], None] | None) -> _Importer:
        importer = _Importer(workspace, schema, shown, users_by_id, ImportSummary(export=shown), annotator)
        with path.open("rb") if source is None else contextlib.nullcontext(source) as raw:
            reader = CountingReader(raw, progress, lines=not fast)
            for task in read_export_fast(reader) if fast else read_export(reader, shown):
                importer.task(task)
        importer.summary.sha256 = reader.hash.hexdigest()
        return importer

    with collector_paused():  # millions of small parsed objects: the collector would be the bottleneck (DESIGN)
        if source is not None:  # a download as it arrives cannot be read twice
            importer = read(False, progress)
        else:
            told = _Told(progress)
            try:
                importer = read(True, told.tell if progress else None)
            except NotPlain:  # ijson reads it all again, from the start: its tasks, or its error
                importer = read(False, told.again if progress else None)
    summary = importer.summary
    if source is None:
        importer.commit()
        keep_export(workspace, path, summary.sha256)
    else:  # read as it downloaded, from a temporary file: what was refused names the kept copy
        summary.export = workspace.relative(keep_export(workspace, path, summary.sha256, move=True))
        importer.commit(summary.export)
    return summary


class _Told:
    """The bytes read reported to ``progress`` once, though a file read again is read twice."""

    def __init__(self, progress: Callable[[int], None] | None):
        self.progress = progress
        self.told = 0
        self.read_again = 0

    def tell(self, read: int) -> None:
        self.told += read
        self.progress(read)  # type: ignore[misc]

    def again(self, read: int) -> None:
        self.read_again += read
        if self.read_again > self.told:
            self.progress(min(read, self.read_again - self.told))  # type: ignore[misc]


class _Importer:
    def __init__(
        self,
        workspace: Workspace,
        schema: Schema,
        export: str,
        users: dict[int, str] | None,
        summary: ImportSummary,
        annotator: str | None = None,
    ):
        self.schema = schema
        self.reader = ResultReader(schema)
        self.export = export
        self.summary = summary
        self.corpus = _Corpus(workspace, f"label-studio export {Path(export).name}", schema.text_key)
        self.annotators = Annotators(workspace.annotations_dir / ANNOTATORS_FILE, users)
        if annotator is not None:
            summary.attributed_to = self.annotators.named(annotator)
        self.stores = {kind: KeyedStore(kind, store_path(workspace, kind)) for kind in KINDS}
        self.quarantine = Quarantine(workspace.quarantine_path)

    def task(self, task: dict[str, Any]) -> None:
        self.summary.tasks_read += 1
        items = {kind: _listed(task.get(kind)) for kind in KINDS}
        if "annotations" not in task and "completions" in task:  # Label Studio 0.x
            items["annotations"] = _listed(task["completions"])
            self.summary.format = LABEL_STUDIO_0X
        for kind, found in items.items():
            self.summary.tallies[kind].read += len(found)
            if kind == "annotations":
                self.summary.regions["read"] += sum(len(_regions(item)) for item in found)
        if not items["annotations"]:
            self.summary.tasks_without_annotations += 1
        try:
            where = self.corpus.match(task)
        except Refused as refused:
            for kind, found in items.items():
                for item in found:
                    self._refuse(kind, refused, task, item)
            return
        to_codepoints = utf16_to_codepoints(where.text)
        for kind, found in items.items():
            for item in found:
                self._item(kind, item, task, where, to_codepoints)

    def _item(self, kind: str, item: Any, task: dict[str, Any], where: _TaskText, to_codepoints: Any) -> None:
        if kind == "predictions" and not isinstance(item, dict):
            self.summary.tallies[kind].ids_only += 1
            return
        try:
            if not isinstance(item, dict):
                raise Refused(NOT_A_SPAN, f"a {kind[:-1]} that is {type(item).__name__}, not an object")
            read = self.reader.read(item.get("result"), where.text, to_codepoints)
            record = self._record(kind, item, task, where, read)
        except Refused as refused:
            self._refuse(kind, refused, task, item)
            return
        if kind == "annotations":  # span regions read are counted where they end: here, or in _refuse
            self.summary.spans["read"] += read.span_regions
        dropped = NOT_DROPPED
        if read.repairs:
            self.summary.repaired.update(read.repairs)
            self.summary.tallies[kind].repaired.update(read.repairs)
            done = ", ".join(f"{count} {name}" for name, count in sorted(read.repairs.items()))
            who = record.get("annotator") or record.get("model_version")
            self.summary.note(
                self.summary.repairs, f"task {task.get('id')} {kind[:-1]} {item.get('id')} ({who}): repaired {done}"
            )
            dropped = tuple(read.repairs[name] for name in DROPPED)
        self.stores[kind].offer(record, self.summary, RegionCounts(read.span_regions, read.choice_regions, *dropped))

    def _record(
        self, kind: str, item: dict[str, Any], task: dict[str, Any], where: _TaskText, read: ReadResult
    ) -> dict[str, Any]:
        stored_text = where.text[where.shift :]
        record: dict[str, Any] = {"article_id": where.article_id}
        if kind == "predictions":
            record["model_version"] = str(item.get("model_version") or "unknown")
            record["score"] = item.get("score")
        elif self.summary.attributed_to is not None:
            record["annotator"] = self.summary.attributed_to
        else:
            who = item.get("completed_by") if kind == "annotations" else item.get("user", item.get("created_by"))
            record["annotator"] = self.annotators.pseudonym(who)
        if kind == "annotations":
            cancelled = item.get("was_cancelled") or item.get("skipped")  # 0.x said "skipped"
            record["status"] = "cancelled" if cancelled else "submitted"
        shift = where.shift
        spans = [(start - shift, end - shift, label) for start, end, label in read.spans] if shift else read.spans
        record["spans"] = [
            {"start": start, "end": end, "label": label, "text": stored_text[start:end]} for start, end, label in spans
        ]
        if read.choices is not None:
            record["choices"] = read.choices
        if read.other:
            record["other"] = read.other
        record["sha256"] = where.sha256
        record["created_at"] = _when(item.get("created_at"))
        record["updated_at"] = _when(item.get("updated_at") or item.get("created_at"))
        if kind != "predictions":
            record["lead_time"] = item.get("lead_time")
        if kind == "annotations":
            record["ground_truth"] = bool(item.get("ground_truth"))
        record["origin"] = {"project": task.get("project"), "task": task.get("id"), kind[:-1]: item.get("id")}
        return record

    def _refuse(self, kind: str, refused: Refused, task: dict[str, Any], item: Any) -> None:
        self.summary.tallies[kind].quarantined[refused.reason] += 1
        if kind == "annotations":
            self.summary.regions["quarantined"] += len(_regions(item))
            span_regions = sum(classify(region, self.schema) == SPAN for region in _regions(item))
            self.summary.spans["read"] += span_regions
            self.summary.spans["quarantined"] += span_regions
        item_id = item.get("id") if isinstance(item, dict) else item
        self.summary.note(
            self.summary.quarantined, f"task {task.get('id')} {kind[:-1]} {item_id}: {refused.reason}: {refused.detail}"
        )
        self.quarantine.add(kind, refused.reason, refused.detail, task, item, self.export)

    def commit(self, export: str | None = None) -> None:
        """Write every file, now that the whole export was read without error (``export``: the name the
        quarantine gives it, if not the one it was read under)."""
        for store in self.stores.values():
            store.write(store.decide(self.summary))
        self.quarantine.write(export)
        self.annotators.save()
        self.corpus.save()
        self.summary.articles_added = len(self.corpus.new)


NOT_DROPPED = (0,) * len(DROPPED)  # the usual annotation's: no repair left a region out


def _listed(found: Any) -> list[Any]:
    """A task's annotations (predictions, drafts) as a list; anything else is one item, to be refused."""
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _regions(item: Any) -> list[Any]:
    result = item.get("result") if isinstance(item, dict) else None
    return result if isinstance(result, list) else []


def _when(value: Any) -> Any:
    """A timestamp as Label Studio 1.x writes it; 0.x wrote seconds since 1970, made ISO here."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        return datetime.fromtimestamp(value, timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return value
