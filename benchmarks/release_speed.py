"""Benchmark: from a Label Studio export on disk to a published release, as a user runs it: four CLI
commands, each its own process, start-up included, beside Label Studio's converter writing CONLL2003
from the same export (also a process of its own, start-up included).

Generates a synthetic export with ``benchmarks/make_export.py`` (10,000 tasks x 3 annotators), puts its
articles in a fresh workspace's corpus (not timed), then runs, one process each:

  * ``annotate import EXPORT``, ``annotate agreement`` (its 1,000-resample bootstrap; the report is saved),
    ``annotate gold`` and ``annotate publish --version 1.0.0 --include-conflicts`` (Parquet, card with
    agreement, manifest, git commit and tag, the ``datasets`` check of the release); then
    ``annotate export --format conll``, the like-for-like output, not counted in the path;
  * ``label-studio-converter export -f CONLL2003`` (the SDK's own command line) on the same file, with the
    schema's labeling config: the peer a user would run instead.

Prints wall time and peak resident memory of each process, side by side, at 10,000 tasks and at three
times that (to show how memory grows). Run:

    python benchmarks/release_speed.py            # 10k and 30k tasks
    python benchmarks/release_speed.py --small    # 1k and 3k tasks, for a quick look
    python benchmarks/release_speed.py --runs 3   # the path and the converter three times each, in turns
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import sys
import tempfile
from pathlib import Path

from annotate.schema import load_schema

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from import_speed import prepared_export  # noqa: E402  (the same preparation)
from measured import run_measured  # noqa: E402

PATH = ("import", "agreement", "gold", "publish")


def annotate_command() -> list[str]:
    """The ``annotate`` console script beside this Python, as a user runs it (``python -m`` if absent)."""
    script = Path(sys.executable).with_name("annotate")
    return [str(script)] if script.exists() else [sys.executable, "-m", "annotate.cli"]


def measure(tasks: int, folder: Path, runs: int = 1) -> dict[str, dict]:
    """The path and the converter ``runs`` times each, taking turns (a fresh copy of the workspace each time),
    so that a spell of load on the machine falls on both; medians compared, the highest peaks shown."""
    export, prepared = prepared_export(tasks, folder)
    pristine = folder / f"ws-{tasks}-pristine"
    shutil.copytree(prepared, pristine, symlinks=True)
    print(f"\n{tasks:,} tasks x 3 annotators: {export.stat().st_size / 1e6:.0f} MB export", flush=True)
    env = {**os.environ, "HF_DATASETS_CACHE": str(folder / f"hf-cache-{tasks}")}
    annotate = annotate_command()
    steps = {
        "import": ["import", str(export)],
        "agreement": ["agreement"],
        "gold": ["gold"],
        "publish": ["publish", "--version", "1.0.0", "--include-conflicts"],
        "export conll": ["export", "--format", "conll"],
    }
    config = folder / f"config-{tasks}.xml"
    config.write_text(load_schema(prepared / "schemas" / "conflict-spans.yaml").label_config(), encoding="utf-8")
    converter = [str(Path(sys.executable).with_name("label-studio-converter")), "export", "--heartex-format"]
    converter += ["-i", str(export), "-c", str(config), "-o", str(folder / f"conll-{tasks}"), "-f", "CONLL2003"]
    ours_runs, peer_runs, paths = [], [], []
    for run in range(runs):
        workspace = prepared if run == 0 else folder / f"ws-{tasks}-run{run}"
        if run:
            shutil.copytree(pristine, workspace, symlinks=True)
        ours_runs.append({name: run_measured([*annotate, *argv], workspace, env) for name, argv in steps.items()})
        peer_runs.append(run_measured(converter, folder, env))
        paths.append(sum(float(ours_runs[-1][name]["seconds"]) for name in PATH))
        if runs > 1:
            print(f"  run {run + 1}: path {paths[-1]:.2f} s, converter {peer_runs[-1]['seconds']:.2f} s", flush=True)
    ours = {name: _median_run([found[name] for found in ours_runs]) for name in steps}
    peer = _median_run(peer_runs)
    whole = statistics.median(paths)
    rows = [(f"annotate {name}", figures) for name, figures in ours.items()]
    rows.append(("label-studio-converter -f CONLL2003", peer))
    if runs > 1:
        print(f"  medians of {runs} runs; peak memory the highest of any run")
    for name, figures in rows:
        print(f"  {name:<36} {figures['seconds']:7.2f} s  {figures['rss_mb']:6.0f} MB peak")
    print(f"  {'whole path (import to publish)':<36} {whole:7.2f} s")
    print(f"  whole path / converter: {whole / float(peer['seconds']):.2f}x", flush=True)
    return {
        "ours": ours,
        "converter": peer,
        "whole_seconds": whole,
        "runs": {"path": paths, "converter": [float(figures["seconds"]) for figures in peer_runs]},
    }


def _median_run(found: list[dict]) -> dict[str, float]:
    """The median wall time of some runs of one process, and the highest peak memory of any."""
    seconds = statistics.median(float(figures["seconds"]) for figures in found)
    return {"seconds": seconds, "rss_mb": max(float(figures["rss_mb"]) for figures in found)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1k and 3k tasks instead of 10k and 30k")
    parser.add_argument("--runs", type=int, default=1, help="runs of the path and the converter, in turns (default 1)")
    options = parser.parse_args()
    sizes = (1_000, 3_000) if options.small else (10_000, 30_000)
    with tempfile.TemporaryDirectory() as name:
        figures = [measure(tasks, Path(name), options.runs) for tasks in sizes]
    growth = figures[1]["ours"]["publish"]["rss_mb"] / figures[0]["ours"]["publish"]["rss_mb"]
    print(f"\nPeak memory of publish at 3x the export: {growth:.2f}x (flat would be 1.00x)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
