"""Benchmark: ingesting a large JSON Lines corpus, and how memory grows with the input.

Generates synthetic wire-style articles (3 KB each, every text distinct) at two sizes, then, each in
a fresh process so peak memory is the process's own, ingests them with

  * ``annotate corpus add`` (streamed, deduplicated, ids from content), and
  * the peer a glue script would use: ``datasets.load_dataset("json", ...)`` (Arrow conversion).

Prints wall time, throughput and peak resident memory side by side. Run:

    python benchmarks/ingest.py            # 100 MB and 1 GB
    python benchmarks/ingest.py --small    # 20 MB and 200 MB, for a quick look
"""

from __future__ import annotations

import argparse
import json
import random
import subprocess
import sys
import tempfile
import time
from pathlib import Path

SENTENCES = [
    "Government forces shelled the outskirts of {place} overnight, officials said.",
    "At least {n} civilians were killed when a roadside bomb hit a minibus near {place}.",
    "Gunmen armed with AK-47 rifles attacked a checkpoint in {place} on {day}.",
    "A drone strike destroyed a vehicle carrying {n} fighters, a spokesperson told reporters.",
    "Residents of {place} said they heard several loud explosions before dawn.",
]
PLACES = ["Baghdad", "Mosul", "Kharkiv", "Ségou", "Cúcuta", "Maiduguri", "Helmand", "Odesa", "Djibo", "Beni"]
DAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]


def write_corpus(path: Path, megabytes: int, seed: int = 7) -> int:
    rng = random.Random(seed)
    target = megabytes * 1_000_000
    written = count = 0
    with path.open("w", encoding="utf-8") as out:
        while written < target:
            sentences = [
                rng.choice(SENTENCES).format(place=rng.choice(PLACES), n=rng.randint(2, 90), day=rng.choice(DAYS))
                for _ in range(24)
            ]
            text = f"Report {count}. " + " ".join(sentences)
            line = json.dumps({"id": f"wire-{count}", "title": f"Report {count}", "text": text}, ensure_ascii=False)
            out.write(line + "\n")
            written += len(line) + 1
            count += 1
    return count


ANNOTATE = (
    """
import sys
from annotate import corpus
from annotate.workspace import init_workspace
summary = corpus.add(init_workspace(sys.argv[2]), [sys.argv[1]])
print(summary.added)
"""
    + "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)

DATASETS = (
    """
import sys
import datasets
datasets.disable_progress_bars()
dataset = datasets.load_dataset("json", data_files=sys.argv[1], split="train", cache_dir=sys.argv[2])
print(len(dataset))
"""
    + "import resource; print(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)"
)


def run(script: str, *args: str) -> tuple[float, float, str]:
    """Wall seconds, peak RSS in MB (the child reports its own on its last line), and what it printed."""
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-c", script, *args], capture_output=True, text=True, check=True)
    seconds = time.perf_counter() - started
    *printed, peak_kb = done.stdout.split()
    return seconds, int(peak_kb) / 1024, " ".join(printed)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="20 MB and 200 MB instead of 100 MB and 1 GB")
    options = parser.parse_args()
    sizes = (20, 200) if options.small else (100, 1000)
    rows = []
    with tempfile.TemporaryDirectory() as scratch:
        root = Path(scratch)
        for megabytes in sizes:
            path = root / f"corpus-{megabytes}.jsonl"
            articles = write_corpus(path, megabytes)
            for name, script in (("annotate corpus add", ANNOTATE), ("datasets.load_dataset", DATASETS)):
                seconds, peak, printed = run(script, str(path), str(root / f"{name.split()[0]}-{megabytes}"))
                rows.append((megabytes, articles, name, seconds, peak, printed))
    print(f"{'input':>8} {'articles':>9}  {'tool':<24} {'seconds':>8} {'MB/s':>7} {'peak RSS MB':>12}  stored")
    for megabytes, articles, name, seconds, peak, printed in rows:
        print(
            f"{megabytes:>6}MB {articles:>9}  {name:<24} {seconds:>8.1f} "
            f"{megabytes / seconds:>7.1f} {peak:>12.0f}  {printed}"
        )


if __name__ == "__main__":
    main()
