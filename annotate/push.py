"""Tasks -> a Label Studio project, idempotent and resumable, at the server's pace.

Label Studio ignores task ids on import, so importing a task twice makes two tasks. Push therefore
keeps a ledger per project (``Workspace.push_ledger_path``): the task id the server gave each article
it sent, with the article's sha256. Before sending it checks the ledger against the server as cheaply
as the server allows (``reconcile``): the project's task count; when that disagrees, the tasks after
the newest in the ledger (a push killed after the server took a batch and before the ledger said so),
then the ids alone (tasks deleted); only when ids the ledger does not know remain, every task's
``data.article_id``. Then it imports only the articles missing there, in requests of at most
``batch_bytes`` bytes of JSON: the task file's lines as they are, not parsed and encoded again. Each
request is committed whole or not at all by the server, and its tasks are added to the ledger (append,
fsync) only once the server has answered with their ids, so a push killed at any point (our process or
the server) leaves a ledger that is true or behind, never ahead, and the next push finishes the job:
no duplicates, no gaps. An article pushed before whose text has changed since is reported, not pushed
a second time.

Push also sets what the project enforces: how many annotators a task gets and for what share of the
tasks (Label Studio's ``maximum_annotations`` and ``overlap_cohort_percentage``), and the guidelines
rendered from the schema as the project's instructions; it reads them back from the server and says
what changed. With a round (``round_name``/``sample``/``seed``) it sends a seeded sample of articles
not sent yet, stratified by source, and records it in ``rounds/rounds.jsonl`` before the first task
goes out: pushing the round again sends only what of that sample is missing.
"""

from __future__ import annotations

import contextlib
import itertools
import os
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import IO, TYPE_CHECKING, Any

import orjson

from annotate import defaults
from annotate.errors import AnnotateError, Messages
from annotate.labelconfig import interface_differences
from annotate.schema import Schema, guidelines_html, load_schema
from annotate.studio import ApiError, Record, Studio
from annotate.workspace import Workspace, atomic_write, jsonl_writer

if TYPE_CHECKING:
    from concurrent.futures import Future, ThreadPoolExecutor

DEFAULT_BATCH_SIZE = defaults.PUSH_BATCH_SIZE  # tasks per request of `adjudicate push`
DEFAULT_BATCH_BYTES = defaults.PUSH_BATCH_BYTES
LEDGER_FORMAT = "annotate-push-ledger/1"
DEFAULT_SEED = 0
# Our names for Label Studio's project fields, in the order reports show them.
OVERLAP_FIELDS = {"annotators_per_task": "maximum_annotations", "overlap_share": "overlap_cohort_percentage"}
# The fields of a project that push and adjudicate read: asking for these alone spares the server counting
# every annotation and prediction of the project (``Studio.find_project``).
PROJECT_FIELDS = (
    "label_config", "task_number", "maximum_annotations", "overlap_cohort_percentage", "expert_instruction",
    "show_instruction", "model_version",
)  # fmt: skip
# Label Studio's values for a project created without them (its Project model's defaults): what a push that
# creates the project reports it changed.
NEW_PROJECT = Record(
    maximum_annotations=1, overlap_cohort_percentage=100, expert_instruction="", show_instruction=False
)


