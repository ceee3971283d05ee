"""Inter-annotator agreement: the statistics on plain data, and the report over annotation records.

The statistics are public functions on plain data, so anyone can hold them against published tables:
``krippendorff_alpha``, ``fleiss_kappa``, ``cohen_kappa``, ``unitizing_alpha`` (with
``unitizing_disagreements``) and ``span_f1``. They return ``nan`` where the figure is undefined.

``report(workspace)`` reads the annotation records and the corpus and returns the whole report as a
JSON-ready dict (its keys are documented in the README, section "Agreement"); there an undefined
figure is ``{"value": null, "reason": "..."}``, never a silent 0. It runs in three steps that can be
called on their own: ``measure`` (streams records and articles into per-article sufficient
statistics, a batch of articles at a time), ``bootstrap`` (resamples articles: array arithmetic on
those statistics) and ``summarise`` (the figures).

Why hand-written: ``krippendorff`` builds an N x V x V array (2 GB for 3 coders x 1M tokens) and has
no unitizing alpha; DKPro Statistics has it but is Java; ``sklearn``/``statsmodels`` kappas take one
table at a time. Here every count is a ``np.bincount`` over flat arrays for a whole batch of articles,
so memory follows the data, not N x V x V, and the bootstrap reuses the per-article sums. The
published values and those packages are the oracles in ``tests/test_agreement.py``.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import itertools
import math
import operator
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.imports import SubmittedAnnotation, collect_submitted
from annotate.schema import load_schema
from annotate.tokens import spans_to_token_codes, tokenize_batch
from annotate.workspace import Workspace

LEVELS = ("nominal", "ordinal", "interval", "ratio")
CLASSES = ("matched", "label", "boundary", "label_and_boundary", "miss")
EXCLUSIONS = (
    "cancelled",
    "not_submitted",
    "malformed",
    "unknown_label",
    "superseded",
    "not_in_corpus",
    "text_changed",
    "offsets_outside_text",
)
NONE_COLUMN = "(none)"
DEFAULT_RESAMPLES = 1000
DEFAULT_SEED = 0
DEFAULT_LOWEST = 10

# =================================================================================================
# Public statistics on plain data
# =================================================================================================


def krippendorff_alpha(data: Any, level: str = "nominal") -> float:
    """Krippendorff's alpha (Krippendorff 2011, "Computing Krippendorff's Alpha-Reliability").

    Parameters
    ----------
    data : array_like, shape (M, N)
        M coders by N units; ``None`` or NaN where a coder gave no value (missing).
    level : {"nominal", "ordinal", "interval", "ratio"}

    Returns ``nan`` when alpha is undefined: fewer than two pairable values, or all values equal.
    Units are counted a chunk at a time: memory beyond ``data`` is O(M x 65,536 + V x V) for V
    distinct values (the ``krippendorff`` package builds N x V x V).
    """
    if level not in LEVELS:
        raise ValueError(f"level must be one of {', '.join(LEVELS)}, not {level!r}")
    array, labels = _reliability_data(data)
    if labels is not None and level != "nominal":
        raise ValueError(f"{level} alpha needs numbers; these values are labels: use level='nominal'")
    values = _distinct(np.concatenate([_distinct(_present(chunk)) for chunk in _chunks(array)] or [np.zeros(0)]))
    coincidences = np.zeros((len(values), len(values)))
    for chunk in _chunks(array):
        coincidences += _coincidences(_codes(chunk, values), len(values))
    return _alpha(coincidences, _squared_differences(level, values, coincidences.sum(axis=1)))


def fleiss_kappa(table: Any) -> float:
    """Fleiss' kappa (Fleiss 1971).

    Parameters
    ----------
    table : array_like, shape (N, V)
        ``table[i, j]``: how many raters put subject i in category j. Every subject needs the same
        number of raters, at least two.

    Returns ``nan`` when undefined (no subjects, or every rating in one category).
    """
    counts = np.asarray(table, dtype=np.float64)
    if counts.ndim != 2:
        raise ValueError("table must be 2-dimensional: subjects x categories")
    raters = counts.sum(axis=1)
    if len(counts) and (np.any(raters != raters[0]) or raters[0] < 2):
        raise ValueError("every subject needs the same number of raters, at least two")
    rater_count = int(raters[0]) if len(counts) else 0
    agreeing_pairs = float((counts * (counts - 1)).sum()) / 2
    return _fleiss(len(counts), rater_count, agreeing_pairs, counts.sum(axis=0))


def cohen_kappa(a: Sequence[Any], b: Sequence[Any]) -> float:
    """Cohen's kappa (Cohen 1960) of two raters' labels for the same items, in the same order.

    Returns ``nan`` when undefined (no items, or both raters gave every item one and the same label).
    """
    if len(a) != len(b):
        raise ValueError(f"the raters labelled {len(a)} and {len(b)} items: they must label the same items")
    _, codes = np.unique(
        np.concatenate([np.asarray(a, dtype=object), np.asarray(b, dtype=object)]).astype(str), return_inverse=True
    )
    size = int(codes.max()) + 1 if len(codes) else 1
    table = np.bincount(codes[: len(a)] * size + codes[len(a) :], minlength=size * size).reshape(size, size)
    return _kappa(table)


class Unit(NamedTuple):
    """A unit of a unitizing study: ``rater`` marked ``[start, end)`` of the continuum as ``label``."""

    rater: Any
    start: int
    end: int
    label: Any


def unitizing_disagreements(
    units: Iterable[Sequence[Any]], length: int, raters: Iterable[Any] | int | None = None, begin: int = 0
) -> dict[Any, tuple[float, float]]:
    """Observed and expected disagreement ``(D_o, D_e)`` of Krippendorff's unitizing alpha, per label.

    Parameters
    ----------
    units : iterable of (rater, start, end, label)
        Stretches ``[start, end)`` of the continuum ``[begin, begin + length)``. Overlapping units of one
        rater and label are merged into one (the characters that rater gave that label).
    raters : the raters (or their number); default: those in ``units``. A rater who marked nothing
        still unitized the continuum: all gap.

    Normalised as in Krippendorff (1995; 2004, ch. 12) and DKPro Statistics'
    ``KrippendorffAlphaUnitizingAgreement``: ``D_o = sum / (m (m - 1) L^2)``.
    """
    units = [Unit(*unit) for unit in units]
    rater_ids = _rater_ids(units, raters)
    label_ids = sorted({unit.label for unit in units}, key=str)
    if len(rater_ids) < 2:
        raise ValueError("unitizing alpha needs at least two raters")
    for unit in units:
        if not begin <= unit.start < unit.end <= begin + length:
            raise ValueError(f"unit {tuple(unit)} is not a non-empty stretch of [{begin}, {begin + length})")
    label_index = {label: index for index, label in enumerate(label_ids)}
    rater_index = {rater: index for index, rater in enumerate(rater_ids)}
    rec = np.array([rater_index[u.rater] for u in units], dtype=np.int64)
    label = np.array([label_index[u.label] for u in units], dtype=np.int64)
    start = np.array([u.start - begin for u in units], dtype=np.int64)
    end = np.array([u.end - begin for u in units], dtype=np.int64)
    m = len(rater_ids)
    observed, expected = _unitizing_sums(
        np.zeros(m, dtype=np.int64), np.array([length]), np.array([m]), rec, label, start, end, len(label_ids)
    )
    scale = m * (m - 1) * float(length) ** 2
    return {name: (observed[0, i] / scale, expected[0, i] / scale) for i, name in enumerate(label_ids)}


def unitizing_alpha(
    units: Iterable[Sequence[Any]],
    length: int,
    raters: Iterable[Any] | int | None = None,
    label: Any = None,
    begin: int = 0,
) -> float:
    """Krippendorff's unitizing alpha (alpha_U) of ``units`` on one continuum; see ``unitizing_disagreements``.

    With ``label`` the alpha of that label; without it, over all labels as DKPro Statistics computes
    it: ``1 - sum(D_o) / sum(D_e)`` over the labels. ``nan`` when undefined (no unit of the label).
    """
    figures = unitizing_disagreements(units, length, raters, begin)
    if label is not None:
        figures = {label: figures[label]} if label in figures else {}
    observed = sum(pair[0] for pair in figures.values())
    expected = sum(pair[1] for pair in figures.values())
    return 1 - observed / expected if expected > 0 else math.nan


def span_f1(a: Iterable[Sequence[Any]], b: Iterable[Sequence[Any]], overlap: bool = False) -> float:
    """Span F1 of two annotators' ``(start, end, label)`` spans on one text.

    Strict: a match is the same (start, end, label). ``overlap=True``: same label and at least one
    shared character, one-to-one by a maximum matching. ``2 |matches| / (|A| + |B|)``; repeated spans
    count once; ``nan`` when neither marked anything.
    """
    spans = sorted({(0, *map(int, span[:2]), str(span[2])) for span in a}) + sorted(
        {(1, *map(int, span[:2]), str(span[2])) for span in b}
    )
    if not spans:
        return math.nan
    rec, start, end, labels = (np.array(column) for column in zip(*spans, strict=True))
    label = np.unique(labels, return_inverse=True)[1]
    pair_i, pair_j = _cross_record_pairs(rec, start, end)
    same_label = label[pair_i] == label[pair_j]
    if overlap:
        matches = len(_maximum_matching(pair_i[same_label], pair_j[same_label]))
    else:
        matches = int((same_label & (start[pair_i] == start[pair_j]) & (end[pair_i] == end[pair_j])).sum())
    return 2 * matches / len(spans)


# -- the arithmetic behind them ---------------------------------------------------------------------


_CHUNK = 1 << 16  # units per pass of krippendorff_alpha: memory O(M x _CHUNK + V x V), not O(M x N)


def _reliability_data(data: Any) -> tuple[np.ndarray, np.ndarray | None]:
    """``data`` as a 2-D numeric array with NaN for missing; values that are not numbers (labels) are
    replaced by their index among the sorted distinct labels, which are returned beside it."""
    array = np.asarray(data)
    if array.ndim != 2:
        raise ValueError("data must be 2-dimensional: coders x units")
    if array.dtype.kind in "iuf":
        return array, None
    missing = np.vectorize(lambda v: v is None or (isinstance(v, float) and math.isnan(v)), otypes=[bool])(array)
    numeric = np.full(array.shape, np.nan)
    try:
        numeric[~missing] = array[~missing].astype(np.float64)
        return numeric, None
    except (TypeError, ValueError):
        labels, numeric[~missing] = np.unique(array[~missing].astype(str), return_inverse=True)
        return numeric, labels


def _chunks(array: np.ndarray) -> Iterator[np.ndarray]:
    for begin in range(0, array.shape[1], _CHUNK):
        yield array[:, begin : begin + _CHUNK]


def _present(chunk: np.ndarray) -> np.ndarray:
    return chunk[~np.isnan(chunk)] if chunk.dtype.kind == "f" else chunk.ravel()


def _distinct(values: np.ndarray) -> np.ndarray:
    """The sorted distinct values: for small integers (label codes, the common case) by a bincount in
    O(N), anything else by ``np.unique``, which sorts."""
    if len(values) and values.dtype.kind in "iuf":
        low, high = values.min(), values.max()
        if high - low < 1 << 20 and np.all(values == np.floor(values)):
            seen = np.bincount((values - low).astype(np.int64), minlength=int(high - low) + 1) > 0
            return np.flatnonzero(seen).astype(values.dtype) + low
    return np.unique(values)


def _codes(chunk: np.ndarray, values: np.ndarray) -> np.ndarray:
    """Each value's index in the sorted ``values``, -1 where missing (int32, the chunk's shape)."""
    codes = np.full(chunk.shape, -1, dtype=np.int32)
    present = ~np.isnan(chunk) if chunk.dtype.kind == "f" else np.ones(chunk.shape, dtype=bool)
    codes[present] = np.searchsorted(values, chunk[present])
    return codes


def _coincidences(codes: np.ndarray, size: int) -> np.ndarray:
    """Krippendorff's coincidence matrix: ``o[c, k]`` sums ``1 / (m_u - 1)`` over ordered pairs of values
    (c, k) from different coders in the same unit u, for units with ``m_u >= 2`` values."""
    present = codes >= 0
    per_unit = present.sum(axis=0)
    pairable = per_unit >= 2
    codes, present = codes[:, pairable], present[:, pairable]
    weight = 1.0 / (per_unit[pairable] - 1)
    counts = np.zeros(size * size)
    for i, j in itertools.combinations(range(len(codes)), 2):
        both = present[i] & present[j]
        pair_codes = codes[i][both].astype(np.int64) * size + codes[j][both]
        counts += np.bincount(pair_codes, weights=weight[both], minlength=size * size)
    matrix = counts.reshape(size, size)
    return matrix + matrix.T


def _squared_differences(level: str, values: np.ndarray, marginals: np.ndarray) -> np.ndarray:
    """The metric differences delta^2(c, k) of Krippendorff (2011), for the sorted ``values``."""
    size = len(values)
    if level == "nominal":
        return 1.0 - np.eye(size)
    numeric = values.astype(np.float64)
    if level == "interval":
        return (numeric[:, None] - numeric[None, :]) ** 2
    if level == "ratio":
        total = numeric[:, None] + numeric[None, :]
        difference = numeric[:, None] - numeric[None, :]
        with np.errstate(invalid="ignore", divide="ignore"):
            return np.where(total == 0, 0.0, (difference / np.where(total == 0, 1, total)) ** 2)
    # ordinal: the values between c and k, counted by their frequency, less half of c's and k's own
    cumulative = np.cumsum(marginals)
    low, high = np.minimum.outer(np.arange(size), np.arange(size)), np.maximum.outer(np.arange(size), np.arange(size))
    between = cumulative[high] - cumulative[low] + marginals[low]
    return (between - (marginals[low] + marginals[high]) / 2) ** 2


def _alpha(coincidences: np.ndarray, squared_differences: np.ndarray) -> float:
    marginals = coincidences.sum(axis=1)
    total = marginals.sum()
    expected = float(np.outer(marginals, marginals).ravel() @ squared_differences.ravel())
    if total < 2 or expected <= 0:
        return math.nan
    observed = float(coincidences.ravel() @ squared_differences.ravel())
    return 1 - (total - 1) * observed / expected


def _fleiss(subjects: int, raters: int, agreeing_pairs: float, category_totals: np.ndarray) -> float:
    """Fleiss' kappa from sums: per-subject agreeing rater pairs summed, and ratings per category."""
    if subjects == 0 or raters < 2:
        return math.nan
    observed = agreeing_pairs / (subjects * raters * (raters - 1) / 2)
    shares = np.asarray(category_totals, dtype=np.float64) / (subjects * raters)
    expected = float(np.dot(shares, shares))
    return (observed - expected) / (1 - expected) if expected < 1 else math.nan


