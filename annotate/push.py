"""Tasks -> a Label Studio project, idempotent and resumable.

Label Studio ignores task ids on import, so importing a task twice makes two tasks. Push therefore
first lists what the project holds (by ``data.article_id``) and imports only the articles missing
there, in batches; each batch is one request that the server commits whole or not at all. A push
killed at any point (our process or the server) is finished by running it again: no duplicates, no
gaps. An article pushed before whose text has changed since is reported, not pushed a second time.

Push also sets what the project enforces: how many annotators a task gets and for what share of the
tasks (Label Studio's ``maximum_annotations`` and ``overlap_cohort_percentage``), and the guidelines
rendered from the schema as the project's instructions; it reads them back from the server and says
what changed. With a round (``round_name``/``sample``/``seed``) it sends a seeded sample of articles
not sent yet, stratified by source, and records it in ``rounds/rounds.jsonl`` before the first task
goes out: pushing the round again sends only what of that sample is missing.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Any

import ijson
import numpy as np

from annotate import defaults
from annotate.errors import AnnotateError, Messages
from annotate.labelconfig import interface_differences
from annotate.schema import Schema, guidelines_html, load_schema
from annotate.studio import Studio
from annotate.workspace import Workspace, atomic_write, jsonl_writer

DEFAULT_BATCH_SIZE = defaults.PUSH_BATCH_SIZE
DEFAULT_SEED = 0
# Our names for Label Studio's project fields, in the order reports show them.
OVERLAP_FIELDS = {"annotators_per_task": "maximum_annotations", "overlap_share": "overlap_cohort_percentage"}


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


def ensure_project(studio: Studio, title: str, schema: Schema, update_config: bool = False) -> tuple[Any, bool, bool]:
    """Find the project or create it with the schema's config. Returns (project, created, updated)."""
    project = studio.find_project(title)
    config = schema.label_config()
    if project is None:
        return studio.client.projects.create(title=title, label_config=config), True, False
    differences = config_differences(project.label_config or "", schema)
    if not differences:
        return project, False, False
    if not update_config:
        raise AnnotateError(Messages.PROJECT_CONFIG_DIFFERS, title=title, differences="; ".join(differences))
    return studio.client.projects.update(project.id, label_config=config), False, True


def pushed_articles(studio: Studio, project_id: int) -> dict[str, str]:
    """article_id -> sha256 of every task in the project that this tool pushed."""
    found: dict[str, str] = {}
    for task in studio.tasks(project_id, include="id,data"):
        data = task.data or {}
        if "article_id" in data:
            found[str(data["article_id"])] = str(data.get("sha256", ""))
    return found


def read_tasks(workspace: Workspace) -> Iterator[dict[str, Any]]:
    """Stream the task file ``annotate tasks build`` wrote."""
    if not workspace.tasks_path.exists():
        raise AnnotateError(Messages.TASKS_MISSING, path=workspace.relative(workspace.tasks_path))
    shown = workspace.relative(workspace.tasks_path)
    with workspace.tasks_path.open("rb") as stream:
        number = 0
        try:
            for number, task in enumerate(ijson.items(stream, "item", use_float=True), start=1):
                data = task.get("data") if isinstance(task, dict) else None
                if not isinstance(data, dict) or not {"article_id", "sha256"} <= data.keys():
                    raise AnnotateError(Messages.TASKS_BAD_TASK, path=shown, number=number)
                yield task
        except ijson.JSONError as exc:
            problem = str(exc).splitlines()[0]
            raise AnnotateError(Messages.TASKS_DAMAGED, path=shown, number=number + 1, problem=problem) from None


