"""Simulated annotators and the dicts of a Label Studio 1.23 JSON export, shared by
``scripts/simulate_annotators.py`` (the committed sample in ``corpus/simulated/``) and
``benchmarks/make_export.py`` (large synthetic exports).

Nothing here is real annotation: each simulated annotator starts from known spans and applies
seeded noise (misses, label swaps, boundary shifts, extra spans) in proportions set by its
profile. Every random choice comes from a ``random.Random`` seeded with a string naming the seed,
the article and the annotator, so an output is the same byte for byte on every run and machine,
and one article's noise does not depend on which articles came before it.

The export's field names and their order are Label Studio 1.23's own (its ``BaseExportDataSerializer``
and ``AnnotationSerializer``, with the task's FSM ``state`` left out as the default feature flags do).
"""

from __future__ import annotations

import datetime as dt
import json
import random
import re
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

from annotate.schema import FROM_NAME, TO_NAME
from annotate.spans import Span
from annotate.tasks import offset_problem

# -- annotators -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Profile:
    """How an annotator errs: per reference span the chance to miss it, to give it another label, to
    shift its boundary; per plausible phrase not in the reference the chance to mark it anyway; and
    how long the work takes (seconds per character read, per span marked)."""

    name: str
    miss: float
    swap: float
    boundary: float
    extra: float
    seconds_per_char: float
    seconds_per_span: float


# fmt: off
PROFILES = (
    #        name                 miss  swap  boundary extra  s/char  s/span
    Profile("careful",            0.02, 0.02, 0.03,    0.04,  0.060,  9.0),
    Profile("sloppy-boundaries",  0.04, 0.03, 0.22,    0.10,  0.035,  5.0),
    Profile("misses-more",        0.17, 0.03, 0.03,    0.03,  0.045,  6.0),
)
# fmt: on
FAKE_NAMES = (
    ("Amira", "Haddad"),
    ("Jonas", "Berg"),
    ("Lucía", "Romero"),
    ("Tomasz", "Wójcik"),
    ("Ngozi", "Eze"),
    ("Kenji", "Mori"),
)
OWNER_ID = 1  # the project owner who imported the tasks; annotators are users 2, 3, ...


@dataclass(frozen=True)
class Annotator:
    user_id: int
    email: str
    first_name: str
    last_name: str
    profile: Profile

    @property
    def completed_by(self) -> dict[str, Any]:
        return {"id": self.user_id, "email": self.email, "first_name": self.first_name, "last_name": self.last_name}


def make_annotators(count: int) -> list[Annotator]:
    """``count`` simulated annotators: ``annotator1@example.org`` ..., profiles taken in turn."""
    people = []
    for index in range(count):
        first, last = FAKE_NAMES[index % len(FAKE_NAMES)]
        people.append(
            Annotator(
                OWNER_ID + 1 + index, f"annotator{index + 1}@example.org", first, last, PROFILES[index % len(PROFILES)]
            )
        )
    return people


def rng_for(seed: int, *names: object) -> random.Random:
    """A generator for one (seed, article, annotator...): str seeds are hashed with SHA-512 by
    ``random``, so the stream does not depend on PYTHONHASHSEED or on what was drawn before."""
    return random.Random("/".join(map(str, (seed, *names))))


# -- noise ------------------------------------------------------------------------------------------