def _kappa(table: np.ndarray) -> float:
    """Cohen's kappa of a square confusion table (rows one rater, columns the other)."""
    table = np.asarray(table, dtype=np.float64)
    total = table.sum()
    if total == 0:
        return math.nan
    observed = np.trace(table) / total
    expected = float(table.sum(axis=1) @ table.sum(axis=0)) / total**2
    return (observed - expected) / (1 - expected) if expected < 1 else math.nan


def _rater_ids(units: list[Unit], raters: Iterable[Any] | int | None) -> list[Any]:
    named = {unit.rater for unit in units}
    if raters is None:
        return sorted(named, key=str)
    listed = list(range(raters)) if isinstance(raters, int) else list(dict.fromkeys(raters))
    if named - set(listed):
        raise ValueError(f"units name raters not in raters: {sorted(named - set(listed), key=str)}")
    return listed


# -- flat-array building blocks ---------------------------------------------------------------------


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The concatenated ranges ``starts[i] .. starts[i] + counts[i] - 1`` and, for each element, its ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    values = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return owner, values


def _pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every index pair ``i < j`` with ``groups[i] == groups[j]``, for sorted ``groups``."""
    index = np.arange(len(groups))
    partners = np.searchsorted(groups, groups, side="right") - index - 1
    return _ranges(index + 1, partners)


def _overlapping_pairs(starts: np.ndarray, ends: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Every pair of intervals ``[start, end)`` that share a position, each pair once (a sort, no N^2)."""
    order = np.argsort(starts, kind="stable")
    sorted_starts = starts[order]
    # Sorted by start, the partners of interval p are the later ones that start before p ends.
    partners = np.searchsorted(sorted_starts, ends[order], side="left") - np.arange(len(order)) - 1
    first, second = _ranges(np.arange(len(order)) + 1, partners)
    return order[first], order[second]


