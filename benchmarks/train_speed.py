"""Benchmark: training a model on a large synthetic project: time per epoch, and the held-out F1.

The reports are ``benchmarks/make_export.py``'s (templates whose entity slots are known, so each report
comes with its true spans; SYNTHETIC data). They become a spaCy DocBin through the training-data export's
own document builder and writer (``annotate.exports.to_document``, ``write_spacy``), as ``annotate train``
does; the config and the loop are ``annotate.model.training``'s, the figures ``annotate.model.evaluation``'s.
Held-out reports (``--test``) are never trained on. Not a test: figures vary with the machine and its load.

    python benchmarks/train_speed.py                         # 2,000 reports, 10 epochs, the default settings
    python benchmarks/train_speed.py --articles 500 --epochs 5 --width 64 --depth 2
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from make_export import report

from annotate.exports import ExportSummary, to_document
from annotate.model.data import docbin_bytes
from annotate.model.evaluation import evaluate
from annotate.model.predict import predict_docs
from annotate.model.training import TrainSettings, train_pipeline, training_config

LABELS = ["actor", "weapon", "casualty", "location"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--articles", type=int, default=2000, help="reports to train on")
    parser.add_argument("--test", type=int, default=200, help="held-out reports to score on")
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--width", type=int, default=TrainSettings.width)
    parser.add_argument("--depth", type=int, default=TrainSettings.depth)
    parser.add_argument("--seed", type=int, default=0)
    options = parser.parse_args()
    rng = random.Random(options.seed)
    reports = [report(number, rng) for number in range(options.articles + options.test)]
    train, test = reports[: options.articles], reports[options.articles :]
    summary = ExportSummary(format="spacy", source="synthetic", path="-")
    documents = [
        to_document({"id": str(number), "title": title, "text": text}, sorted(spans), summary)
        for number, (title, text, spans) in enumerate(train)
    ]
    data = docbin_bytes(documents)
    characters = sum(len(text) for _, text, _ in train)
    spans = sum(len(spans) for _, _, spans in train)
    print(f"{len(train)} synthetic reports ({characters:,} characters, {spans:,} spans) to train on")
    settings = TrainSettings(seed=options.seed, epochs=options.epochs, width=options.width, depth=options.depth)
    epochs: list[float] = []
    started = time.perf_counter()
    nlp = train_pipeline(training_config("ner", settings), data, epochs.append)
    total = time.perf_counter() - started
    print(f"ner, tok2vec width {settings.width} depth {settings.depth}, beam {settings.beam_width}: {total:.1f} s")
    print(f"seconds per epoch: median {statistics.median(epochs):.2f} (first {epochs[0]:.2f}, last {epochs[-1]:.2f})")
    print(f"characters per second trained: {characters * len(epochs) / sum(epochs):,.0f}")
    started = time.perf_counter()
    predicted = predict_docs(nlp, [text for _, text, _ in test])
    elapsed = time.perf_counter() - started
    print(f"prediction with scores: {len(test)} reports in {elapsed:.2f} s")
    figures = evaluate(
        [([s.span for s in found], spans) for found, (_, _, spans) in zip(predicted, test, strict=True)], LABELS
    )
    print(f"held-out F1 on {len(test)} reports:")
    print(f"{'label':<10} {'strict F1':>10} {'overlap F1':>11}")
    for label in [*LABELS, "micro"]:
        strict = figures["strict"]["micro" if label == "micro" else "per_label"]
        overlap = figures["overlap"]["micro" if label == "micro" else "per_label"]
        if label != "micro":
            strict, overlap = strict[label], overlap[label]
        print(f"{label:<10} {strict['f1']:>10.3f} {overlap['f1']:>11.3f}")


if __name__ == "__main__":
    main()