# Which label an annotator mistakes a label for, with weights.
CONFUSIONS = {
    "actor": (("casualty", 4), ("location", 1)),
    "casualty": (("actor", 5), ("location", 1)),
    "location": (("actor", 1),),
    "weapon": (("actor", 2), ("casualty", 1)),
}
# Words an annotator does not sweep into a span by mistake (a "the" is leading_the's business).
_NOT_TAKEN_IN = set(
    "the a an and or but of in on at to from by with for as into over near after before since when while "
    "that which who whom whose this these those was were is are be been has have had said says say told "
    "according than then there it its their his her they he she we also later yesterday today monday tuesday "
    "wednesday thursday friday saturday sunday".split()
)
_NUMBERS = "one two three four five six seven eight nine ten eleven twelve twenty dozens hundreds thousands"
_MODIFIERS_BEFORE = set(
    f"{_NUMBERS} local regional armed suspected senior heavy nearby northern southern eastern western central "
    "several other some many more about nearly almost all both unidentified".split()
)
_HEADS_AFTER = set(
    "province district region regions area city town village neighbourhood neighborhood county state border "
    "camp forces fighters troops militants soldiers attack attacks strike strikes fire rounds shells launcher "
    "unit units convoy patrol members".split()
)
_DROPPED_BEFORE = set(f"a an the {_NUMBERS} about some several many all both".split())
_DROPPED_AFTER = set("province district region area neighbourhood neighborhood county state department".split())
_TRAILING_MARKS = (",", ".", ";", ":", ")", "”")
_WORD = re.compile(r"[^\W_]+(?:[’'.\-][^\W_]+)*")
# Phrases an annotator may mark though the reference does not: sources of statements, bare
# people nouns, events taken for weapons, generic places. Head word -> the label it would get.
EXTRA_HEADS = {
    "actor": "officials authorities police army military soldiers troops militants fighters rebels insurgents "
    "spokesman spokeswoman spokesperson forces government governor",
    "casualty": "residents civilians villagers children people passengers workers families patients survivors "
    "bodies wounded victims",
    "weapon": "explosion explosions blast blasts gunfire shelling strike strikes barrage shots",
    "location": "village town city market hospital checkpoint school border camp district region province area "
    "capital road highway base",
}
_HEAD_LABEL = {word: label for label, words in EXTRA_HEADS.items() for word in words.split()}
_MODIFIERS = "local|regional|provincial|military|security|government|hospital|health|nearby|several|other|the|The"
_EXTRA = re.compile(
    rf"\b(?:(?:{_MODIFIERS}) )?(?P<head>{'|'.join(sorted(_HEAD_LABEL, key=len, reverse=True))})\b", re.IGNORECASE
)


@dataclass(frozen=True)
class Noise:
    """One perturbation: ``before`` (a reference span, or None for an extra) became ``after``
    (None for a miss)."""

    kind: str
    before: Span | None
    after: Span | None


def words(text: str, start: int, end: int) -> list[tuple[int, int]]:
    return [match.span() for match in _WORD.finditer(text, start, end)]


def _taken_in(word: str, modifiers: set[str]) -> bool:
    """Whether an annotator would plausibly sweep ``word`` into a span next to it: a name, a number
    or one of ``modifiers``; never a function word or a verb ("said", "where", "killed")."""
    lower = word.lower()
    if lower in _NOT_TAKEN_IN:
        return False
    return lower in modifiers or word[0].isupper() or word.isdigit()


def extend(span: Span, text: str, rng: random.Random) -> Span | None:
    """The span grown by the word just before it (a modifier: "armed", "two", a name) or after it
    (a head: "province", "forces", a name), one space apart on the same line; or by the punctuation
    mark just after it (a mouse selection that overshoots: "Baghdad,")."""
    options = []
    if text[span.end : span.end + 1] in _TRAILING_MARKS:
        options.append(Span(span.start, span.end + 1, span.label))
    after = _WORD.match(text, span.end + 1) if text[span.end : span.end + 1] == " " else None
    if after and _taken_in(after.group(), _HEADS_AFTER):
        options.append(Span(span.start, after.end(), span.label))
    if span.start >= 2 and text[span.start - 1] == " ":
        window = max(0, span.start - 40)
        before = [m for m in _WORD.finditer(text, window, span.start - 1) if m.end() == span.start - 1]
        whole = before and (before[-1].start() == 0 or not text[before[-1].start() - 1].isalnum())
        if whole and _taken_in(before[-1].group(), _MODIFIERS_BEFORE):
            options.append(Span(before[-1].start(), span.end, span.label))
    return rng.choice(options) if options else None


def shrink(span: Span, text: str, rng: random.Random) -> Span | None:
    """The span without a leading determiner or count ("a", "at least", "two") or without a
    trailing generic head ("province", "district")."""
    covered = text[span.start : span.end]
    inside = words(text, span.start, span.end)
    if len(inside) < 2:
        return None
    options = []
    if covered.lower().startswith("at least ") and len(inside) > 2:
        options.append(Span(inside[2][0], span.end, span.label))
    elif covered[inside[0][0] - span.start : inside[0][1] - span.start].lower() in _DROPPED_BEFORE:
        second = text[inside[1][0] : inside[1][1]]
        if second != "of":
            options.append(Span(inside[1][0], span.end, span.label))
        elif len(inside) > 2:  # "two of his guards" -> "his guards"
            options.append(Span(inside[2][0], span.end, span.label))
    if covered[inside[-1][0] - span.start :].lower() in _DROPPED_AFTER:
        options.append(Span(span.start, inside[-2][1], span.label))
    return rng.choice(options) if options else None


