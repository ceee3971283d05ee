"""The annotation store as later stages read it: each annotator's newest submitted record per article.

``annotate import`` writes ``annotations/annotations.jsonl`` (shape: ``Workspace.read_annotations``);
agreement, gold, adjudication and one-annotator exports read it back through ``collect_submitted``,
not through the importer, so all of them count the same records: submitted, well formed and, of two
for one annotator and article, the newest (``timestamp``: the one "newest wins" rule, the importer's too).

A kept record is small (``SubmittedAnnotation``: offsets as ``array('q')``, 24 bytes a span), so a
stage can hold every article's records while the corpus streams by.
"""

from __future__ import annotations

import contextlib
import gc
import operator
import sys
from array import array
from collections import Counter
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any, NamedTuple

from annotate.spans import Span, new_span, tuple_maker

_OLDEST = datetime.min.replace(tzinfo=timezone.utc)


def timestamp(value: Any) -> datetime:
    """For "newest wins": Label Studio's ISO timestamps; a missing one is oldest."""
    if isinstance(value, str):
        try:  # once per record an import reads: a try costs less than contextlib.suppress
            stamp = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return _OLDEST
        return stamp if stamp.tzinfo else stamp.replace(tzinfo=timezone.utc)
    return _OLDEST


class SubmittedAnnotation(NamedTuple):
    """A submitted annotation record, kept small while a later stage waits for its article to stream by:
    offsets as machine integers (8 bytes each, not ~36 for a Python int), one shared string per
    annotator. The offsets are not yet checked against the text."""

    annotator: str
    sha256: str
    updated: str
    ground_truth: bool
    line: int  # the record's place in what was read (its line in annotations.jsonl when read whole)
    starts: array[int]
    ends: array[int]
    labels: array[int]  # label codes: indexes into the labels given to ``collect_submitted``
    # Document-level choices by control name (the options selected, in the control's order); None when
    # ``collect_submitted`` was given no controls.
    choices: dict[str, tuple[str, ...]] | None = None

    def spans(self, labels: Sequence[str]) -> list[Span]:
        # Made in C (``tuple_maker``): gold makes one for each of a million spans in a 10,000-article project.
        values = zip(self.starts, self.ends, map(labels.__getitem__, self.labels), strict=True)
        return list(map(new_span, values))

    def fits(self, length: int) -> bool:
        """Whether every span lies within a text of ``length`` characters and ends after it starts (the
        loop in C: a million spans in a 10,000-article project)."""
        starts, ends = self.starts, self.ends
        return not starts or (min(starts) >= 0 and max(ends) <= length and all(map(operator.lt, starts, ends)))


_new_record = tuple_maker(SubmittedAnnotation)


@dataclass
class Submitted:
    """The submitted records by article and annotator, and what was left out, by reason."""

    by_article: dict[str, dict[str, SubmittedAnnotation]]
    records: int  # records read
    left_out: Counter  # cancelled, not_submitted, malformed, unknown_label, superseded
    problems: list[tuple[int, str]]  # (line, reason) of each malformed or unknown-label record


_START, _END, _LABEL = operator.itemgetter("start"), operator.itemgetter("end"), operator.itemgetter("label")


def collect_submitted(annotations: Iterable[Any], labels: Sequence[str], controls: Sequence[str] = ()) -> Submitted:
    """Group the submitted, well-formed annotation records by article: one per annotator, the newest
    (``updated_at``, else ``created_at``) when a key comes twice. With ``controls`` (names of the schema's
    document-level controls), each record also keeps its choices of them."""
    codes = {name: index for index, name in enumerate(labels)}
    found = Submitted({}, 0, Counter(), [])
    for line, raw in enumerate(annotations, start=1):
        found.records = line
        reason, article_id, record = _submitted(raw, codes, line, controls)
        if reason:
            found.left_out[reason] += 1
            if reason in ("malformed", "unknown_label"):
                found.problems.append((line, reason))
            continue
        kept = found.by_article.setdefault(article_id, {})
        earlier = kept.get(record.annotator)
        if earlier is not None:
            found.left_out["superseded"] += 1
            if timestamp(earlier.updated) > timestamp(record.updated):
                continue
        kept[record.annotator] = record
    return found


def _submitted(
    raw: Any, codes: dict[str, int], line: int, controls: Sequence[str] = ()
) -> tuple[str | None, str, SubmittedAnnotation | None]:
    """``(reason to leave the record out or None, article id, record)``."""
    if not isinstance(raw, dict):
        return "malformed", "", None
    status = raw.get("status")
    if status != "submitted":
        return ("cancelled" if status == "cancelled" else "not_submitted"), "", None
    article_id, annotator = raw.get("article_id"), raw.get("annotator")
    sha256, spans = raw.get("sha256"), raw.get("spans")
    if not (isinstance(article_id, str | int) and isinstance(annotator, str) and annotator):
        return "malformed", "", None
    if not (isinstance(sha256, str) and sha256) or not isinstance(spans, list):
        return "malformed", "", None
    # map() and set() keep the per-span work in C: a 10,000-article project has a million spans.
    try:
        starts = list(map(_START, spans))
        ends = list(map(_END, spans))
        label_codes = list(map(codes.get, map(_LABEL, spans)))
    except (KeyError, TypeError):
        return "malformed", "", None
    if not {*map(type, starts), *map(type, ends)} <= {int}:
        return "malformed", "", None
    if None in label_codes:
        return "unknown_label", "", None
    choices = _choices(raw.get("choices"), controls) if controls else None
    if controls and choices is None:
        return "malformed", "", None
    updated = str(raw.get("updated_at") or raw.get("created_at") or "")
    offsets = array("q", starts), array("q", ends), array("q", label_codes)
    annotator = sys.intern(annotator)
    fields = (annotator, sha256, updated, bool(raw.get("ground_truth")), line, *offsets, choices)
    record = _new_record(fields)  # SubmittedAnnotation(*fields), made in C (``tuple_maker``)
    return None, str(article_id), record


@contextlib.contextmanager
def collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: reading a million spans makes millions of small lists,
    and the collector would scan them again and again (twice the reading time) to free no cycles.

    A stage that keeps the records (30,000 of them, three arrays each, all tracked by the collector) should
    let go of them before the pause ends: the collector's first passes afterwards scan every object made
    during the pause that is still alive, a tenth of a second for the records of 10,000 articles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _choices(raw: Any, controls: Sequence[str]) -> dict[str, tuple[str, ...]] | None:
    """A record's ``choices`` of the given controls (a control it lacks: nothing selected); None if malformed."""
    if raw is None:
        raw = {}
    if not isinstance(raw, dict):
        return None
    found = {}
    for name in controls:
        values = raw.get(name) or []
        if not isinstance(values, list) or not all(isinstance(value, str) for value in values):
            return None
        found[name] = tuple(values)
    return found
