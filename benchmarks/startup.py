"""Benchmark: how long a light command takes to start, beside ``python -c "import typer, rich"``.

Each command runs as its own process, the way a user runs it (the console script's three lines), N times;
the median wall time is printed beside the peer's and the ratio (the goal of issue 14: at most 3x). The
workspace is a fresh one made by ``annotate init`` with the bundled articles added (not timed). Run:

    python benchmarks/startup.py            # 11 runs each
    python benchmarks/startup.py --runs 31
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BUNDLED = REPO / "corpus" / "bundled"
# What the installed `annotate` script does (see [project.scripts]), so the figure is the one a user sees.
ANNOTATE = [sys.executable, "-c", "import sys; from annotate.cli import app; sys.argv[0] = 'annotate'; sys.exit(app())"]
PEER = [sys.executable, "-c", "import typer, rich"]


def timed(command: list[str]) -> float:
    """The wall time of one fresh process; a failure stops the benchmark."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], runs: int) -> dict[str, float]:
    """The median wall time of each command; the runs interleave, so a busy moment hits them all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11, help="processes per command (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = str(Path(folder) / "ws")
        subprocess.run([*ANNOTATE, "init", workspace], check=True, stdout=subprocess.DEVNULL)
        subprocess.run([*ANNOTATE, "corpus", "add", str(BUNDLED), "-w", workspace], check=True, capture_output=True)
        commands = {
            'python -c "import typer, rich"': PEER,
            "annotate --help": [*ANNOTATE, "--help"],
            "annotate schema check": [*ANNOTATE, "schema", "check", "-w", workspace],
            "annotate corpus stats": [*ANNOTATE, "corpus", "stats", "-w", workspace],
        }
        medians(commands, 1)  # warm the file cache before anything is timed
        figures = medians(commands, args.runs)
    peer = figures[next(iter(commands))]
    print(f"median of {args.runs} processes each (Python {sys.version.split()[0]})")
    print(f"{'command':<32} {'seconds':>8} {'peer':>7} {'ratio':>7}")
    for name, seconds in figures.items():
        print(f"{name:<32} {seconds:8.3f} {peer:7.3f} {seconds / peer:6.1f}x")


if __name__ == "__main__":
    main()