@dataclass
class PushSummary:
    project: str
    project_id: int
    url: str
    created: bool = False
    config_updated: bool = False
    tasks_read: int = 0
    pushed: int = 0
    already_there: int = 0
    changed_since_push: list[str] = field(default_factory=list)  # article ids
    batches: int = 0
    # how the ledger was checked against the server: "new project", "count", "newer tasks", "ids", "full listing"
    checked: str = ""
    outside_round: int = 0  # tasks of the file left out because they are not in the round pushed
    # what the project enforces, read back from the server after the push
    overlap: dict[str, int] = field(default_factory=dict)  # annotators_per_task, overlap_share (percent)
    instructions_shown: bool = False
    # what this push changed on the project: {"annotators_per_task": {"old": 1, "new": 3}, ...}
    changed: dict[str, dict[str, Any]] = field(default_factory=dict)
    instructions_updated: bool = False  # the project's instructions were set to the schema's guidelines
    round: dict[str, Any] | None = None  # {name, seed, sample, new}: the round pushed, if any
    ml_backend: dict[str, Any] | None = None  # {url, id, created, model_version}: the ML backend connected, if any

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def config_differences(project_config: str, schema: Schema) -> list[str]:
    """What differs between a project's labeling config and the schema's, as interfaces (controls,
    labels and their attributes, choice trees); layout is not compared."""
    try:
        return interface_differences(schema.label_config(), project_config)
    except ET.ParseError as exc:
        return [f"the project's config is not well-formed XML ({exc})"]


@dataclass
class ProjectSetUp:
    """What ``ensure_project`` found or made."""

    project: Any  # as the server has it after this push's requests
    before: Any  # as it was found; Label Studio's defaults (NEW_PROJECT) for a project created here
    created: bool
    config_updated: bool


def ensure_project(
    studio: Studio,
    title: str,
    schema: Schema,
    update_config: bool = False,
    schema_path: Path | None = None,
    settings: dict[str, Any] | None = None,
) -> ProjectSetUp:
    """Find the project or create it with the schema's config and the ``settings`` (Label Studio's
    project fields: overlap, instructions), in one request; a project found gets the settings where
    they differ, and with ``update_config`` the schema's config, in one request too.

    With ``schema_path``, the schema was loaded without the SDK's check of its config
    (``load_schema(check_config="no")``): the server checks the config it is sent, and its refusal is
    told as a mistake of that schema file.
    """
    settings = settings or {}
    found = studio.find_project(title, PROJECT_FIELDS)
    config = schema.label_config()
    if found is None:
        with _config_refused(schema_path):
            project = studio.create_project(PROJECT_FIELDS, title=title, label_config=config, **settings)
        missed = settings_update(project, settings)  # a server that does not take them on creation
        if missed:
            project = studio.update_project(project.id, PROJECT_FIELDS, **missed)
        return ProjectSetUp(project, NEW_PROJECT, created=True, config_updated=False)
    update = settings_update(found, settings)
    differences = config_differences(found.label_config or "", schema)
    if differences and not update_config:
        raise AnnotateError(Messages.PROJECT_CONFIG_DIFFERS, title=title, differences="; ".join(differences))
    if differences:
        update["label_config"] = config
    if not update:
        return ProjectSetUp(found, found, created=False, config_updated=False)
    with _config_refused(schema_path):
        project = studio.update_project(found.id, PROJECT_FIELDS, **update)
    return ProjectSetUp(project, found, created=False, config_updated=bool(differences))


def settings_update(project: Any, settings: dict[str, Any]) -> dict[str, Any]:
    """The ``settings`` (Label Studio's project fields) the project does not have yet."""
    return {name: value for name, value in settings.items() if getattr(project, name) != value}


@contextlib.contextmanager
def _config_refused(schema_path: Path | None) -> Iterator[None]:
    try:
        yield
    except ApiError as exc:
        errors = exc.body.get("validation_errors") or exc.body if isinstance(exc.body, dict) else None
        said = errors.get("label_config") if isinstance(errors, dict) else None
        if schema_path is None or exc.status_code != 400 or not said:
            raise
        problem = " ".join(map(str, said)) if isinstance(said, list) else str(said)
        raise AnnotateError(Messages.SCHEMA_LABEL_CONFIG, path=schema_path, problem=problem) from None


def pushed_articles(studio: Studio, project_id: int) -> dict[str, str]:
    """article_id -> sha256 of every task in the project that this tool pushed (lists every task)."""
    found: dict[str, str] = {}
    for task in studio.task_dicts(project_id, include="id,data"):
        data = task.get("data") or {}
        if "article_id" in data:
            found[str(data["article_id"])] = str(data.get("sha256", ""))
    return found


