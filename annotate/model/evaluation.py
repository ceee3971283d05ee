"""Strict and overlap precision, recall and F1 per label of predicted spans against gold spans.

Both are ``annotate.prelabel.scoring.evaluate`` (the pre-annotator's scoring); strict matches a predicted span
with a gold span of the same start, end and label. Overlap counts a predicted span right when it shares a
character and the label with a gold span, one to one by a maximum matching
(``annotate.agreement.stats.maximum_matching``, the matching the agreement's overlap span F1 uses), so a span
off by a word counts, but two predictions never claim one gold span.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence

import numpy as np

from annotate.agreement.stats import cross_record_pairs, maximum_matching
from annotate.prelabel.scoring import evaluate as evaluate_spans
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


def evaluate(pairs: Pairs, labels: Sequence[str]) -> dict:
    """``{"strict": {...}, "overlap": {...}}``, each ``{"micro", "per_label"}`` with P/R/F1, tp, fp, fn."""
    pairs = [(list(predicted), list(gold)) for predicted, gold in pairs]
    return {"strict": evaluate_spans(pairs, labels), "overlap": evaluate_spans(pairs, labels, overlap_matches)}
