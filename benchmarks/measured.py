"""One command as a process of its own: wall seconds, CPU seconds and peak resident memory, all its own.

Why a launcher: Linux carries a process's peak RSS across ``exec`` from the memory it replaces, and
``subprocess`` spawns with ``vfork``, whose child replaces its *parent's* memory: a child of a benchmark
script that has ever held 109 MB reports at least 109 MB from ``wait4``, however little it used itself
(``annotate import`` at 40 MB showed 109 MB that way). So each command is spawned by a small Python
process (about 10 MB) that times it and reads its ``wait4`` figures; the launcher's own start-up is
outside the timing, the command's is inside.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
from pathlib import Path

LAUNCHER = """
import json, os, subprocess, sys, time
start = time.perf_counter()
process = subprocess.Popen(sys.argv[2:])
_, status, usage = os.wait4(process.pid, 0)
figures = {
    "seconds": time.perf_counter() - start,
    "cpu_seconds": usage.ru_utime + usage.ru_stime,
    "rss_mb": usage.ru_maxrss / 1024,
    "returncode": os.waitstatus_to_exitcode(status),
}
with open(sys.argv[1], "w") as out:
    json.dump(figures, out)
"""


def run_measured(argv: list[str], cwd: Path, env: dict[str, str]) -> dict[str, float | str]:
    """Run ``argv``; its seconds, CPU seconds (user + system, its children's included when it waited for
    them), peak RSS in MB and standard output. A failing command stops the benchmark with its stderr."""
    with tempfile.TemporaryDirectory() as folder:
        result, out, err = (Path(folder) / name for name in ("figures.json", "out", "err"))
        with out.open("wb") as stdout, err.open("wb") as stderr:
            subprocess.run(
                [sys.executable, "-c", LAUNCHER, str(result), *argv],
                cwd=cwd,
                env=env,
                stdout=stdout,
                stderr=stderr,
                check=False,
            )
        if not result.exists():
            raise SystemExit(f"could not launch {' '.join(argv)}: {err.read_text()[-2000:]}")
        figures = json.loads(result.read_text())
        if figures["returncode"]:
            raise SystemExit(f"{' '.join(argv)} failed ({figures['returncode']}): {err.read_text()[-2000:]}")
        return {**figures, "stdout": out.read_text()}


if __name__ == "__main__":  # a check of the reason above: a parent that held 150 MB, a child that holds 50
    ballast = bytearray(150_000_000)
    ballast[::4096] = b"x" * len(ballast[::4096])
    child = [sys.executable, "-c", "b = bytearray(50_000_000); b[::4096] = b'x' * len(b[::4096])"]
    process = subprocess.Popen(child)
    direct = os.wait4(process.pid, 0)[2].ru_maxrss / 1024
    launched = run_measured(child, Path.cwd(), dict(os.environ))["rss_mb"]
    print(f"the child's peak through wait4 directly: {direct:.0f} MB; through the launcher: {launched:.0f} MB")
