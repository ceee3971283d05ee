"""A Label Studio project -> a raw export on disk (paged, concurrent), imported while it downloads.

Label Studio Community builds export snapshots inside one request, which times out on big projects.
Pull lists the task ids (with each task's ``updated_at``), then asks the export endpoint for a batch of
ids at a time, a few requests in flight, and writes the responses, unchanged and in task-id order, into
one JSON array: the same JSON export the UI gives, saved under ``exports/`` with a content-addressed
name and never modified. The importer reads those bytes as they arrive, so the import ends soon after
the last response.

Incremental: after a pull, ``.pull/<key>.json`` keeps what was pulled (the server, the project, each
task's ``updated_at`` and its annotation ids, and the sha256 of the schema and of the stores). The next
pull exports only the tasks whose ``updated_at`` differs or that are new; Label Studio moves a task's
``updated_at`` whenever an annotation (or prediction) of it is created, changed or deleted, or its data
is edited. An annotation or task deleted on the server is reported, and its record stays in the store,
as a full pull leaves it (the store keeps what it was given). Drafts alone do not move ``updated_at``:
a draft saved on an otherwise unchanged task comes with the task's next change, or with ``--full``.
The pull is full when asked, when there is no state, or when the schema or a store changed since.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import queue
import shutil
import tempfile
import threading
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import orjson

from annotate import defaults
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.imports import KINDS, ImportSummary, import_export, store_path
from annotate.studio import Studio, server_time
from annotate.workspace import Workspace, atomic_write, file_sha256, slug

DEFAULT_BATCH_SIZE = defaults.PULL_BATCH_SIZE
IN_FLIGHT = defaults.PULL_REQUESTS
STATE_VERSION = 1
LATE_COMMIT_MARGIN = 60  # seconds: a save (a bulk import: one transaction) committed this late is still caught
FIRST_PULL, ASKED, SCHEMA_CHANGED, STORE_CHANGED = (
    "first pull of this project into this workspace",
    "--full",
    "the schema changed since the last pull",
    "the annotation stores changed since the last pull (another import, or edited by hand)",
)


@dataclass
class PullResult:
    project: str
    project_id: int
    url: str
    export: str | None  # None: nothing changed, no export written
    tasks: int  # in the project
    imported: ImportSummary
    pulled: int = 0  # tasks exported this time
    full_because: str | None = None  # None: incremental
    deleted_tasks: list[int] = field(default_factory=list)  # pulled before, gone from the server now
    deleted_annotations: list[int] = field(default_factory=list)  # on a pulled task before, gone from it now

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "project_id": self.project_id,
            "url": self.url,
            "export": self.export,
            "tasks": self.tasks,
            **self.pull_figures(),
            "import": self.imported.as_dict(),
        }

    def pull_figures(self) -> dict[str, Any]:
        return {
            "tasks_pulled": self.pulled,
            "incremental": self.full_because is None,
            "full_because": self.full_because,
            "deleted_on_server": {
                "tasks": len(self.deleted_tasks),
                "annotations": len(self.deleted_annotations),
                "task_ids": self.deleted_tasks[:1000],
                "annotation_ids": self.deleted_annotations[:1000],
                "kept_in_store": True,
            },
        }


# -- the export, batch by batch ---------------------------------------------------------------------


def export_batch(studio: Studio, project_id: int, task_ids: list[int]) -> bytes:
    """The export endpoint's JSON array for these task ids, as the server sent it."""
    return studio.export_json(project_id, task_ids)


def export_batches(
    studio: Studio, project_id: int, task_ids: list[int], batch_size: int, in_flight: int = 1
) -> Iterator[bytes]:
    """The export's JSON array for each batch of task ids, in order, up to ``in_flight`` requests at once."""
    batches = iter([task_ids[start : start + batch_size] for start in range(0, len(task_ids), batch_size)])
    if in_flight <= 1:
        for ids in batches:
            yield export_batch(studio, project_id, ids)
        return
    with ThreadPoolExecutor(in_flight, thread_name_prefix="pull") as pool:
        pending: deque[Future[bytes]] = deque()
        for ids in batches:
            pending.append(pool.submit(export_batch, studio, project_id, ids))
            if len(pending) >= in_flight:
                break
        try:
            while pending:
                body = pending.popleft().result()
                following = next(batches, None)
                if following is not None:
                    pending.append(pool.submit(export_batch, studio, project_id, following))
                yield body
        finally:
            for future in pending:
                future.cancel()


