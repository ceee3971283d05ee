"""Benchmark: the review site of 10,000 articles x 3 annotators, built and then opened in headless Chromium.

Generates a synthetic export with ``benchmarks/make_export.py``, puts its articles in a fresh workspace,
imports it and settles gold (not timed), then measures

  * building the site (``annotate.review.review``): seconds, and its size on disk (all, the list's
    index, the largest article chunk);
  * opening ``index.html`` from ``file://`` in Debian's Chromium (Playwright): milliseconds from the
    start of navigation until the page's script has drawn the list and answers (``performance.now()``
    when review.js finishes), and the wall time of the navigation;
  * each filter (label, disagreement kind, annotator, gold status; a title search): milliseconds from
    the change event to the redrawn list, measured inside the page (the redraw is synchronous);
  * a text search (every chunk read): milliseconds until the last chunk answered;
  * opening an article of the last chunk: milliseconds until its lanes are drawn.

Run:

    python benchmarks/review_speed.py             # 10,000 articles x 3 annotators
    python benchmarks/review_speed.py --tasks 1000
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent))

from annotate.gold import gold  # noqa: E402
from annotate.imports import import_export  # noqa: E402
from annotate.review import review  # noqa: E402
from annotate.review.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from annotate.workspace import init_workspace, jsonl_writer  # noqa: E402

# Change one filter and time the synchronous redraw of the list, inside the page.
TIME_FILTER = """([id, value]) => {
    const select = document.getElementById(id);
    select.value = value;
    const start = performance.now();
    select.dispatchEvent(new Event(id === 'f-search' ? 'input' : 'change'));
    const ms = performance.now() - start;
    const rows = document.querySelectorAll('#list tbody tr').length;
    const count = document.getElementById('count').textContent;
    return [ms, rows, count];
}"""


def prepare(tasks: int, folder: Path):
    import ijson

    from annotate import corpus

    export = folder / "export.json"
    subprocess.run(
        [sys.executable, str(HERE / "make_export.py"), "--tasks", str(tasks), "--annotators", "3", str(export)],
        check=True,
        capture_output=True,
    )
    ws = init_workspace(folder / "ws")
    source = folder / "articles.jsonl"
    with export.open("rb") as stream, source.open("wb") as out:
        writer = jsonl_writer(out)
        for task in ijson.items(stream, "item"):
            writer.write({"text": task["data"]["text"], "title": task["data"]["title"]})
    corpus.add(ws, [source])
    import_export(ws, export)
    gold(ws)
    return ws


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=10_000, help="articles (default 10000), 3 annotators each")
    options = parser.parse_args()
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="annotate-review-bench-") as tmp:
        folder = Path(tmp)
        started = time.perf_counter()
        ws = prepare(options.tasks, folder)
        print(
            f"prepared {options.tasks} articles x 3 annotators (import, gold) in {time.perf_counter() - started:.1f} s"
        )
        started = time.perf_counter()
        summary = review(ws, folder / "site")
        built = time.perf_counter() - started
        site = folder / "site"
        chunks = sorted((site / "data").glob("chunk-*.js"))
        index_mb = (site / "data" / "index.js").stat().st_size / 1e6
        page_kb = (site / "index.html").stat().st_size / 1e3
        print(
            f"built the site in {built:.1f} s: {summary.articles} articles, {summary.spans} spans, {summary.chunks} "
            f"chunks; {summary.bytes / 1e6:.1f} MB on disk (index.js {index_mb:.2f} MB, "
            f"index.html {page_kb:.0f} kB, largest "
            f"chunk {max(path.stat().st_size for path in chunks) / 1e3:.0f} kB)"
        )
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
            first = []
            for _ in range(3):
                page = browser.new_page(viewport={"width": 1200, "height": 900})
                started = time.perf_counter()
                page.goto((site / "index.html").as_uri())
                page.wait_for_selector("body[data-ready]")
                wall = (time.perf_counter() - started) * 1000
                first.append((page.evaluate("window.REVIEW_READY_MS"), wall))
                page.close()
            ready, wall = (statistics.median(values) for values in zip(*first, strict=True))
            print(f"first screen interactive: {ready:.0f} ms after navigation start (navigation wall {wall:.0f} ms)")
            page = browser.new_page(viewport={"width": 1200, "height": 900})
            page.goto((site / "index.html").as_uri())
            page.wait_for_selector("body[data-ready]")
            timings = []
            for select, value in [
                ("f-label", "0"),
                ("f-kind", "4"),
                ("f-annotator", "1"),
                ("f-gold", "1"),
                ("f-label", ""),
                ("f-kind", ""),
                ("f-annotator", ""),
                ("f-gold", ""),
                ("f-search", "report 99"),
            ]:
                ms, _rows, count = page.evaluate(TIME_FILTER, [select, value])
                timings.append(ms)
                print(f"  filter {select}={value!r}: {ms:.1f} ms -> {count}")
            print(f"filters: median {statistics.median(timings):.1f} ms, slowest {max(timings):.1f} ms")
            started = time.perf_counter()
            page.fill("#f-search", "kilometres")
            page.wait_for_function("() => document.getElementById('search-state').textContent === ''", timeout=120_000)
            print(f"text search over every chunk: {(time.perf_counter() - started) * 1000:.0f} ms")
            last = page.evaluate("window.REVIEW_INDEX[window.REVIEW_INDEX.length - 1][0]")
            page2 = browser.new_page(viewport={"width": 1200, "height": 900})
            page2.goto((site / "index.html").as_uri())
            page2.wait_for_selector("body[data-ready]")
            started = time.perf_counter()
            page2.evaluate("id => { location.hash = '#article=' + encodeURIComponent(id); }", last)
            page2.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=last)
            print(f"opening an article (its chunk read): {(time.perf_counter() - started) * 1000:.0f} ms")
            browser.close()


if __name__ == "__main__":
    main()
