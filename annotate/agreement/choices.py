"""Agreement on document-level choices (``Choices``, ``Taxonomy``): per control and per option.

While the articles stream by, ``ChoiceCodes`` keeps each compared record's selection in a control as a
code into the distinct selections seen (one integer a record, in the order of ``Measures``' records).
From them, ``choice_sums`` makes per-article sums (what the point figures and the bootstrap add up) and
``choice_figures`` the report's ``choices`` section:

- ``alpha``: Krippendorff's alpha over the articles' selections, an article a unit and each annotator's
  selected set a value: nominal for single choice, MASI distance (Passonneau 2006) for multiple choice and
  taxonomy. An annotation that selected nothing in the control is a missing value.
- ``per_option``: Krippendorff's alpha (nominal) of each option's presence, 1 selected / 0 not, over
  every compared annotation (selection or not).

A taxonomy option is its path joined with " / "; it counts as selected when its own node was selected
(Label Studio records a child's path without selecting its parent).
"""

from __future__ import annotations

from array import array
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from annotate.agreement.shape import NO_UNITS, ChoiceFigures, Interval, OptionFigure, figure
from annotate.agreement.stats import Distances, alpha_of_sums, distance_sums
from annotate.schema import Control

# The bootstrap leaves out a control with more distinct selections than this: each resample costs V^2.
BOOTSTRAP_MAX_SELECTIONS = 2000
TOO_MANY = f"more than {BOOTSTRAP_MAX_SELECTIONS:,} distinct selections: no bootstrap (each resample costs V^2)"


class ChoiceCodes:
    """Each compared record's selection in one control: ``codes[r]`` indexes ``values``, the distinct
    selections (frozensets of options) in the order first seen."""

    def __init__(self, control: Control):
        self.control = control
        self.values: list[frozenset[str]] = []
        self.codes = array("q")
        self._index: dict[frozenset[str], int] = {}

    def add(self, selected: Sequence[str]) -> None:
        value = frozenset(selected)
        code = self._index.get(value)
        if code is None:
            code = self._index[value] = len(self.values)
            self.values.append(value)
        self.codes.append(code)

    @property
    def distance(self) -> str:
        return "nominal" if self.control.kind == "single" else "masi"


@dataclass
class ChoiceSums:
    """One control's sums per compared article ``a`` (A of them), V distinct selections, O options."""

    codes: ChoiceCodes
    distances: Distances
    values: np.ndarray  # (A,) pairable selections: non-empty ones, 0 when fewer than two
    observed: np.ndarray  # (A,) observed disagreement of the selections
    counts: Any  # (A, V) scipy CSR: pairable selections by value
    records: np.ndarray  # (A,) compared records (every annotation counts for per_option)
    selected: np.ndarray  # (A, O) records that selected each option


def choice_sums(codes: ChoiceCodes, rec_article: np.ndarray, articles: int) -> ChoiceSums:
    """The per-article sums of one control; ``rec_article`` is each compared record's article (sorted)."""
    from scipy.sparse import csr_array

    rec_article = rec_article.astype(np.int64)
    code = np.frombuffer(codes.codes, dtype=np.int64) if len(codes.codes) else np.zeros(0, dtype=np.int64)
    distances = Distances(codes.values, codes.distance)
    # For alpha an empty selection is missing: only the non-empty ones are values of their article.
    chosen = np.array([len(value) > 0 for value in codes.values], dtype=bool)[code]
    values, observed = distance_sums(rec_article[chosen], code[chosen], articles, distances)
    pairable = chosen.copy()
    pairable[chosen] = values[rec_article[chosen]] > 0
    counts = csr_array(
        (np.ones(int(pairable.sum())), (rec_article[pairable], code[pairable])), shape=(articles, len(distances))
    )
    options = codes.control.option_names
    index = {option: column for column, option in enumerate(options)}
    membership = np.zeros((len(codes.values), len(options)), dtype=np.float64)
    for row, value in enumerate(codes.values):
        membership[row, [index[option] for option in value if option in index]] = 1.0
    selected = np.zeros((articles, len(options)))
    np.add.at(selected, rec_article, membership[code])
    records = np.bincount(rec_article, minlength=articles).astype(np.float64)
    return ChoiceSums(codes, distances, values.astype(np.float64), observed, counts, records, selected)


def choice_figures(sums: ChoiceSums, interval: Interval) -> ChoiceFigures:
    """The report's figures of one control (keys in docs/agreement.md)."""
    control = sums.codes.control
    articles = len(sums.records)
    counts = np.asarray(sums.counts.sum(axis=0)).reshape(-1)
    value = alpha_of_sums(counts.sum(), sums.observed.sum(), sums.distances.expected(counts))
    if not articles:
        reason = NO_UNITS
    elif counts.sum() < 2:
        reason = "no article has selections in this control from two annotators"
    else:
        reason = "every annotator made the same selection on every article: no disagreement is expected by chance"
    return {
        "kind": control.kind,
        "documents": int((sums.values > 0).sum()),
        "alpha": {**figure(value, reason, distance=sums.codes.distance), "ci95": interval},
        "per_option": _per_option(sums, control.option_names),
    }


def _per_option(sums: ChoiceSums, options: Sequence[str]) -> dict[str, OptionFigure]:
    """Nominal alpha of each option's presence: per article, k of m records selected it, so the observed
    disagreement is 2 k (m - k) / (m - 1) and the expected 2 n_0 n_1 (``alpha_of_sums`` with two values)."""
    m, k = sums.records[:, None], sums.selected
    with np.errstate(invalid="ignore", divide="ignore"):
        observed = np.where(m >= 2, 2 * k * (m - k) / (m - 1), 0.0).sum(axis=0)
    total = sums.records[sums.records >= 2].sum()
    ones = k[sums.records >= 2].sum(axis=0)
    alphas = alpha_of_sums(np.full(len(options), total), observed, 2 * ones * (total - ones))
    documents = int((sums.records >= 2).sum())
    figures: dict[str, OptionFigure] = {}
    for option, value, chosen in zip(options, np.atleast_1d(alphas), ones, strict=True):
        if not documents:
            reason = NO_UNITS
        elif chosen == 0:
            reason = "nobody selected this option on the compared articles"
        else:
            reason = "everyone selected this option on every compared article: no disagreement expected by chance"
        figures[option] = figure(value, reason, documents=documents)
    return figures


def bootstrappable(sums: ChoiceSums) -> bool:
    """Whether resampling the control's alpha is cheap: each resample costs V^2 for V distinct selections."""
    return len(sums.distances) <= BOOTSTRAP_MAX_SELECTIONS


def resampled_alpha(sums: ChoiceSums, weights: np.ndarray) -> np.ndarray:
    """The control's alpha in each resample: ``weights`` (R, A) says how often each article was drawn."""
    counts = (sums.counts.T @ weights.T).T  # (R, V)
    return alpha_of_sums(weights @ sums.values, weights @ sums.observed, sums.distances.expected(counts))
