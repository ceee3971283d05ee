"""A raw Label Studio export (streamed) -> annotation records + quarantine, with repairs.

Every annotation read ends in exactly one place, and the reconciliation says where:

    read = imported + updated + unchanged + superseded + quarantined

- imported / updated: written to ``annotations/annotations.jsonl`` (one record per annotator per
  article; an updated annotation replaces the stored version);
- unchanged: the store already holds exactly this record (importing an export twice changes nothing);
- superseded: an older version of a record kept in its place — the same annotator twice on one
  article in the export (the newest wins, and it is reported), or older than what is stored;
- quarantined: written with its raw record and a reason to ``annotations/quarantine.jsonl``.

Predictions and drafts go the same way into their own files, apart from human annotations. Spans
are checked against the task's text; offsets counted in UTF-16 code units (the browser's count,
shifted after an emoji) are converted when that makes the text match, and whitespace at span edges is
trimmed; each repair is reported. Nothing is written until the whole export has been read: malformed
JSON is refused with its byte and line position and leaves every file as it was.
"""

from __future__ import annotations

import bisect
import gc
import hashlib
import os
import re
import shutil
import tempfile
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import ijson
import orjson

from annotate import corpus, records
from annotate.errors import AnnotateError, Messages
from annotate.schema import load_schema
from annotate.spans import Span
from annotate.workspace import Workspace, atomic_write, read_jsonl, record_digest

KINDS = ("annotations", "predictions", "drafts")
OUTCOMES = ("imported", "updated", "unchanged", "superseded")
ANNOTATORS_FILE = "annotators.json"
READ_CHUNK = 1 << 16
LISTED = 1000  # repairs, superseded and quarantined records listed one by one in a report, per kind
ASTRAL = re.compile("[\U00010000-\U0010ffff]")  # characters a browser counts as two UTF-16 units


# -- reasons a record is quarantined (the keys of the reconciliation's "quarantined" counts) -------------

TEXT_CHANGED = "text-changed"  # the task's text is not the corpus text it was pushed as (sha256 differs)
NO_TEXT = "no-text"  # the task has no text field
TEXT_NOT_NORMALISED = "text-not-normalised"  # a foreign task whose text cannot be mapped to its stored form
NO_ANNOTATOR = "no-annotator"
NOT_A_SPAN = "not-a-span"  # a region of another kind (choices, relation, ...) or without offsets
UNKNOWN_LABEL = "unknown-label"
OUT_OF_RANGE = "offsets-out-of-range"
TEXT_MISMATCH = "text-mismatch"  # value.text is not text[start:end], even in UTF-16 units
EMPTY_SPAN = "empty-span"  # nothing but whitespace


class Refused(Exception):
    """A record that cannot be imported as it is: the reason code and a sentence for people."""

    def __init__(self, reason: str, detail: str):
        super().__init__(detail)
        self.reason = reason
        self.detail = detail


# -- the reconciliation ---------------------------------------------------------------------------------


@dataclass
class Tally:
    """What became of the records of one kind that were read."""

    read: int = 0
    imported: int = 0
    updated: int = 0
    unchanged: int = 0
    superseded: int = 0
    quarantined: Counter[str] = field(default_factory=Counter)
    ids_only: int = 0  # predictions exported as bare ids carry no spans to keep

    @property
    def accounted(self) -> int:
        return sum(getattr(self, outcome) for outcome in OUTCOMES) + self.quarantined.total() + self.ids_only

    def as_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = {"read": self.read, **{outcome: getattr(self, outcome) for outcome in OUTCOMES}}
        data["quarantined"] = self.quarantined.total()
        data["quarantined_by_reason"] = dict(sorted(self.quarantined.items()))
        data["ids_only"] = self.ids_only
        return data


