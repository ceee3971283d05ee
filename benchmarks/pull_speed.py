"""Benchmark: `annotate pull` against a live local Label Studio, beside the project's JSON export in one request.

Starts its own Label Studio (``annotate.studio.up`` in a temporary workspace), fills a project with
10,000 synthetic tasks x 3 annotators (``benchmarks/make_export.py``; the tasks are imported WITH their
annotations in ``import_tasks`` payloads, as Label Studio allows, as three annotator users; the corpus
holds the articles, as after a push), then prints, side by side in one run:

  * ``annotate pull`` (the CLI as a separate process, start-up included) beside the project's JSON
    export fetched in one request (``GET /api/projects/<id>/export?exportType=JSON``, written to a file);
  * ``annotate pull`` again with nothing changed on the server, beside the first pull.

The server is served as ``annotate studio up`` serves it (gunicorn, several processes); ``--servers
gunicorn,runserver`` measures the same data on each in turn (``runserver``: ``label-studio start``, one
process), restarting the server between them.

SYNTHETIC data. The figures depend on the machine; each ratio is measured within one run. Run:

    python benchmarks/pull_speed.py               # 10,000 tasks x 3 annotators
    python benchmarks/pull_speed.py --tasks 1000  # a quick look
    python benchmarks/pull_speed.py --servers gunicorn,runserver

``fill_project`` and ``pull_pairs`` are the pieces another benchmark can reuse (one server, many pairs).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx
import ijson

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from import_speed import prepared_export  # noqa: E402  (the same synthetic export and corpus)

from annotate import studio  # noqa: E402
from annotate.schema import load_schema  # noqa: E402
from annotate.workspace import Workspace, open_workspace  # noqa: E402

PROJECT = "pull-speed"
IMPORT_BATCH = 500  # tasks (with their annotations) per import request


def _import_payload(task: dict[str, Any]) -> dict[str, Any]:
    """An exported task as an import item: its data and its annotations, as their annotators."""
    annotations = [
        {
            "result": annotation["result"],
            "completed_by": {"email": annotation["completed_by"]["email"]},
            "was_cancelled": annotation["was_cancelled"],
            "ground_truth": False,  # Label Studio's import makes an annotation ground truth unless told
            "lead_time": annotation["lead_time"],
        }
        for annotation in task["annotations"]
    ]
    return {"data": task["data"], "annotations": annotations}


def fill_project(workspace: Workspace, export: Path, title: str = PROJECT) -> tuple[studio.Studio, int, int]:
    """Create ``title`` on the workspace's running server and import the export's tasks with their
    annotations (its annotators made as users first); (connection, project id, tasks). Not timed."""
    connection = studio.connect(workspace)
    client = connection.client
    config = load_schema(workspace.schema_path).label_config()
    project = client.projects.create(title=title, label_config=config)
    known = {user.email for user in client.users.list()}
    batch: list[dict[str, Any]] = []
    count = 0
    with export.open("rb") as raw:
        for task in ijson.items(raw, "item", use_float=True):
            for annotation in task["annotations"]:
                person = annotation["completed_by"]
                if person["email"] not in known:
                    client.users.create(username=person["email"].split("@")[0], email=person["email"])
                    known.add(person["email"])
            batch.append(_import_payload(task))
            count += 1
            if len(batch) == IMPORT_BATCH:
                client.projects.import_tasks(project.id, request=batch)
                batch = []
    if batch:
        client.projects.import_tasks(project.id, request=batch)
    return connection, project.id, count


def _timed(call: Any) -> tuple[float, Any]:
    start = time.perf_counter()
    result = call()
    return time.perf_counter() - start, result


def _annotate_pull(workspace: Workspace, title: str, *extra: str) -> dict[str, Any]:
    command = [sys.executable, "-m", "annotate.cli", "pull", "--project", title, "--workspace", str(workspace.root)]
    done = subprocess.run([*command, "--json", *extra], capture_output=True, text=True, check=True)
    return json.loads(done.stdout)


def _one_request_export(workspace: Workspace, project_id: int, out: Path) -> int:
    """The project's whole JSON export in one request, streamed to ``out``; its size in bytes."""
    credentials = studio.read_credentials(workspace)
    assert credentials is not None
    headers = {"Authorization": f"Token {credentials.token}"}
    url = f"{credentials.url}/api/projects/{project_id}/export"
    params = {"exportType": "JSON", "download_all_tasks": "true"}
    with httpx.stream("GET", url, params=params, headers=headers, timeout=600.0) as response, out.open("wb") as f:
        response.raise_for_status()
        for chunk in response.iter_bytes(1 << 20):
            f.write(chunk)
    return out.stat().st_size


