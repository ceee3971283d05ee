"""Benchmark: every pair of "speed a user feels", side by side, in one run, against one Label Studio it starts.

The pairs, each ours beside its peer and the goal for their ratio (the pieces come from the other scripts
here, which measure each part in more detail):

- start-up: ``annotate --help`` beside ``python -c "import typer, rich"`` (``startup.py``; medians);
- the whole path as four CLI processes, ``import``, ``agreement``, ``gold``, ``publish``, of a 10,000-task
  x 3 export, beside ``label-studio-converter export -f CONLL2003`` of the same file (``release_speed.py``;
  the two take turns, ``--runs`` times each, and their medians are compared);
- ``annotate push`` of 10,000 new tasks beside one raw ``import_tasks`` call, and ``push`` again with nothing
  missing beside the first push (``studio_speed.py``; medians);
- ``annotate pull`` of 10,000 tasks x 3 annotations beside the project's JSON export in one request, and a
  second pull with nothing changed (``pull_speed.py``; fastest of two, alternating).

Every ``annotate`` figure is a separate process, start-up included. Run:

    python benchmarks/user_speed.py              # 10,000 tasks: about 15 minutes on 2 cores
    python benchmarks/user_speed.py --tasks 1000 # a quick look

SYNTHETIC data. Set PYTHONPATH to measure a checkout.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

import pull_speed  # noqa: E402
import release_speed  # noqa: E402
import startup  # noqa: E402
import studio_speed  # noqa: E402
from import_speed import prepared_export  # noqa: E402

from annotate import studio  # noqa: E402
from annotate.workspace import open_workspace  # noqa: E402


def startup_pair(folder: Path, runs: int) -> studio_speed.Pair:
    commands = {"peer": startup.PEER, "ours": [*startup.ANNOTATE, "--help"]}
    startup.medians(commands, 1, str(folder))  # warm the file cache
    found = startup.medians(commands, runs, str(folder))
    note = f"medians of {runs} processes"
    return studio_speed.Pair("annotate --help", found["ours"], 'python -c "import typer, rich"', found["peer"], 3, note)


def whole_path_pair(tasks: int, folder: Path, runs: int) -> studio_speed.Pair:
    found = release_speed.measure(tasks, folder, runs)
    steps = " + ".join(f"{found['ours'][name]['seconds']:.1f}" for name in release_speed.PATH)
    peak = max(found["ours"][name]["rss_mb"] for name in release_speed.PATH)
    publish, peer = found["ours"]["publish"]["rss_mb"], found["converter"]
    note = f"medians of {runs}: {steps} s; peak {peak:.0f} MB (publish {publish:.0f}) against {peer['rss_mb']:.0f} MB"
    work = f"import+agreement+gold+publish, {tasks:,} x 3"
    converter = "label-studio-converter CONLL2003"
    return studio_speed.Pair(work, found["whole_seconds"], converter, peer["seconds"], 0.5, note)


def pull_pairs_on(workspace, export: Path) -> list[studio_speed.Pair]:
    _, project_id, count = pull_speed.fill_project(workspace, export)
    found = pull_speed.pull_pairs(workspace, project_id)
    pull, one, again = found["pull"], found["export_one_request"], found["pull_again"]
    return [
        studio_speed.Pair(f"annotate pull, {count:,} tasks x 3", pull["seconds"], "the JSON export in one request",
                          one["seconds"], 1.0, f"fastest of {len(pull['all'])}; {one['mb']:.0f} MB"),
        studio_speed.Pair("annotate pull again, nothing changed", again["seconds"], "the first pull", pull["seconds"],
                          0.25, f"{again['annotations_read']} annotations read"),
    ]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--tasks", type=int, default=10_000, help="tasks in each project and export (default 10,000)")
    parser.add_argument("--runs", type=int, default=3, help="runs of the path and the push pairs (default 3)")
    parser.add_argument("--port", type=int, default=18380, help="the server's port, if free (default 18380)")
    options = parser.parse_args()
    os.environ.pop(studio.URL_ENV, None)  # the commands must find this script's server, not one from the env
    os.environ.pop(studio.API_KEY_ENV, None)
    pairs: list[studio_speed.Pair] = []
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        print(f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f}", flush=True)
        pairs.append(startup_pair(folder, runs=11))
        pairs.append(whole_path_pair(options.tasks, folder / "path", options.runs))
        export, root = prepared_export(options.tasks, folder / "pull")
        workspace = open_workspace(root)
        print("starting Label Studio ...", flush=True)
        studio.up(workspace, port=options.port)
        try:
            credentials = studio.read_credentials(workspace)
            connection = studio.connect(workspace)
            push_workspace = studio_speed.synthetic_workspace(folder / "push", options.tasks, prelabel=False)
            bench = studio_speed.Bench(push_workspace, connection, credentials.token, options.tasks, options.runs)
            pairs += [measure(bench) for measure in studio_speed.PAIRS]
            pairs += pull_pairs_on(workspace, export)
        finally:
            studio.down(workspace)
    print(f"\n{'work':<42} {'ours':>8}   {'peer':<34} {'peer s':>7} {'ratio':>6}  goal")
    for pair in pairs:
        met = "met" if pair.ratio <= pair.goal else "NOT met"
        print(f"{pair.work:<42} {pair.ours:7.2f}s   {pair.peer_name:<34} {pair.peer:6.2f}s {pair.ratio:5.2f}x  "
              f"<= {pair.goal}x {met}; {pair.note}")  # fmt: skip
    print(json.dumps([{**pair.__dict__, "ratio": pair.ratio} for pair in pairs]))


if __name__ == "__main__":
    main()
