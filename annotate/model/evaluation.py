"""Strict and overlap precision, recall and F1 per label of predicted spans against gold spans.

Strict is ``annotate.prelabel.scoring.evaluate`` (the pre-annotator's scoring: same start, end and
label). Overlap counts a predicted span right when it shares a character and the label with a gold span,
one to one by a maximum matching (``annotate.agreement.stats.maximum_matching``, the matching the
agreement's overlap span F1 uses), so a span off by a word counts, but two predictions never claim one
gold span.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from annotate.agreement.stats import cross_record_pairs, maximum_matching
from annotate.prelabel.scoring import evaluate as evaluate_strict
from annotate.prelabel.scoring import scores
from annotate.spans import Span

Pairs = Iterable[tuple[Sequence[Span], Sequence[Span]]]


def overlap_matches(predicted: set[Span], gold: set[Span]) -> Counter[str]:
    """Per label, how many predicted spans a maximum one-to-one matching pairs with an overlapping gold span."""
    spans = [(0, *span) for span in sorted(predicted)] + [(1, *span) for span in sorted(gold)]
    matched: Counter[str] = Counter()
    if not predicted or not gold:
        return matched
    rec, start, end = (np.array([row[i] for row in spans]) for i in range(3))
    labels = [row[3] for row in spans]
    first, second = cross_record_pairs(rec, start, end)
    same = np.array([labels[i] == labels[j] for i, j in zip(first.tolist(), second.tolist(), strict=True)], dtype=bool)
    if not same.any():
        return matched
    for row in maximum_matching(first[same], second[same]).tolist():
        matched[labels[row]] += 1
    return matched


def evaluate_overlap(pairs: Pairs, labels: Sequence[str]) -> dict:
    """``evaluate_strict``'s shape, a predicted span right when it overlaps a gold span of its label."""
    counts = {label: [0, 0, 0] for label in labels}  # tp, fp, fn
    for predicted, gold in pairs:
        predicted_set = {Span(*span[:3]) for span in predicted}
        gold_set = {Span(*span[:3]) for span in gold}
        matched = overlap_matches(predicted_set, gold_set)
        for label, number in Counter(span.label for span in predicted_set).items():
            counts.setdefault(label, [0, 0, 0])
            counts[label][0] += matched[label]
            counts[label][1] += number - matched[label]
        for label, number in Counter(span.label for span in gold_set).items():
            counts.setdefault(label, [0, 0, 0])[2] += number - matched[label]
    totals = [sum(column) for column in zip(*counts.values(), strict=True)] if counts else [0, 0, 0]
    return {"micro": scores(*totals), "per_label": {label: scores(*numbers) for label, numbers in counts.items()}}


def evaluate(pairs: Pairs, labels: Sequence[str]) -> dict:
    """``{"strict": {...}, "overlap": {...}}``, each ``{"micro", "per_label"}`` with P/R/F1, tp, fp, fn."""
    pairs = [(list(predicted), list(gold)) for predicted, gold in pairs]
    return {"strict": evaluate_strict(pairs, labels), "overlap": evaluate_overlap(pairs, labels)}
