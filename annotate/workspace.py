"""The workspace: the one place that knows where things live and how its files are read and written.

A workspace is a folder with an ``annotate.yaml`` config, a schema under ``schemas/`` and the corpus
under ``corpus/``. Records are JSON Lines, streamed in and out; every write goes to a temporary file
beside the target and is renamed over it at the end, so a killed run never leaves half a file.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import re
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import IO, Any

import orjson
import yaml

from annotate.errors import AnnotateError, ExitCode, Messages

CONFIG_FILE = "annotate.yaml"
DEFAULT_SCHEMA = "schemas/conflict-spans.yaml"
DEFAULT_CONFIG: dict[str, Any] = {
    "name": "conflict-events",
    "schema": DEFAULT_SCHEMA,
    "license": "cc-by-4.0",
    "language": ["en"],
}
CONFIG_KEYS = tuple(DEFAULT_CONFIG)


@dataclass(frozen=True)
class Workspace:
    """An opened workspace: its root folder and its config."""

    root: Path
    config: dict[str, Any] = field(default_factory=lambda: dict(DEFAULT_CONFIG))

    @property
    def schema_path(self) -> Path:
        return self.root / self.config["schema"]

    def set_config(self, key: str, value: str) -> None:
        """Set one top-level key of ``annotate.yaml``, leaving its other lines (and comments) as they are."""
        path = self.root / CONFIG_FILE
        line = yaml.safe_dump({key: value}, allow_unicode=True).rstrip("\n")
        lines = path.read_text(encoding="utf-8").splitlines()
        at = next((index for index, text in enumerate(lines) if text.startswith(f"{key}:")), None)
        if at is None:
            lines.append(line)
        else:
            lines[at] = line
        with atomic_write(path) as out:
            out.write("\n".join(lines) + "\n")
        self.config[key] = value

    @property
    def corpus_dir(self) -> Path:
        return self.root / "corpus"

    @property
    def articles_path(self) -> Path:
        return self.corpus_dir / "articles.jsonl"

    @property
    def reference_spans_path(self) -> Path:
        """Hand-checked reference spans for corpus articles, the gold the pre-annotator is scored on."""
        return self.corpus_dir / "reference" / "spans.jsonl"

    @property
    def tasks_path(self) -> Path:
        return self.root / "tasks" / "tasks.json"

    @property
    def push_ledgers_dir(self) -> Path:
        """What ``annotate push`` sent: one ledger per project (see ``push_ledger_path``)."""
        return self.root / "tasks" / "pushed"

    def push_ledger_path(self, project: str) -> Path:
        """The push ledger of the project titled ``project``: ``tasks/pushed/<slug>-<8 hex>.jsonl``, the hex
        from the title's sha256 (two titles with one slug keep two ledgers). Its records: ``annotate.push``."""
        return self.push_ledgers_dir / f"{slug(project)[:60]}-{hashlib.sha256(project.encode()).hexdigest()[:8]}.jsonl"

    @property
    def annotations_dir(self) -> Path:
        return self.root / "annotations"

    @property
    def annotations_path(self) -> Path:
        """Human annotations, one record per annotator per article (see ``read_annotations``)."""
        return self.annotations_dir / "annotations.jsonl"

    @property
    def quarantine_path(self) -> Path:
        """What the importer refused, each with the raw record and a reason."""
        return self.annotations_dir / "quarantine.jsonl"

    @property
    def agreement_path(self) -> Path:
        """The last agreement report with the sha256 of what it was computed from (``agreement.saved_report``):
        reused, by ``annotate agreement`` and ``publish``, while those inputs have not changed."""
        return self.annotations_dir / "agreement.json"

    @property
    def exports_dir(self) -> Path:
        """Raw Label Studio exports as pulled, never modified, named by their content's sha256."""
        return self.root / "exports"

    @property
    def gold_dir(self) -> Path:
        return self.root / "gold"

    @property
    def gold_path(self) -> Path:
        """The settled gold standard, one record per article (see ``read_gold``)."""
        return self.gold_dir / "gold.jsonl"

    @property
    def adjudications_path(self) -> Path:
        """Adjudicators' decisions pulled from a review project, one record per article; they settle gold."""
        return self.gold_dir / "adjudications.jsonl"

    @property
    def releases_dir(self) -> Path:
        """Published versions: ``releases/<dataset name>/``, a Hub-layout dataset repository under git."""
        return self.root / "releases"

    @property
    def release_dir(self) -> Path:
        return self.releases_dir / self.config["name"]

    @property
    def training_dir(self) -> Path:
        """Training-data exports (CoNLL, spaCy, JSONL) written by ``annotate export``."""
        return self.root / "training"

    @property
    def guidelines_dir(self) -> Path:
        """The annotation guidelines rendered from the schema (``guidelines.md``, ``guidelines.html``)."""
        return self.root / "guidelines"

    @property
    def rounds_path(self) -> Path:
        """Which articles went out in which round of which project (see ``read_rounds``)."""
        return self.root / "rounds" / "rounds.jsonl"

    @property
    def studio_dir(self) -> Path:
        """The local Label Studio's folder: its data, log, pid and credentials (see ``annotate.studio``)."""
        return self.root / ".studio"

    def relative(self, path: Path) -> str:
        """``path`` as the user should see it: relative to the workspace when inside it."""
        with contextlib.suppress(ValueError):
            return str(Path(path).resolve().relative_to(self.root.resolve()))
        return str(path)

    def read_articles(self) -> Iterator[dict[str, Any]]:
        """Stream the corpus, one article dict at a time (nothing if the corpus is empty)."""
        if self.articles_path.exists():
            yield from read_jsonl(self.articles_path, Messages.FIX_CORPUS)

    def read_annotations(self) -> Iterator[dict[str, Any]]:
        """Stream the annotation records (nothing before the first import).

        One record per annotator per article::

            {"article_id": str, "annotator": "ann-01" (a pseudonym), "status": "submitted" | "cancelled",
             "spans": [{"start": int, "end": int, "label": str, "text": str}, ...]  (sorted; end exclusive,
                       Python code points into the article text),
             "sha256": str (of the text the offsets point into), "created_at": str, "updated_at": str,
             "lead_time": float | None, "ground_truth": bool,
             "origin": {"project": int | None, "task": int, "annotation": int}}
        """
        if self.annotations_path.exists():
            yield from read_jsonl(self.annotations_path, Messages.FIX_ANNOTATIONS)

    def read_rounds(self) -> Iterator[dict[str, Any]]:
        """Stream the recorded rounds (nothing before the first ``annotate push --round``).

        One record per round of a project, in the order they were first pushed::

            {"round": str, "project": str (the project's title), "seed": int, "sample": int,
             "articles": [article id, ...]  (the sample, in the order it was drawn),
             "created_at": str (ISO 8601, UTC)}
        """
        if not self.rounds_path.exists():
            return
        for line, record in enumerate(read_jsonl(self.rounds_path, Messages.FIX_ROUNDS), start=1):
            if not (
                isinstance(record, dict)
                and isinstance(record.get("round"), str)
                and isinstance(record.get("project"), str)
                and isinstance(record.get("articles"), list)
            ):
                problem = "a round needs a 'round' and a 'project' name and its 'articles'"
                raise AnnotateError(
                    Messages.RECORDS_DAMAGED, path=self.rounds_path, line=line, problem=problem, fix=Messages.FIX_ROUNDS
                )
            yield record

    def rounds_of_articles(self) -> dict[str, list[str]]:
        """Article id -> the names of the rounds it went out in (any project), for per-round reports."""
        found: dict[str, list[str]] = {}
        for record in self.read_rounds():
            for article_id in record["articles"]:
                names = found.setdefault(article_id, [])
                if record["round"] not in names:
                    names.append(record["round"])
        return found

    def round_articles(self, name: str) -> set[str]:
        """The articles that went out in round ``name`` (in any project); an unknown round is refused."""
        rounds = [record for record in self.read_rounds() if record["round"] == name]
        if not rounds:
            known = ", ".join(sorted({record["round"] for record in self.read_rounds()})) or "none yet"
            raise AnnotateError(Messages.ROUND_UNKNOWN, name=name, known=known)
        return {article_id for record in rounds for article_id in record["articles"]}

    def read_gold(self) -> Iterator[dict[str, Any]]:
        """Stream the gold records (nothing before the first ``annotate gold``), in corpus order.

        One record per article that has at least one submitted annotation (or an adjudication)::

            {"article_id": str, "sha256": str, "strategy": "majority" | "unanimous" | "adjudicated",
             "min_support": int | None  (--min-support as given; None: the strategy's own),
             "support_needed": int | None  (annotators a span needed in this article; None: no annotator),
             "settled_by": "majority" | "unanimous" | "single" | "adjudicated" | "ground_truth" (how this
                           article was settled: "single" when it has one annotator; a ground_truth
                           annotation or an adjudication overrides the strategy),
             "decided_by": "ann-04" | None  (the adjudicator, or the ground_truth annotation's annotator),
             "annotators": ["ann-01", ...]  (pseudonyms with a submitted annotation of this article),
             "spans": [{"start": int, "end": int, "label": str, "text": str,
                        "settled": "single" | "unanimous" | "majority" | "adjudicated" | "ground_truth",
                        "support": ["ann-01", ...]}, ...]  (sorted by start, end, label),
             "choices": {control: {"value": [option, ...], "settled": "single" | ... | None (in conflict),
                                   "support": {option: ["ann-01", ...]}}}  (only when the schema has controls),
             "conflicts": [{"start": int, "end": int,  (the stretch of text the candidates cover)
                            "kind": "label" | "boundary" | "label-and-boundary" | "overlapping-settled"
                                    | "awaiting-adjudication",
                            "reason": str,
                            "candidates": [{"start", "end", "label", "text", "support": [...]}]}, ...
                           then a control's: {"control": str, "kind": "choice", "reason": str,
                                              "candidates": [{"option": str, "support": [...]}]}]}

        An article is complete when ``conflicts`` is empty; its open conflicts are what
        ``annotate adjudicate push`` sends for review. The rules: ``annotate.gold``.
        """
        if self.gold_path.exists():
            yield from read_jsonl(self.gold_path, Messages.FIX_GOLD)

    def read_adjudications(self) -> Iterator[dict[str, Any]]:
        """Stream the adjudicators' decisions (nothing before the first ``adjudicate pull``); they settle gold.

        One record per article::

            {"article_id": str, "sha256": str, "spans": [{"start", "end", "label", "text"}, ...],
             "choices": {control: [option, ...]}  (only when the schema has controls),
             "other": [region, ...]  (regions of controls the schema does not model; only when there are any),
             "adjudicator": "ann-04" (a pseudonym), "updated_at": str,
             "origin": {"project": int, "task": int, "annotation": int}}

        Written by ``annotate.adjudicate``; read by gold, which must not import the stage after it.
        """
        if self.adjudications_path.exists():
            yield from read_jsonl(self.adjudications_path, Messages.FIX_ADJUDICATIONS)


