"""The import's stores: one keyed JSONL file per kind of record, and the quarantine.

Candidates are spooled to a temporary file while the export is read and the files are rewritten only
once the whole export was read (``KeyedStore.write``, ``Quarantine.write``), so a malformed export
leaves every file as it was.
"""

from __future__ import annotations

import hashlib
import shutil
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any, NamedTuple

import orjson

from annotate import records
from annotate.errors import Messages
from annotate.imports.regions import DUPLICATE, NO_LABEL, other_key
from annotate.imports.summary import ImportSummary
from annotate.spans import tuple_maker
from annotate.workspace import Workspace, atomic_write, read_jsonl, record_digest


def store_path(workspace: Workspace, kind: str) -> Path:
    return workspace.annotations_path if kind == "annotations" else workspace.annotations_dir / f"{kind}.jsonl"


def record_key(kind: str, record: dict[str, Any]) -> str:
    """The identity of a record: one per annotator (or model version) per article."""
    who = record.get("model_version") if kind == "predictions" else record["annotator"]
    return f"{record['article_id']}\t{who}"


class RegionCounts(NamedTuple):
    """How many regions of an annotation's ``result`` were span and choice regions, and how many span
    regions a repair left out (the record itself holds its spans and the ``other`` regions)."""

    spans: int = 0
    choices: int = 0
    duplicate: int = 0
    no_label: int = 0


NO_REGIONS = RegionCounts()


class _Facts(NamedTuple):
    """What the reconciliation needs of a spooled record, kept on a line of its own spool (``facts``), so
    that ``decide`` reads a record again only when it must (the store holds its key, it has ``other``
    regions, or it is reported by name)."""

    key: int  # _key_hash of the record
    counts: RegionCounts
    stored_spans: int  # spans on the record
    other: int  # regions kept in ``other``
    cancelled: bool
    ground_truth: bool
    offset: int  # of the record's line in the records' spool

    @classmethod
    def decode(cls, raw: bytes) -> _Facts:
        key, spans, choices, duplicate, no_label, stored, other, cancelled, truth, offset = map(int, raw.split(b","))
        counts = _new_counts((spans, choices, duplicate, no_label))
        return _new_facts((key, counts, stored, other, bool(cancelled), bool(truth), offset))


class _Regions:
    """Where the regions of the annotations decided went, and how many of those stored were cancelled or
    ground truth: summed here and added to the summary once (a Counter's ``+=`` for each figure of each
    record was a third of ``decide``)."""

    def __init__(self) -> None:
        self.spans = self.choices = self.other = self.duplicate = self.no_label = 0  # on stored records
        self.superseded_regions = self.superseded_spans = 0
        self.cancelled = self.ground_truth = 0

    def stored(self, facts: _Facts) -> None:
        counts = facts.counts
        self.spans += facts.stored_spans
        self.choices += counts.choices
        self.other += facts.other
        self.duplicate += counts.duplicate
        self.no_label += counts.no_label
        self.cancelled += facts.cancelled
        self.ground_truth += facts.ground_truth

    def superseded(self, facts: _Facts) -> None:
        counts = facts.counts
        self.superseded_regions += counts.spans + counts.choices + facts.other
        self.superseded_spans += counts.spans

    def add_to(self, summary: ImportSummary) -> None:
        regions, spans = summary.regions, summary.spans
        regions["spans"] += self.spans
        regions["choices"] += self.choices
        regions["other"] += self.other
        regions[DUPLICATE] += self.duplicate
        regions[NO_LABEL] += self.no_label
        regions["superseded"] += self.superseded_regions
        spans["stored"] += self.spans
        spans["dropped"] += self.duplicate + self.no_label
        spans["superseded"] += self.superseded_spans
        summary.cancelled += self.cancelled
        summary.ground_truth += self.ground_truth