def push(
    workspace: Workspace,
    studio: Studio,
    project: str,
    batch_size: int = DEFAULT_BATCH_SIZE,
    update_config: bool = False,
    progress: Callable[[int], None] | None = None,
    annotators_per_task: int | None = None,
    overlap_share: int | None = None,
    round_name: str | None = None,
    sample: int | None = None,
    seed: int | None = None,
    ml_backend: str | None = None,
    by: str | None = None,
) -> PushSummary:
    """Push the workspace's tasks (with their predictions) to ``project``; only what is missing.

    ``annotators_per_task`` and ``overlap_share`` (percent) set the project's overlap; None leaves a
    setting as the project has it. With ``round_name``, only that round's sample is pushed (drawn
    here with ``sample`` and ``seed`` if the round is new, ``by`` ``"random"``, stratified, or ``"uncertainty"``:
    ``least_certain``). ``ml_backend``: the URL of a Label Studio ML backend
    (``annotate serve``) to connect to the project, which then asks it for predictions as a task is opened.
    ``progress(advance)`` hears of tasks handled.
    """
    wanted = overlap_request(annotators_per_task, overlap_share)
    check_round_request(round_name, sample, seed, by)
    schema = load_schema(workspace.schema_path)
    found, created, updated = ensure_project(studio, project, schema, update_config)
    summary = PushSummary(project, found.id, studio.project_url(found.id), created, updated)
    summary.changed, summary.instructions_updated = apply_settings(studio, found, wanted, guidelines_html(schema))
    if ml_backend is not None:
        summary.ml_backend = connect_ml_backend(studio, found.id, ml_backend)
    there = {} if created else pushed_articles(studio, found.id)
    in_round: set[str] | None = None
    if round_name is not None:
        record, new = ensure_round(workspace, project, round_name, sample, seed, there, by)
        in_round = set(record["articles"])
        summary.round = {"name": round_name, "seed": record["seed"], "sample": record["sample"], "new": new}
        summary.round["by"] = record.get("by", RANDOM)
    batch: list[dict[str, Any]] = []
    for task in read_tasks(workspace):
        summary.tasks_read += 1
        data = task["data"]
        if in_round is not None:
            if data["article_id"] not in in_round:
                summary.outside_round += 1
                continue
            data["round"] = round_name
        pushed_sha = there.get(data["article_id"])
        if pushed_sha is None:
            batch.append(task)
        elif pushed_sha == data["sha256"]:
            summary.already_there += 1
        else:
            summary.changed_since_push.append(data["article_id"])
        if len(batch) >= batch_size:
            _import(studio, summary, batch, progress)
        elif progress and pushed_sha is not None:
            progress(1)
    if batch:
        _import(studio, summary, batch, progress)
    enforced = studio.client.projects.get(found.id)  # what the server keeps, not what was asked
    summary.overlap = {ours: getattr(enforced, theirs) for ours, theirs in OVERLAP_FIELDS.items()}
    summary.instructions_shown = bool(enforced.show_instruction and enforced.expert_instruction)
    return summary


# -- the project's settings: overlap and instructions ---------------------------------------------------


def overlap_request(annotators_per_task: int | None, overlap_share: int | None) -> dict[str, int]:
    """The overlap settings asked for, checked: {our name: value} for those given."""
    if annotators_per_task is not None and (isinstance(annotators_per_task, bool) or annotators_per_task < 1):
        raise AnnotateError(Messages.PUSH_BAD_ANNOTATORS, value=annotators_per_task)
    if overlap_share is not None and not 0 <= overlap_share <= 100:
        raise AnnotateError(Messages.PUSH_BAD_OVERLAP_SHARE, value=overlap_share)
    asked = {"annotators_per_task": annotators_per_task, "overlap_share": overlap_share}
    return {name: int(value) for name, value in asked.items() if value is not None}


def apply_settings(
    studio: Studio, project: Any, wanted: dict[str, int], instructions: str
) -> tuple[dict[str, dict[str, Any]], bool]:
    """Set the overlap asked for and the schema's guidelines as instructions, where they differ.

    Returns what changed ({our name: {old, new}}) and whether the instructions were replaced.
    """
    update: dict[str, Any] = {}
    changed: dict[str, dict[str, Any]] = {}
    for ours, value in wanted.items():
        old = getattr(project, OVERLAP_FIELDS[ours])
        if old != value:
            update[OVERLAP_FIELDS[ours]] = value
            changed[ours] = {"old": old, "new": value}
    instructions_differ = project.expert_instruction != instructions or not project.show_instruction
    if instructions_differ:
        update.update(expert_instruction=instructions, show_instruction=True)
    if update:
        studio.client.projects.update(project.id, **update)
    return changed, instructions_differ


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
    generator = np.random.default_rng(seed)
    drawn: list[str] = []
    for name in names:
        items = sorted(strata[name])
        picks = generator.choice(len(items), size=counts[name], replace=False)
        drawn += [items[int(index)] for index in picks]
    return drawn


def _import(
    studio: Studio,
    summary: PushSummary,
    batch: list[dict[str, Any]],
    progress: Callable[[int], None] | None,
) -> None:
    studio.client.projects.import_tasks(summary.project_id, request=batch)
    summary.pushed += len(batch)
    summary.batches += 1
    if progress:
        progress(len(batch))
    batch.clear()
