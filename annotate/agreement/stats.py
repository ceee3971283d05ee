"""Agreement statistics on plain data: the layer anyone can hold against published tables.

``krippendorff_alpha``, ``krippendorff_alpha_distance`` (any distance over hashable values: MASI between
sets, ``masi_distance``), ``fleiss_kappa``, ``cohen_kappa``, ``unitizing_alpha`` (with
``unitizing_disagreements``) and ``span_f1`` take lists or arrays and return ``nan`` where the
figure is undefined. The flat-array building blocks below them are shared with ``batches``, which
computes the same sums for a whole batch of articles at once.

Why hand-written: ``krippendorff`` builds an N x V x V array (2 GB for 3 coders x 1M tokens) and has
no unitizing alpha; DKPro Statistics has it but is Java; ``sklearn``/``statsmodels`` kappas take one
table at a time. Here every count is a ``np.bincount`` over flat arrays, so memory follows the data,
not N x V x V. The published values and those packages are the oracles in ``tests/test_agreement.py``.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Callable, Iterable, Iterator, Sequence
from typing import Any, NamedTuple

import numpy as np

LEVELS = ("nominal", "ordinal", "interval", "ratio")


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
    return fleiss_from_sums(len(counts), rater_count, agreeing_pairs, counts.sum(axis=0))


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
    return kappa_of_table(table)


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
    observed, expected = unitizing_sums(
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
    pair_i, pair_j = cross_record_pairs(rec, start, end)
    same_label = label[pair_i] == label[pair_j]
    if overlap:
        matches = len(maximum_matching(pair_i[same_label], pair_j[same_label]))
    else:
        matches = int((same_label & (start[pair_i] == start[pair_j]) & (end[pair_i] == end[pair_j])).sum())
    return 2 * matches / len(spans)


def krippendorff_alpha_distance(data: Any, distance: str | Callable[[Any, Any], float] = "nominal") -> float:
    """Krippendorff's alpha over any hashable values with a distance of your choosing: the general form
    of Krippendorff (2011), delta(c, k) in place of the metric differences.

    Parameters
    ----------
    data : array_like of hashable, shape (M, N)
        M coders by N units; ``None`` (or NaN) where a coder gave no value (missing). Values can be
        labels, tuples, frozensets of options: here the empty set is a value like any other.
    distance : {"nominal", "masi"} or callable
        ``"nominal"``: 0 for equal values, else 1. ``"masi"``: ``masi_distance`` between sets. A
        callable ``d(a, b) -> float``: any symmetric distance with ``d(a, a) == 0``, called once for
        each pair of distinct values (V^2 / 2 calls for V of them).

    Returns ``nan`` when undefined: fewer than two pairable values, or no disagreement expected by
    chance (every value the same). The V x V distances are evaluated a block of rows at a time
    (about 4 million at once), never held whole.
    """
    rows = [list(row) for row in data]
    if not rows or len({len(row) for row in rows}) != 1:
        raise ValueError("data must be 2-dimensional: coders x units")
    codes: dict[Any, int] = {}
    unit, code = [], []
    for row in rows:
        for index, value in enumerate(row):
            if value is None or (isinstance(value, float) and math.isnan(value)):
                continue
            unit.append(index)
            code.append(codes.setdefault(value, len(codes)))
    order = np.argsort(np.array(unit, dtype=np.int64), kind="stable")
    unit_array, code_array = np.array(unit, dtype=np.int64)[order], np.array(code, dtype=np.int64)[order]
    distances = Distances(list(codes), distance)
    values, observed = distance_sums(unit_array, code_array, len(rows[0]), distances)
    pairable = values[unit_array] > 0
    counts = np.bincount(code_array[pairable], minlength=len(codes)).astype(np.float64)
    return alpha_of_sums(float(counts.sum()), float(observed.sum()), distances.expected(counts))


def masi_distance(a: Iterable[Any], b: Iterable[Any]) -> float:
    """MASI distance between two sets (Passonneau 2006, "Measuring Agreement on Set-valued Items"):
    ``1 - J * M``, J the Jaccard index |A & B| / |A | B| and M the monotonicity, 1 when A = B, 2/3 when one
    holds the other, 1/3 when they share some but not all, 0 when disjoint.

    ``masi_distance(set(), set()) == 0``: two empty sets are equal (nltk's ``masi_distance`` divides by
    zero there). The agreement report never asks: an empty selection is a missing value there.
    """
    a, b = set(a), set(b)
    inter = np.array([len(a & b)], dtype=np.float64)
    return float(_masi(inter, np.array([len(a)], dtype=np.float64), np.array([len(b)], dtype=np.float64))[0])


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


def fleiss_from_sums(subjects: int, raters: int, agreeing_pairs: float, category_totals: np.ndarray) -> float:
    """Fleiss' kappa from sums: per-subject agreeing rater pairs summed, and ratings per category."""
    if subjects == 0 or raters < 2:
        return math.nan
    observed = agreeing_pairs / (subjects * raters * (raters - 1) / 2)
    shares = np.asarray(category_totals, dtype=np.float64) / (subjects * raters)
    expected = float(np.dot(shares, shares))
    return (observed - expected) / (1 - expected) if expected < 1 else math.nan


