"""Benchmark: from a Label Studio export on disk to a published, reloaded release, beside Label Studio's
converter writing CONLL2003 from the same export.

Generates a synthetic export with ``benchmarks/make_export.py`` (10,000 tasks x 3 annotators), puts its
articles in a fresh workspace's corpus (not timed), then, each in a fresh process so peak memory is the
process's own, runs

  * the whole path: ``annotate import``, ``annotate agreement`` (with its 1,000-resample bootstrap),
    ``annotate gold`` and ``annotate publish --version 1.0.0`` (Parquet, card with agreement, manifest,
    git commit and tag, and the ``datasets.load_dataset`` check of every config), each stage timed;
    then ``annotate export --format conll`` as the like-for-like output;
  * ``label_studio_sdk.converter.Converter`` to CONLL2003 on the same file.

Prints wall time and peak resident memory, side by side, at 10,000 tasks and at three times that
(to show how memory grows). Run:

    python benchmarks/release_speed.py            # 10k and 30k tasks
    python benchmarks/release_speed.py --small    # 1k and 3k tasks, for a quick look
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from import_speed import RUN_CONVERTER, prepared_export, run  # noqa: E402  (the same preparation and peer)

RUN_WHOLE_PATH = """
import json, os, resource, sys, time
import label_studio_sdk.label_interface  # imported before the clock starts, as the converter's own modules are
os.environ["HF_DATASETS_CACHE"] = sys.argv[3]
from annotate import agreement, exports, gold, imports, release
from annotate.workspace import open_workspace
ws = open_workspace(sys.argv[1])
seconds = {}
def timed(name, call):
    start = time.perf_counter()
    result = call()
    seconds[name] = time.perf_counter() - start
    return result
imported = timed("import", lambda: imports.import_export(ws, sys.argv[2]))
assert imported.balanced
figures = timed("agreement", lambda: agreement.report(ws))
settled = timed("gold", lambda: gold.gold(ws))
published = timed("publish", lambda: release.publish(ws, "1.0.0", include_conflicts=True))
conll = timed("export conll", lambda: exports.export(ws, "conll"))
print(json.dumps({
    "seconds": seconds, "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    "annotations": imported.tallies["annotations"].imported, "articles": published.published,
    "gold_spans": sum(published.spans.values()), "strict_f1": figures["span_f1"]["strict"]["micro"]["value"],
    "conll_tokens": conll.tokens,
}))
"""


def measure(tasks: int, folder: Path) -> dict[str, dict]:
    export, workspace = prepared_export(tasks, folder)
    print(f"\n{tasks:,} tasks x 3 annotators: {export.stat().st_size / 1e6:.0f} MB export", flush=True)
    ours = run(RUN_WHOLE_PATH, str(workspace), str(export), str(folder / f"hf-cache-{tasks}"))
    peer = run(RUN_CONVERTER, str(workspace), str(export), "CONLL2003")
    stages = ours["seconds"]
    whole = sum(seconds for stage, seconds in stages.items() if stage != "export conll")
    for stage, seconds in stages.items():
        print(f"  annotate {stage:<14} {seconds:7.2f} s")
    print(f"  {'whole path (import, agreement, gold, publish)':<48} {whole:7.2f} s  {ours['rss_mb']:6.0f} MB peak")
    print(f"  {'Label Studio Converter, CONLL2003':<48} {peer['seconds']:7.2f} s  {peer['rss_mb']:6.0f} MB peak")
    print(f"  the converter takes {peer['seconds'] / whole:.2f}x the whole path's time")
    print(
        f"  published {ours['articles']:,} articles, {ours['gold_spans']:,} gold spans from {ours['annotations']:,} "
        f"annotations (strict span F1 {ours['strict_f1']:.3f}); CoNLL: {ours['conll_tokens']:,} tokens",
        flush=True,
    )
    return {"ours": ours, "converter": peer}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--small", action="store_true", help="1k and 3k tasks instead of 10k and 30k")
    sizes = (1_000, 3_000) if parser.parse_args().small else (10_000, 30_000)
    with tempfile.TemporaryDirectory() as name:
        figures = [measure(tasks, Path(name)) for tasks in sizes]
    growth = figures[1]["ours"]["rss_mb"] / figures[0]["ours"]["rss_mb"]
    print(f"\nOur peak memory at 3x the export: {growth:.2f}x (flat would be 1.00x)")
    print(json.dumps(figures))


if __name__ == "__main__":
    main()