def exported_tasks(studio: Studio, project_id: int, task_ids: list[int], batch_size: int) -> Iterator[list[Any]]:
    """The export's tasks (with annotations and predictions), parsed, one batch of ids at a time."""
    for body in export_batches(studio, project_id, task_ids, batch_size, IN_FLIGHT):
        tasks = orjson.loads(body)
        if not isinstance(tasks, list):
            raise AnnotateError(Messages.STUDIO_BAD_EXPORT, ExitCode.ENVIRONMENT, start=body.strip()[:80])
        yield tasks


def raw_export(
    studio: Studio,
    project_id: int,
    task_ids: list[int],
    batch_size: int,
    seen: dict[int, tuple[str, list[int]]],
    progress: Callable[[int, int], None] | None = None,
    in_flight: int = IN_FLIGHT,
) -> Iterator[bytes]:
    """The pieces of one JSON array joining the items of the server's arrays, unchanged, batch by batch;
    ``seen`` gets each exported task's ``updated_at`` and annotation ids."""
    first = True
    done = 0
    for body in export_batches(studio, project_id, task_ids, batch_size, in_flight):
        items = _array_items(body)
        for task in orjson.loads(body):
            annotations = sorted(a["id"] for a in task.get("annotations") or () if isinstance(a, dict))
            seen[task["id"]] = (server_time(task["updated_at"]), annotations)
        done = min(done + batch_size, len(task_ids))
        if progress:
            progress(done, len(task_ids))
        if not items:
            continue
        yield b"[" if first else b",\n"
        yield items
        first = False
    yield b"[]\n" if first else b"]\n"


def _array_items(body: bytes) -> bytes:
    """The inside of a JSON array, brackets and outer whitespace removed."""
    inner = body.strip()
    if not (inner.startswith(b"[") and inner.endswith(b"]")):
        raise AnnotateError(Messages.STUDIO_BAD_EXPORT, ExitCode.ENVIRONMENT, start=inner[:80])
    return inner[1:-1].strip()


def download(
    workspace: Workspace,
    studio: Studio,
    project_id: int,
    name: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    task_ids: list[int] | None = None,
) -> tuple[Path, int]:
    """Write the JSON export of the project (or of ``task_ids``) to ``exports/<name>-<sha256[:16]>.json``;
    (path, tasks exported). Not imported: ``pull`` imports while it downloads."""
    if task_ids is None:
        task_ids = all_task_ids(studio, project_id, studio.task_count(project_id)[0])
    workspace.exports_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    seen: dict[int, tuple[str, list[int]]] = {}
    with tempfile.NamedTemporaryFile("wb", dir=workspace.exports_dir, suffix=".tmp", delete=False) as out:
        try:
            for piece in raw_export(studio, project_id, task_ids, batch_size, seen, progress):
                out.write(piece)
                digest.update(piece)
        except BaseException:
            os.unlink(out.name)
            raise
    target = workspace.exports_dir / f"{name}-{digest.hexdigest()[:16]}.json"
    os.replace(out.name, target)
    return target, len(seen)


class _Feed:
    """The bytes being written to the raw export, for the importer to read as they come (a bounded
    queue: the download waits when the import falls behind). An error of the download is raised to
    the reader; ``abandon`` stops the download when the reader gave up."""

    _END = object()

    def __init__(self, size: int = 16):
        self.pieces: queue.Queue[Any] = queue.Queue(size)
        self.buffer = memoryview(b"")
        self.abandoned = threading.Event()

    def put(self, piece: Any) -> None:
        while not self.abandoned.is_set():
            with contextlib.suppress(queue.Full):
                self.pieces.put(piece, timeout=0.2)
                return
        raise _Abandoned

    def read(self, size: int = -1) -> bytes:
        while not self.buffer:
            piece = self.pieces.get()
            if piece is self._END:
                self.pieces.put(self._END)  # later reads see the end too
                return b""
            if isinstance(piece, BaseException):
                raise piece
            self.buffer = memoryview(piece)
        size = len(self.buffer) if size < 0 else size
        chunk, self.buffer = self.buffer[:size], self.buffer[size:]
        return bytes(chunk)

    def end(self) -> None:
        self.put(self._END)

    def abandon(self) -> None:
        self.abandoned.set()