def kappa_of_table(table: np.ndarray) -> float:
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


# -- alpha with a distance over any values ----------------------------------------------------------
#
# Written by hand because no maintained library takes a custom distance over set values with NumPy's
# speed: the ``krippendorff`` package has only its four levels over numbers; nltk's ``AnnotationTask``
# takes any distance but calls it in Python for every pair of distinct values (43.7 s against 0.24 s here
# for 3,000 articles x 3 annotators with 5,428 distinct selections of a 23-option taxonomy; nltk 3.10
# refuses more than 10,000 distinct values). Both are the oracles in tests/test_agreement_choices.py.

DISTANCES = ("nominal", "masi")
_BLOCK = 1 << 22  # distances evaluated per block of rows: rows x V at most about this many


class Distances:
    """delta(c, k) between the V distinct ``values`` of a study, for given pairs or summed against
    value counts: evaluated a block of rows at a time, never held V x V."""

    def __init__(self, values: Sequence[Any], distance: str | Callable[[Any, Any], float]):
        if isinstance(distance, str) and distance not in DISTANCES:
            raise ValueError(f"distance must be one of {', '.join(DISTANCES)} or a function, not {distance!r}")
        self.values, self.distance = list(values), distance
        if distance == "masi":
            self._masi_table()

    def _masi_table(self) -> None:
        """Sets as rows of 0/1 over their elements (intersections are a matrix product), and MASI looked up
        in a table by the two sizes and the intersection's: one gather per pair, not a dozen array passes."""
        elements: dict[Any, int] = {}
        members = [[elements.setdefault(item, len(elements)) for item in value] for value in self.values]
        # float32 counts intersections exactly (they are at most the number of elements, far below 2^24)
        self.members = np.zeros((len(self.values), max(len(elements), 1)), dtype=np.float32)
        for row, columns in enumerate(members):
            self.members[row, columns] = 1.0
        sizes = np.array([len(value) for value in members], dtype=np.int64)
        # table[a, b, i]: MASI of a set of the a-th size against one of the b-th size, sharing i elements
        kinds, code = np.unique(sizes, return_inverse=True)
        reach = int(sizes.max(initial=0)) + 1
        shared = np.arange(reach, dtype=np.float64)
        self.table = _masi(shared[None, None, :], kinds[:, None, None], kinds[None, :, None]).ravel()
        index = np.int32 if len(self.table) < 1 << 31 else np.int64
        self.row_offset = (code.reshape(-1) * len(kinds) * reach).astype(index)
        self.column_offset = (code.reshape(-1) * reach).astype(index)

    def _masi_of(self, row_offset: np.ndarray, column_offset: np.ndarray, inter: np.ndarray) -> np.ndarray:
        # float32 sums of 0/1 products are exact integers: no rounding needed
        return self.table[(row_offset + column_offset) + inter.astype(row_offset.dtype)]

    def __len__(self) -> int:
        return len(self.values)

    def pairs(self, first: np.ndarray, second: np.ndarray) -> np.ndarray:
        """delta between ``values[first[i]]`` and ``values[second[i]]``, for each i."""
        if self.distance == "nominal":
            return (first != second).astype(np.float64)
        if self.distance == "masi":
            inter = np.einsum("ij,ij->i", self.members[first], self.members[second])
            return self._masi_of(self.row_offset[first], self.column_offset[second], inter)
        keys, inverse = np.unique(np.asarray(first) * len(self) + second, return_inverse=True)
        found = [self.distance(self.values[key // len(self)], self.values[key % len(self)]) for key in keys.tolist()]
        return np.array(found, dtype=np.float64)[inverse.reshape(-1)]

    def rows(self, begin: int, end: int) -> np.ndarray:
        """delta between ``values[begin:end]`` and every value: an (end - begin) x V block."""
        if self.distance == "nominal":
            return 1.0 - (np.arange(begin, end)[:, None] == np.arange(len(self))[None, :])
        if self.distance == "masi":
            inter = self.members[begin:end] @ self.members.T
            return self._masi_of(self.row_offset[begin:end, None], self.column_offset[None, :], inter)
        row, column = np.divmod(np.arange((end - begin) * len(self)), len(self))
        return self.pairs(row + begin, column).reshape(end - begin, len(self))

    def expected(self, counts: np.ndarray) -> Any:
        """sum over c, k of n_c n_k delta(c, k), for value counts n of shape (V,) or one row per resample (R, V)."""
        counts = np.asarray(counts, dtype=np.float64)
        if self.distance == "nominal":
            return counts.sum(axis=-1) ** 2 - (counts * counts).sum(axis=-1)
        matrix = np.atleast_2d(counts)
        total = np.zeros(len(matrix))
        step = max(1, _BLOCK // max(len(self), 1))
        for begin in range(0, len(self), step):
            end = min(begin + step, len(self))
            total += ((matrix @ self.rows(begin, end).T) * matrix[:, begin:end]).sum(axis=1)
        return total if counts.ndim == 2 else float(total[0])


def _masi(inter: np.ndarray, a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """MASI distance from the sizes of two sets and of their intersection (see ``masi_distance``)."""
    union = a + b - inter
    monotonicity = np.select(
        [(inter == a) & (inter == b), inter == np.minimum(a, b), inter > 0], [1.0, 2 / 3, 1 / 3], 0.0
    )
    jaccard = np.divide(inter, union, out=np.ones(np.broadcast(inter, union).shape), where=union > 0)
    return 1 - jaccard * monotonicity


def distance_sums(
    unit: np.ndarray, code: np.ndarray, units: int, distances: Distances
) -> tuple[np.ndarray, np.ndarray]:
    """Per unit, for values ``code`` (into ``distances``) of ``unit`` (sorted): how many pairable values
    it has (0 when fewer than two) and its observed disagreement, the sum over ordered pairs of its
    values of delta / (m_u - 1). Both add up over units, so a pooled alpha is ``alpha_of_sums`` of sums."""
    m = np.bincount(unit, minlength=units)
    first, second = pairs_within(unit)
    weight = 2.0 / np.maximum(m[unit[first]] - 1, 1)
    observed = np.bincount(unit[first], weights=distances.pairs(code[first], code[second]) * weight, minlength=units)
    return np.where(m >= 2, m, 0), observed


def alpha_of_sums(values: Any, observed: Any, expected: Any) -> Any:
    """``1 - (n - 1) D_o / D_e``: alpha from the number of pairable values n, the observed disagreement
    summed over units, and the expected ``sum n_c n_k delta(c, k)``; nan where undefined. Scalars or arrays."""
    values, observed, expected = (np.asarray(x, dtype=np.float64) for x in (values, observed, expected))
    with np.errstate(invalid="ignore", divide="ignore"):
        alpha = np.where((values >= 2) & (expected > 0), 1 - (values - 1) * observed / expected, np.nan)
    return float(alpha) if alpha.ndim == 0 else alpha


# -- flat-array building blocks ---------------------------------------------------------------------


def _ranges(starts: np.ndarray, counts: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The concatenated ranges ``starts[i] .. starts[i] + counts[i] - 1`` and, for each element, its ``i``."""
    counts = np.asarray(counts, dtype=np.int64)
    owner = np.repeat(np.arange(len(counts)), counts)
    values = np.arange(int(counts.sum()), dtype=np.int64) + np.repeat(starts - (np.cumsum(counts) - counts), counts)
    return owner, values


def pairs_within(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
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


def cross_record_pairs(rec: np.ndarray, start: np.ndarray, end: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Overlapping span pairs of two different records, the span of the lower record first."""
    first, second = _overlapping_pairs(start, end)
    keep = rec[first] != rec[second]
    first, second = first[keep], second[keep]
    swap = rec[first] > rec[second]
    return np.where(swap, second, first), np.where(swap, first, second)


def maximum_matching(rows: np.ndarray, columns: np.ndarray, size: int | None = None) -> np.ndarray:
    """The rows matched by a maximum one-to-one matching of the bipartite graph with edges (row, column).

    Node ids are numbered among those present, or taken as they are when ``size`` bounds them.

    A greedy first-come matching is not maximum (A: [0,10) [9,20); B: [5,12) [7,8): taking for each
    span of A the first free overlapping span of B pairs [0,10)-[5,12) and leaves [9,20) alone; the
    maximum pairs both), so this is scipy's Hopcroft-Karp. scipy is imported here, on first use: the
    CLI imports this module for every command. When no row and no column has two edges, the edges are
    the one maximum matching and scipy is not needed (nor imported: its import is a tenth of
    ``annotate agreement``); annotators who mostly agree give such graphs.
    """
    if not len(rows):
        return np.zeros(0, dtype=np.int64)
    distinct_rows = np.unique(rows)
    if len(distinct_rows) == len(rows) and len(np.unique(columns)) == len(columns):
        return distinct_rows
    from scipy.sparse import csr_array
    from scipy.sparse.csgraph import maximum_bipartite_matching

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


def unitizing_sums(
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
    first, second = cross_record_pairs(rec, base[article] + start, base[article] + end)
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