def read_tasks(workspace: Workspace) -> Iterator[dict[str, Any]]:
    """Stream the tasks of the task file ``annotate tasks build`` wrote."""
    for task, _raw in read_task_lines(workspace):
        yield task


def read_task_lines(workspace: Workspace) -> Iterator[tuple[dict[str, Any], bytes]]:
    """Stream the task file ``annotate tasks build`` wrote: each task, and its JSON as bytes.

    The file ``tasks build`` writes holds one task per line; those lines are the bytes sent, as they
    are. A file laid out otherwise (edited by hand, say) is read with ``ijson`` from where the lines
    stopped being tasks, and its tasks encoded again.
    """
    if not workspace.tasks_path.exists():
        raise AnnotateError(Messages.TASKS_MISSING, path=workspace.relative(workspace.tasks_path))
    shown = workspace.relative(workspace.tasks_path)
    with workspace.tasks_path.open("rb") as stream:
        done = 0
        if stream.readline().strip() == b"[":
            for line in stream:
                line = line.strip()
                if line == b"]":
                    return
                task = _task_line(line.removesuffix(b","))
                if task is None:
                    break
                done += 1
                yield task, line.removesuffix(b",")
        stream.seek(0)
        number = done
        import ijson  # only for a file laid out otherwise

        try:
            tasks = ijson.items(stream, "item", use_float=True)
            for number, task in enumerate(itertools.islice(tasks, done, None), start=done + 1):
                if not _is_task(task):
                    raise AnnotateError(Messages.TASKS_BAD_TASK, path=shown, number=number)
                yield task, orjson.dumps(task)
        except ijson.JSONError as exc:
            problem = str(exc).splitlines()[0]
            raise AnnotateError(Messages.TASKS_DAMAGED, path=shown, number=number + 1, problem=problem) from None


def _task_line(line: bytes) -> dict[str, Any] | None:
    """The task on this line, or None when the line is not one whole task."""
    try:
        task = orjson.loads(line)
    except orjson.JSONDecodeError:
        return None
    return task if _is_task(task) else None


def _is_task(task: Any) -> bool:
    data = task.get("data") if isinstance(task, dict) else None
    return isinstance(data, dict) and {"article_id", "sha256"} <= data.keys()


# -- the ledger: what was pushed to the project ---------------------------------------------------------