class _Abandoned(Exception):
    pass


def _download_and_import(
    workspace: Workspace,
    studio: Studio,
    project_id: int,
    name: str,
    task_ids: list[int],
    batch_size: int,
    seen: dict[int, tuple[str, list[int]]],
    progress: Callable[[int, int], None] | None,
) -> ImportSummary:
    """The raw export written to a file in ``.pull/`` and imported as it is written (the import keeps
    it under ``exports/`` by its sha256 once read whole); nothing is imported if a request fails."""
    folder = Path(tempfile.mkdtemp(prefix="download-", dir=_state_dir(workspace)))
    part = folder / f"{name}.json"
    feed = _Feed()
    users: dict[int, str] = {}

    def produce(out: Any) -> None:
        try:
            last = b""
            with out:
                for piece in raw_export(studio, project_id, task_ids, batch_size, seen, progress):
                    out.write(piece)
                    if last:
                        feed.put(last)
                    last = piece
            feed.put(last)  # the closing bracket only once the file is whole and closed
            feed.end()
        except _Abandoned:
            return
        except BaseException as exc:
            with contextlib.suppress(_Abandoned):
                feed.put(exc)

    try:
        users.update(studio.users_by_id())
        producer = threading.Thread(target=produce, args=(part.open("wb"),), name="pull-download", daemon=True)
        producer.start()
        try:
            return import_export(workspace, part, users_by_id=users, source=feed)
        finally:
            feed.abandon()
            producer.join()
    finally:
        shutil.rmtree(folder, ignore_errors=True)


# -- what was pulled before ---------------------------------------------------------------------------


@dataclass
class PullState:
    """What the last pull of one project into this workspace saw (``.pull/<key>.json``)."""

    url: str
    project_id: int
    schema_sha256: str
    stores_sha256: dict[str, str | None]
    tasks: dict[int, tuple[str, list[int]]]  # task id -> (updated_at, annotation ids), as exported
    started: str  # the server's clock when the pull began: later changes have a later updated_at

    def to_json(self) -> bytes:
        return orjson.dumps(
            {
                "version": STATE_VERSION,
                "url": self.url,
                "project_id": self.project_id,
                "schema_sha256": self.schema_sha256,
                "stores_sha256": self.stores_sha256,
                "started": self.started,
                "tasks": {str(task): [stamp, ids] for task, (stamp, ids) in sorted(self.tasks.items())},
            }
        )


def _state_dir(workspace: Workspace) -> Path:
    folder = workspace.root / ".pull"
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def state_path(workspace: Workspace, url: str, project_id: int) -> Path:
    key = hashlib.sha256(f"{url}\n{project_id}".encode()).hexdigest()[:16]
    return workspace.root / ".pull" / f"project-{project_id}-{key}.json"


def load_state(workspace: Workspace, url: str, project_id: int) -> PullState | None:
    path = state_path(workspace, url, project_id)
    try:
        raw = orjson.loads(path.read_bytes())
    except (FileNotFoundError, orjson.JSONDecodeError):
        return None  # a damaged state only costs a full pull
    if raw.get("version") != STATE_VERSION or raw.get("url") != url or raw.get("project_id") != project_id:
        return None
    try:
        tasks = {int(task): (stamp, ids) for task, (stamp, ids) in raw["tasks"].items()}
        return PullState(url, project_id, raw["schema_sha256"], raw["stores_sha256"], tasks, raw["started"])
    except (KeyError, TypeError, ValueError):
        return None


def save_state(workspace: Workspace, state: PullState) -> None:
    path = state_path(workspace, state.url, state.project_id)
    _state_dir(workspace)
    with atomic_write(path, "wb") as out:
        out.write(state.to_json())


def _stores_sha256(workspace: Workspace) -> dict[str, str | None]:
    return {kind: _sha256_if_there(store_path(workspace, kind)) for kind in KINDS}