@dataclass
class ImportSummary:
    export: str
    sha256: str = ""
    tasks_read: int = 0
    tasks_without_annotations: int = 0
    articles_added: int = 0
    tallies: dict[str, Tally] = field(default_factory=lambda: {kind: Tally() for kind in KINDS})
    spans: Counter[str] = field(default_factory=Counter)  # read, stored, superseded, quarantined
    repaired: Counter[str] = field(default_factory=Counter)  # utf16, trim, duplicate
    cancelled: int = 0  # of the export's annotations now in the store
    ground_truth: int = 0
    repairs: list[str] = field(default_factory=list)
    superseded: list[str] = field(default_factory=list)
    quarantined: list[str] = field(default_factory=list)

    unlisted: int = 0  # lines beyond LISTED: counted in the figures, not kept in memory

    def note(self, lines: list[str], line: str) -> None:
        """Keep a line for the report; past ``LISTED`` per list only count it (memory stays flat)."""
        if len(lines) < LISTED:
            lines.append(line)
        else:
            self.unlisted += 1

    @property
    def balanced(self) -> bool:
        spans_accounted = self.spans["stored"] + self.spans["superseded"] + self.spans["quarantined"]
        return spans_accounted == self.spans["read"] and all(t.accounted == t.read for t in self.tallies.values())

    def as_dict(self) -> dict[str, Any]:
        return {
            "export": self.export,
            "sha256": self.sha256,
            "tasks": {
                "read": self.tasks_read,
                "without_annotations": self.tasks_without_annotations,
                "articles_added_to_corpus": self.articles_added,
            },
            **{kind: tally.as_dict() for kind, tally in self.tallies.items()},
            "spans": {key: self.spans[key] for key in ("read", "stored", "superseded", "quarantined")}
            | {"repaired": dict(sorted(self.repaired.items()))},
            "cancelled": self.cancelled,
            "ground_truth": self.ground_truth,
            "balanced": self.balanced,
            "repairs": self.repairs,
            "superseded_records": self.superseded,
            "quarantined_records": self.quarantined,
            "records_not_listed": self.unlisted,
        }


# -- spans ----------------------------------------------------------------------------------------------


def utf16_to_codepoints(text: str) -> Callable[[int], int | None] | None:
    """A converter from UTF-16 code-unit offsets to code-point offsets in ``text``.

    None when the two counts agree everywhere (no character beyond U+FFFF). The converter gives
    None for an offset that falls between the two halves of a surrogate pair.
    """
    if text.isascii() or not ASTRAL.search(text):  # both scans run in C: most texts stop here
        return None
    astral = [match.start() for match in ASTRAL.finditer(text)]
    starts = [index + before for before, index in enumerate(astral)]  # each one's UTF-16 offset

    def convert(offset: int) -> int | None:
        before = bisect.bisect_left(starts, offset)
        if before and starts[before - 1] == offset - 1:
            return None
        return offset - before

    return convert


def check_region(region: Any, text: str, labels: frozenset[str], to_codepoints: Any) -> tuple[Span, list[str]]:
    """One Label Studio region as a checked span of ``text``, and the repairs it needed.

    Raises ``Refused`` when it cannot be made right.
    """
    value = region.get("value") if isinstance(region, dict) else None
    if not isinstance(value, dict) or region.get("type", "labels") != "labels":
        kind = region.get("type") if isinstance(region, dict) else type(region).__name__
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} is a '{kind}' region, not a labelled span")
    start, end, found = value.get("start"), value.get("end"), value.get("labels")
    if not isinstance(start, int) or not isinstance(end, int) or isinstance(start, bool):
        raise Refused(NOT_A_SPAN, f"region {_region_id(region)} has no integer start/end")
    if not isinstance(found, list) or len(found) != 1 or found[0] not in labels:
        raise Refused(
            UNKNOWN_LABEL, f"region {_region_id(region)} has labels {found!r}; the schema knows {sorted(labels)}"
        )
    expected = value.get("text")
    repairs: list[str] = []
    if not _matches(text, start, end, expected):
        start, end = _from_utf16(region, text, start, end, expected, to_codepoints)
        repairs.append("utf16")
    trimmed_start, trimmed_end = _trim(text, start, end)
    if trimmed_start == trimmed_end:
        raise Refused(EMPTY_SPAN, f"region {_region_id(region)} covers only whitespace")
    if (trimmed_start, trimmed_end) != (start, end):
        repairs.append("trim")
    return Span(trimmed_start, trimmed_end, found[0]), repairs


