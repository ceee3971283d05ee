"""Confidence intervals for the pooled agreement figures: a cluster bootstrap over articles.

Array arithmetic on ``Measures``' per-article sums: no record is read again.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from annotate import defaults
from annotate.agreement.batches import SUMMED_FIGURES, Measures, figures_of_sums
from annotate.agreement.choices import TOO_MANY, bootstrappable, resampled_alpha

DEFAULT_RESAMPLES = defaults.AGREEMENT_RESAMPLES
DEFAULT_SEED = defaults.AGREEMENT_SEED


def bootstrap(measures: Measures, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> dict[str, dict]:
    """95% percentile intervals by a cluster bootstrap over articles.

    Spans of one article are not independent, so the article is the unit resampled: each resample
    draws as many articles as there are, with replacement, from a ``numpy`` Generator seeded with
    ``seed``, and recomputes each pooled figure from the per-article sums. Keys as ``figures_of_sums``,
    and ``choices.<control>`` for the alpha of each document-level control (the same resamples).
    """
    names = list(SUMMED_FIGURES) + [f"choices.{name}" for name in measures.choices]
    if resamples <= 0:
        return {name: _no_interval("the bootstrap is off (resamples = 0)") for name in names}
    if measures.documents < 2:
        return {name: _no_interval("a bootstrap over articles needs at least two articles") for name in names}
    columns = measures.columns
    stacked = np.column_stack([column.reshape(measures.documents, -1) for column in columns.values()])
    widths = [column.reshape(measures.documents, -1).shape[1] for column in columns.values()]
    rng = np.random.default_rng(seed)
    results: dict[str, list[np.ndarray]] = {name: [] for name in names}
    choices = measures.choice_sums
    skipped = {name for name, sums in choices.items() if not bootstrappable(sums)}
    chunk = max(1, min(resamples, 2_000_000 // measures.documents))
    for done in range(0, resamples, chunk):
        size = min(chunk, resamples - done)
        draws = rng.integers(0, measures.documents, size=(size, measures.documents))
        weights = (
            np.bincount(
                (draws + np.arange(size)[:, None] * measures.documents).ravel(), minlength=size * measures.documents
            )
            .reshape(size, measures.documents)
            .astype(np.float64)
        )
        summed = weights @ stacked
        sums = dict(zip(columns, np.split(summed, np.cumsum(widths)[:-1], axis=1), strict=True))
        sums = {
            key: (value[:, 0] if value.shape[1] == 1 and key not in ("counts", "labelled_counts") else value)
            for key, value in sums.items()
        }
        for name, values in figures_of_sums(sums).items():
            results[name].append(values)
        for name, control in choices.items():
            if name not in skipped:
                results[f"choices.{name}"].append(resampled_alpha(control, weights))
    intervals = {name: _interval(np.concatenate(parts), resamples, seed) for name, parts in results.items() if parts}
    return intervals | {f"choices.{name}": _no_interval(TOO_MANY) for name in skipped}


def _interval(values: np.ndarray, resamples: int, seed: int) -> dict[str, Any]:
    defined = values[np.isfinite(values)]
    if not len(defined):
        return _no_interval("the figure is undefined in every resample")
    low, high = np.percentile(defined, [2.5, 97.5])
    return {"low": float(low), "high": float(high), "resamples": resamples, "defined": len(defined), "seed": seed}


def _no_interval(reason: str) -> dict[str, Any]:
    return {"low": None, "high": None, "reason": reason}