def leading_the(span: Span, text: str, rng: random.Random) -> Span | None:
    """A leading "the" taken in (when the text has one just before) or dropped (when the span has one)."""
    start = span.start - 4
    if start >= 0 and text[start : span.start] in ("the ", "The ") and (start == 0 or not text[start - 1].isalnum()):
        return Span(start, span.end, span.label)
    covered = text[span.start : span.end]
    if covered[:4] in ("the ", "The ") and len(covered.strip()) > 4:
        return Span(span.start + 4, span.end, span.label)
    return None


def swap_label(span: Span, text: str, rng: random.Random) -> Span:
    labels, weights = zip(*CONFUSIONS[span.label], strict=True)
    return Span(span.start, span.end, rng.choices(labels, weights)[0])


# Boundary shifts and their weights: a "the" is the commonest disagreement where it can happen.
BOUNDARY = (("leading_the", leading_the, 4), ("extend", extend, 2), ("shrink", shrink, 2))


def extra_candidates(text: str, taken: Iterable[Span]) -> list[Span]:
    """Phrases of ``EXTRA_HEADS`` that overlap none of ``taken``, labelled by their head word."""
    taken = sorted(taken)
    found = []
    for match in _EXTRA.finditer(text):
        candidate = Span(match.start(), match.end(), _HEAD_LABEL[match.group("head").lower()])
        if not any(candidate.overlaps(span) for span in taken):
            found.append(candidate)
    return found


def perturb(
    text: str, reference: Sequence[Span], profile: Profile, rng: random.Random
) -> tuple[list[Span], list[Noise]]:
    """One annotator's spans for ``text``: the reference with ``profile``'s noise, and what was done.

    At most one perturbation per reference span; a shifted span that would overlap another span
    (or leave the text, or end on whitespace) is kept as it was. Extras overlap no reference span.
    """
    reference = sorted(reference)
    spans: list[Span] = []
    noise: list[Noise] = []
    for index, span in enumerate(reference):
        draw = rng.random()
        if draw < profile.miss:
            noise.append(Noise("miss", span, None))
            continue
        changed, kind = None, ""
        if draw < profile.miss + profile.swap and span.label in CONFUSIONS:
            changed, kind = swap_label(span, text, rng), "label_swap"
        elif draw < profile.miss + profile.swap + profile.boundary:
            kinds, shifts, weights = zip(*BOUNDARY, strict=True)
            order = rng.choices(range(len(BOUNDARY)), weights, k=1) + list(range(len(BOUNDARY)))
            for choice in dict.fromkeys(order):  # the drawn shift first, then any other that applies
                changed = shifts[choice](span, text, rng)
                if changed is not None:
                    kind = kinds[choice]
                    break
        if changed is not None:
            others = spans + reference[index + 1 :]
            if offset_problem(changed, text) is None and not any(changed.overlaps(other) for other in others):
                noise.append(Noise(kind, span, changed))
                span = changed
        spans.append(span)
    for candidate in extra_candidates(text, [*reference, *spans]):
        if rng.random() < profile.extra:
            noise.append(Noise("extra", None, candidate))
            spans.append(candidate)
    return sorted(spans), noise


# -- Label Studio export dicts ----------------------------------------------------------------------

_ID_ALPHABET = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"


def iso(moment: dt.datetime) -> str:
    """A time as Django REST framework writes it: ISO 8601, microseconds when not zero, ``Z`` for UTC."""
    return moment.isoformat().replace("+00:00", "Z")


def ls_region(span: Span, text: str, rng: random.Random) -> dict[str, Any]:
    """A ``labels`` result as Label Studio's editor stores it (a 10-character region id)."""
    return {
        "value": {"start": span.start, "end": span.end, "text": text[span.start : span.end], "labels": [span.label]},
        "id": "".join(rng.choices(_ID_ALPHABET, k=10)),
        "from_name": FROM_NAME,
        "to_name": TO_NAME,
        "type": "labels",
        "origin": "manual",
    }