def _matches(text: str, start: int, end: int, expected: Any) -> bool:
    in_range = 0 <= start < end <= len(text)
    return in_range and (expected is None or text[start:end] == expected)


def _from_utf16(region: Any, text: str, start: int, end: int, expected: Any, to_codepoints: Any) -> tuple[int, int]:
    if to_codepoints is not None and expected is not None:
        converted = to_codepoints(start), to_codepoints(end)
        if None not in converted and _matches(text, converted[0], converted[1], expected):
            return converted  # type: ignore[return-value]
    if not 0 <= start < end <= len(text):
        raise Refused(OUT_OF_RANGE, f"region {_region_id(region)} [{start}, {end}) is outside the text (0-{len(text)})")
    raise Refused(
        TEXT_MISMATCH,
        f"region {_region_id(region)} [{start}, {end}) says {expected!r} but the text there is {text[start:end]!r}",
    )


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _region_id(region: Any) -> str:
    return repr(region.get("id")) if isinstance(region, dict) else "?"


def check_result(result: Any, text: str, labels: frozenset[str], to_codepoints: Any) -> tuple[list[Span], Counter[str]]:
    """All regions of one annotation as sorted, distinct spans, with the repairs counted."""
    if not isinstance(result, list):
        raise Refused(NOT_A_SPAN, f"result is {type(result).__name__}, not a list of regions")
    spans: set[Span] = set()
    repairs: Counter[str] = Counter()
    for region in result:
        span, needed = check_region(region, text, labels, to_codepoints)
        if needed:
            repairs.update(needed)
        if span in spans:
            repairs["duplicate"] += 1
        spans.add(span)
    return sorted(spans), repairs


# -- annotators -----------------------------------------------------------------------------------------


