"""The corpus stage: article files in many formats -> ``corpus/articles.jsonl``.

Readers stream: each yields one ``RawRecord`` at a time (fields, or the reason it cannot be used), so a
1 GB JSON Lines file is ingested in flat memory; only the hashes of texts already seen are kept.

An article's ``id`` comes from its text (the first 16 hex digits of the SHA-256 of the normalised
text), never from its position or the time, so the same text gets the same id on every machine and
is stored once. An id the input carried is kept as ``source_id``.
"""

from __future__ import annotations

import csv
import datetime as dt
import hashlib
import io
import re
import shutil
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.workspace import Workspace, atomic_write, jsonl_writer

OPTIONAL_FIELDS = ("url", "source", "published")
ID_FIELD = "id"


@dataclass(frozen=True)
class FieldNames:
    """Which input field holds the text and which the title (``--text-field``, ``--title-field``)."""

    text: str = "text"
    title: str = "title"


@dataclass
class RawRecord:
    """One input record, before it becomes an article: its fields, or why it cannot be used."""

    where: str  # "line 3", "row 7", "train row 12", "" for a whole file
    fields: dict[str, Any] | None = None
    problem: str | None = None


@dataclass(frozen=True)
class Skipped:
    """A record that was not ingested, and what to do about it."""

    path: str
    where: str
    reason: str

    def __str__(self) -> str:
        location = f"{self.path} {self.where}".strip()
        return f"{location}: {self.reason}"


@dataclass
class AddSummary:
    files: int = 0
    records: int = 0
    added: int = 0
    duplicates: int = 0
    skipped: int = 0
    skipped_by_reason: Counter[str] = field(default_factory=Counter)
    corpus_size: int = 0

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["skipped_by_reason"] = dict(self.skipped_by_reason)
        return data


# -- articles ---------------------------------------------------------------------------------------


def normalise_text(text: str) -> str:
    """The form in which a text is stored and hashed: NFC, ``\\n`` line ends, no outer whitespace.

    Offsets into the stored text are the truth from here on, so normalising once, at the door, is
    what keeps the same article from getting two ids.
    """
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return unicodedata.normalize("NFC", text).strip()


def text_sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def article_id(sha256: str) -> str:
    return sha256[:16]


def make_article(fields: dict[str, Any], default_source: str | None = None) -> dict[str, Any]:
    """An article record from canonical fields (``text`` already present and non-empty)."""
    text = normalise_text(fields["text"])
    digest = text_sha256(text)
    title = " ".join(str(fields.get("title") or "").split())
    article = {
        "id": article_id(digest),
        "title": title,
        "text": text,
        "source": _optional_text(fields.get("source")) or default_source,
        "url": _optional_text(fields.get("url")),
        "published": _published(fields.get("published")),
        "sha256": digest,
    }
    source_id = _optional_text(fields.get(ID_FIELD))
    if source_id is not None:
        article["source_id"] = source_id
    return article


def _optional_text(value: Any) -> str | None:
    if value is None:
        return None
    text = str(value).strip()
    return text or None


def _published(value: Any) -> str | None:
    if isinstance(value, (dt.datetime, dt.date)):
        return value.isoformat()
    return _optional_text(value)


def check_fields(record: Any, names: FieldNames) -> tuple[dict[str, Any] | None, str | None]:
    """Map an input record onto canonical fields, or say what is wrong with it."""
    if not isinstance(record, dict):
        return None, f"expected an object with a '{names.text}' field, found {type(record).__name__}"
    if names.text not in record and isinstance(record.get("data"), dict):
        record = record["data"]  # a Label Studio task: the article is under "data"
    if names.text not in record:
        return (
            None,
            f"no '{names.text}' field (fields: {', '.join(map(str, record)) or 'none'}); name it with --text-field",
        )
    text = record[names.text]
    if not isinstance(text, str):
        return None, f"'{names.text}' is {type(text).__name__}, not text"
    if not text.strip():
        return None, "empty text; fill it in or drop the record"
    fields = {"text": text, "title": record.get(names.title)}
    for key in (*OPTIONAL_FIELDS, ID_FIELD):
        if key in record:
            fields[key] = record[key]
    return fields, None


# -- readers ----------------------------------------------------------------------------------------
# One function per format, registered by file suffix (spaCy's converter registry, not an if-chain).
# Each takes (path, field names, progress callback with bytes read) and yields RawRecords.

