"""Benchmark: the rule-based pre-annotator's time per article, and that it grows linearly.

Prints the best of several runs for the seed article, ten seeds in one text, and a long title-case
line (the shape that once made the place rules quadratic). Linear growth shows as ~10x for 10x.

    python benchmarks/prelabel_speed.py
"""

from __future__ import annotations

import time
from pathlib import Path

from annotate.prelabel import gazetteer, prelabel

SEED = Path(__file__).resolve().parent.parent / "seeds" / "000_38baa6d87464e9c9.txt"


def best_seconds(text: str, runs: int) -> float:
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        prelabel(text)
        timings.append(time.perf_counter() - started)
    return min(timings)


def main() -> None:
    started = time.perf_counter()
    gazetteer()
    print(f"gazetteer built in {time.perf_counter() - started:.2f} s (once per process)")
    seed = SEED.read_text(encoding="utf-8")
    title_case = "Baghdad Mosul Mashtal Neighborhood " * 100
    print(f"{'text':<28} {'characters':>10} {'ms (1x)':>9} {'ms (10x)':>9} {'ratio':>6}")
    for name, text in (("seed article", seed), ("title-case line", title_case)):
        one = best_seconds(text, 7)
        ten = best_seconds(text * 10, 3)
        print(f"{name:<28} {len(text):>10} {one * 1000:>9.2f} {ten * 1000:>9.2f} {ten / one:>6.1f}")


if __name__ == "__main__":
    main()