@dataclass
class Ledger:
    """task id -> (article id, sha256) of one project on one server, kept in ``tasks/pushed/``.

    The file's first line says whose it is: ``{"format", "server", "project_id", "project"}``; a ledger
    of another server or another project (one deleted and made again under the title) is not read.
    Then one line per task: ``{"task": int, "article_id": str | null, "sha256": str | null}``, null for
    a task push found in the project and did not send (someone else's), so that counts still agree.
    """

    path: Path
    header: dict[str, Any]
    tasks: dict[int, tuple[str | None, str | None]] = field(default_factory=dict)
    usable: bool = False  # read from the file, which is the server's and project's and not damaged
    torn: bool = False  # the file's last line was cut short (by a kill): not read, and written over
    _out: IO[bytes] | None = None

    @classmethod
    def read(cls, path: Path, server: str, project_id: int, project: str) -> Ledger:
        header = {"format": LEDGER_FORMAT, "server": server, "project_id": project_id, "project": project}
        ledger = cls(path, header)
        with contextlib.suppress(FileNotFoundError):
            # A last line without its newline was being written when a push was killed: not part of the ledger.
            *lines, last = path.read_bytes().split(b"\n")
            ledger.torn = last != b""
            try:
                first = orjson.loads(lines[0]) if lines else {}
                if {key: first.get(key) for key in ("format", "server", "project_id")} != {
                    key: header[key] for key in ("format", "server", "project_id")
                }:
                    return ledger
                for line in lines[1:]:
                    record = orjson.loads(line)
                    ledger.tasks[int(record["task"])] = (record.get("article_id"), record.get("sha256"))
            except (orjson.JSONDecodeError, KeyError, TypeError, ValueError, AttributeError):
                ledger.tasks.clear()
                return ledger  # damaged: rebuilt from the server
            ledger.usable = True
        return ledger

    def articles(self) -> dict[str, str]:
        """article id -> sha256 of the tasks in the project this tool pushed."""
        return {article: sha or "" for article, sha in self.tasks.values() if article is not None}

    def learn(self, tasks: Iterator[dict[str, Any]]) -> None:
        """Add tasks listed from the server (id and data) that the ledger lacks."""
        for task in tasks:
            data = task.get("data") or {}
            article = data.get("article_id")
            self.tasks[int(task["id"])] = (
                None if article is None else str(article),
                None if article is None else str(data.get("sha256", "")),
            )

    def open(self, unchanged: bool) -> None:
        """Keep the ledger open for appending: the file as it is when it holds ``tasks`` (``unchanged``: read
        whole and found true), else written anew."""
        if unchanged and self.usable and not self.torn:
            self._out = self.path.open("ab")
        else:
            self.write()

    def write(self) -> None:
        """The whole ledger, written anew (atomically), then kept open for appending."""
        self.close()
        with atomic_write(self.path, "wb") as out:
            out.write(orjson.dumps(self.header) + b"\n")
            out.writelines(_ledger_line(task, *entry) for task, entry in self.tasks.items())
        self._out = self.path.open("ab")

    def append(self, entries: list[tuple[int, str, str]]) -> None:
        """Tasks the server has just created, on disk (fsync) before the next request goes out."""
        assert self._out is not None, "write() opens the ledger"
        self._out.writelines(_ledger_line(*entry) for entry in entries)
        self._out.flush()
        os.fsync(self._out.fileno())
        self.tasks.update((task, (article, sha)) for task, article, sha in entries)

    def close(self) -> None:
        if self._out is not None:
            self._out.close()
            self._out = None


def _ledger_line(task: int, article: str | None, sha: str | None) -> bytes:
    return orjson.dumps({"task": task, "article_id": article, "sha256": sha}) + b"\n"


def reconcile(studio: Studio, project: Any, ledger: Ledger, created: bool) -> str:
    """Make ``ledger.tasks`` what the project holds, reading no more from the server than needed.

    Returns how: ``new project``, ``count`` (the task count agrees with the ledger, which is trusted),
    ``newer tasks`` (the tasks after the ledger's newest were added to it), ``ids`` (tasks deleted from
    the project were dropped from it), ``full listing`` (every task's data was read).
    """
    if created:
        ledger.tasks.clear()
        return "new project"
    count = project.task_number
    if count is None:
        count = studio.get_project(project.id).task_number
    if ledger.usable:
        if count == len(ledger.tasks):
            return "count"
        newest = max(ledger.tasks, default=0)
        after = {"filter": "filter:tasks:id", "operator": "greater", "type": "Number", "value": newest}
        ledger.learn(studio.task_dicts(project.id, "id,data", [after]))
        if count == len(ledger.tasks):
            return "newer tasks"
        ids = {int(task["id"]) for task in studio.task_dicts(project.id, "id")}
        for gone in set(ledger.tasks) - ids:
            del ledger.tasks[gone]
        if ids == set(ledger.tasks):
            return "ids"
    ledger.tasks.clear()
    ledger.learn(studio.task_dicts(project.id, "id,data"))
    return "full listing"


