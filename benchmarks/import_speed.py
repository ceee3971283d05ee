"""Benchmark: importing a Label Studio JSON export, side by side with Label Studio's own converter.

Generates synthetic exports with ``benchmarks/make_export.py`` (10,000 tasks x 3 annotators, and
three times that to show how memory grows), puts their articles in a fresh workspace's corpus (not
timed), then, each in a fresh process so peak memory is the process's own, runs

  * ``annotate import`` (streamed; every span checked; records, quarantine, reconciliation), and
  * ``label_studio_sdk.converter.Converter`` to JSON_MIN and to CONLL2003 on the same file.

Prints wall time and peak resident memory, and the ratios. Run:

    python benchmarks/import_speed.py             # 10k and 30k tasks
    python benchmarks/import_speed.py --small     # 1k and 3k tasks, for a quick look
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent

PREPARE = """
import sys, ijson
from annotate import corpus
from annotate.workspace import init_workspace, jsonl_writer
ws = init_workspace(sys.argv[1])
source = ws.root / "articles-from-export.jsonl"
with open(sys.argv[2], "rb") as export, open(source, "wb") as out:
    writer = jsonl_writer(out)
    for task in ijson.items(export, "item"):
        writer.write({"text": task["data"]["text"], "title": task["data"]["title"]})
corpus.add(ws, [source])
"""

# Each runner prints one JSON line: seconds and peak RSS (getrusage: the process's own high-water mark).
RUN_OURS = """
import json, resource, sys, time
import label_studio_sdk.label_interface  # imported before the clock starts, as the converter's own modules are
from annotate.imports import import_export
from annotate.workspace import open_workspace
ws = open_workspace(sys.argv[1])
start = time.perf_counter()
summary = import_export(ws, sys.argv[2])
seconds = time.perf_counter() - start
assert summary.balanced
tally = summary.tallies["annotations"]
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
                  "annotations": tally.imported, "spans": summary.spans["stored"]}))
"""

RUN_CONVERTER = """
import json, resource, sys, tempfile, time
from label_studio_sdk.converter import Converter
from annotate.schema import load_schema
from annotate.workspace import open_workspace
ws = open_workspace(sys.argv[1])
converter = Converter(config=load_schema(ws.schema_path).label_config(), project_dir=None, download_resources=False)
with tempfile.TemporaryDirectory() as out:
    start = time.perf_counter()
    converter.convert(sys.argv[2], out, sys.argv[3], is_dir=False)
    seconds = time.perf_counter() - start
print(json.dumps({"seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024}))
"""


def run(code: str, *args: str) -> dict[str, float]:
    done = subprocess.run([sys.executable, "-c", code, *args], capture_output=True, text=True, check=True)
    return json.loads(done.stdout.strip().splitlines()[-1])


def prepared_export(tasks: int, folder: Path) -> tuple[Path, Path]:
    """A synthetic export of ``tasks`` tasks x 3 annotators (``make_export.py``) and a fresh workspace
    whose corpus holds its articles: ``(export, workspace)``. Not timed."""
    folder.mkdir(parents=True, exist_ok=True)
    export = folder / f"export-{tasks}.json"
    subprocess.run(
        [sys.executable, str(HERE / "make_export.py"), "--tasks", str(tasks), "--annotators", "3", str(export)],
        check=True,
        capture_output=True,
    )
    workspace = folder / f"ws-{tasks}"
    subprocess.run([sys.executable, "-c", PREPARE, str(workspace), str(export)], check=True)
    return export, workspace


def measure(tasks: int, folder: Path) -> dict[str, dict[str, float]]:
    export, workspace = prepared_export(tasks, folder)
    size_mb = export.stat().st_size / 1e6
    print(f"\n{tasks:,} tasks x 3 annotators: {size_mb:.0f} MB export", flush=True)
    results = {"annotate import": run(RUN_OURS, str(workspace), str(export))}
    for fmt in ("JSON_MIN", "CONLL2003"):
        results[f"Converter {fmt}"] = run(RUN_CONVERTER, str(workspace), str(export), fmt)
    for name, figures in results.items():
        print(f"  {name:<22} {figures['seconds']:7.2f} s  {figures['rss_mb']:7.0f} MB peak", flush=True)
    ours = results["annotate import"]
    for peer in ("Converter JSON_MIN", "Converter CONLL2003"):
        ratio = results[peer]["seconds"] / ours["seconds"]
        print(f"  {peer} takes {ratio:.2f}x our time")
    print(f"  imported {ours['annotations']:,} annotations, {ours['spans']:,} spans; every figure reconciled")
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1k and 3k tasks instead of 10k and 30k")
    args = parser.parse_args()
    sizes = (1_000, 3_000) if args.small else (10_000, 30_000)
    with tempfile.TemporaryDirectory() as folder:
        figures = [measure(size, Path(folder)) for size in sizes]
    growth = figures[1]["annotate import"]["rss_mb"] / figures[0]["annotate import"]["rss_mb"]
    print(f"\nOur peak memory at 3x the export: {growth:.2f}x (flat would be 1.00x)")


if __name__ == "__main__":
    main()
