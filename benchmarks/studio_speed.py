"""Benchmark: `annotate push` at the server's pace, each figure beside its peer, in one run.

Starts a Label Studio of its own (``annotate.studio.up`` in a temporary workspace, as the tests do),
builds tasks over a synthetic corpus (short conflict reports from ``benchmarks/make_export.py``) and
prints each pair side by side:

- ``annotate push`` of N new tasks (the CLI as its own process, start-up included) against one raw
  ``projects.import_tasks`` call with the same tasks into another fresh project (goal: at most 1.3x);
- ``annotate push`` again with nothing missing against that first push (goal: at most 0.25x).

Each measure runs ``--runs`` times (the raw import and the push in turns, which goes first alternating);
the medians are compared, so a moment of load elsewhere on the machine hits both sides alike.

A pair is a function that takes the ``Bench`` (server, workspace, figures measured so far) and returns
a ``Pair``; ``PAIRS`` lists them in the order they run, so pairs for pull can be added later. Run:

    python benchmarks/studio_speed.py                   # 10,000 tasks
    python benchmarks/studio_speed.py --tasks 2000 --prelabel

SYNTHETIC data: the reports are invented. Set PYTHONPATH to measure a checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_export import report

from annotate import corpus, studio, tasks
from annotate.schema import load_schema
from annotate.workspace import Workspace, init_workspace

# What the installed `annotate` script does (see [project.scripts]), so the figure is the one a user sees.
ANNOTATE = [sys.executable, "-c", "import sys; from annotate.cli import app; sys.argv[0] = 'annotate'; sys.exit(app())"]


@dataclass
class Pair:
    work: str
    ours: float
    peer_name: str
    peer: float
    goal: float  # the ratio ours / peer must be at most this
    note: str = ""

    @property
    def ratio(self) -> float:
        return self.ours / self.peer


@dataclass
class Bench:
    """What every pair works with: the server, a workspace with its tasks, and what was measured already."""

    workspace: Workspace
    connection: studio.Studio
    token: str
    tasks: int
    runs: int
    seconds: dict[str, float] = field(default_factory=dict)
    projects: list[str] = field(default_factory=list)  # pushed by `annotate push`, in order

    def annotate(self, *args: str) -> tuple[float, dict]:
        """Run the CLI as its own process; its wall time and its --json report."""
        command = [*ANNOTATE, *args, "--json", "--url", self.connection.url, "--api-key", self.token]
        command += ["--workspace", str(self.workspace.root)]
        started = time.perf_counter()
        done = subprocess.run(command, capture_output=True, text=True, cwd=self.workspace.root)
        seconds = time.perf_counter() - started
        if done.returncode != 0:
            raise SystemExit(f"{' '.join(args)} failed ({done.returncode}): {done.stderr.strip()}")
        return seconds, json.loads(done.stdout)


def new_title() -> str:
    return f"bench-{uuid.uuid4().hex[:8]}"


def push_new(bench: Bench) -> Pair:
    """`annotate push` of every task into a new project, beside one raw import_tasks call of the same tasks
    into another new project; ``runs`` of each, in turns (which goes first alternates), medians compared."""
    loaded = json.loads(bench.workspace.tasks_path.read_bytes())
    config = load_schema(bench.workspace.schema_path).label_config()
    ours, raw = [], []

    def raw_import() -> None:
        project = bench.connection.client.projects.create(title=new_title(), label_config=config)
        started = time.perf_counter()
        bench.connection.client.projects.import_tasks(project.id, request=loaded)
        raw.append(time.perf_counter() - started)

    def push() -> None:
        bench.projects.append(new_title())
        seconds, summary = bench.annotate("push", "--project", bench.projects[-1])
        if summary["pushed"] != bench.tasks:
            raise SystemExit(f"push sent {summary['pushed']} of {bench.tasks} tasks")
        ours.append(seconds)
        bench.seconds["requests"] = summary["batches"]

    for run in range(bench.runs):
        for measure in (raw_import, push) if run % 2 == 0 else (push, raw_import):
            measure()
    bench.seconds["first push"] = statistics.median(ours)
    note = f"{bench.seconds['requests']} request(s); runs: ours {spread(ours)}, raw {spread(raw)}"
    work = f"`annotate push`, {bench.tasks:,} new tasks"
    return Pair(work, statistics.median(ours), "one raw `import_tasks` call", statistics.median(raw), 1.3, note)


def push_again(bench: Bench) -> Pair:
    """`annotate push` again, nothing missing (``runs`` times, the median), beside the first push's median."""
    times = []
    for _ in range(bench.runs):
        seconds, summary = bench.annotate("push", "--project", bench.projects[-1])
        if summary["pushed"] != 0 or summary["already_there"] != bench.tasks:
            raise SystemExit(f"the second push sent {summary['pushed']}, found {summary['already_there']}")
        times.append(seconds)
    first = bench.seconds["first push"]
    work = "`annotate push` again, nothing missing"
    return Pair(work, statistics.median(times), "the first push", first, 0.25, f"runs: {spread(times)}")


