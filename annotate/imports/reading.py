"""Reading a Label Studio JSON export as a stream of tasks, and keeping the file as it was read.

The parser (ijson) reads a chunk at a time, so memory stays flat whatever the export's size; the
reader hashes every byte on the way and can place a parse error by byte offset and line.
"""

from __future__ import annotations

import hashlib
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import IO, Any

import ijson

from annotate.errors import AnnotateError, Messages
from annotate.workspace import Workspace, atomic_write

READ_CHUNK = 1 << 16
# A task has at least one of these (``completions``: Label Studio 0.x); a JSON_MIN record has none.
TASK_KEYS = frozenset(("data", "annotations", "completions", "predictions", "drafts"))


class CountingReader:
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
        yield from read_export(CountingReader(raw, None), shown or str(path))


def read_export(stream: CountingReader, path: str) -> Iterator[dict[str, Any]]:
    """The tasks of a Label Studio JSON export, one at a time; malformed JSON raises with its position."""
    try:
        for task in ijson.items(stream, "item", use_float=True):
            if not isinstance(task, dict):
                raise AnnotateError(Messages.EXPORT_NOT_TASKS, path=path, found=type(task).__name__)
            if not TASK_KEYS.intersection(task):  # JSON_MIN: one flat object per annotation
                raise AnnotateError(Messages.EXPORT_NOT_TASKS, path=path, found="objects without 'data'")
            yield task
    except ijson.JSONError as exc:
        offset, line = stream.locate(str(exc))
        problem = str(exc).splitlines()[0].removeprefix("parse error: ")
        raise AnnotateError(Messages.EXPORT_MALFORMED, path=path, offset=offset, line=line, problem=problem) from None


def keep_export(workspace: Workspace, path: Path, sha256: str, move: bool = False) -> Path:
    """The export as read, under ``exports/`` with a content-addressed name (kept once). With ``move``
    (a temporary download of the workspace's own, pull's), the file is made durable and renamed there
    rather than copied."""
    workspace.exports_dir.mkdir(parents=True, exist_ok=True)
    if path.resolve().parent == workspace.exports_dir.resolve() and sha256[:16] in path.name:
        return path
    target = workspace.exports_dir / f"{path.stem}-{sha256[:16]}{path.suffix or '.json'}"
    if target.exists():
        return target
    if move:
        with path.open("rb") as written:
            os.fsync(written.fileno())
        os.replace(path, target)
        return target
    with atomic_write(target, "wb") as out, path.open("rb") as source:
        shutil.copyfileobj(source, out)
    return target
