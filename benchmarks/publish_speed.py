"""Benchmark: ``annotate publish`` alone, as the command a user runs (its own process: start-up included).

Prepares a synthetic export once per size with ``benchmarks/make_export.py`` (10,000 tasks x 3
annotators, and three times that), imports it and settles gold (``annotate import``, ``annotate gold``:
not timed), then, on a fresh copy of that workspace each time, runs ``annotate agreement`` (not timed:
publish reuses its saved report, as after a user's ``annotate agreement``; the report is keyed by the
code, so each checkout runs its own) and ``annotate publish --version 1.0.0 --include-conflicts`` in a
fresh process, and prints its wall time, CPU time (user + system, git's included) and peak resident
memory (the process's own, from ``wait4``, through ``measured.py``).

With ``--compare OTHER`` (the root of another checkout, e.g. a ``git worktree`` of an older commit)
the same workspace is published with both, alternately, and every file of the two releases (all but
``.git``: commit times differ) is compared by sha256 -- identical output is the proof that a change
made publish faster without changing what it publishes. Run:

    python benchmarks/publish_speed.py                       # 10k and 30k tasks
    python benchmarks/publish_speed.py --small --rounds 1    # 1k and 3k tasks, for a quick look
    python benchmarks/publish_speed.py --compare /tmp/annotate-before
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent
sys.path.insert(0, str(HERE))

from import_speed import prepared_export  # noqa: E402  (the same synthetic export and workspace)
from measured import run_measured  # noqa: E402

# ``python -m`` puts the working directory first on sys.path, ahead of PYTHONPATH: run from a checkout's root, every
# process would import that checkout whatever ``code`` says. -P (Python 3.11) leaves it out.
PYTHON = [sys.executable, "-P", "-m", "annotate.cli"]


def annotate(code: Path, *args: str) -> None:
    env = {**os.environ, "PYTHONPATH": str(code)}
    subprocess.run([*PYTHON, *args], env=env, check=True, capture_output=True)


def prepared_workspace(tasks: int, folder: Path) -> Path:
    """The synthetic export imported and settled (majority) in a workspace: what publish starts from."""
    export, workspace = prepared_export(tasks, folder)
    annotate(ROOT, "import", str(export), "-w", str(workspace))
    annotate(ROOT, "gold", "-w", str(workspace))
    return workspace


def publish(code: Path, workspace: Path, out: Path) -> tuple[float, float, float, Path]:
    """Publish a copy of ``workspace`` with the ``annotate`` package under ``code``, after its ``annotate
    agreement``: (seconds, CPU seconds, peak MB, release)."""
    copy = out / "workspace"
    shutil.rmtree(copy, ignore_errors=True)
    shutil.copytree(workspace, copy, ignore=shutil.ignore_patterns("releases", "exports", "articles-from-export.jsonl"))
    annotate(code, "agreement", "-w", str(copy))
    env = {**os.environ, "PYTHONPATH": str(code), "HF_DATASETS_CACHE": str(out / "hf-cache")}
    command = [*PYTHON, "publish", "--version", "1.0.0", "--include-conflicts"]
    figures = run_measured([*command, "-w", str(copy)], ROOT, env)
    return figures["seconds"], figures["cpu_seconds"], figures["rss_mb"], copy / "releases"


def digests(releases: Path) -> dict[str, str]:
    """sha256 of every file of the releases but their git repositories (commit times differ by run)."""
    return {
        path.relative_to(releases).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in sorted(releases.rglob("*"))
        if path.is_file() and ".git" not in path.relative_to(releases).parts
    }


def measure(tasks: int, folder: Path, codes: dict[str, Path], rounds: int) -> None:
    workspace = prepared_workspace(tasks, folder)
    print(f"\n{tasks:,} tasks x 3 annotators: annotate publish --version 1.0.0 --include-conflicts", flush=True)
    best: dict[str, tuple[float, float, float]] = {}
    released: dict[str, dict[str, str]] = {}
    for _ in range(rounds):
        for name, code in codes.items():  # alternately, so both see the same load on a shared machine
            with tempfile.TemporaryDirectory(dir=folder) as out:
                seconds, cpu, peak, releases = publish(code, workspace, Path(out))
                released[name] = digests(releases)
            previous = best.get(name, (float("inf"), float("inf"), 0.0))
            best[name] = (min(previous[0], seconds), min(previous[1], cpu), max(previous[2], peak))
    for name, (seconds, cpu, peak) in best.items():
        print(
            f"  {name:<10} {seconds:7.2f} s  {cpu:6.2f} s CPU  {peak:6.0f} MB peak   (best of {rounds}; peak: highest)",
            flush=True,
        )
    if len(released) == 2:
        first, second = released.values()
        same = first == second
        print(f"  the two releases: {len(first)} files, {'identical' if same else 'DIFFERENT'} (sha256, .git aside)")
        for path in sorted(set(first) | set(second)):
            if first.get(path) != second.get(path):
                print(f"    differs: {path}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1k and 3k tasks instead of 10k and 30k")
    parser.add_argument("--rounds", type=int, default=2, help="runs of each, the best time kept (default 2)")
    parser.add_argument("--compare", type=Path, help="another checkout's root, published side by side")
    args = parser.parse_args()
    sizes = (1_000, 3_000) if args.small else (10_000, 30_000)
    codes = {"this": ROOT, **({"compared": args.compare.resolve()} if args.compare else {})}
    with tempfile.TemporaryDirectory() as name:
        for tasks in sizes:
            measure(tasks, Path(name), codes, args.rounds)


if __name__ == "__main__":
    main()
