"""Reading a Label Studio JSON export as a stream of tasks, and keeping the file as it was read.

The parser (ijson) reads a chunk at a time, so memory stays flat whatever the export's size; the
reader hashes every byte on the way and can place a parse error by byte offset and line.

``read_export_fast`` reads the same tasks in blocks of a quarter MiB, each parsed by ``orjson`` (twice
as fast as ijson's items, which were two fifths of an import). It takes a block only when ``orjson``
proves it a run of whole tasks, else a task at a time, else leaves the rest to ijson; a file that is
not plainly an array of tasks (malformed, an item that is not a task) it hands back (``NotPlain``),
to be read again by ``read_export``, so errors and their positions are ijson's as ever.
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
import orjson

from annotate.errors import AnnotateError, Messages
from annotate.workspace import Workspace, atomic_write

READ_CHUNK = 1 << 16
BLOCK = 1 << 18  # bytes of tasks parsed by one orjson call (a MiB took a fifth longer: the cache)
LONGEST_BLOCK = 1 << 23  # a block grows to hold four of the longest task seen, up to this
LONGEST_TASK = 1 << 24  # a task longer than this goes to ijson (memory stays flat)
GIVE_UP_AFTER = 8  # blocks failed, more than half of those tried: a task at a time is slower than ijson
AFTER_THE_TASK = "unexpected content after document"  # orjson's error when a value is followed by more
END_OF_DATA = "unexpected end of data"
JSON_SPACE = b" \t\n\r"
# The bytes read_export_fast looks for, in a translated copy of the export (``_Buffer.marks``): where
# a count or a search of a byte runs in C at gigabytes a second, a regex walks a few hundred MB/s.
MARKS = bytes.maketrans(b"{[}]0123456789", b"(())" + b"0" * 10)  # brackets opened and closed; digits
# An integer of 19 digits or more: yajl refuses one beyond 64 bits where orjson gives a float, so a
# block that may hold one is left to ijson. A run of digits is an integer when ':', ',' or '[' is before it.
LONG_INTEGER = b"0" * 19
BEFORE_A_NUMBER = b":,["
# A task has at least one of these (``completions``: Label Studio 0.x); a JSON_MIN record has none.
TASK_KEYS = frozenset(("data", "annotations", "completions", "predictions", "drafts"))


class CountingReader:
    """The export file as the parser reads it: hashes every byte, remembers the last chunks so a
    parse error can be placed exactly, and counts lines before them."""

    def __init__(self, stream: IO[bytes], progress: Callable[[int], None] | None, lines: bool = True):
        self.stream = stream
        self.progress = progress
        self.lines = lines  # count lines (read_export_fast places no error: it leaves the file to ijson)
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
        if self.lines:
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


class NotPlain(Exception):
    """``read_export_fast`` met what it does not prove (malformed JSON, an item that is not a task, a
    number or white space orjson and yajl read differently): read the export with ``read_export``."""


def read_export_fast(stream: CountingReader) -> Iterator[dict[str, Any]]:
    """The tasks ``read_export`` gives, read a block at a time by ``orjson``; raises ``NotPlain``
    (having yielded only tasks ``read_export`` would give too, in its order) when it cannot go on.

    A block is the bytes from the array's ``[`` (or a ``,`` between tasks) to a ``}`` where the
    brackets balance, strings not looked at. The brackets only pick where to cut: ``orjson`` parsing
    ``[`` + block + ``]`` into a list of objects proves the cut falls between two tasks (a cut inside a
    string or an object leaves the array unclosed). Where a block fails (a bracket in a string put the
    cut in the wrong place), its tasks are read one at a time (``_Buffer.one_task``); what orjson cannot
    read at all (an escape or a number it reads otherwise than yajl) goes to ijson, with the rest.
    """
    buffer = _Buffer(stream)
    at = buffer.skip_space(0)
    if buffer.byte(at) != b"["[0]:
        raise NotPlain
    start, prefix = at + 1, b"["  # ``start``: just after the '[' or ','; ``prefix``: ijson's state there
    if buffer.byte(buffer.skip_space(start)) == b"]"[0]:
        buffer.expect_end(buffer.skip_space(start) + 1)
        return
    one_at_a_time = 0  # up to here a block failed: its tasks are read one at a time
    blocks = failed = 0
    while True:
        tasks = None
        if start >= one_at_a_time:
            end = buffer.block_end(start)
            tasks = buffer.parse(start, end) if end > 0 else None
            one_at_a_time = len(buffer.data) if tasks is None else 0  # the bytes the block looked at
            blocks, failed = blocks + 1, failed + (tasks is None)
            if failed >= GIVE_UP_AFTER and 2 * failed > blocks:  # brackets in strings everywhere
                yield from _ijson_tail(buffer, start, prefix)
                return
        if tasks is None:
            end, tasks = buffer.one_task(start)
            if tasks is None:
                yield from _ijson_tail(buffer, start, prefix)
                return
        for task in tasks:
            if not _is_task(task):
                raise NotPlain  # read_export says what is wrong, after the tasks before it
            yield task
        at = buffer.skip_space(end)
        if buffer.byte(at) == b"]"[0]:
            buffer.expect_end(at + 1)
            return
        if buffer.byte(at) != b","[0]:
            raise NotPlain
        one_at_a_time -= at
        start, prefix = buffer.forget(at) + 1, b"[0,"  # the ',' stays before ``start``


def _is_task(item: Any) -> bool:
    """Whether ``read_export`` takes ``item`` as a task (it says why not when it does not)."""
    return isinstance(item, dict) and not TASK_KEYS.isdisjoint(item)


class _Buffer:
    """The export's bytes read (through the ``CountingReader``) but not yet parsed, and their ``MARKS``."""

    def __init__(self, stream: CountingReader):
        self.stream = stream
        self.data = bytearray()
        self.marks = bytearray()
        self.eof = False
        self.block = BLOCK  # grows to four times the longest task read alone, up to LONGEST_BLOCK
        self.reach = READ_CHUNK  # how far back from a block's end to look for a cut: thrice the longest task

    def more(self) -> bool:
        chunk = b"" if self.eof else self.stream.read(READ_CHUNK)
        self.eof = not chunk
        self.data += chunk
        self.marks += chunk.translate(MARKS)
        return bool(chunk)

    def byte(self, index: int) -> int | None:
        while index >= len(self.data):
            if not self.more():
                return None
        return self.data[index]

    def skip_space(self, index: int) -> int:
        while (found := self.byte(index)) is not None and found in JSON_SPACE:
            index += 1
        return index

    def expect_end(self, index: int) -> None:
        """Nothing but white space after the array (read to the end: the hash covers every byte)."""
        if self.byte(self.skip_space(index)) is not None:
            raise NotPlain

    def forget(self, index: int) -> int:
        """Drop the bytes before ``index`` (parsed); the byte at ``index`` is at 0 from now on."""
        del self.data[:index]
        del self.marks[:index]
        return 0

    def block_end(self, start: int) -> int:
        """The index just after the last ``}`` where the brackets from ``start`` balance, found walking
        back over the last ``reach`` bytes of a block (``}`` by ``}``: the counting is in C); 0 when there
        is none there (a task longer than that, or a bracket in a string threw the count off)."""
        while len(self.data) - start < self.block and self.more():
            pass
        data, marks = self.data, self.marks
        end = before = len(data)
        depth = marks.count(b"(", start, end) - marks.count(b")", start, end)  # from ``start`` to ``end``
        floor = max(start, end - self.reach)
        while (close := data.rfind(b"}", floor, before)) >= 0:
            depth -= marks.count(b"(", close + 1, end) - marks.count(b")", close + 1, end)
            if depth == 0:
                return close + 1
            end, before = close + 1, close
        return 0

    def parse(self, start: int, end: int) -> list[Any] | None:
        """The tasks from ``start`` to ``end`` (as a block, the bytes after a '[' or ','), or None when
        orjson cannot prove them."""
        if self.long_integer(start, end):
            return None
        try:
            return orjson.loads(b"".join((b"[", self.data[start:end], b"]")))
        except orjson.JSONDecodeError:
            return None

    def one_task(self, start: int) -> tuple[int, list[Any] | None]:
        """The task after ``start`` alone, and the index after it: orjson parses bytes from ``start`` to a
        ``}`` (never inside a character) and says where the first value ended, then that value alone is
        parsed (twice ijson's speed, a task at a time). None when orjson cannot read it."""
        size = READ_CHUNK
        while True:
            while len(self.data) - start < size and self.more():
                pass
            last = self.data.rfind(b"}", start, start + size) + 1
            try:
                if last:
                    orjson.loads(bytes(self.data[start:last]))
                    return last, self.parse(start, last)
            except orjson.JSONDecodeError as error:
                if error.msg == AFTER_THE_TASK:
                    end = start + len(error.doc[: error.pos].encode())  # pos counts characters
                    self.block = min(max(self.block, 4 * (end - start)), LONGEST_BLOCK)
                    self.reach = min(max(self.reach, 3 * (end - start)), self.block)
                    return end, self.parse(start, end)
                if error.msg != END_OF_DATA:
                    return 0, None
            if len(self.data) - start < size or size >= LONGEST_TASK:  # the file or the patience ended
                return 0, None
            size *= 2

    def long_integer(self, start: int, end: int) -> bool:
        data, marks = self.data, self.marks
        found = marks.find(LONG_INTEGER, start, end)
        while found >= 0:
            before = found
            while before > start and marks[before - 1] == 48:  # back to the run's first digit
                before -= 1
            before -= 1  # start - 1 is the '[' or ',' the block follows
            if data[before] == 45:  # a minus sign
                before -= 1
            while data[before] in JSON_SPACE:
                before -= 1
            if data[before] in BEFORE_A_NUMBER:
                return True
            found = marks.find(LONG_INTEGER, found + len(LONG_INTEGER), end)
        return False


class _Replay:
    """What ijson reads for the rest of the export: ``prefix`` (the state before ``start``, as JSON),
    the bytes buffered from ``start``, then the rest of the stream."""

    def __init__(self, buffer: _Buffer, start: int, prefix: bytes):
        self.buffered = prefix + bytes(buffer.data[start:])
        self.stream = buffer.stream

    def read(self, size: int = READ_CHUNK) -> bytes:
        if self.buffered:
            chunk, self.buffered = self.buffered[:size], self.buffered[size:]
            return chunk
        return self.stream.read(size)


def _ijson_tail(buffer: _Buffer, start: int, prefix: bytes) -> Iterator[dict[str, Any]]:
    items = ijson.items(_Replay(buffer, start, prefix), "item", use_float=True)
    try:
        if prefix != b"[":
            next(items)  # the 0 of "[0,"
        for task in items:
            if not _is_task(task):
                raise NotPlain
            yield task
    except NotPlain:
        raise
    except Exception:  # a parse error, or one ijson lets out (UnicodeDecodeError): read_export's to raise
        raise NotPlain from None


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