def open_workspace(root: Path | str = ".") -> Workspace:
    """Open the workspace at ``root``; a folder without ``annotate.yaml`` is refused."""
    root = Path(root)
    config_path = root / CONFIG_FILE
    if not config_path.is_file():
        raise AnnotateError(Messages.NO_WORKSPACE, ExitCode.ENVIRONMENT, root=root, config=CONFIG_FILE)
    config = read_yaml(config_path) or {}
    for key in config:
        if key not in CONFIG_KEYS:
            raise AnnotateError(Messages.CONFIG_BAD_KEY, path=config_path, key=key, known=", ".join(CONFIG_KEYS))
    merged = {**DEFAULT_CONFIG, **config}
    if not isinstance(merged["schema"], str) or not merged["schema"]:
        raise AnnotateError(Messages.CONFIG_BAD_VALUE, path=config_path, key="schema", problem="must be a path")
    return Workspace(root=root, config=merged)


def init_workspace(root: Path | str, name: str | None = None) -> Workspace:
    """Make a new workspace at ``root``: config, the default schema, an empty ``corpus/``."""
    root = Path(root)
    config_path = root / CONFIG_FILE
    if config_path.exists():
        raise AnnotateError(Messages.WORKSPACE_EXISTS, root=root, config=CONFIG_FILE)
    config = {**DEFAULT_CONFIG, "name": name or DEFAULT_CONFIG["name"]}
    workspace = Workspace(root=root, config=config)
    workspace.corpus_dir.mkdir(parents=True, exist_ok=True)
    if not workspace.schema_path.exists():
        workspace.schema_path.parent.mkdir(parents=True, exist_ok=True)
        workspace.schema_path.write_text(default_schema_text(), encoding="utf-8")
    with atomic_write(config_path) as out:
        out.write("# annotate workspace: see `annotate --help`\n")
        yaml.safe_dump(config, out, sort_keys=False, allow_unicode=True)
    return workspace