def _cross_record_pairs(rec: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping span pairs of two different records, the span of the lower record first."""
    first, second = _overlapping_pairs(start, end)
    keep = rec[first] != rec[second]
    first, second = first[keep], second[keep]
    swap = rec[first] > rec[second]
    return np.where(swap, second, first), np.where(swap, first, second)


def _maximum_matching(rows: np.ndarray, columns: np.ndarray, size: int | None = None) -> np.ndarray:
    """The rows matched by a maximum one-to-one matching of the bipartite graph with edges (row, column).

    Node ids are numbered among those present, or taken as they are when ``size`` bounds them.

    A greedy first-come matching is not maximum (A: [0,10) [9,20); B: [5,12) [7,8): taking for each
    span of A the first free overlapping span of B pairs [0,10)-[5,12) and leaves [9,20) alone; the
    maximum pairs both), so this is scipy's Hopcroft-Karp. scipy is imported here, on first use: the
    CLI imports this module for every command.
    """
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import maximum_bipartite_matching

    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    if size is None:
        row_ids, rows = np.unique(rows, return_inverse=True)
        column_ids, columns = np.unique(columns, return_inverse=True)
        shape = (len(row_ids), len(column_ids))
    else:
        row_ids, shape = np.arange(size), (size, size)
    graph = csr_array((np.ones(len(rows), dtype=np.int8), (rows.reshape(-1), columns.reshape(-1))), shape=shape)
    matched = maximum_bipartite_matching(graph, perm_type="column")
    return row_ids[matched >= 0]


def _merge_overlaps(
    rec: np.ndarray, label: np.ndarray, start: np.ndarray, end: np.ndarray
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Units of one record and label that overlap merged into one; the result sorted by record, label, start."""
    if not len(rec):
        return rec, label, start, end
    group = rec * (int(label.max()) + 1) + label
    span = int(end.max()) + 1
    order = np.argsort(group * span + start, kind="stable")
    rec, label, start, end, group = rec[order], label[order], start[order], end[order], group[order]
    # A running maximum of the end within each (record, label): offset each group past the previous ones.
    reach = np.maximum.accumulate(group * span + end) - group * span
    new = np.ones(len(rec), dtype=bool)
    new[1:] = (group[1:] != group[:-1]) | (start[1:] >= reach[:-1])
    heads = np.flatnonzero(new)
    return rec[heads], label[heads], start[heads], np.maximum.reduceat(end, heads)


def _unitizing_sums(
    rec_article: np.ndarray,
    lengths: np.ndarray,
    raters: np.ndarray,
    rec: np.ndarray,
    label: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    labels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Per article and label, the observed and expected disagreement of alpha_U before normalisation.

    Records are sorted by article (``rec_article``); ``raters[a]`` is article a's number of records.

    Returns ``(O, E)``, shape (articles, labels), with ``D_o = O / (m (m-1) L^2)`` and
    ``D_e = E / (m (m-1) L^2)`` for an article of length L unitized by m raters (Krippendorff 2004,
    ch. 12; DKPro Statistics' ``KrippendorffAlphaUnitizingAgreement``):

    * O = 2 * (sum over overlapping units u, v of different raters of (b_u - b_v)^2 + (e_u - e_v)^2
      + sum over units u of l_u^2 for every other rater with a gap covering u);
    * E = m (m-1) L^2 * (2/L) * sum_u [(N_c - 1)(2 l^3 - 3 l^2 + l)/3 + l^2 sum_{gaps g >= l} (g - l + 1)]
      / (mL (mL - 1) - sum_u l (l - 1)), gaps from every rater's continuum, N_c units of the label.
    """
    articles = len(lengths)
    rec, label, start, end = _merge_overlaps(rec, label, start, end)
    article = rec_article[rec]
    group = article * labels + label
    unit_length = (end - start).astype(np.float64)
    base = np.concatenate(([0], np.cumsum(lengths)[:-1]))
    size = articles * labels

    # Observed: overlapping units of two raters, and units inside another rater's gap.
    first, second = _cross_record_pairs(rec, base[article] + start, base[article] + end)
    same = label[first] == label[second]
    first, second = first[same], second[same]
    squared = (start[first] - start[second]).astype(np.float64) ** 2 + (end[first] - end[second]) ** 2.0
    observed = np.bincount(group[first], weights=squared, minlength=size)
    # Each unit meets a rater's gap unless one of that rater's units overlaps it: mark (unit, rater).
    slot = np.arange(len(rec_article)) - np.searchsorted(rec_article, rec_article)
    rows = int(raters.max()) if len(raters) else 1
    marks = np.zeros(len(rec) * rows, dtype=bool)
    marks[first * rows + slot[rec[second]]] = True
    marks[second * rows + slot[rec[first]]] = True
    overlapped_by = marks.reshape(-1, rows).sum(axis=1)
    in_gaps = (raters[article] - 1 - overlapped_by) * unit_length**2
    observed = 2 * (observed + np.bincount(group, weights=in_gaps, minlength=size))

    # Expected: every unit against every other unit of its label and every gap it fits in.
    gap_group, gap_length = _gaps(rec_article, lengths, rec, label, start, end, labels)
    step = int(lengths.max()) + 2 if articles else 1
    keys = np.sort(gap_group * step + gap_length)
    gap_sizes = keys % step
    running = np.concatenate(([0], np.cumsum(gap_sizes + 1)))
    low = np.searchsorted(keys, group * step + (end - start), side="left")
    high = np.searchsorted(keys, (group + 1) * step, side="left")
    fitting = (running[high] - running[low]) - unit_length * (high - low)
    units_in_group = np.bincount(group, minlength=size).astype(np.float64)
    per_unit = (units_in_group[group] - 1) * (2 * unit_length**3 - 3 * unit_length**2 + unit_length) / 3
    per_unit += unit_length**2 * fitting
    numerator = np.bincount(group, weights=per_unit, minlength=size)
    own_pairs = np.bincount(group, weights=unit_length * (unit_length - 1), minlength=size)
    m = np.repeat(raters.astype(np.float64), labels)
    length = np.repeat(lengths.astype(np.float64), labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        expected = 2 * m * (m - 1) * length * numerator / (m * length * (m * length - 1) - own_pairs)
    expected = np.where(numerator > 0, expected, 0.0)
    return observed.reshape(articles, labels), expected.reshape(articles, labels)


def _gaps(
    rec_article: np.ndarray,
    lengths: np.ndarray,
    rec: np.ndarray,
    label: np.ndarray,
    start: np.ndarray,
    end: np.ndarray,
    labels: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Every rater's gaps per label: ``(article * labels + label, length)``; units sorted, not overlapping."""
    article = rec_article[rec]
    group = rec * labels + label
    first_of_group = np.ones(len(rec), dtype=bool)
    first_of_group[1:] = group[1:] != group[:-1]
    last_of_group = np.roll(first_of_group, -1)
    previous_end = np.where(first_of_group, 0, np.roll(end, 1))
    before = start - previous_end
    after = lengths[article] - end
    # A record with no unit of a label has one gap: the whole article.
    has_units = np.zeros(len(rec_article) * labels, dtype=bool)
    has_units[group] = True
    empty = np.flatnonzero(~has_units)
    empty_article = rec_article[empty // labels]
    gap_group = np.concatenate(
        [
            (article * labels + label)[before > 0],
            (article * labels + label)[last_of_group & (after > 0)],
            empty_article * labels + empty % labels,
        ]
    )
    gap_length = np.concatenate([before[before > 0], after[last_of_group & (after > 0)], lengths[empty_article]])
    return gap_group, gap_length


# =================================================================================================
# The report over annotation records
# =================================================================================================


@dataclass
class _Batch:
    """Articles compared together, as flat arrays. Spans sorted by record, start, end, label; no repeats."""

    ids: list[str]
    titles: list[str]
    texts: list[str]
    lengths: np.ndarray
    rec_article: np.ndarray
    rec_annotator: np.ndarray
    span_rec: np.ndarray
    span_start: np.ndarray
    span_end: np.ndarray
    span_label: np.ndarray


class _BatchBuilder:
    def __init__(self, annotators: dict[str, int]):
        self.annotators = annotators
        self.clear()

    def clear(self) -> None:
        self.ids: list[str] = []
        self.titles: list[str] = []
        self.texts: list[str] = []
        self.rec_article: list[int] = []
        self.rec_annotator: list[int] = []
        self.span_counts: list[int] = []
        self.starts: list[int] = []
        self.ends: list[int] = []
        self.labels: list[int] = []

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, article: dict[str, Any], records: Iterable[SubmittedAnnotation], excluded: Counter) -> int:
        """Add an article with the records that fit its text; returns how many records that is."""
        text = article.get("text") or ""
        length = len(text)
        usable = []
        for record in sorted(records, key=lambda r: self.annotators[r.annotator]):
            if record.sha256 != article.get("sha256"):
                excluded["text_changed"] += 1
            elif record.starts and (
                min(record.starts) < 0
                or max(record.ends) > length
                or not all(map(operator.lt, record.starts, record.ends))
            ):
                excluded["offsets_outside_text"] += 1
            else:
                usable.append(record)
        if len(usable) < 2:
            return len(usable)
        index = len(self.ids)
        self.ids.append(str(article["id"]))
        self.titles.append(str(article.get("title") or ""))
        self.texts.append(text)
        for record in usable:
            self.rec_article.append(index)
            self.rec_annotator.append(self.annotators[record.annotator])
            self.span_counts.append(len(record.starts))
            self.starts += record.starts
            self.ends += record.ends
            self.labels += record.labels
        return len(usable)

    def build(self) -> _Batch:
        span_rec = np.repeat(np.arange(len(self.span_counts)), self.span_counts)
        start, end, label = (np.array(values, dtype=np.int64) for values in (self.starts, self.ends, self.labels))
        # Sorted by record, start, end, label: one int64 key when it fits (one fast sort of runs that
        # are mostly in order already), else numpy's four-key lexsort.
        reach = max((max(self.ends) if self.ends else 0) + 1, 1)
        if len(self.span_counts) * reach * reach * (max(self.labels, default=0) + 1) < 1 << 62:
            key = ((span_rec * reach + start) * reach + end) * (max(self.labels, default=0) + 1) + label
            order = np.argsort(key, kind="stable")
            key = key[order]
            fresh = np.ones(len(order), dtype=bool)
            fresh[1:] = key[1:] != key[:-1]
        else:
            order = np.lexsort((label, end, start, span_rec))
            fresh = np.ones(len(order), dtype=bool)
            fresh[1:] = (np.diff(span_rec[order]) != 0) | (np.diff(start[order]) != 0)
            fresh[1:] |= (np.diff(end[order]) != 0) | (np.diff(label[order]) != 0)
        span_rec, start, end, label = span_rec[order], start[order], end[order], label[order]
        batch = _Batch(
            ids=self.ids,
            titles=self.titles,
            texts=self.texts,
            lengths=np.array([len(text) for text in self.texts], dtype=np.int64),
            rec_article=np.array(self.rec_article, dtype=np.int64),
            rec_annotator=np.array(self.rec_annotator, dtype=np.int64),
            span_rec=span_rec[fresh],
            span_start=start[fresh],
            span_end=end[fresh],
            span_label=label[fresh],
        )
        self.clear()
        return batch


@dataclass
class Measures:
    """Per-article sufficient statistics of every figure: what ``bootstrap`` and ``summarise`` read.

    Arrays indexed by compared article (``a``), record (``r``) or record pair (``p``; the records of
    two annotators on one article). ``C`` labels, ``V = C + 1`` token values (the labels, then ``O``).
    """

    labels: list[str]
    annotators: list[str]
    records_read: int = 0
    excluded: Counter = field(default_factory=Counter)
    one_annotator_articles: int = 0
    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    cohen: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)

    @property
    def documents(self) -> int:
        return len(self.ids)

    @functools.cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """The per-article sums of ``_article_columns``, computed once (after ``finish``) for the
        point figures, the lowest articles and the bootstrap."""
        return _article_columns(self)

    def add(self, batch: _Batch, part: dict[str, Any]) -> None:
        offset = len(self.ids)
        part["rec_article"] = part["rec_article"] + offset
        part["rp_article"] = part["rp_article"] + offset
        for pair, table in part.pop("cohen").items():
            self.cohen[pair] = self.cohen.get(pair, 0) + table
        self.ids += batch.ids
        self.titles += batch.titles
        self.parts.append(part)

    def finish(self) -> Measures:
        """Concatenate the batches' arrays (sum the pooled ones) into ``arrays``."""
        summed = ("judgements", "confusion")
        if self.parts:
            self.arrays = {
                key: (
                    sum(part[key] for part in self.parts)
                    if key in summed
                    else np.concatenate([part[key] for part in self.parts])
                )
                for key in self.parts[0]
            }
        else:
            self.arrays = _empty_arrays(len(self.labels), len(self.annotators))
        self.parts = []
        return self


def _empty_arrays(labels: int, annotators: int) -> dict[str, np.ndarray]:
    values = labels + 1
    shapes = {
        "m": (0,),
        "lengths": (0,),
        "spans": (0,),
        "rec_article": (0,),
        "rec_annotator": (0,),
        "rec_spans": (0,),
        "rp_article": (0,),
        "rp_a": (0,),
        "rp_b": (0,),
        "strict": (0, labels),
        "overlap": (0, labels),
        "sizes": (0, labels),
        "tokens": (0,),
        "agree": (0,),
        "counts": (0, values),
        "labelled_tokens": (0,),
        "labelled_agree": (0,),
        "labelled_counts": (0, values),
        "unit_observed": (0, labels),
        "unit_expected": (0, labels),
    }
    arrays = {key: np.zeros(shape) for key, shape in shapes.items()}
    arrays["judgements"] = np.zeros((annotators, labels, len(CLASSES)))
    arrays["confusion"] = np.zeros((labels, labels + 1))
    return arrays


def measure(
    articles: Iterable[dict[str, Any]],
    annotations: Iterable[dict[str, Any]],
    labels: Sequence[str],
    batch_articles: int = 4096,
) -> Measures:
    """Read the records, then stream the articles, computing every figure's per-article sums.

    Units are the articles with submitted annotations from at least two annotators; records whose
    ``sha256`` is not the article's, or whose offsets do not fit its text, are left out and counted.
    Texts are held a batch of ``batch_articles`` at a time; the records (offsets only) are held whole.
    """
    with _collector_paused():
        return _measure(articles, annotations, labels, batch_articles)


@contextlib.contextmanager
def _collector_paused() -> Iterator[None]:
    """Pause Python's cyclic garbage collector: reading a million spans makes millions of small lists,
    and the collector would scan them again and again (twice the reading time) to free no cycles."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


def _measure(
    articles: Iterable[dict[str, Any]],
    annotations: Iterable[dict[str, Any]],
    labels: Sequence[str],
    batch_articles: int,
) -> Measures:
    collected = collect_submitted(annotations, labels)
    names = sorted({annotator for records in collected.by_article.values() for annotator in records})
    annotators = {name: index for index, name in enumerate(names)}
    measures = Measures(list(labels), names, collected.records, collected.left_out)
    builder = _BatchBuilder(annotators)
    for article in articles:
        records = collected.by_article.pop(str(article.get("id")), None)
        if records is None:
            continue
        if builder.add(article, records.values(), measures.excluded) == 1:
            measures.one_annotator_articles += 1
        if len(builder) >= batch_articles:
            batch = builder.build()
            measures.add(batch, _measure_batch(batch, len(labels), len(names)))
    if len(builder):
        batch = builder.build()
        measures.add(batch, _measure_batch(batch, len(labels), len(names)))
    measures.excluded["not_in_corpus"] += sum(len(records) for records in collected.by_article.values())
    return measures.finish()


def _measure_batch(batch: _Batch, labels: int, annotators: int) -> dict[str, Any]:
    """Every per-article and per-record-pair sum of one batch of articles."""
    rec_article, span_rec, label = batch.rec_article, batch.span_rec, batch.span_label
    m = np.bincount(rec_article, minlength=len(batch.ids))
    first_record = np.concatenate(([0], np.cumsum(m)[:-1]))
    slot = np.arange(len(rec_article)) - first_record[rec_article]
    base = np.concatenate(([0], np.cumsum(batch.lengths)[:-1]))
    span_article = rec_article[span_rec]
    global_start, global_end = base[span_article] + batch.span_start, base[span_article] + batch.span_end

    # Record pairs (two annotators on one article), numbered in the order _pairs_within lists them.
    rp_a, rp_b = _pairs_within(rec_article)
    pair_offset = np.concatenate(([0], np.cumsum(m * (m - 1) // 2)[:-1]))
    first, second = _cross_record_pairs(span_rec, global_start, global_end)
    rec_first, rec_second = span_rec[first], span_rec[second]
    pair = _pair_number(pair_offset, m, span_article[first], slot[rec_first], slot[rec_second])
    same_label = label[first] == label[second]
    same_extent = (batch.span_start[first] == batch.span_start[second]) & (
        batch.span_end[first] == batch.span_end[second]
    )
    pairs, spans = len(rp_a), max(len(span_rec), 1)
    strict = np.bincount(pair * labels + label[first], weights=same_label & same_extent, minlength=pairs * labels)
    # Matching nodes: a span as seen from one other slot of its article, (span, slot), numbered densely.
    rows = int(m.max()) if len(m) else 1
    matched = _maximum_matching(
        (first * rows + slot[rec_second])[same_label], (second * rows + slot[rec_first])[same_label], spans * rows
    )
    matched_span = matched // rows
    matched_pair = _pair_number(
        pair_offset, m, span_article[matched_span], slot[span_rec[matched_span]], matched % rows
    )
    overlap = np.bincount(matched_pair * labels + label[matched_span], minlength=pairs * labels)
    rec_counts = np.bincount(span_rec * labels + label, minlength=len(rec_article) * labels).reshape(-1, labels)

    judgements, confusion = _judgements(batch, m, slot, first, second, same_label, same_extent, labels, annotators)
    observed, expected = _unitizing_sums(
        rec_article, batch.lengths, m, span_rec, label, batch.span_start, batch.span_end, labels
    )
    part = {
        "m": m,
        "lengths": batch.lengths,
        "spans": np.bincount(span_article, minlength=len(m)),
        "rec_article": rec_article,
        "rec_annotator": batch.rec_annotator,
        "rec_spans": rec_counts.sum(axis=1),
        "rp_article": rec_article[rp_a],
        "rp_a": batch.rec_annotator[rp_a],
        "rp_b": batch.rec_annotator[rp_b],
        "strict": strict.reshape(pairs, labels),
        "overlap": overlap.reshape(pairs, labels).astype(np.float64),
        "sizes": rec_counts[rp_a] + rec_counts[rp_b],
        "unit_observed": observed,
        "unit_expected": expected,
        "judgements": judgements,
        "confusion": confusion,
    }
    part.update(_token_measures(batch, m, slot, first_record, base, labels, annotators))
    return part


def _pair_number(
    pair_offset: np.ndarray, m: np.ndarray, article: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The number of the record pair (slots ``low < high`` of ``article``) in ``_pairs_within``'s order."""
    return pair_offset[article] + low * m[article] - low * (low + 1) // 2 + (high - low - 1)


def _judgements(
    batch: _Batch,
    m: np.ndarray,
    slot: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    same_label: np.ndarray,
    same_extent: np.ndarray,
    labels: int,
    annotators: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each span, as seen by each other annotator of its article: matched or the cause of disagreement.

    Returns counts by (annotator, label, class) for ``CLASSES`` and the label confusion matrix of span
    pairs with the same extent (both orders), with a last column for no span of that extent.
    """
    span_rec, label = batch.span_rec, batch.span_label
    rows = int(m.max()) if len(m) else 1
    # Bits, strongest first: same span; same extent, other label; same label, other extent; other both.
    flags = np.select([same_label & same_extent, same_extent, same_label], [1, 2, 4], 8).astype(np.uint8)
    seen = np.zeros(len(span_rec) * rows, dtype=np.uint8)  # per span and slot (k-th annotator of the article)
    np.bitwise_or.at(seen, first * rows + slot[span_rec[second]], flags)
    np.bitwise_or.at(seen, second * rows + slot[span_rec[first]], flags)
    seen = seen.reshape(-1, rows)
    # Every span is judged by the other annotators of its article; seeing nothing overlapping is a miss.
    column = np.arange(rows)[None, :]
    judged = (column < m[batch.rec_article[span_rec]][:, None]) & (column != slot[span_rec][:, None])
    klass = np.select([seen & 1 > 0, seen & 2 > 0, seen & 4 > 0, seen & 8 > 0], [0, 1, 2, 3], 4)
    owner = batch.rec_annotator[span_rec]
    keys = ((owner * labels + label) * len(CLASSES))[:, None] + klass
    counts = np.bincount(keys[judged], minlength=annotators * labels * len(CLASSES))

    width = labels + 1
    a, b = label[first[same_extent]], label[second[same_extent]]
    confusion = np.bincount(a * width + b, minlength=labels * width) + np.bincount(
        b * width + a, minlength=labels * width
    )
    alone = (judged & (seen & 3 == 0)).sum(axis=1)
    confusion = confusion + np.bincount(label * width + labels, weights=alone, minlength=labels * width)
    return counts.reshape(annotators, labels, len(CLASSES)), confusion.reshape(labels, width)


def _token_measures(
    batch: _Batch,
    m: np.ndarray,
    slot: np.ndarray,
    first_record: np.ndarray,
    base: np.ndarray,
    labels: int,
    annotators: int,
) -> dict[str, Any]:
    """Token-level sums: per article the agreeing annotator pairs and value counts (all tokens, and the
    tokens someone labelled), and per annotator pair the confusion table for Cohen's kappa."""
    values = labels + 1
    starts, ends, pointers = tokenize_batch(batch.texts)
    token_article = np.repeat(np.arange(len(m)), np.diff(pointers))
    token_start, token_end = base[token_article] + starts, base[token_article] + ends
    span_article = batch.rec_article[batch.span_rec]
    span_start, span_end = base[span_article] + batch.span_start, base[span_article] + batch.span_end
    # One row per slot (the k-th annotator of each article): its label code per token, -1 if missing.
    rows = int(m.max()) if len(m) else 0
    tags = np.full((rows, len(starts)), -1, dtype=np.int16)
    for row in range(rows):
        mine = slot[batch.span_rec] == row
        codes, _ = spans_to_token_codes(
            token_start, token_end, span_start[mine], span_end[mine], batch.span_label[mine], outside=labels
        )
        tags[row] = np.where(m[token_article] > row, codes, -1)
    agree = np.zeros(len(starts), dtype=np.int64)
    cohen: dict[tuple[int, int], np.ndarray] = {}
    for row_a, row_b in itertools.combinations(range(rows), 2):
        both = (tags[row_a] >= 0) & (tags[row_b] >= 0)
        agree += both & (tags[row_a] == tags[row_b])
        # The annotator pair of each article that has both slots, numbered among the pairs present.
        has_both = np.flatnonzero(m > row_b)
        pair_keys, pair_index = np.unique(
            batch.rec_annotator[first_record[has_both] + row_a] * annotators
            + batch.rec_annotator[first_record[has_both] + row_b],
            return_inverse=True,
        )
        article_pair = np.zeros(len(m), dtype=np.int64)
        article_pair[has_both] = pair_index
        cells = (article_pair[token_article[both]] * values + tags[row_a][both]) * values + tags[row_b][both]
        tables = np.bincount(cells, minlength=len(pair_keys) * values * values).reshape(-1, values, values)
        for key, table in zip(pair_keys.tolist(), tables, strict=True):
            pair = divmod(key, annotators)
            cohen[pair] = cohen.get(pair, 0) + table
    labelled = ((tags >= 0) & (tags < labels)).any(axis=0)
    return {
        "tokens": np.diff(pointers),
        "agree": np.bincount(token_article, weights=agree, minlength=len(m)),
        "counts": _value_counts(tags, token_article, len(m), values),
        "labelled_tokens": np.bincount(token_article, weights=labelled, minlength=len(m)),
        "labelled_agree": np.bincount(token_article, weights=agree * labelled, minlength=len(m)),
        "labelled_counts": _value_counts(tags[:, labelled], token_article[labelled], len(m), values),
        "cohen": cohen,
    }


def _value_counts(tags: np.ndarray, token_article: np.ndarray, articles: int, values: int) -> np.ndarray:
    counts = np.zeros(articles * values)
    for row in tags:
        present = row >= 0
        counts += np.bincount(token_article[present] * values + row[present], minlength=articles * values)
    return counts.reshape(articles, values)


# -- confidence intervals -----------------------------------------------------------------------------

_FIGURES = (
    "span_f1.strict",
    "span_f1.overlap",
    "token.krippendorff_alpha",
    "token.krippendorff_alpha_labelled",
    "unitizing_alpha",
)


def _article_columns(measures: Measures) -> dict[str, np.ndarray]:
    """The per-article sums each bootstrapped figure is a function of (summed over resampled articles)."""
    arrays = measures.arrays
    documents = measures.documents
    by_article = {
        key: np.bincount(arrays["rp_article"].astype(np.int64), weights=arrays[key].sum(axis=1), minlength=documents)
        for key in ("strict", "overlap", "sizes")
    }
    m = arrays["m"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "strict": by_article["strict"],
            "overlap": by_article["overlap"],
            "sizes": by_article["sizes"],
            "values": m * arrays["tokens"],
            "diagonal": np.where(m > 1, 2 * arrays["agree"] / (m - 1), 0.0),
            "counts": arrays["counts"],
            "labelled_values": m * arrays["labelled_tokens"],
            "labelled_diagonal": np.where(m > 1, 2 * arrays["labelled_agree"] / (m - 1), 0.0),
            "labelled_counts": arrays["labelled_counts"],
            "unit_observed": arrays["unit_observed"].sum(axis=1),
            "unit_expected": arrays["unit_expected"].sum(axis=1),
        }


def _figures_of(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bootstrapped figures from summed columns (each a vector: one value per resample)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "span_f1.strict": np.where(sums["sizes"] > 0, 2 * sums["strict"] / sums["sizes"], np.nan),
            "span_f1.overlap": np.where(sums["sizes"] > 0, 2 * sums["overlap"] / sums["sizes"], np.nan),
            "token.krippendorff_alpha": _alpha_vector(sums["values"], sums["diagonal"], sums["counts"]),
            "token.krippendorff_alpha_labelled": _alpha_vector(
                sums["labelled_values"], sums["labelled_diagonal"], sums["labelled_counts"]
            ),
            "unitizing_alpha": np.where(
                sums["unit_expected"] > 0, 1 - sums["unit_observed"] / sums["unit_expected"], np.nan
            ),
        }


def _alpha_vector(total: np.ndarray, diagonal: np.ndarray, counts: np.ndarray) -> np.ndarray:
    expected = total * total - (counts * counts).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((total >= 2) & (expected > 0), 1 - (total - 1) * (total - diagonal) / expected, np.nan)


def bootstrap(measures: Measures, resamples: int = DEFAULT_RESAMPLES, seed: int = DEFAULT_SEED) -> dict[str, dict]:
    """95% percentile intervals by a cluster bootstrap over articles.

    Spans of one article are not independent, so the article is the unit resampled: each resample
    draws as many articles as there are, with replacement, from a ``numpy`` Generator seeded with
    ``seed``, and recomputes each pooled figure from the per-article sums. Keys as ``_figures_of``.
    """
    names = list(_FIGURES)
    if resamples <= 0:
        return {name: _no_interval("the bootstrap is off (resamples = 0)") for name in names}
    if measures.documents < 2:
        return {name: _no_interval("a bootstrap over articles needs at least two articles") for name in names}
    columns = measures.columns
    stacked = np.column_stack([column.reshape(measures.documents, -1) for column in columns.values()])
    widths = [column.reshape(measures.documents, -1).shape[1] for column in columns.values()]
    rng = np.random.default_rng(seed)
    results: dict[str, list[np.ndarray]] = {name: [] for name in names}
    chunk = max(1, min(resamples, 2_000_000 // measures.documents))
    for done in range(0, resamples, chunk):
        size = min(chunk, resamples - done)
        draws = rng.integers(0, measures.documents, size=(size, measures.documents))
        weights = np.bincount(
            (draws + np.arange(size)[:, None] * measures.documents).ravel(), minlength=size * measures.documents
        ).reshape(size, measures.documents)
        summed = weights.astype(np.float64) @ stacked
        sums = dict(zip(columns, np.split(summed, np.cumsum(widths)[:-1], axis=1), strict=True))
        sums = {
            key: (value[:, 0] if value.shape[1] == 1 and key not in ("counts", "labelled_counts") else value)
            for key, value in sums.items()
        }
        for name, values in _figures_of(sums).items():
            results[name].append(values)
    return {name: _interval(np.concatenate(parts), resamples, seed) for name, parts in results.items()}


def _interval(values: np.ndarray, resamples: int, seed: int) -> dict[str, Any]:
    defined = values[np.isfinite(values)]
    if not len(defined):
        return _no_interval("the figure is undefined in every resample")
    low, high = np.percentile(defined, [2.5, 97.5])
    return {"low": float(low), "high": float(high), "resamples": resamples, "defined": len(defined), "seed": seed}


def _no_interval(reason: str) -> dict[str, Any]:
    return {"low": None, "high": None, "reason": reason}


# -- the report ---------------------------------------------------------------------------------------

NO_UNITS = "no article has submitted annotations from two annotators"
NO_VARIATION = "every token carries the same value: no disagreement is expected by chance"


def report(
    workspace: Workspace,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    lowest: int = DEFAULT_LOWEST,
    round_name: str | None = None,
) -> dict[str, Any]:
    """The agreement report of a workspace's annotations, as a JSON-ready dict (keys in the README);
    with ``round_name``, of the articles that went out in that round only."""
    schema = load_schema(workspace.schema_path)
    where = workspace.relative(workspace.annotations_path)
    if not workspace.annotations_path.exists():
        raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, ExitCode.BAD_INPUT, path=where)
    articles, annotations = workspace.read_articles(), workspace.read_annotations()
    if round_name is not None:
        wanted = workspace.round_articles(round_name)
        articles = (article for article in articles if article["id"] in wanted)
        annotations = (record for record in annotations if record.get("article_id") in wanted)
    measures = measure(articles, annotations, schema.label_names)
    if measures.records_read == 0 and round_name is not None:
        raise AnnotateError(Messages.ROUND_NO_ANNOTATIONS, name=round_name, articles=len(wanted))
    if measures.records_read == 0:
        raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, ExitCode.BAD_INPUT, path=where)
    figures = summarise(measures, bootstrap(measures, resamples, seed), lowest)
    return {"schema": schema.id, **({"round": round_name} if round_name else {}), **figures}


def summarise(measures: Measures, intervals: dict[str, dict] | None = None, lowest: int = DEFAULT_LOWEST) -> dict:
    """Every figure from the per-article sums; ``intervals`` from ``bootstrap`` (none: the bootstrap is off)."""
    intervals = intervals or bootstrap(measures, resamples=0)
    arrays = measures.arrays
    return {
        "documents": measures.documents,
        "annotators": [
            {
                "name": name,
                "articles": int((arrays["rec_annotator"] == index).sum()),
                "spans": int(arrays["rec_spans"][arrays["rec_annotator"] == index].sum()),
            }
            for index, name in enumerate(measures.annotators)
        ],
        "labels": measures.labels,
        "records": {
            "read": measures.records_read,
            "compared": len(arrays["rec_article"]),
            "excluded": {reason: measures.excluded.get(reason, 0) for reason in EXCLUSIONS},
            "articles_with_one_annotator": measures.one_annotator_articles,
        },
        "span_f1": {kind: _span_f1(measures, kind, intervals[f"span_f1.{kind}"]) for kind in ("strict", "overlap")},
        "token": _token_figures(measures, intervals),
        "unitizing_alpha": _unitizing_figures(measures, intervals["unitizing_alpha"]),
        "disagreements": _disagreement_figures(measures, lowest),
    }


def _figure(value: float, reason: str, **counts: Any) -> dict[str, Any]:
    """``{"value": v, **counts}``, or ``{"value": None, "reason": ..., **counts}`` when v is undefined."""
    if value is None or not math.isfinite(value):
        return {"value": None, "reason": reason, **counts}
    return {"value": float(value), **counts}


def _f1(matches: float, spans: float, reason: str, **extra: Any) -> dict[str, Any]:
    value = 2 * matches / spans if spans > 0 else math.nan
    return _figure(value, reason, **extra, matches=round(float(matches)), spans=int(spans))


def _span_f1(measures: Measures, kind: str, interval: dict) -> dict[str, Any]:
    arrays = measures.arrays
    matches, sizes = arrays[kind], arrays["sizes"]
    pairs = []
    for a, b in sorted(set(zip(arrays["rp_a"].astype(int).tolist(), arrays["rp_b"].astype(int).tolist(), strict=True))):
        mine = (arrays["rp_a"] == a) & (arrays["rp_b"] == b)
        names = {"a": measures.annotators[a], "b": measures.annotators[b], "articles": int(mine.sum())}
        reason = "neither annotator marked a span on the articles both submitted"
        pairs.append(_f1(matches[mine].sum(), sizes[mine].sum(), reason, **names))
    micro, per_label = _overall_and_per_label(measures, matches, sizes, _f1)
    return {"micro": micro, "per_label": per_label, "pairs": pairs, "ci95": interval}


def _overall_and_per_label(
    measures: Measures, first: np.ndarray, second: np.ndarray, figure: Callable[[float, float, str], dict[str, Any]]
) -> tuple[dict[str, Any], dict[str, dict[str, Any]]]:
    """A pooled figure of two by-label columns (summed over rows): over all labels, and per label."""
    nobody = NO_UNITS if not measures.documents else "nobody marked a span on the compared articles"
    overall = figure(first.sum(), second.sum(), nobody)
    per_label = {
        label: figure(first[:, index].sum(), second[:, index].sum(), _unused(measures))
        for index, label in enumerate(measures.labels)
    }
    return overall, per_label


def _unused(measures: Measures) -> str:
    return NO_UNITS if not measures.documents else "nobody used this label on the compared articles"


def _token_figures(measures: Measures, intervals: dict[str, dict]) -> dict[str, Any]:
    arrays = measures.arrays
    m = arrays["m"]
    tokens, labelled = int(arrays["tokens"].sum()), int(arrays["labelled_tokens"].sum())
    pooled = _figures_of({key: column.sum(axis=0) for key, column in measures.columns.items()})
    alpha, alpha_labelled = pooled["token.krippendorff_alpha"], pooled["token.krippendorff_alpha_labelled"]
    return {
        "tokenizer": "BERT pre-tokenization: white space separates, each punctuation character is a token",
        "tokens": tokens,
        "labelled_tokens": labelled,
        "cohen_kappa": {
            "pairs": [
                _figure(
                    _kappa(table),
                    "both annotators gave every shared token one and the same label",
                    a=measures.annotators[a],
                    b=measures.annotators[b],
                    tokens=int(table.sum()),
                )
                for (a, b), table in sorted(measures.cohen.items())
            ]
        },
        "fleiss_kappa": _fleiss_figure(m, arrays),
        "krippendorff_alpha": {
            **_figure(alpha, NO_UNITS if not tokens else NO_VARIATION, tokens=tokens),
            "ci95": intervals["token.krippendorff_alpha"],
        },
        "krippendorff_alpha_labelled": {
            **_figure(
                alpha_labelled, "no token was labelled by anyone" if not labelled else NO_VARIATION, tokens=labelled
            ),
            "ci95": intervals["token.krippendorff_alpha_labelled"],
        },
    }


def _fleiss_figure(m: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Fleiss' kappa over the articles with the most common number of annotators (ties: the larger)."""
    if not len(m):
        return _figure(math.nan, NO_UNITS, raters=0, articles=0, tokens=0, articles_left_out=0)
    sizes = np.bincount(m.astype(np.int64))
    raters = int(len(sizes) - 1 - np.argmax(sizes[::-1]))
    mine = m == raters
    tokens = int(arrays["tokens"][mine].sum())
    value = _fleiss(tokens, raters, float(arrays["agree"][mine].sum()), arrays["counts"][mine].sum(axis=0))
    return _figure(
        value,
        NO_VARIATION if tokens else "no tokens",
        raters=raters,
        articles=int(mine.sum()),
        tokens=tokens,
        articles_left_out=int((~mine).sum()),
    )


def _unitizing_figures(measures: Measures, interval: dict) -> dict[str, Any]:
    def alpha(observed: float, expected: float, reason: str) -> dict[str, Any]:
        return _figure(1 - observed / expected if expected > 0 else math.nan, reason)

    arrays = measures.arrays
    overall, per_label = _overall_and_per_label(measures, arrays["unit_observed"], arrays["unit_expected"], alpha)
    return {"overall": overall, "per_label": per_label, "ci95": interval}


def _disagreement_figures(measures: Measures, lowest: int) -> dict[str, Any]:
    arrays = measures.arrays
    judgements = arrays["judgements"]

    def by_class(counts: np.ndarray) -> dict[str, int]:
        return {name: round(float(count)) for name, count in zip(CLASSES, counts, strict=True)}

    per_annotator = []
    for index, name in enumerate(measures.annotators):
        mine = (arrays["rp_a"] == index) | (arrays["rp_b"] == index)
        reason = "no spans on the articles shared with others"
        per_annotator.append(
            {
                "annotator": name,
                "articles": int((arrays["rec_annotator"] == index).sum()),
                "spans": int(arrays["rec_spans"][arrays["rec_annotator"] == index].sum()),
                "strict_f1": _f1(arrays["strict"][mine].sum(), arrays["sizes"][mine].sum(), reason)["value"],
                "overlap_f1": _f1(arrays["overlap"][mine].sum(), arrays["sizes"][mine].sum(), reason)["value"],
                **by_class(judgements[index].sum(axis=0)),
            }
        )
    return {
        "judgements": round(float(judgements.sum())),
        **by_class(judgements.sum(axis=(0, 1))),
        "per_label": {label: by_class(judgements[:, index].sum(axis=0)) for index, label in enumerate(measures.labels)},
        "confusion": {
            "rows": measures.labels,
            "columns": [*measures.labels, NONE_COLUMN],
            "matrix": np.rint(arrays["confusion"]).astype(int).tolist(),
        },
        "per_annotator": per_annotator,
        "lowest_articles": _lowest_articles(measures, lowest),
    }


def _lowest_articles(measures: Measures, lowest: int) -> list[dict[str, Any]]:
    """The articles with the lowest strict F1 (ties: overlap F1, then id); undefined ones left out."""
    arrays = measures.arrays
    per_article = _figures_of(measures.columns)  # one value per article
    strict, overlap = per_article["span_f1.strict"], per_article["span_f1.overlap"]
    unitizing = per_article["unitizing_alpha"]
    candidates = np.flatnonzero(measures.columns["sizes"] > 0)
    order = sorted(candidates.tolist(), key=lambda a: (strict[a], overlap[a], measures.ids[a]))[:lowest]
    rows = []
    for article in order:
        names = arrays["rec_annotator"][arrays["rec_article"] == article].astype(int).tolist()
        rows.append(
            {
                "article_id": measures.ids[article],
                "title": measures.titles[article],
                "annotators": [measures.annotators[index] for index in names],
                "spans": int(arrays["spans"][article]),
                "strict_f1": float(strict[article]),
                "overlap_f1": float(overlap[article]),
                "unitizing_alpha": float(unitizing[article]) if math.isfinite(unitizing[article]) else None,
            }
        )
    return rows


# -- pictures ---------------------------------------------------------------------------------------


def draw_png(figures: dict[str, Any], target: Path | str) -> list[Path]:
    """Draw the pairwise strict-F1 heatmap and the label confusion matrix of a report as PNG files.

    ``target`` is a folder (written: ``agreement-pairs.png``, ``agreement-confusion.png``) or a prefix
    (``figures/run1`` -> ``figures/run1-pairs.png``, ``figures/run1-confusion.png``).
    """
    try:
        import matplotlib
    except ImportError:
        raise AnnotateError(Messages.MISSING_PACKAGE, ExitCode.ENVIRONMENT, package="matplotlib") from None
    matplotlib.use("Agg")
    from matplotlib import pyplot

    folder = Path(target).is_dir() or str(target).endswith(("/", "\\"))
    target = Path(target)
    if folder:
        paths = [target / "agreement-pairs.png", target / "agreement-confusion.png"]
    else:
        paths = [target.parent / f"{target.name}-pairs.png", target.parent / f"{target.name}-confusion.png"]
    paths[0].parent.mkdir(parents=True, exist_ok=True)

    names = [annotator["name"] for annotator in figures["annotators"]]
    grid = np.full((len(names), len(names)), np.nan)
    for pair in figures["span_f1"]["strict"]["pairs"]:
        a, b = names.index(pair["a"]), names.index(pair["b"])
        grid[a, b] = grid[b, a] = np.nan if pair["value"] is None else pair["value"]
    _heatmap(pyplot, grid, names, names, "Span F1 (strict) between annotators", paths[0], vmax=1.0)
    confusion = figures["disagreements"]["confusion"]
    matrix = np.array(confusion["matrix"], dtype=float).reshape(len(confusion["rows"]), len(confusion["columns"]))
    title = "Labels given to the same extent (rows: one annotator, columns: another)"
    _heatmap(pyplot, matrix, confusion["rows"], confusion["columns"], title, paths[1])
    return paths


def _heatmap(
    pyplot: Any,
    grid: np.ndarray,
    rows: list[str],
    columns: list[str],
    title: str,
    path: Path,
    vmax: float | None = None,
) -> None:
    figure, axes = pyplot.subplots(figsize=(1.2 * len(columns) + 3, 0.9 * len(rows) + 2))
    image = axes.imshow(grid, cmap="viridis", vmin=0, vmax=vmax)
    axes.set_xticks(range(len(columns)), columns, rotation=45, ha="right")
    axes.set_yticks(range(len(rows)), rows)
    for (row, column), value in np.ndenumerate(grid):
        if math.isfinite(value):
            text = f"{value:.2f}" if vmax == 1.0 else f"{int(value)}"
            axes.text(
                column, row, text, ha="center", va="center", color="white" if value < np.nanmax(grid) / 2 else "black"
            )
    axes.set_title(title, fontsize=10)
    figure.colorbar(image, ax=axes)
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    pyplot.close(figure)
