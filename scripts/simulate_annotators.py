"""Write the SIMULATED Label Studio export in ``corpus/simulated/``: three made-up annotators.

The articles are read as ``annotate corpus add seeds/ corpus/bundled/`` reads them (the same
readers, normalisation, ids and deduplication), so every task's ``data`` is what ``annotate tasks
build`` gives that article. Each annotator starts from the hand reference spans
(``corpus/reference/spans.jsonl``) and applies seeded noise of its own profile (see
``scripts/simulation.py``): one careful, one sloppy on boundaries, one who misses more. One
annotator cancels (skips) one task, and one task is left to two annotators.

Run from anywhere; the same seed writes the same bytes:

    python scripts/simulate_annotators.py                  # corpus/simulated/{label-studio-export.json,noise.jsonl}
    python scripts/simulate_annotators.py --out /tmp/sim --completed-by int
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator, Sequence
from pathlib import Path
from typing import Any

from simulation import (
    ExportWriter,
    Simulation,
    make_annotators,
    rng_for,
    write_jsonl,
)

from annotate import corpus
from annotate.spans import Span
from annotate.tasks import article_task, offset_problem

REPO = Path(__file__).resolve().parent.parent
ARTICLES = (REPO / "seeds", REPO / "corpus" / "bundled")  # the order of the README's `corpus add` commands
REFERENCE = REPO / "corpus" / "reference" / "spans.jsonl"
OUT = REPO / "corpus" / "simulated"
EXPORT_NAME = "label-studio-export.json"
NOISE_NAME = "noise.jsonl"
SEED = 20250303
ANNOTATORS = 3


def read_articles(paths: Sequence[Path]) -> Iterator[dict[str, Any]]:
    """The articles ``annotate corpus add PATHS`` would store, in its order, duplicates left out."""
    seen: set[str] = set()
    for path in corpus.input_files(paths):
        for raw in corpus.read_records(path, corpus.FieldNames(), lambda _read: None):
            if raw.problem is not None or raw.fields is None:  # `corpus add` skips it too
                print(f"skipped {path} {raw.where}: {raw.problem}", file=sys.stderr)
                continue
            article = corpus.make_article(raw.fields)
            if article["sha256"] not in seen:
                seen.add(article["sha256"])
                yield article


def read_reference(path: Path) -> dict[str, list[Span]]:
    with path.open(encoding="utf-8") as lines:
        records = [json.loads(line) for line in lines if line.strip()]
    return {
        record["article_id"]: [Span(item["start"], item["end"], item["label"]) for item in record["spans"]]
        for record in records
    }


def checked_reference(article: dict[str, Any], reference: dict[str, list[Span]]) -> list[Span]:
    spans = reference.get(article["id"])
    if spans is None:
        raise SystemExit(f"article {article['id']} ({article['title']!r}) has no reference spans")
    for span in spans:
        problem = offset_problem(span, article["text"])
        if problem:
            raise SystemExit(f"article {article['id']}: reference span {tuple(span)} does not fit its text: {problem}")
    return spans


def simulate(
    out: Path,
    seed: int = SEED,
    completed_by: str = "object",
    articles: Sequence[Path] = ARTICLES,
    reference_path: Path = REFERENCE,
) -> dict[str, int]:
    """Write ``out/label-studio-export.json`` and ``out/noise.jsonl``; return counts."""
    articles_list = list(read_articles(articles))
    reference = read_reference(reference_path)
    annotators = make_annotators(ANNOTATORS)
    ids = [person.user_id for person in annotators]
    # Which task is left to two annotators, and which annotator cancels which (other) task.
    plan = rng_for(seed, "plan")
    short_task, cancelled_task = plan.sample(range(1, len(articles_list) + 1), 2)
    unassigned, canceller = plan.choice(ids), plan.choice(ids)
    simulation = Simulation(seed, annotators, completed_by=completed_by)
    out.mkdir(parents=True, exist_ok=True)
    noise: list[dict[str, Any]] = []
    counts = {"tasks": 0, "annotations": 0, "regions": 0}
    with (out / EXPORT_NAME).open("w", encoding="utf-8", newline="\n") as stream:
        with ExportWriter(stream, indent=1) as writer:
            for task_id, article in enumerate(articles_list, start=1):
                task, records = simulation.task(
                    task_id,
                    article_task(article)["data"],
                    checked_reference(article, reference),
                    skip=[unassigned] if task_id == short_task else [],
                    cancel=[canceller] if task_id == cancelled_task else [],
                )
                writer.write(task)
                noise.extend(records)
                counts["tasks"] += 1
                counts["annotations"] += len(task["annotations"])
                counts["regions"] += sum(len(item["result"]) for item in task["annotations"])
        stream.write("\n")
    counts["noise"] = write_jsonl(out / NOISE_NAME, noise)
    return counts


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT, help=f"folder to write to (default {OUT.relative_to(REPO)})")
    parser.add_argument("--seed", type=int, default=SEED, help=f"the seed of every random choice (default {SEED})")
    parser.add_argument(
        "--completed-by",
        choices=("object", "int"),
        default="object",
        help="the annotator as a user object (CLI/SDK export, default) or a user id (the Export button's JSON)",
    )
    options = parser.parse_args(argv)
    counts = simulate(options.out, seed=options.seed, completed_by=options.completed_by)
    print(
        f"{options.out / EXPORT_NAME}: {counts['tasks']} tasks, {counts['annotations']} annotations, "
        f"{counts['regions']} regions; {options.out / NOISE_NAME}: {counts['noise']} noise records",
        file=sys.stderr,
    )


if __name__ == "__main__":
    main()