def default_schema_text() -> str:
    """The bundled conflict-spans schema (``schemas/conflict-spans.yaml``, shipped in the package)."""
    return resources.files("annotate").joinpath("templates/conflict-spans.yaml").read_text(encoding="utf-8")


# -- files ------------------------------------------------------------------------------------------


@contextlib.contextmanager
def atomic_write(path: Path, mode: str = "w") -> Iterator[IO[Any]]:
    """Write ``path`` through a temporary file in the same folder, renamed over it only on success."""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    encoding = None if "b" in mode else "utf-8"
    fd, tmp_name = tempfile.mkstemp(prefix=f".{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        with open(fd, mode, encoding=encoding) as out:
            yield out
            out.flush()
            os.fsync(out.fileno())
        os.replace(tmp_name, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp_name)
        raise


def read_jsonl(path: Path, fix: str = Messages.FIX_ANY) -> Iterator[dict[str, Any]]:
    """Stream the records of a JSON Lines file this tool wrote; a damaged line is an error saying ``fix``.

    Each line is parsed by ``orjson`` as it is; a line that does not give a JSON value other than null
    that way (damaged, empty, or opening with a byte-order mark or a record separator) is read by
    ``jsonlines``, which says what is wrong with it. Its ``Reader`` for every line costs a third more
    time than the parse itself (stages read a million spans), and its import a few hundredths of a second.
    """
    with path.open("rb") as stream:
        for number, line in enumerate(stream, start=1):
            try:
                record = orjson.loads(line)
            except orjson.JSONDecodeError:
                record = None
            yield _jsonlines_read(line, path, number, fix) if record is None else record


def _jsonlines_read(line: bytes, path: Path, number: int, fix: str) -> Any:
    """One line as ``jsonlines`` reads it, or the error it finds in it (line ``number`` of ``path``)."""
    import jsonlines

    try:
        return jsonlines.Reader([line], loads=orjson.loads).read()
    except jsonlines.InvalidLineError as exc:
        problem = str(exc).split(" (")[0]
        raise AnnotateError(Messages.RECORDS_DAMAGED, path=path, line=number, problem=problem, fix=fix) from None


def record_digest(record: Any) -> bytes:
    """16 bytes that tell whether two records (any JSON value) hold the same content, whatever the order
    of their keys: is an imported record the stored one, was a refusal quarantined already, did a
    decision or a gold record change."""
    return hashlib.blake2b(orjson.dumps(record, option=orjson.OPT_SORT_KEYS), digest_size=16).digest()


def slug(title: str) -> str:
    """A project title as a file name's part: ASCII letters and digits, runs of anything else as one "-"."""
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower() or "project"


def file_sha256(path: Path) -> str:
    """The SHA-256 of a file, read a MiB at a time (a corpus or an export can be large)."""
    digest = hashlib.sha256()
    with path.open("rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def json_text(data: Any) -> str:
    """Indented JSON as people read it (reports, manifests), non-ASCII text kept readable."""
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"


def jsonl_writer(out: IO[bytes]) -> JsonlWriter:
    """A JSON Lines writer for a binary stream: compact UTF-8 (non-ASCII text stays readable), keys in
    insertion order. ``orjson`` because the standard encoder is the slowest step of an ingest."""
    return JsonlWriter(out)


class JsonlWriter:
    """What ``jsonlines.Writer(out, dumps=orjson.dumps)`` does, the same bytes: each record as ``orjson``
    writes it, then a newline. ``jsonlines`` imports ``attrs`` and checks its stream and encoder on every
    record: 0.03 s of a command's start and of 10,000 gold records. As there, closing leaves ``out`` open."""

    def __init__(self, out: IO[bytes]):
        self._out = out
        self._closed = False

    def write(self, record: Any) -> int:
        """Write one record as a line; returns the bytes written, the newline included."""
        if self._closed:
            raise RuntimeError("writer is closed")
        line = orjson.dumps(record, option=orjson.OPT_APPEND_NEWLINE)
        self._out.write(line)
        return len(line)

    def write_all(self, records: Iterable[Any]) -> int:
        return sum(self.write(record) for record in records)

    def close(self) -> None:
        self._closed = True

    def __enter__(self) -> JsonlWriter:
        return self

    def __exit__(self, *_: object) -> None:
        self.close()


# -- YAML -------------------------------------------------------------------------------------------


class _StrictLoader(yaml.SafeLoader):
    """PyYAML keeps the last of two equal keys without a word; a schema with a key twice is a mistake."""


def _construct_mapping_refusing_duplicates(loader: _StrictLoader, node: yaml.MappingNode) -> dict[Any, Any]:
    seen: set[Any] = set()
    for key_node, _ in node.value:
        key = loader.construct_object(key_node)
        if key in seen:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        seen.add(key)
    return loader.construct_mapping(node)


class _DuplicateKey(Exception):
    def __init__(self, key: Any, line: int):
        super().__init__(key, line)
        self.key, self.line = key, line


_StrictLoader.add_constructor(yaml.resolver.BaseResolver.DEFAULT_MAPPING_TAG, _construct_mapping_refusing_duplicates)


def read_yaml(path: Path) -> Any:
    """Parse a YAML file, turning syntax errors and duplicate keys into one-line messages."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise AnnotateError(Messages.FILE_MISSING, path=path, fix="Check the path in annotate.yaml.") from None
    try:
        return yaml.load(text, Loader=_StrictLoader)
    except _DuplicateKey as exc:
        raise AnnotateError(Messages.YAML_DUPLICATE_KEY, path=path, line=exc.line, key=exc.key) from None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark
        raise AnnotateError(
            Messages.YAML_SYNTAX,
            path=path,
            line=mark.line + 1 if mark else "?",
            column=mark.column + 1 if mark else "?",
            problem=exc.problem or "invalid YAML",
        ) from None
