"""A Label Studio project -> a raw export on disk (paged), then imported.

Label Studio Community builds export snapshots inside one request, which times out on big projects.
Pull lists the task ids page by page, then asks the export endpoint for a batch of ids at a time and
writes the responses, unchanged, into one JSON array: the same JSON export the UI gives, saved under
``exports/`` with a content-addressed name and never modified, then imported like any other export.
"""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from annotate import defaults
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.imports import ImportSummary, import_export
from annotate.studio import Studio
from annotate.workspace import Workspace

DEFAULT_BATCH_SIZE = defaults.PULL_BATCH_SIZE


@dataclass
class PullResult:
    project: str
    project_id: int
    url: str
    export: str
    tasks: int
    imported: ImportSummary

    def as_dict(self) -> dict[str, Any]:
        return {
            "project": self.project,
            "project_id": self.project_id,
            "url": self.url,
            "export": self.export,
            "tasks": self.tasks,
            "import": self.imported.as_dict(),
        }


def export_batches(studio: Studio, project_id: int, task_ids: list[int], batch_size: int) -> Iterator[bytes]:
    """The export endpoint's JSON array for each batch of task ids, as the server sent it."""
    for start in range(0, len(task_ids), batch_size):
        ids = [str(task_id) for task_id in task_ids[start : start + batch_size]]
        # The endpoint filters on `ids[]`; the SDK's own `ids` argument is sent as `ids` and ignored.
        options = {"additional_query_parameters": {"ids[]": ids}}
        yield b"".join(
            studio.client.projects.exports.download_sync(
                project_id, export_type="JSON", download_all_tasks=True, request_options=options
            )
        )


def exported_tasks(studio: Studio, project_id: int, task_ids: list[int], batch_size: int) -> Iterator[list[Any]]:
    """The export's tasks (with annotations and predictions), parsed, one batch of ids at a time."""
    for body in export_batches(studio, project_id, task_ids, batch_size):
        tasks = orjson.loads(body)
        if not isinstance(tasks, list):
            raise AnnotateError(Messages.STUDIO_BAD_EXPORT, ExitCode.ENVIRONMENT, start=body.strip()[:80])
        yield tasks


def download(
    workspace: Workspace,
    studio: Studio,
    project_id: int,
    name: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[Path, int]:
    """Write the project's full JSON export to ``exports/<name>-<sha256[:16]>.json``; (path, tasks)."""
    task_ids = sorted(task.id for task in studio.tasks(project_id, include="id"))
    workspace.exports_dir.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    with tempfile.NamedTemporaryFile("wb", dir=workspace.exports_dir, suffix=".tmp", delete=False) as out:
        first = True
        for done, body in enumerate(export_batches(studio, project_id, task_ids, batch_size), start=1):
            items = _array_items(body)
            if not items:
                continue
            for piece in (b"[" if first else b",\n", items):
                out.write(piece)
                digest.update(piece)
            first = False
            if progress:
                progress(min(done * batch_size, len(task_ids)), len(task_ids))
        closing = b"[]\n" if first else b"]\n"
        out.write(closing)
        digest.update(closing)
    target = workspace.exports_dir / f"{name}-{digest.hexdigest()[:16]}.json"
    os.replace(out.name, target)
    return target, len(task_ids)


def _array_items(body: bytes) -> bytes:
    """The inside of a JSON array, brackets and outer whitespace removed."""
    inner = body.strip()
    if not (inner.startswith(b"[") and inner.endswith(b"]")):
        raise AnnotateError(Messages.STUDIO_BAD_EXPORT, ExitCode.ENVIRONMENT, start=inner[:80])
    return inner[1:-1].strip()


def slug(title: str) -> str:
    return re.sub(r"[^A-Za-z0-9]+", "-", title).strip("-").lower() or "project"


def pull(
    workspace: Workspace,
    studio: Studio,
    project: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    progress: Callable[[int, int], None] | None = None,
) -> PullResult:
    """Fetch every task of ``project`` with its annotations, save the raw export, import it."""
    found = studio.project(project)
    path, tasks = download(workspace, studio, found.id, slug(project), batch_size, progress)
    summary = import_export(workspace, path, users_by_id=studio.users_by_id())
    return PullResult(project, found.id, studio.project_url(found.id), workspace.relative(path), tasks, summary)
