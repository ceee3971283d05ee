"""Benchmark: how long a light command takes to start, beside ``python -c "import typer, rich"``.

Each command runs as its own process, the way a user runs it (the console script's three lines), N times;
the median wall time is printed beside the peer's and the ratio (the goal of issue 14: at most 3x). The
workspace is a fresh one made by ``annotate init`` with the bundled articles added (not timed). Every
process runs in that temporary folder, so the ``annotate`` measured is the one ``python`` imports (set
PYTHONPATH to measure a checkout). Run:

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
# Typer's own floor for running a command: a group with one command taking a Path option, nothing else.
# (Typer checks each parameter's value through pydantic, so running any command costs more than --help.)
TYPER_APP = """
from pathlib import Path
import typer
app, group = typer.Typer(), typer.Typer()
app.add_typer(group, name="corpus")
@group.command("stats")
def stats(workspace: Path = typer.Option(Path("."), "--workspace", "-w")) -> None:
    pass
@group.command("add")
def add() -> None:
    pass
app()
"""


def timed(command: list[str], folder: str) -> float:
    """The wall time of one fresh process; a failure stops the benchmark."""
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, cwd=folder)
    return time.perf_counter() - start


def medians(commands: dict[str, list[str]], runs: int, folder: str) -> dict[str, float]:
    """The median wall time of each command; the runs interleave, so a busy moment hits them all alike."""
    times: dict[str, list[float]] = {name: [] for name in commands}
    for _ in range(runs):
        for name, command in commands.items():
            times[name].append(timed(command, folder))
    return {name: statistics.median(values) for name, values in times.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=11, help="processes per command (the median is shown)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        workspace = str(Path(folder) / "ws")
        subprocess.run([*ANNOTATE, "init", workspace], check=True, stdout=subprocess.DEVNULL, cwd=folder)
        add = [*ANNOTATE, "corpus", "add", str(BUNDLED), "-w", workspace]
        subprocess.run(add, check=True, capture_output=True, cwd=folder)
        commands = {
            'python -c "import typer, rich"': PEER,
            "annotate --help": [*ANNOTATE, "--help"],
            "annotate schema check": [*ANNOTATE, "schema", "check", "-w", workspace],
            "annotate corpus stats": [*ANNOTATE, "corpus", "stats", "-w", workspace],
            "typer app, a command that does nothing": [sys.executable, "-c", TYPER_APP, "corpus", "stats", "-w", "."],
        }
        medians(commands, 1, folder)  # warm the file cache before anything is timed
        figures = medians(commands, args.runs, folder)
    peer = figures[next(iter(commands))]
    import annotate

    where = Path(annotate.__file__).parent.parent
    print(f"median of {args.runs} processes each (Python {sys.version.split()[0]}, annotate from {where})")
    print(f"{'command':<40} {'seconds':>8} {'peer':>7} {'ratio':>7}")
    for name, seconds in figures.items():
        print(f"{name:<40} {seconds:8.3f} {peer:7.3f} {seconds / peer:6.1f}x")


if __name__ == "__main__":
    main()