def push(
    workspace: Workspace,
    studio: Studio,
    project: str,
    batch_size: int | None = None,
    update_config: bool = False,
    progress: Callable[[int], None] | None = None,
    annotators_per_task: int | None = None,
    overlap_share: int | None = None,
    round_name: str | None = None,
    sample: int | None = None,
    seed: int | None = None,
    batch_bytes: int = DEFAULT_BATCH_BYTES,
    ml_backend: str | None = None,
    by: str | None = None,
) -> PushSummary:
    """Push the workspace's tasks (with their predictions) to ``project``; only what is missing.

    Each import request carries at most ``batch_bytes`` bytes of tasks (a task bigger than that goes
    alone) and, with ``batch_size``, at most that many tasks. ``annotators_per_task`` and
    ``overlap_share`` (percent) set the project's overlap; None leaves a setting as the project has it.
    With ``round_name``, only that round's sample is pushed (drawn here with ``sample`` and ``seed`` if
    the round is new, ``by`` ``"random"``, stratified, or ``"uncertainty"``: ``least_certain``).
    ``ml_backend``: the URL of a Label Studio ML backend (``annotate serve``) to connect to the project,
    which then asks it for predictions as a task is opened. ``progress(advance)`` hears of tasks handled.
    """
    wanted = overlap_request(annotators_per_task, overlap_share)
    check_round_request(round_name, sample, seed, by)
    if batch_bytes < 1 or (batch_size is not None and batch_size < 1):
        raise ValueError("batch_bytes and batch_size must be at least 1")
    schema = load_schema(workspace.schema_path, check_config="no")  # the server checks what it is sent
    settings = project_settings(wanted, guidelines_html(schema))
    setup = ensure_project(studio, project, schema, update_config, workspace.schema_path, settings)
    found = setup.project  # what the server keeps, not what was asked: its answer to the update, or as found
    summary = PushSummary(project, found.id, studio.project_url(found.id), setup.created, setup.config_updated)
    summary.changed, summary.instructions_updated = settings_changes(setup.before, settings)
    if ml_backend is not None:
        summary.ml_backend = connect_ml_backend(studio, found.id, ml_backend)
    ledger = Ledger.read(workspace.push_ledger_path(project), studio.url, found.id, project)
    summary.checked = reconcile(studio, found, ledger, setup.created)
    ledger.open(unchanged=summary.checked == "count")
    try:
        there = ledger.articles()
        in_round: set[str] | None = None
        if round_name is not None:
            record, new = ensure_round(workspace, project, round_name, sample, seed, there, by)
            in_round = set(record["articles"])
            summary.round = {"name": round_name, "seed": record["seed"], "sample": record["sample"], "new": new}
            summary.round["by"] = record.get("by", RANDOM)
        batch = _Batch(studio, ledger, summary, progress)
        try:
            for task, raw in read_task_lines(workspace):
                summary.tasks_read += 1
                data = task["data"]
                if in_round is not None:
                    if data["article_id"] not in in_round:
                        summary.outside_round += 1
                        continue
                    data["round"] = round_name
                    raw = orjson.dumps(task)
                pushed_sha = there.get(data["article_id"])
                if pushed_sha is None:
                    if batch.tasks and (
                        batch.size + len(raw) + 1 > batch_bytes
                        or (batch_size is not None and len(batch.tasks) >= batch_size)
                    ):
                        batch.send()
                    batch.add(raw, data["article_id"], data["sha256"])
                    there[data["article_id"]] = data["sha256"]
                    continue
                if pushed_sha == data["sha256"]:
                    summary.already_there += 1
                else:
                    summary.changed_since_push.append(data["article_id"])
                batch.passed += 1
            if batch.tasks:
                batch.send()
            batch.wait()
        finally:
            batch.close()  # the request in flight is answered, and its tasks in the ledger
    finally:
        ledger.close()
    summary.overlap = {ours: getattr(found, theirs) for ours, theirs in OVERLAP_FIELDS.items()}
    summary.instructions_shown = bool(found.show_instruction and found.expert_instruction)
    return summary