class Annotators:
    """Stable pseudonyms (``ann-01``, ``ann-02``, ...) for the people behind ``completed_by``.

    The mapping from e-mail or user id to pseudonym stays in ``annotations/annotators.json`` (mode
    0600), on this machine; records and everything published carry the pseudonym only. A user id
    seen beside an e-mail (an expanded ``completed_by``, or a pull that asked the server) is tied to
    that e-mail, so an export with bare ids gets the same pseudonyms later.
    """

    def __init__(self, path: Path, users_by_id: dict[int, str] | None = None):
        self.path = path
        self.users_by_id = users_by_id or {}
        self.keys: dict[str, str] = orjson.loads(path.read_bytes()) if path.exists() else {}
        self.changed = False

    def pseudonym(self, who: Any) -> str:
        email, user_id = _identity(who)
        if email is None and user_id is not None:
            email = self.users_by_id.get(user_id)
        keys = [
            key
            for key in (f"email:{email.lower()}" if email else None, f"user:{user_id}" if user_id is not None else None)
            if key
        ]
        if not keys:
            raise Refused(NO_ANNOTATOR, f"completed_by is {who!r}: no user id or e-mail")
        known = next((self.keys[key] for key in keys if key in self.keys), None)
        name = known or f"ann-{len(set(self.keys.values())) + 1:02d}"
        for key in keys:
            if self.keys.get(key) != name:
                self.keys[key] = name
                self.changed = True
        return name

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            os.chmod(out.name, 0o600)
            out.write(orjson.dumps(self.keys, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _identity(who: Any) -> tuple[str | None, int | None]:
    if isinstance(who, dict):
        email = who.get("email") or None
        user_id = who.get("id")
        return email, user_id if isinstance(user_id, int) else None
    if isinstance(who, bool):
        return None, None
    if isinstance(who, int):
        return None, who
    if isinstance(who, str) and who.strip():
        return (who.strip(), None) if "@" in who else (None, int(who)) if who.strip().isdigit() else (who.strip(), None)
    return None, None


# -- the stores: one keyed JSONL file per kind ----------------------------------------------------------


def store_path(workspace: Workspace, kind: str) -> Path:
    return workspace.annotations_path if kind == "annotations" else workspace.annotations_dir / f"{kind}.jsonl"


def record_key(kind: str, record: dict[str, Any]) -> str:
    """The identity of a record: one per annotator (or model version) per article."""
    who = record.get("model_version") if kind == "predictions" else record["annotator"]
    return f"{record['article_id']}\t{who}"


class KeyedStore:
    """Candidates for one store, spooled to a temporary file while the export is read.

    What stays in memory per record is small and fixed — a 64-bit hash of its key and one packed
    integer (timestamp, origin id, spool line) — whatever the size of its spans: the records
    themselves are read back from the spool when the store is rewritten.
    """

    def __init__(self, kind: str, path: Path):
        self.kind = kind
        self.path = path
        self.stored = {_key_hash(kind, r): _stamp(r).to_bytes(8, "big") + record_digest(r) for r in _read(path)}
        self.spool: IO[bytes] = tempfile.TemporaryFile()
        self.best: dict[int, int] = {}  # key hash -> _pack(updated_at, origin id, spool line)
        self.lines = 0
        self.replaced: set[int] = set()

    def offer(self, record: dict[str, Any], summary: ImportSummary) -> None:
        """A checked record; of two with one key the newest stays, the other is superseded now."""
        key = _key_hash(self.kind, record)
        self.spool.write(orjson.dumps(record) + b"\n")
        candidate = _pack(_stamp(record), _origin_id(record), self.lines)
        self.lines += 1
        current = self.best.get(key)
        self.best[key] = candidate if current is None else max(current, candidate)
        if current is not None:
            summary.tallies[self.kind].superseded += 1
            who = record_key(self.kind, record).replace("\t", " by ")
            summary.note(summary.superseded, f"{self.kind} {who}: two versions in the export; kept the newest")

    def decide(self, summary: ImportSummary) -> bytearray:
        """Compare the winners with the store; marks the spool lines to write (imported or updated)."""
        tally = summary.tallies[self.kind]
        winners = bytearray(self.lines)
        for packed in self.best.values():
            winners[packed & LINE_MASK] = 1
        write = bytearray(self.lines)
        self.spool.seek(0)
        for number, raw in enumerate(self.spool):
            record = orjson.loads(raw)
            if not winners[number]:  # lost to a newer version in the same export (counted in offer)
                self._count_spans(summary, "superseded", record)
                continue
            outcome = self._outcome(record)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            self._count_spans(summary, "superseded" if outcome == "superseded" else "stored", record)
            if outcome != "superseded":
                self._count_flags(record, summary)
            if outcome in ("imported", "updated"):
                write[number] = 1
            if outcome == "updated":
                self.replaced.add(_key_hash(self.kind, record))
            if outcome == "superseded":
                who = record_key(self.kind, record).replace("\t", " by ")
                summary.note(summary.superseded, f"{self.kind} {who}: the store holds a newer version")
        return write

    def _outcome(self, record: dict[str, Any]) -> str:
        stored = self.stored.get(_key_hash(self.kind, record))
        if stored is None:
            return "imported"
        if stored[8:] == record_digest(record):
            return "unchanged"
        return "updated" if _stamp(record) >= int.from_bytes(stored[:8], "big") else "superseded"

    def _count_spans(self, summary: ImportSummary, where: str, record: dict[str, Any]) -> None:
        if self.kind == "annotations":
            summary.spans[where] += len(record["spans"])

    def _count_flags(self, record: dict[str, Any], summary: ImportSummary) -> None:
        if self.kind == "annotations":
            summary.cancelled += record["status"] == "cancelled"
            summary.ground_truth += bool(record.get("ground_truth"))

    def write(self, lines: bytearray) -> None:
        if not any(lines) and not self.replaced:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            for record in _read(self.path):
                if _key_hash(self.kind, record) not in self.replaced:
                    out.write(orjson.dumps(record) + b"\n")
            self.spool.seek(0)
            for number, raw in enumerate(self.spool):
                if lines[number]:
                    out.write(raw)


LINE_BITS = 40
LINE_MASK = (1 << LINE_BITS) - 1
EPOCH_OFFSET_US = 62_135_596_800 * 1_000_000  # microseconds from 0001-01-01 to 1970: keeps stamps >= 0


def _key_hash(kind: str, record: dict[str, Any]) -> int:
    """64 bits of the record's key: a collision needs about 4 billion records in one store."""
    return int.from_bytes(hashlib.blake2b(record_key(kind, record).encode(), digest_size=8).digest(), "big")


def _stamp(record: dict[str, Any]) -> int:
    return int(records.timestamp(record.get("updated_at")).timestamp() * 1_000_000) + EPOCH_OFFSET_US


def _pack(stamp: int, origin: int, line: int) -> int:
    """One integer that orders as (updated_at, origin id, line) does: newest, then highest id wins."""
    return (stamp << (2 * LINE_BITS)) | ((origin & LINE_MASK) << LINE_BITS) | line


def _origin_id(record: dict[str, Any]) -> int:
    origin = record.get("origin") or {}
    value = next((origin[key] for key in ("annotation", "draft", "prediction") if key in origin), 0)
    return value if isinstance(value, int) else 0


def _read(path: Path) -> Iterator[dict[str, Any]]:
    return read_jsonl(path, Messages.FIX_ANNOTATIONS) if path.exists() else iter(())


class Quarantine:
    """Refused records with their raw form and reason; the same refusal is kept once."""

    def __init__(self, path: Path):
        self.path = path
        self.known = {bytes.fromhex(r["key"]) for r in _read(path)}
        self.spool: IO[bytes] = tempfile.TemporaryFile()
        self.new = 0

    def add(self, kind: str, reason: str, detail: str, task: dict[str, Any], raw: Any, export: str) -> None:
        data = task.get("data") if isinstance(task.get("data"), dict) else {}
        entry = {
            "kind": kind,
            "reason": reason,
            "detail": detail,
            "export": export,
            "task": task.get("id"),
            "article_id": data.get("article_id"),
            "raw": _without_emails(raw),
        }
        key = record_digest([kind, reason, task.get("id"), raw])
        if key in self.known:
            return
        self.known.add(key)
        self.spool.write(orjson.dumps({"key": key.hex(), **entry}) + b"\n")
        self.new += 1

    def write(self) -> None:
        if not self.new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            if self.path.exists():
                with self.path.open("rb") as existing:
                    shutil.copyfileobj(existing, out)
            self.spool.seek(0)
            shutil.copyfileobj(self.spool, out)


def _without_emails(raw: Any) -> Any:
    """The raw record as it came, but for the annotator's e-mail and name (quarantine is local, still
    it should not be where e-mails can be copied from)."""
    if isinstance(raw, dict) and isinstance(raw.get("completed_by"), dict):
        who = raw["completed_by"]
        return {**raw, "completed_by": {"id": who.get("id")}}
    return raw


# -- reading the export ---------------------------------------------------------------------------------


class _CountingReader:
    """The export file as the parser reads it: hashes every byte, remembers the last chunks so a
    parse error can be placed exactly, and counts lines before them."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None):
        self.stream = stream
        self.progress = progress
        self.hash = hashlib.sha256()
        self.previous = self.current = b""  # the last two chunks read: where a parse error is
        self.window_start = 0  # byte offset of ``previous``
        self.lines_before_window = 0

    @property
    def offset(self) -> int:
        return self.window_start + len(self.previous) + len(self.current)

    def read(self, size: int = READ_CHUNK) -> bytes:
        chunk = self.stream.read(size)
        self.hash.update(chunk)
        self.lines_before_window += self.previous.count(b"\n")
        self.window_start += len(self.previous)
        self.previous, self.current = self.current, chunk
        if self.progress:
            self.progress(len(chunk))
        return chunk

    def locate(self, message: str) -> tuple[int, int]:
        """Byte offset and line of a parse error, from yajl's context snippet in ``message``."""
        offset = self.offset
        window = self.previous + self.current
        lines = message.splitlines()
        marker = next((i for i, line in enumerate(lines) if "(right here)" in line), None)
        if marker is not None and marker > 0 and "^" in lines[marker]:
            before = lines[marker - 1][: lines[marker].index("^")].lstrip()
            if before.strip():
                pattern = re.escape(before.encode("utf-8", "replace")).replace(b"\\ ", rb"\s")
                found = [m.end() for m in re.finditer(pattern, window)]
                if found:
                    offset = self.window_start + found[-1]
        line = self.lines_before_window + window.count(b"\n", 0, max(0, offset - self.window_start)) + 1
        return offset, line


def iter_export(path: Path, shown: str | None = None) -> Iterator[dict[str, Any]]:
    """Stream the tasks of a Label Studio JSON export file; malformed JSON raises with its position."""
    with Path(path).open("rb") as raw:
        yield from read_export(_CountingReader(raw, None), shown or str(path))


def read_export(stream: _CountingReader, path: str) -> Iterator[dict[str, Any]]:
    """The tasks of a Label Studio JSON export, one at a time; malformed JSON raises with its position."""
    try:
        for task in ijson.items(stream, "item", use_float=True):
            if not isinstance(task, dict):
                raise AnnotateError(Messages.EXPORT_NOT_TASKS, path=path, found=type(task).__name__)
            yield task
    except ijson.JSONError as exc:
        offset, line = stream.locate(str(exc))
        problem = str(exc).splitlines()[0].removeprefix("parse error: ")
        raise AnnotateError(Messages.EXPORT_MALFORMED, path=path, offset=offset, line=line, problem=problem) from None


# -- the stage ------------------------------------------------------------------------------------------


@dataclass
class _TaskText:
    """The article a task's annotations point into, and how offsets map onto its stored text."""

    article_id: str
    text: str  # the task's text, the one the offsets count in
    sha256: str  # of the stored article text
    shift: int  # subtract from offsets into ``text`` to get offsets into the stored article


class _Corpus:
    """article id -> sha256 of the stored text; new articles from foreign tasks are added at the end."""

    def __init__(self, workspace: Workspace, source: str):
        self.workspace = workspace
        self.source = source
        self.sha256 = {article["id"]: article["sha256"] for article in workspace.read_articles()}
        self.new: list[dict[str, Any]] = []

    def match(self, task: dict[str, Any]) -> _TaskText:
        data = task.get("data")
        text = data.get("text") if isinstance(data, dict) else None
        if not isinstance(text, str) or not text.strip():
            raise Refused(NO_TEXT, f"task {task.get('id')} has no data.text")
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
) -> ImportSummary:
    """Import a Label Studio JSON export into the workspace's annotation records.

    ``users_by_id`` (from the server, on pull) ties bare ``completed_by`` ids to e-mails for stable
    pseudonyms; ``progress(bytes)`` hears of the bytes read.
    """
    path = Path(path)
    if not path.is_file():
        raise AnnotateError(Messages.FILE_MISSING, path=path, fix="Give the path of a Label Studio JSON export.")
    schema = load_schema(workspace.schema_path)
    shown = workspace.relative(path)
    summary = ImportSummary(export=shown)
    importer = _Importer(workspace, schema.label_names, shown, users_by_id, summary)
    gc_was_enabled = gc.isenabled()
    gc.disable()  # millions of small parsed objects: the collector would be the bottleneck (DESIGN)
    try:
        with path.open("rb") as raw:
            reader = _CountingReader(raw, progress)
            for task in read_export(reader, shown):
                importer.task(task)
        summary.sha256 = reader.hash.hexdigest()
    finally:
        if gc_was_enabled:
            gc.enable()
    importer.commit()
    keep_export(workspace, path, summary.sha256)
    return summary


class _Importer:
    def __init__(
        self,
        workspace: Workspace,
        labels: Iterable[str],
        export: str,
        users: dict[int, str] | None,
        summary: ImportSummary,
    ):
        self.labels = frozenset(labels)
        self.export = export
        self.summary = summary
        self.corpus = _Corpus(workspace, f"label-studio export {Path(export).name}")
        self.annotators = Annotators(workspace.annotations_dir / ANNOTATORS_FILE, users)
        self.stores = {kind: KeyedStore(kind, store_path(workspace, kind)) for kind in KINDS}
        self.quarantine = Quarantine(workspace.quarantine_path)

    def task(self, task: dict[str, Any]) -> None:
        self.summary.tasks_read += 1
        items = {kind: _listed(task.get(kind)) for kind in KINDS}
        for kind, found in items.items():
            self.summary.tallies[kind].read += len(found)
            if kind == "annotations":
                self.summary.spans["read"] += sum(_region_count(item) for item in found)
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
            spans, repairs = check_result(item.get("result"), where.text, self.labels, to_codepoints)
            record = self._record(kind, item, task, where, spans)
        except Refused as refused:
            self._refuse(kind, refused, task, item)
            return
        if repairs:
            self.summary.repaired.update(repairs)
            done = ", ".join(f"{count} {name}" for name, count in sorted(repairs.items()))
            who = record.get("annotator") or record.get("model_version")
            self.summary.note(
                self.summary.repairs, f"task {task.get('id')} {kind[:-1]} {item.get('id')} ({who}): repaired {done}"
            )
        self.stores[kind].offer(record, self.summary)

    def _record(
        self, kind: str, item: dict[str, Any], task: dict[str, Any], where: _TaskText, spans: list[Span]
    ) -> dict[str, Any]:
        stored_text = where.text[where.shift :]
        record: dict[str, Any] = {"article_id": where.article_id}
        if kind == "predictions":
            record["model_version"] = str(item.get("model_version") or "unknown")
            record["score"] = item.get("score")
        else:
            who = item.get("completed_by") if kind == "annotations" else item.get("user", item.get("created_by"))
            record["annotator"] = self.annotators.pseudonym(who)
        if kind == "annotations":
            record["status"] = "cancelled" if item.get("was_cancelled") else "submitted"
        record["spans"] = [
            {
                "start": s.start - where.shift,
                "end": s.end - where.shift,
                "label": s.label,
                "text": stored_text[s.start - where.shift : s.end - where.shift],
            }
            for s in spans
        ]
        record["sha256"] = where.sha256
        record["created_at"] = item.get("created_at")
        record["updated_at"] = item.get("updated_at") or item.get("created_at")
        if kind != "predictions":
            record["lead_time"] = item.get("lead_time")
        if kind == "annotations":
            record["ground_truth"] = bool(item.get("ground_truth"))
        record["origin"] = {"project": task.get("project"), "task": task.get("id"), kind[:-1]: item.get("id")}
        return record

    def _refuse(self, kind: str, refused: Refused, task: dict[str, Any], item: Any) -> None:
        self.summary.tallies[kind].quarantined[refused.reason] += 1
        if kind == "annotations":
            self.summary.spans["quarantined"] += _region_count(item)
        item_id = item.get("id") if isinstance(item, dict) else item
        self.summary.note(
            self.summary.quarantined, f"task {task.get('id')} {kind[:-1]} {item_id}: {refused.reason}: {refused.detail}"
        )
        self.quarantine.add(kind, refused.reason, refused.detail, task, item, self.export)

    def commit(self) -> None:
        """Write every file, now that the whole export was read without error."""
        for store in self.stores.values():
            store.write(store.decide(self.summary))
        self.quarantine.write()
        self.annotators.save()
        self.corpus.save()
        self.summary.articles_added = len(self.corpus.new)


def _listed(found: Any) -> list[Any]:
    """A task's annotations (predictions, drafts) as a list; anything else is one item, to be refused."""
    if found is None:
        return []
    return found if isinstance(found, list) else [found]


def _region_count(item: Any) -> int:
    result = item.get("result") if isinstance(item, dict) else None
    return len(result) if isinstance(result, list) else 0


def keep_export(workspace: Workspace, path: Path, sha256: str) -> Path:
    """The export as read, under ``exports/`` with a content-addressed name (kept once)."""
    workspace.exports_dir.mkdir(parents=True, exist_ok=True)
    if path.resolve().parent == workspace.exports_dir.resolve() and sha256[:16] in path.name:
        return path
    target = workspace.exports_dir / f"{path.stem}-{sha256[:16]}{path.suffix or '.json'}"
    if not target.exists():
        with atomic_write(target, "wb") as out, path.open("rb") as source:
            shutil.copyfileobj(source, out)
    return target