def _sha256_if_there(path: Path) -> str | None:
    return file_sha256(path) if path.exists() else None


def _full_because(
    state: PullState | None, full: bool, schema_sha256: str, stores_sha256: dict[str, str | None]
) -> str | None:
    if full:
        return ASKED
    if state is None:
        return FIRST_PULL
    if state.schema_sha256 != schema_sha256:
        return SCHEMA_CHANGED
    if state.stores_sha256 != stores_sha256:
        return STORE_CHANGED
    return None


# -- the stage ----------------------------------------------------------------------------------------


def all_task_ids(studio: Studio, project_id: int, count: int) -> list[int]:
    """The ids to export for the whole project. Listing 10,000 tasks through the data manager takes about
    as long as exporting them, so when the ids are dense (tasks imported together: the usual case) the
    export is asked for the id range from the lowest to the highest, which it filters to the project."""
    ends = studio.task_id_range(project_id)
    if ends is None:
        return []
    low, high = ends
    if high - low + 1 <= 2 * count:
        return list(range(low, high + 1))
    return sorted(studio.task_stamps(project_id))


def _changed_since(studio: Studio, project_id: int, count: int, state: PullState) -> tuple[list[int], list[int]]:
    """(task ids to export, task ids deleted) against the last pull: the tasks updated since it began
    (less a margin for a save committed late), compared with what it saw; all tasks are listed only when
    the count says a task was deleted."""
    before = state.tasks
    since = server_time(datetime.fromisoformat(state.started) - timedelta(seconds=LATE_COMMIT_MARGIN))
    listed = studio.task_stamps(project_id, updated_after=since)
    deleted: list[int] = []
    if count != len(before) + sum(task not in before for task in listed):
        listed = studio.task_stamps(project_id)
        deleted = sorted(set(before) - set(listed))
    wanted = sorted(task for task, stamp in listed.items() if task not in before or before[task][0] != stamp)
    return wanted, deleted


def pull(
    workspace: Workspace,
    studio: Studio,
    project: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
    full: bool = False,
) -> PullResult:
    """Fetch the tasks of ``project`` that changed since the last pull (all: ``full``, or the first time)
    with their annotations, save the raw export, import it while it downloads."""
    found = studio.project(project)
    count, started = studio.task_count(found.id)
    state = load_state(workspace, studio.url, found.id)
    schema_sha256, stores_sha256 = _sha256_if_there(workspace.schema_path) or "", _stores_sha256(workspace)
    full_because = _full_because(state, full, schema_sha256, stores_sha256)
    before = state.tasks if state is not None else {}
    if state is not None and full_because is None:
        wanted, deleted_tasks = _changed_since(studio, found.id, count, state)
    else:
        wanted, deleted_tasks = all_task_ids(studio, found.id, count), []
    seen: dict[int, tuple[str, list[int]]] = {}
    if wanted:
        summary = _download_and_import(workspace, studio, found.id, slug(project), wanted, batch_size, seen, progress)
        export: str | None = summary.export  # the kept copy, content-addressed (``imports.keep_export``)
    else:
        summary, export = ImportSummary(export=""), None
        if progress:
            progress(0, 0)
    if full_because is not None:
        deleted_tasks = sorted(set(before) - set(seen))
    gone = set(deleted_tasks)
    deleted_annotations = sorted(
        annotation
        for task, (_, ids) in before.items()
        if task in gone or task in seen
        for annotation in set(ids) - set(seen[task][1] if task in seen else ())
    )
    kept = {} if full_because is not None else {task: ids for task, ids in before.items() if task not in gone}
    kept.update(seen)  # a wanted task missing from the export was deleted meanwhile: dropped below
    for task in set(wanted) - set(seen):
        kept.pop(task, None)
    if wanted:  # an import may have written the stores
        stores_sha256 = _stores_sha256(workspace)
    save_state(workspace, PullState(studio.url, found.id, schema_sha256, stores_sha256, kept, started))
    return PullResult(
        project,
        found.id,
        studio.project_url(found.id),
        export,
        count,
        summary,
        pulled=len(seen),
        full_because=full_because,
        deleted_tasks=deleted_tasks,
        deleted_annotations=deleted_annotations,
    )