@dataclass
class _Batch:
    """The tasks of the next import request, gathered while the one before is sent (on ``sender``, one
    thread, started with the first request: one request in flight at a time, its tasks in the ledger
    before the next goes out)."""

    studio: Studio
    ledger: Ledger
    summary: PushSummary
    progress: Callable[[int], None] | None
    tasks: list[bytes] = field(default_factory=list)
    articles: list[tuple[str, str]] = field(default_factory=list)
    size: int = 1  # the brackets and commas of the JSON array
    passed: int = 0  # tasks of the file not sent (there already), not yet told to ``progress``
    sender: ThreadPoolExecutor | None = None
    in_flight: Future[None] | None = None

    def add(self, raw: bytes, article_id: str, sha256: str) -> None:
        self.tasks.append(raw)
        self.articles.append((article_id, sha256))
        self.size += len(raw) + 1

    def send(self) -> None:
        """Hand the tasks gathered to the sender, once the request before is answered."""
        self.wait()
        if self.sender is None:
            from concurrent.futures import ThreadPoolExecutor  # only a push that sends something needs it

            self.sender = ThreadPoolExecutor(max_workers=1)
        self.in_flight = self.sender.submit(self._import, self.tasks, self.articles)
        self.tasks, self.articles, self.size = [], [], 1

    def wait(self) -> None:
        """Wait for the request in flight (its error, if any, is raised here); tell ``progress`` of the
        tasks passed over."""
        if self.in_flight is not None:
            in_flight, self.in_flight = self.in_flight, None
            in_flight.result()
        if self.progress and self.passed:
            self.progress(self.passed)
        self.passed = 0

    def close(self) -> None:
        if self.sender is not None:
            self.sender.shutdown(wait=True)

    def _import(self, tasks: list[bytes], articles: list[tuple[str, str]]) -> None:
        ids = self.studio.import_tasks(self.summary.project_id, b"[" + b",".join(tasks) + b"]")
        if ids is not None and len(ids) == len(articles):  # the server's ids, in the order sent
            self.ledger.append([(task, *article) for task, article in zip(ids, articles, strict=True)])
        # else the ledger stays behind, which the next push's check catches
        self.summary.pushed += len(tasks)
        self.summary.batches += 1
        if self.progress:
            self.progress(len(tasks))


# -- the project's settings: overlap and instructions ---------------------------------------------------


def overlap_request(annotators_per_task: int | None, overlap_share: int | None) -> dict[str, int]:
    """The overlap settings asked for, checked: {our name: value} for those given."""
    if annotators_per_task is not None and (isinstance(annotators_per_task, bool) or annotators_per_task < 1):
        raise AnnotateError(Messages.PUSH_BAD_ANNOTATORS, value=annotators_per_task)
    if overlap_share is not None and not 0 <= overlap_share <= 100:
        raise AnnotateError(Messages.PUSH_BAD_OVERLAP_SHARE, value=overlap_share)
    asked = {"annotators_per_task": annotators_per_task, "overlap_share": overlap_share}
    return {name: int(value) for name, value in asked.items() if value is not None}


def project_settings(wanted: dict[str, int], instructions: str) -> dict[str, Any]:
    """Label Studio's project fields for the overlap asked for ({our name: value}) and the instructions
    shown before annotating."""
    overlap = {OVERLAP_FIELDS[ours]: value for ours, value in wanted.items()}
    return {**overlap, "expert_instruction": instructions, "show_instruction": True}


def settings_changes(before: Any, settings: dict[str, Any]) -> tuple[dict[str, dict[str, Any]], bool]:
    """What setting ``settings`` changed on the project as it was ``before``: {our name: {old, new}} of its
    overlap, and whether its instructions were replaced."""
    update = settings_update(before, settings)
    changed = {
        ours: {"old": getattr(before, theirs), "new": update[theirs]}
        for ours, theirs in OVERLAP_FIELDS.items()
        if theirs in update
    }
    return changed, "expert_instruction" in update or "show_instruction" in update


