"""Benchmark: settling gold (``annotate gold``) over a synthetic 10,000-task x 3-annotator project.

Generates the export with ``benchmarks/make_export.py``, puts its articles in a fresh workspace and
imports it (not timed), then runs ``annotate.gold.gold`` in a fresh process for each strategy and
prints wall time and peak resident memory. Run:

    python benchmarks/gold_speed.py              # 10k and 30k tasks
    python benchmarks/gold_speed.py --small      # 1k and 3k tasks, for a quick look
"""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from import_speed import prepared_export, run  # noqa: E402  (one way to prepare a workspace and time a process)

IMPORT = """
import sys
from annotate.imports import import_export
from annotate.workspace import open_workspace
assert import_export(open_workspace(sys.argv[1]), sys.argv[2]).balanced
print("{}")
"""

RUN_GOLD = """
import json, resource, sys, time
from annotate.gold import gold
from annotate.workspace import open_workspace
ws = open_workspace(sys.argv[1])
start = time.perf_counter()
summary = gold(ws, sys.argv[2])
seconds = time.perf_counter() - start
assert summary.balanced
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "articles": summary.articles, "with_conflicts": summary.with_conflicts,
                  "spans": sum(summary.spans_per_label.values())}))
"""


def measure(tasks: int, folder: Path) -> None:
    export, workspace = prepared_export(tasks, folder)
    run(IMPORT, str(workspace), str(export))
    print(f"\n{tasks:,} tasks x 3 annotators", flush=True)
    for strategy in ("majority", "unanimous", "adjudicated"):
        figures = run(RUN_GOLD, str(workspace), strategy)
        print(
            f"  {strategy:<12} {figures['seconds']:6.2f} s  {figures['rss_mb']:5.0f} MB peak  "
            f"{figures['articles']:,} articles, {figures['with_conflicts']:,} with conflicts, "
            f"{figures['spans']:,} gold spans",
            flush=True,
        )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1k and 3k tasks instead of 10k and 30k")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        for size in (1_000, 3_000) if args.small else (10_000, 30_000):
            measure(size, Path(folder))


if __name__ == "__main__":
    main()