class KeyedStore:
    """Candidates for one store, spooled to a temporary file while the export is read.

    What stays in memory per record is small and fixed — a 64-bit hash of its key and one packed
    integer (timestamp, origin id, spool line) — whatever the size of its spans: the records
    themselves are read back from the spool when the store is rewritten. Each record's ``_Facts`` (with
    the ``RegionCounts`` of its annotation, for the reconciliation) go to a spool of their own, so the
    reconciliation reads a few bytes a record, and a store gets the records' spool copied whole when
    every record in it is written.
    """

    def __init__(self, kind: str, path: Path):
        self.kind = kind
        self.path = path
        self.stored = {_key_hash(kind, r): _stamp(r).to_bytes(8, "big") + record_digest(r) for r in _read(path)}
        self.spool: IO[bytes] = tempfile.TemporaryFile(buffering=SPOOL_BUFFER)
        self.facts: IO[bytes] = tempfile.TemporaryFile()
        self.spooled = 0  # bytes written to ``spool``
        self.best: dict[int, int] = {}  # key hash -> _pack(updated_at, origin id, spool line)
        self.lines = 0
        self.replaced: set[int] = set()

    def offer(self, record: dict[str, Any], summary: ImportSummary, counts: RegionCounts = NO_REGIONS) -> None:
        """A checked record; of two with one key the newest stays, the other is superseded now."""
        key = _key_hash(self.kind, record)
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        self.facts.write(
            b"%d,%d,%d,%d,%d,%d,%d,%d,%d,%d\n"
            % (
                key,
                *counts,
                len(record.get("spans") or ()),
                len(record.get("other") or ()),
                record.get("status") == "cancelled",
                bool(record.get("ground_truth")),
                self.spooled,
            )
        )
        self.spool.write(line)
        self.spooled += len(line)
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
        regions = _Regions()
        self.facts.seek(0)
        for number, line in enumerate(self.facts):
            facts = _Facts.decode(line)
            if not winners[number]:  # lost to a newer version in the same export (counted in offer)
                regions.superseded(facts)
                continue
            outcome, record = self._outcome(facts)
            setattr(tally, outcome, getattr(tally, outcome) + 1)
            if outcome == "superseded":
                regions.superseded(facts)
                who = record_key(self.kind, record).replace("\t", " by ")  # type: ignore[arg-type]  # read: the store holds its key
                summary.note(summary.superseded, f"{self.kind} {who}: the store holds a newer version")
                continue
            regions.stored(facts)
            if facts.other and self.kind == "annotations":
                record = record or self._record(facts)
                summary.other_kept.update(other_key(region) for region in record["other"])
            if outcome != "unchanged":
                write[number] = 1
            if outcome == "updated":
                self.replaced.add(facts.key)
        if self.kind == "annotations" and self.lines:
            regions.add_to(summary)
        return write

    def _record(self, facts: _Facts) -> dict[str, Any]:
        """The spooled record ``facts`` tells of, read again."""
        self.spool.seek(facts.offset)
        return orjson.loads(self.spool.readline())

    def _outcome(self, facts: _Facts) -> tuple[str, dict[str, Any] | None]:
        """What becomes of the record against the store, and the record when that needed it read again (the
        store holds its key), so that it is read once."""
        stored = self.stored.get(facts.key)
        if stored is None:
            return "imported", None
        record = self._record(facts)
        if stored[8:] == record_digest(record):
            return "unchanged", record
        return ("updated" if _stamp(record) >= int.from_bytes(stored[:8], "big") else "superseded"), record

    def write(self, lines: bytearray) -> None:
        if not any(lines) and not self.replaced:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            for record in _read(self.path):
                if _key_hash(self.kind, record) not in self.replaced:
                    out.write(orjson.dumps(record) + b"\n")
            self.spool.seek(0)
            if 0 not in lines:  # every record spooled is written: a fresh import
                shutil.copyfileobj(self.spool, out)
                return
            for number, line in enumerate(self.spool):
                if lines[number]:
                    out.write(line)


SPOOL_BUFFER = 1 << 20  # the records' spool is written a MiB at a time (8 KiB took a write call per 7 records)
_new_counts, _new_facts = tuple_maker(RegionCounts), tuple_maker(_Facts)  # one of each per line of the facts' spool
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

    def write(self, export: str | None = None) -> None:
        """Append the new entries; ``export``, when given, names the export they came from instead of the
        name given to ``add`` (a pull knows its content-addressed name only once the download is whole)."""
        if not self.new:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            if self.path.exists():
                with self.path.open("rb") as existing:
                    shutil.copyfileobj(existing, out)
            self.spool.seek(0)
            if export is None:
                shutil.copyfileobj(self.spool, out)
                return
            for line in self.spool:  # only the refused: few
                out.write(orjson.dumps({**orjson.loads(line), "export": export}) + b"\n")


def _without_emails(raw: Any) -> Any:
    """The raw record as it came, but for the annotator's e-mail and name (quarantine is local, still
    it should not be where e-mails can be copied from)."""
    if isinstance(raw, dict) and isinstance(raw.get("completed_by"), dict):
        who = raw["completed_by"]
        return {**raw, "completed_by": {"id": who.get("id")}}
    return raw