def connect_ml_backend(studio: Studio, project_id: int, url: str) -> dict[str, Any]:
    """Connect the ML backend at ``url`` to the project (once: one already there with that URL is kept) and
    have Label Studio retrieve its predictions automatically when a task without one is opened.

    Label Studio calls the backend's ``/health`` and ``/setup`` when it is connected: a backend that does not
    answer is refused by the server, reported as any refused request."""
    url = url.rstrip("/")
    known = [backend for backend in studio.client.ml.list(project=project_id) if (backend.url or "").rstrip("/") == url]
    created = not known
    backend = (
        known[0]
        if known
        else studio.client.ml.create(
            project=project_id, url=url, title="annotate", is_interactive=False, auto_update=True
        )
    )
    studio.client.projects.update(project_id, evaluate_predictions_automatically=True)
    return {"url": url, "id": backend.id, "created": created, "model_version": backend.model_version}


# -- rounds -------------------------------------------------------------------------------------------


RANDOM, UNCERTAINTY = "random", "uncertainty"


def check_round_request(round_name: str | None, sample: int | None, seed: int | None, by: str | None = None) -> None:
    if round_name is None and (sample is not None or seed is not None or by is not None):
        raise AnnotateError(Messages.ROUND_WITHOUT_NAME)
    if by is not None and by not in (RANDOM, UNCERTAINTY):
        raise AnnotateError(Messages.ROUND_BAD_BY, by=by)
    if sample is not None and sample < 1:
        raise AnnotateError(Messages.ROUND_BAD_SAMPLE, value=sample)


def ensure_round(
    workspace: Workspace,
    project: str,
    name: str,
    sample: int | None,
    seed: int | None,
    there: dict[str, str],
    by: str | None = None,
) -> tuple[dict[str, Any], bool]:
    """The round's record: the recorded one (its sample, seed and draw must match any given), or a new
    sample drawn from the task file's articles not in the project, recorded before anything is
    pushed: stratified by source (``by`` ``"random"``, the default) or the least certain (``"uncertainty"``,
    ``least_certain``). Returns (record, new)."""
    task_ids = [task["data"]["article_id"] for task in read_tasks(workspace)]
    recorded = list(workspace.read_rounds())
    mine = next((r for r in recorded if r["project"] == project and r["round"] == name), None)
    if mine is not None:
        if (sample is not None and sample != mine["sample"]) or (seed is not None and seed != mine["seed"]):
            asked = " ".join(
                f"--{key} {value}" for key, value in (("sample", sample), ("seed", seed)) if value is not None
            )
            raise AnnotateError(
                Messages.ROUND_DIFFERS,
                round=name,
                project=project,
                sample=mine["sample"],
                seed=mine["seed"],
                asked=asked,
            )
        if by is not None and by != mine.get("by", RANDOM):
            raise AnnotateError(
                Messages.ROUND_OTHER_DRAW, round=name, project=project, recorded=mine.get("by", RANDOM), asked=by
            )
        missing = set(mine["articles"]) - set(task_ids)
        if missing:
            raise AnnotateError(
                Messages.ROUND_NOT_IN_TASKS,
                path=workspace.relative(workspace.tasks_path),
                count=len(missing),
                round=name,
                first=sorted(missing)[0],
                rounds=workspace.relative(workspace.rounds_path),
            )
        return mine, False
    if sample is None:
        raise AnnotateError(Messages.ROUND_NEEDS_SAMPLE, round=name, project=project)
    seed = DEFAULT_SEED if seed is None else seed
    sent = set(there).union(*(r["articles"] for r in recorded if r["project"] == project))
    candidates = [article_id for article_id in dict.fromkeys(task_ids) if article_id not in sent]
    if sample > len(candidates):
        raise AnnotateError(
            Messages.ROUND_TOO_FEW,
            round=name,
            sample=sample,
            available=len(candidates),
            path=workspace.relative(workspace.tasks_path),
            project=project,
        )
    if by == UNCERTAINTY:
        scores = prediction_scores(workspace)
        if not any(score is not None for score in scores.values()):
            raise AnnotateError(Messages.ROUND_NO_SCORES, path=workspace.relative(workspace.tasks_path))
        drawn = least_certain({article_id: scores.get(article_id) for article_id in candidates}, sample, seed)
    else:
        sources = _sources(workspace, set(candidates))
        strata: dict[str, list[str]] = {}
        for article_id in candidates:
            strata.setdefault(sources.get(article_id, ""), []).append(article_id)
        drawn = stratified_sample(strata, sample, seed)
    record = {
        "round": name,
        "project": project,
        "seed": seed,
        "sample": sample,
        "articles": drawn,
        "created_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
    }
    if by == UNCERTAINTY:
        record["by"] = UNCERTAINTY
    _record_round(workspace, recorded, record)
    return record, True