def _forget_pulls(workspace: Workspace) -> None:
    """The workspace as before its first pull: no records, no raw exports, no pull state."""
    for folder in (workspace.annotations_dir, workspace.exports_dir, workspace.root / ".pull"):
        shutil.rmtree(folder, ignore_errors=True)


def pull_pairs(workspace: Workspace, project_id: int, title: str = PROJECT, rounds: int = 2) -> dict[str, Any]:
    """Time the pairs, each side ``rounds`` times alternating (the fastest kept: the machine is shared):
    the one-request export vs a first ``annotate pull``; then a second pull with nothing changed."""
    exports, pulls = [], []
    for _ in range(rounds):
        _forget_pulls(workspace)
        with tempfile.TemporaryDirectory() as folder:
            out = Path(folder) / "all.json"
            seconds, size = _timed(lambda: _one_request_export(workspace, project_id, out))  # noqa: B023
        exports.append(seconds)
        seconds, first = _timed(lambda: _annotate_pull(workspace, title))
        pulls.append(seconds)
    again_seconds, again = _timed(lambda: _annotate_pull(workspace, title))
    assert first["balanced"] and again["balanced"], "the pull's figures must reconcile"
    assert first["tasks_pulled"] == first["tasks"]["read"] and again["incremental"]
    return {
        "export_one_request": {"seconds": min(exports), "all": exports, "mb": size / 1e6},
        "pull": {"seconds": min(pulls), "all": pulls, "annotations": first["annotations"]["imported"]},
        "pull_again": {"seconds": again_seconds, "annotations_read": again["annotations"]["read"]},
    }


def print_pull_pairs(figures: dict[str, Any]) -> None:
    export, pull, again = figures["export_one_request"], figures["pull"], figures["pull_again"]
    runs = ", ".join(f"{seconds:.1f}" for seconds in pull["all"])
    done = f"{pull['annotations']:,} annotations"
    print(f"  annotate pull (CLI, start-up included)  {pull['seconds']:7.1f} s  ({done}; {runs})")
    runs = ", ".join(f"{seconds:.1f}" for seconds in export["all"])
    print(f"  JSON export in one request              {export['seconds']:7.1f} s  ({export['mb']:.0f} MB; {runs})")
    print(f"    ratio {pull['seconds'] / export['seconds']:.2f}x (goal <= 1x)")
    print(f"  annotate pull again, nothing changed    {again['seconds']:7.1f} s  ({again['annotations_read']} read)")
    print(f"    ratio to the first pull {again['seconds'] / pull['seconds']:.2f}x (goal: seconds)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in the project (default 10,000)")
    parser.add_argument("--port", type=int, default=18280, help="preferred port of the benchmark's server")
    parser.add_argument(
        "--servers",
        default=studio.default_server(),
        help=f"how Label Studio is served, comma-separated ({studio.GUNICORN}, {studio.RUNSERVER}): each in turn on"
        " the same data (default: as `annotate studio up` serves it)",
    )
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        export, root = prepared_export(args.tasks, Path(folder))
        workspace = open_workspace(root)
        servers = args.servers.split(",")
        print(f"Starting Label Studio ({servers[0]}) in {root} ...", flush=True)
        studio.up(workspace, port=args.port, server=servers[0])
        try:
            fill_seconds, (_, project_id, count) = _timed(lambda: fill_project(workspace, export))
            print(f"Filled project {PROJECT!r}: {count:,} tasks x 3 annotators in {fill_seconds:.0f} s", flush=True)
            for turn, server in enumerate(servers):
                if turn:
                    studio.down(workspace)
                    studio.up(workspace, port=args.port, server=server)
                print(f"Label Studio served by {server}:", flush=True)
                print_pull_pairs(pull_pairs(workspace, project_id))
        finally:
            studio.down(workspace)


if __name__ == "__main__":
    os.environ.pop(studio.URL_ENV, None)  # the CLI must find the benchmark's own server, not one from the env
    os.environ.pop(studio.API_KEY_ENV, None)
    main()