Progress = Callable[[int], None]


class _ReadPosition:
    """Tells ``progress`` how far a buffered reader (ijson, csv) has got in its binary file."""

    def __init__(self, stream: io.BufferedReader, progress: Progress):
        self.stream, self.progress, self.last = stream, progress, 0

    def report(self) -> None:
        position = self.stream.tell()
        self.progress(position - self.last)
        self.last = position


def _bytes_per_row(size: int, rows: int) -> int:
    """For formats read by row (Parquet, saved datasets): each row's share of the bytes on disk."""
    return max(1, size // max(1, rows))


def read_txt_article(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """A ``.txt`` article: first line the title, the rest the body (the seed article's form)."""
    data = path.read_bytes()
    progress(len(data))
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        yield RawRecord("", problem=f"undecodable bytes (not UTF-8, at byte {exc.start}); re-save the file as UTF-8")
        return
    title, _, body = text.lstrip("\ufeff").partition("\n")
    if not body.strip():
        yield RawRecord("", problem="empty text (a .txt article is a title line followed by the body)")
        return
    yield RawRecord("", fields={"title": title, "text": body})


def read_jsonl_articles(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """JSON Lines, one record a line; a bad line is skipped on its own, the rest still read."""
    with path.open("rb") as lines:
        for number, raw_line in enumerate(lines, start=1):
            progress(len(raw_line))
            if not raw_line.strip():
                continue
            where = f"line {number}"
            try:
                line = raw_line.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield RawRecord(
                    where, problem=f"undecodable bytes (not UTF-8, at column {exc.start + 1}); re-save as UTF-8"
                )
                continue
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError as exc:
                detail = f"{exc.msg.removesuffix(' at')} at column {exc.colno}"
                yield RawRecord(where, problem=f"malformed JSON ({detail}); fix or remove the line")
                continue
            fields, problem = check_fields(record, names)
            yield RawRecord(where, fields, problem)


def read_json_articles(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """A JSON array of records (or one record), streamed with ``ijson``."""
    import ijson

    with path.open("rb") as raw:
        first = raw.read(1)
        while first.isspace():
            first = raw.read(1)
        raw.seek(0)
        if first not in (b"{", b"["):
            yield RawRecord("", problem="not a JSON array or object of records")
            return
        records = ijson.items(raw, "item" if first == b"[" else "", use_float=True)
        position = _ReadPosition(raw, progress)
        index = 0
        try:
            for index, record in enumerate(records, start=1):
                position.report()
                fields, problem = check_fields(record, names)
                yield RawRecord(f"record {index}", fields, problem)
        except (ijson.JSONError, UnicodeDecodeError) as exc:
            reason = str(exc).splitlines()[0]
            yield RawRecord(
                f"after record {index}",
                problem=f"malformed JSON near byte {raw.tell()} ({reason}); the rest of the file was not read",
            )


def read_csv_articles(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """CSV with a header row; fields may hold newlines inside quotes."""
    csv.field_size_limit(1 << 30)  # articles are longer than csv's 128 KB default field limit
    with path.open("rb") as raw:
        # surrogateescape lets one undecodable row be reported and skipped without losing the rest
        text = io.TextIOWrapper(raw, encoding="utf-8-sig", errors="surrogateescape", newline="")
        reader = csv.DictReader(text)
        position = _ReadPosition(raw, progress)
        for row in reader:
            position.report()
            where = f"row {reader.line_num}"
            if any(_has_undecodable(value) for value in row.values() if isinstance(value, str)):
                yield RawRecord(where, problem="undecodable bytes (not UTF-8); re-save the file as UTF-8")
                continue
            fields, problem = check_fields(row, names)
            yield RawRecord(where, fields, problem)


def _has_undecodable(value: str) -> bool:
    return bool(re.search("[\udc80-\udcff]", value))


def read_parquet_articles(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """Parquet, read in record batches so memory stays flat."""
    import pyarrow.parquet as pq

    try:
        parquet = pq.ParquetFile(path)
    except Exception as exc:  # pyarrow raises ArrowInvalid / OSError for a damaged file
        yield RawRecord("", problem=f"not a readable Parquet file ({exc})")
        return
    row = 0
    per_row = _bytes_per_row(path.stat().st_size, parquet.metadata.num_rows)
    for batch in parquet.iter_batches(batch_size=1024):
        for record in batch.to_pylist():
            row += 1
            progress(per_row)
            fields, problem = check_fields(record, names)
            yield RawRecord(f"row {row}", fields, problem)


def read_saved_dataset_articles(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    """A folder written by ``datasets``' ``save_to_disk`` (a Dataset or a DatasetDict)."""
    import datasets

    try:
        loaded = datasets.load_from_disk(str(path))
    except Exception as exc:  # datasets raises FileNotFoundError / ValueError for a bad folder
        yield RawRecord("", problem=f"not a readable saved dataset ({exc})")
        return
    splits = list(loaded.items()) if isinstance(loaded, datasets.DatasetDict) else [("", loaded)]
    per_row = _bytes_per_row(input_size(path), sum(len(dataset) for _, dataset in splits))
    for split, dataset in splits:
        for row, record in enumerate(dataset, start=1):
            progress(per_row)
            fields, problem = check_fields(record, names)
            yield RawRecord(f"{split} row {row}".strip(), fields, problem)


READERS: dict[str, Callable[[Path, FieldNames, Progress], Iterator[RawRecord]]] = {
    ".txt": read_txt_article,
    ".jsonl": read_jsonl_articles,
    ".json": read_json_articles,
    ".csv": read_csv_articles,
    ".parquet": read_parquet_articles,
}
SAVED_DATASET_MARKERS = ("dataset_info.json", "state.json", "dataset_dict.json")


def is_saved_dataset(path: Path) -> bool:
    return path.is_dir() and any((path / marker).exists() for marker in SAVED_DATASET_MARKERS)


def input_files(paths: Iterable[Path | str]) -> list[Path]:
    """Expand folders into the files to read, in a stable order; refuse what cannot be read."""
    files: list[Path] = []
    for path in map(Path, paths):
        if not path.exists():
            raise AnnotateError(Messages.CORPUS_MISSING, path=path)
        if is_saved_dataset(path):
            files.append(path)
        elif path.is_dir():
            files.extend(sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in READERS))
        elif path.suffix.lower() in READERS:
            files.append(path)
        else:
            raise AnnotateError(Messages.CORPUS_UNSUPPORTED, path=path, suffix=path.suffix or "(none)")
    return files


def read_records(path: Path, names: FieldNames, progress: Progress) -> Iterator[RawRecord]:
    reader = read_saved_dataset_articles if is_saved_dataset(path) else READERS[path.suffix.lower()]
    return reader(path, names, progress)


def input_size(path: Path) -> int:
    """What the progress bar counts for ``path``: its bytes on disk (a saved dataset's: all its files)."""
    if path.is_dir():
        return sum(file.stat().st_size for file in path.rglob("*") if file.is_file())
    return path.stat().st_size


# -- the stage --------------------------------------------------------------------------------------


def add(
    workspace: Workspace,
    paths: Iterable[Path | str],
    names: FieldNames = FieldNames(),
    source: str | None = None,
    strict: bool = False,
    on_skip: Callable[[Skipped], None] | None = None,
    progress: Callable[[Path, int, int], None] | None = None,
) -> AddSummary:
    """Ingest ``paths`` into the workspace corpus; duplicates of stored texts are skipped.

    ``on_skip`` hears of every record that is not ingested; ``progress(file, advance, total)`` of
    the bytes read. With ``strict``, any skipped record means nothing is written and
    ``AnnotateError`` is raised after all input was read (so every problem is listed).
    """
    files = input_files(paths)
    summary = AddSummary(files=len(files))
    with _appending(workspace) as corpus:
        for path in files:
            total = input_size(path)

            def advance(amount: int, path: Path = path, total: int = total) -> None:
                if progress:
                    progress(path, amount, total)

            for raw in read_records(path, names, advance):
                summary.records += 1
                if raw.problem is not None or raw.fields is None:
                    _skip(summary, Skipped(workspace.relative(path), raw.where, raw.problem or "unreadable"), on_skip)
                    continue
                if corpus.add(make_article(raw.fields, default_source=source)):
                    summary.added += 1
                else:
                    summary.duplicates += 1
        if strict and summary.skipped:
            raise AnnotateError(Messages.CORPUS_STRICT, ExitCode.STRICT, count=summary.skipped)
    summary.corpus_size = corpus.size
    return summary


def append_articles(workspace: Workspace, articles: Iterable[dict[str, Any]]) -> int:
    """Add articles made with ``make_article`` (e.g. from a foreign Label Studio export) that the
    corpus does not hold yet; returns how many were added."""
    with _appending(workspace) as corpus:
        return sum(corpus.add(article) for article in articles)


class _Appender:
    """Adds an article to the corpus being rewritten unless the corpus holds its text already."""

    def __init__(self, writer: Any, seen: set[bytes]):
        self.writer = writer
        self.seen = seen

    @property
    def size(self) -> int:
        return len(self.seen)

    def add(self, article: dict[str, Any]) -> bool:
        key = _dedup_key(article["sha256"])
        if key in self.seen:
            return False
        self.seen.add(key)
        self.writer.write(article)
        return True


@contextmanager
def _appending(workspace: Workspace) -> Iterator[_Appender]:
    """The corpus, copied into a new file that new articles are appended to and that replaces it
    at the end; an exception inside leaves the corpus as it was."""
    seen = _stored_hashes(workspace)
    with atomic_write(workspace.articles_path, "wb") as out:
        if workspace.articles_path.exists():
            with workspace.articles_path.open("rb") as existing:
                shutil.copyfileobj(existing, out)
        yield _Appender(jsonl_writer(out), seen)


def _skip(summary: AddSummary, skipped: Skipped, on_skip: Callable[[Skipped], None] | None) -> None:
    summary.skipped += 1
    summary.skipped_by_reason[_reason_kind(skipped.reason)] += 1
    if on_skip:
        on_skip(skipped)


def _reason_kind(reason: str) -> str:
    """A short key for counting: the reason up to its first parenthesis or semicolon."""
    return re.split(r" \(|;", reason, maxsplit=1)[0].strip()


def _stored_hashes(workspace: Workspace) -> set[bytes]:
    return {_dedup_key(article["sha256"]) for article in workspace.read_articles()}


def _dedup_key(sha256: str) -> bytes:
    """The first 128 bits of the text's hash, as bytes: the only thing kept per article while
    ingesting (about half the memory of the hex string; a collision needs ~2**64 articles)."""
    return bytes.fromhex(sha256[:32])


# -- stats ------------------------------------------------------------------------------------------


def near_duplicate_key(text: str) -> str:
    """Texts equal up to case, punctuation and spacing share this key (a wire story re-run)."""
    folded = re.sub(r"[\W_]+", " ", text.casefold()).strip()
    return hashlib.sha256(folded.encode("utf-8")).hexdigest()[:16]


def stats(workspace: Workspace) -> dict[str, Any]:
    """Counts, length distribution, sources and (near-)duplicates of the corpus, in one pass."""
    import numpy as np

    chars: list[int] = []
    words: list[int] = []
    sources: Counter[str] = Counter()
    ids: Counter[str] = Counter()
    near: Counter[str] = Counter()
    non_bmp = with_url = with_published = 0
    for article in workspace.read_articles():
        text = article["text"]
        chars.append(len(text))
        words.append(len(text.split()))
        sources[article.get("source") or "(none)"] += 1
        ids[article["id"]] += 1
        near[near_duplicate_key(text)] += 1
        non_bmp += any(ord(c) > 0xFFFF for c in text)
        with_url += bool(article.get("url"))
        with_published += bool(article.get("published"))
    if not chars:
        raise AnnotateError(Messages.CORPUS_EMPTY, path=workspace.relative(workspace.articles_path))
    return {
        "articles": len(chars),
        "characters": _distribution(np.array(chars)),
        "words": _distribution(np.array(words)),
        "sources": dict(sources.most_common()),
        "with_url": with_url,
        "with_published": with_published,
        "with_characters_outside_bmp": non_bmp,
        "duplicate_ids": sum(count - 1 for count in ids.values() if count > 1),
        "near_duplicates": sum(count - 1 for count in near.values() if count > 1),
    }


def _distribution(values: Any) -> dict[str, float]:
    import numpy as np

    return {
        "min": int(values.min()),
        "median": float(np.median(values)),
        "mean": round(float(values.mean()), 1),
        "p90": float(np.percentile(values, 90)),
        "max": int(values.max()),
        "total": int(values.sum()),
    }