def prediction_scores(workspace: Workspace) -> dict[str, float | None]:
    """article id -> the lowest region score of its task's predictions (None: no scored region)."""
    scores: dict[str, float | None] = {}
    for task in read_tasks(workspace):
        found = [
            float(region["score"])
            for prediction in task.get("predictions") or []
            for region in prediction.get("result") or []
            if isinstance(region.get("score"), (int, float))
        ]
        scores[task["data"]["article_id"]] = min(found) if found else None
    return scores


def least_certain(scores: dict[str, float | None], size: int, seed: int) -> list[str]:
    """The ``size`` articles the model is least sure of: lowest score first, the score of an article being the
    lowest of its regions' (its least sure suggestion). Articles without a scored region (the model suggested
    nothing there) come after every scored one. Ties are broken by a hash of the seed and the article id, so
    one seed gives one draw."""
    import hashlib

    def key(article_id: str) -> tuple[bool, float, str]:
        score = scores[article_id]
        tie = hashlib.sha256(f"{seed}:{article_id}".encode()).hexdigest()
        return (score is None, score if score is not None else 0.0, tie)

    return sorted(scores, key=key)[:size]


def _sources(workspace: Workspace, wanted: set[str]) -> dict[str, str]:
    """article id -> its source in the corpus ("" when it names none), for the ``wanted`` articles."""
    return {
        article["id"]: str(article.get("source") or "")
        for article in workspace.read_articles()
        if article["id"] in wanted
    }


def _record_round(workspace: Workspace, recorded: list[dict[str, Any]], record: dict[str, Any]) -> None:
    with atomic_write(workspace.rounds_path, "wb") as out:
        writer = jsonl_writer(out)
        writer.write_all([*recorded, record])


def stratified_sample(strata: dict[str, list[str]], size: int, seed: int) -> list[str]:
    """``size`` items drawn without replacement from the strata, reproducibly for one ``seed``.

    Proportional allocation by largest remainders (Hamilton's method): each stratum gets the whole
    part of ``size * n_stratum / total``, and the seats left go to the largest fractional parts
    (ties: the larger stratum, then the name). Within a stratum, ``numpy``'s seeded generator picks
    from the stratum's items in sorted order; strata are visited in sorted order.
    """
    total = sum(len(items) for items in strata.values())
    if not 0 <= size <= total:
        raise ValueError(f"cannot draw {size} of {total}")
    names = sorted(strata)
    counts = {name: size * len(strata[name]) // total for name in names}
    remainders = {name: size * len(strata[name]) % total for name in names}
    left = size - sum(counts.values())
    for name in sorted(names, key=lambda n: (-remainders[n], -len(strata[n]), n))[:left]:
        counts[name] += 1
    import numpy as np  # only rounds draw: not loaded by every push

    generator = np.random.default_rng(seed)
    drawn: list[str] = []
    for name in names:
        items = sorted(strata[name])
        picks = generator.choice(len(items), size=counts[name], replace=False)
        drawn += [items[int(index)] for index in picks]
    return drawn