def ls_annotation(
    annotation_id: int,
    annotator: Annotator,
    result: list[dict[str, Any]],
    *,
    task_id: int,
    project: int,
    cancelled: bool,
    created_at: dt.datetime,
    updated_at: dt.datetime,
    draft_created_at: dt.datetime | None,
    lead_time: float,
    unique_id: str,
    completed_by: str = "object",
) -> dict[str, Any]:
    """One annotation, with the fields of Label Studio 1.23's export in its order. ``completed_by``
    is the user object (``"object"``: the CLI and SDK exports) or the user's id (``"int"``: the
    Export button's JSON)."""
    return {
        "id": annotation_id,
        "completed_by": annotator.completed_by if completed_by == "object" else annotator.user_id,
        "result": result,
        "was_cancelled": cancelled,
        "ground_truth": False,
        "created_at": iso(created_at),
        "updated_at": iso(updated_at),
        "draft_created_at": iso(draft_created_at) if draft_created_at else None,
        "lead_time": lead_time,
        "prediction": {},
        "result_count": len({item["id"] for item in result}),
        "unique_id": unique_id,
        "import_id": None,
        "last_action": None,
        "bulk_created": False,
        "task": task_id,
        "project": project,
        "updated_by": annotator.user_id,
        "parent_prediction": None,
        "parent_annotation": None,
        "last_created_by": None,
    }


def ls_task(
    task_id: int,
    data: dict[str, Any],
    annotations: list[dict[str, Any]],
    *,
    project: int,
    created_at: dt.datetime,
    file_upload: str,
) -> dict[str, Any]:
    """One task of the export, with the fields of Label Studio 1.23's export in its order."""
    latest = max(annotations, key=lambda item: item["updated_at"], default=None)
    cancelled = sum(1 for item in annotations if item["was_cancelled"])
    return {
        "id": task_id,
        "annotations": annotations,
        "file_upload": file_upload,
        "drafts": [],
        "predictions": [],
        "data": data,
        "meta": {},
        "created_at": iso(created_at),
        "updated_at": latest["updated_at"] if latest else iso(created_at),
        "allow_skip": True,
        "inner_id": task_id,
        "total_annotations": len(annotations) - cancelled,
        "cancelled_annotations": cancelled,
        "total_predictions": 0,
        "comment_count": 0,
        "unresolved_comment_count": 0,
        "last_comment_updated_at": None,
        "project": project,
        "updated_by": latest["updated_by"] if latest else None,
        "comment_authors": [],
    }


def span_record(span: Span | None, text: str) -> dict[str, Any] | None:
    if span is None:
        return None
    return {"start": span.start, "end": span.end, "label": span.label, "text": text[span.start : span.end]}


@dataclass(frozen=True)
class _Work:
    """One annotator's finished work on a task, before it gets its annotation id."""

    person: Annotator
    result: list[dict[str, Any]]
    noise: list[Noise]
    cancelled: bool
    submitted: dt.datetime
    lead_time: float
    draft_created_at: dt.datetime | None
    unique_id: str