def spread(times: list[float]) -> str:
    return "/".join(f"{seconds:.1f}" for seconds in times)


PAIRS: list[Callable[[Bench], Pair]] = [push_new, push_again]


def synthetic_workspace(root: Path, count: int, prelabel: bool, seed: int = 7) -> Workspace:
    """A workspace whose corpus holds ``count`` synthetic reports and whose tasks are built."""
    workspace = init_workspace(root)
    source = root.parent / "reports.jsonl"
    with source.open("w", encoding="utf-8") as out:
        for number in range(1, count + 1):
            title, text, _spans = report(number, random.Random(f"{seed}-{number}"))
            out.write(json.dumps({"id": f"report-{number}", "title": title, "text": text}, ensure_ascii=False) + "\n")
    corpus.add(workspace, [source])
    tasks.build(workspace, prelabel=prelabel)
    return workspace


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks to push (default 10000)")
    parser.add_argument("--prelabel", action="store_true", help="tasks carry the pre-annotator's predictions")
    parser.add_argument("--runs", type=int, default=3, help="runs of each measure; medians compared (default 3)")
    parser.add_argument("--port", type=int, default=18300, help="the server's port, if free (default 18300)")
    parser.add_argument("--server", choices=[studio.GUNICORN, studio.RUNSERVER], default=None,
                        help="how Label Studio is served (default: as `annotate studio up` serves it)")  # fmt: skip
    options = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        home = init_workspace(Path(folder) / "studio-home")
        print(f"starting Label Studio, building {options.tasks:,} tasks ...", flush=True)
        studio.up(home, port=options.port, server=options.server)
        try:
            credentials = studio.read_credentials(home)
            workspace = synthetic_workspace(Path(folder) / "ws", options.tasks, options.prelabel)
            size = workspace.tasks_path.stat().st_size / 1e6
            connection = studio.connect(None, credentials.url, credentials.token)
            bench = Bench(workspace, connection, credentials.token, options.tasks, options.runs)
            print(f"{options.tasks:,} tasks, {size:.1f} MB; Label Studio at {credentials.url}; {os.cpu_count()} cores; "
                  f"load average {os.getloadavg()[0]:.1f}; medians of {options.runs} runs")  # fmt: skip
            pairs = []
            for measure in PAIRS:
                pair = measure(bench)
                pairs.append(pair)
                met = "met" if pair.ratio <= pair.goal else "NOT met"
                print(
                    f"{pair.work:<40} {pair.ours:6.2f} s | {pair.peer_name:<27} {pair.peer:6.2f} s | "
                    f"{pair.ratio:5.2f}x (goal <= {pair.goal}x, {met}); {pair.note}",
                    flush=True,
                )
        finally:
            studio.down(home)
    print(json.dumps([pair.__dict__ for pair in pairs]))


if __name__ == "__main__":
    main()
