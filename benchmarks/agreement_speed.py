"""Benchmark: the agreement report over 10,000 articles x 3 annotators, and alpha over 3 x 1M tokens.

Each measurement runs in a fresh process that builds its own seeded synthetic data in memory, so peak
memory is that process's own and one measurement does not pollute another:

  * the whole report but the bootstrap (``agreement.measure`` + ``summarise``: reading the records,
    tokenizing, span F1 strict and overlap, kappas, alphas, unitizing alpha, disagreements), then the
    bootstrap (1,000 resamples of articles), over ~1,000-character wire-style articles with about 19
    spans per annotator (the bundled reference spans: 20 per 1,000 characters). The statistics are
    timed twice: first in the fresh process (which also imports scipy and builds the tokenizer's
    character table), then again;
  * Krippendorff's alpha (nominal) over 3 coders x 1,000,000 tokens with missing values, by
    ``annotate.agreement.krippendorff_alpha`` and by the ``krippendorff`` package, side by side;
  * a baseline process that only builds the data, to read the peaks against.

Run:

    python benchmarks/agreement_speed.py            # 10,000 articles; 1M tokens
    python benchmarks/agreement_speed.py --small    # 1,000 articles; 100k tokens, for a quick look
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import resource
import subprocess
import sys
import time

LABELS = ["actor", "weapon", "casualty", "location"]
SENTENCES = [
    "{actor} shelled the outskirts of {location} overnight, officials said.",
    "At least {casualty} were killed when a {weapon} hit a minibus near {location}.",
    "{actor} armed with {weapon} attacked a checkpoint in {location} on Monday.",
    "A {weapon} destroyed a vehicle carrying {casualty}, a spokesperson told reporters.",
    "Residents of {location} said they heard several loud explosions before dawn.",
    "The attack came a day after talks between the two sides broke down.",
    "Officials said an investigation had been opened and that the toll could rise.",
]
FILLERS = {
    "actor": ["Government forces", "Gunmen", "Taliban fighters", "Rebels", "Unidentified assailants"],
    "weapon": ["drone strike", "roadside bomb", "AK-47 rifles", "mortar shell", "car bomb"],
    "casualty": ["three soldiers", "12 civilians", "two police officers", "dozens of villagers"],
    "location": ["Baghdad", "Mosul", "Kharkiv", "Ségou", "Cúcuta", "Maiduguri", "Helmand", "Djibo"],
}
SLOT = re.compile(r"\{(\w+)\}")


def synthetic_article(rng: random.Random, number: int) -> tuple[dict, list[tuple[int, int, str]]]:
    """A ~1,000-character article and its "true" spans (every filled slot)."""
    text, spans = f"Report {number}.", []
    while len(text) < 1000:
        template = rng.choice(SENTENCES)
        text += " "
        position = 0
        for match in SLOT.finditer(template):
            text += template[position : match.start()]
            label = match.group(1)
            filler = rng.choice(FILLERS[label])
            spans.append((len(text), len(text) + len(filler), label))
            text += filler
            position = match.end()
        text += template[position:]
    sha256 = hashlib.sha256(text.encode()).hexdigest()
    return {"id": f"wire-{number}", "title": f"Report {number}", "text": text, "sha256": sha256}, spans


def synthetic_corpus(articles: int, annotators: int = 3, seed: int = 11) -> tuple[list[dict], list[dict]]:
    """Articles and records of annotators who mostly agree: some spans dropped, relabelled, stretched."""
    rng = random.Random(seed)
    corpus, records = [], []
    for number in range(articles):
        article, truth = synthetic_article(rng, number)
        corpus.append(article)
        for annotator in range(annotators):
            spans = []
            for start, end, label in truth:
                roll = rng.random()
                if roll < 0.08:
                    continue
                if roll < 0.13:
                    label = rng.choice(LABELS)
                elif roll < 0.2:
                    end = min(len(article["text"]), end + rng.randint(1, 6))
                spans.append({"start": start, "end": end, "label": label, "text": article["text"][start:end]})
            records.append(
                {
                    "article_id": article["id"],
                    "annotator": f"ann-{annotator:02d}",
                    "status": "submitted",
                    "spans": spans,
                    "sha256": article["sha256"],
                }
            )
    return corpus, records


def synthetic_tokens(tokens: int, seed: int = 5):
    """3 coders x ``tokens`` label codes (0-3 labels, 4 for O; mostly O), 10% missing for the third coder.

    Made 100,000 tokens at a time, so that the data itself (24 MB of float64 for 1M tokens), not the
    making of it, sets the baseline peak."""
    import numpy as np

    rng = np.random.default_rng(seed)
    data = np.empty((3, tokens))
    for begin in range(0, tokens, 100_000):
        block = data[:, begin : begin + 100_000]
        size = block.shape[1]
        block[:] = np.where(rng.random(size) < 0.85, 4, rng.integers(0, 4, size))
        noise = rng.random(block.shape) < 0.08
        block[noise] = rng.integers(0, 5, int(noise.sum()))
        block[2, rng.random(size) < 0.10] = np.nan
    return data


def peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def child(job: str, articles: int, tokens: int) -> None:
    """Run one measurement; print ``name seconds value`` lines and the peak RSS last."""
    from annotate import agreement

    if job in ("report", "baseline-report"):
        corpus, records = synthetic_corpus(articles)
        if job == "report":
            # Cold: the first call in a fresh process also imports scipy and builds the character table.
            for name in ("cold", "statistics"):
                started = time.perf_counter()
                measures = agreement.measure(corpus, records, LABELS)
                figures = agreement.summarise(measures)
                print(name, time.perf_counter() - started, figures["span_f1"]["strict"]["micro"]["value"])
            started = time.perf_counter()
            intervals = agreement.bootstrap(measures, resamples=1000, seed=0)
            print("bootstrap", time.perf_counter() - started, intervals["span_f1.strict"]["low"])
    else:
        data = synthetic_tokens(tokens)
        if job == "alpha-annotate":
            started = time.perf_counter()
            value = agreement.krippendorff_alpha(data, "nominal")
            print("alpha", time.perf_counter() - started, value)
        elif job == "alpha-krippendorff":
            import krippendorff

            started = time.perf_counter()
            value = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
            print("alpha", time.perf_counter() - started, value)
    print("peak", 0, peak_mb())


def run(job: str, articles: int, tokens: int) -> dict[str, tuple[float, float]]:
    command = [sys.executable, __file__, "--child", job, "--articles", str(articles), "--tokens", str(tokens)]
    done = subprocess.run(command, capture_output=True, text=True, check=True)
    lines = [line.split() for line in done.stdout.splitlines()]
    return {name: (float(seconds), float(value)) for name, seconds, value in lines}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", action="store_true", help="1,000 articles and 100k tokens")
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--articles", type=int, default=10_000, help=argparse.SUPPRESS)
    parser.add_argument("--tokens", type=int, default=1_000_000, help=argparse.SUPPRESS)
    options = parser.parse_args()
    if options.small:
        options.articles, options.tokens = 1_000, 100_000
    if options.child:
        child(options.child, options.articles, options.tokens)
        return
    jobs = ("baseline-report", "report", "baseline-alpha", "alpha-annotate", "alpha-krippendorff")
    results = {job: run(job, options.articles, options.tokens) for job in jobs}
    report, base = results["report"], results["baseline-report"]["peak"][1]
    ours, theirs = results["alpha-annotate"], results["alpha-krippendorff"]
    alpha_base = results["baseline-alpha"]["peak"][1]
    print(f"{options.articles:,} articles x 3 annotators (strict span F1 {report['statistics'][1]:.3f})")
    print(f"{'what':<46} {'seconds':>8} {'peak RSS MB':>12} {'over baseline':>14}")
    print(f"{'data only (baseline)':<46} {'':>8} {base:>12.0f}")
    row = "every statistic but the bootstrap"
    print(f"{row:<46} {report['statistics'][0]:>8.2f} {report['peak'][1]:>12.0f} {report['peak'][1] - base:>14.0f}")
    print(f"{'  the same, first call in a fresh process':<46} {report['cold'][0]:>8.2f}")
    print(f"{'the bootstrap, 1,000 resamples of articles':<46} {report['bootstrap'][0]:>8.2f}")
    print()
    print(f"Krippendorff's alpha, nominal, 3 coders x {options.tokens:,} tokens (10% missing for one coder)")
    print(f"{'tool':<46} {'seconds':>8} {'peak RSS MB':>12} {'over baseline':>14}  alpha")
    print(f"{'data only (baseline)':<46} {'':>8} {alpha_base:>12.0f}")
    for name, figures in (("annotate.agreement.krippendorff_alpha", ours), ("krippendorff.alpha", theirs)):
        seconds, value = figures["alpha"]
        peak = figures["peak"][1]
        print(f"{name:<46} {seconds:>8.2f} {peak:>12.0f} {peak - alpha_base:>14.0f}  {value:.6f}")
    time_ratio = theirs["alpha"][0] / ours["alpha"][0]
    print(f"krippendorff.alpha / ours: {time_ratio:.1f}x the time, {theirs['peak'][1] / ours['peak'][1]:.1f}x the peak")


if __name__ == "__main__":
    main()