class Simulation:
    """Annotators working through a project's tasks in order, each on a clock of their own.

    ``task()`` returns one export task and the noise records behind it; call it once per task, in
    task order (the clocks move on), and nothing else is kept between calls.
    """

    def __init__(self, seed: int, annotators: Sequence[Annotator], project: int = 1, completed_by: str = "object"):
        if completed_by not in ("object", "int"):
            raise ValueError(f"completed_by must be 'object' or 'int', not {completed_by!r}")
        self.seed, self.annotators, self.project, self.completed_by = seed, list(annotators), project, completed_by
        rng = rng_for(seed, "project")
        # The tasks were imported on a Monday morning; each annotator starts some hours later.
        self.imported_at = dt.datetime(2025, 3, 3, 8, tzinfo=dt.timezone.utc) + dt.timedelta(
            seconds=rng.randrange(3600), microseconds=rng.randrange(1, 10**6)
        )
        self.file_upload = f"{rng.getrandbits(32):08x}-tasks.json"
        self.clocks = {
            person.user_id: self.imported_at + dt.timedelta(hours=1 + 2.5 * index, seconds=rng.randrange(3600))
            for index, person in enumerate(self.annotators)
        }
        self.next_annotation_id = 1

    def task(
        self,
        task_id: int,
        data: dict[str, Any],
        reference: Sequence[Span],
        *,
        skip: Iterable[int] = (),
        cancel: Iterable[int] = (),
    ) -> tuple[dict[str, Any], list[dict[str, Any]]]:
        """Task ``task_id`` (1-based) annotated by every annotator but the user ids in ``skip``;
        those in ``cancel`` skip it in Label Studio (a cancelled annotation, empty result)."""
        text, skip, cancel = data["text"], set(skip), set(cancel)
        created_at = self.imported_at + dt.timedelta(microseconds=211 * (task_id - 1))
        work, records = [], []
        for person in self.annotators:
            if person.user_id in skip:
                records.append(self._record(data, task_id, None, person, Noise("unassigned", None, None)))
                continue
            rng = rng_for(self.seed, data["article_id"], person.user_id)
            if person.user_id in cancel:
                spans, noise = [], [Noise("cancelled", None, None)]
            else:
                spans, noise = perturb(text, reference, person.profile, rng)
            result = [ls_region(span, text, rng) for span in spans]
            work.append(self._work(person, result, noise, text, cancelled=person.user_id in cancel, rng=rng))
        annotations = []
        for done in sorted(work, key=lambda item: item.submitted):  # ids are given in the order of submission
            annotation_id = self.next_annotation_id
            self.next_annotation_id += 1
            annotations.append(
                ls_annotation(
                    annotation_id,
                    done.person,
                    done.result,
                    task_id=task_id,
                    project=self.project,
                    cancelled=done.cancelled,
                    created_at=done.submitted,
                    updated_at=done.submitted + dt.timedelta(microseconds=17 + annotation_id % 71),
                    draft_created_at=done.draft_created_at,
                    lead_time=done.lead_time,
                    unique_id=done.unique_id,
                    completed_by=self.completed_by,
                )
            )
            records.extend(self._record(data, task_id, annotation_id, done.person, item) for item in done.noise)
        exported = ls_task(
            task_id, data, annotations, project=self.project, created_at=created_at, file_upload=self.file_upload
        )
        return exported, records

    def _work(
        self,
        person: Annotator,
        result: list[dict[str, Any]],
        noise: list[Noise],
        text: str,
        cancelled: bool,
        rng: random.Random,
    ) -> _Work:
        """When ``person`` submitted the work, how long it took, when a draft was saved; the clock moves on."""
        profile = person.profile
        if cancelled:
            lead_time = rng.uniform(8, 45)
        else:
            reading = len(text) * profile.seconds_per_char + len(result) * profile.seconds_per_span
            lead_time = reading * rng.lognormvariate(0, 0.25)
        lead_time = round(lead_time, 3)
        start = self.clocks[person.user_id]
        submitted = start + dt.timedelta(seconds=lead_time, microseconds=rng.randrange(1000))
        draft = start + dt.timedelta(seconds=rng.uniform(10, max(11, lead_time / 2))) if rng.random() < 0.4 else None
        pause = rng.uniform(4, 40)
        if rng.random() < 1 / 12:
            pause += rng.uniform(20 * 60, 3 * 3600)  # a break
        resume = submitted + dt.timedelta(seconds=pause)
        if resume.hour >= 19 or rng.random() < 1 / 40:  # done for the day: back the next morning
            resume = (resume + dt.timedelta(days=1)).replace(hour=8, minute=0) + dt.timedelta(
                seconds=rng.uniform(0, 2 * 3600)
            )
        self.clocks[person.user_id] = resume
        unique_id = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        return _Work(person, result, noise, cancelled, submitted, lead_time, draft, unique_id)

    def _record(
        self, data: dict[str, Any], task_id: int, annotation_id: int | None, person: Annotator, noise: Noise
    ) -> dict[str, Any]:
        return {
            "article_id": data["article_id"],
            "task_id": task_id,
            "annotation_id": annotation_id,
            "annotator": person.email,
            "kind": noise.kind,
            "before": span_record(noise.before, data["text"]),
            "after": span_record(noise.after, data["text"]),
        }


# -- writing ----------------------------------------------------------------------------------------


class ExportWriter:
    """Writes a JSON array one task at a time, so memory does not grow with the export.

    ``indent=None`` gives Label Studio's own bytes (``json.dumps(tasks, ensure_ascii=False)``: one
    line); an ``indent`` gives what ``json.dumps(tasks, indent=indent, ensure_ascii=False)`` would.
    """

    def __init__(self, stream: IO[str], indent: int | None = None):
        self.stream, self.indent, self.count = stream, indent, 0

    def __enter__(self) -> ExportWriter:
        self.stream.write("[")
        return self

    def write(self, item: dict[str, Any]) -> None:
        if self.indent is None:
            self.stream.write((", " if self.count else "") + json.dumps(item, ensure_ascii=False))
        else:
            pad = " " * self.indent
            body = json.dumps(item, indent=self.indent, ensure_ascii=False)
            self.stream.write(("," if self.count else "") + "\n" + pad + body.replace("\n", "\n" + pad))
        self.count += 1

    def __exit__(self, *exc_info: object) -> None:
        self.stream.write("\n]" if self.indent is not None and self.count else "]")


def write_jsonl(path: Path, records: Iterable[dict[str, Any]]) -> int:
    count = 0
    with path.open("w", encoding="utf-8", newline="\n") as out:
        for record in records:
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
            count += 1
    return count
