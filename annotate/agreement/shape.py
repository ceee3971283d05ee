"""The declared shape of the agreement report: what ``report`` returns and ``format`` reads.

TypedDicts rather than dataclasses because the report *is* its JSON: ``annotate agreement --json``, the
release manifest and the dataset card all carry it as it is, so the shape adds names and types for readers
and type checkers without a conversion step that could change a byte of the output. docs/agreement.md
explains each figure.
"""

from __future__ import annotations

import math
from typing import Any, TypedDict

# The reason of every figure when no article has submitted annotations from two annotators.
NO_UNITS = "no article has submitted annotations from two annotators"

# How one annotator's span was seen by another annotator of the article, strongest first.
CLASSES = ("matched", "label", "boundary", "label_and_boundary", "miss")


class _Defined(TypedDict):
    value: float | None


class Figure(_Defined, total=False):
    """A figure: ``value`` is ``None`` when undefined, and then ``reason`` says why (never a silent 0)."""

    reason: str


def figure(value: float | None, reason: str, **counts: Any) -> Any:
    """``{"value": v, **counts}``, or ``{"value": None, "reason": ..., **counts}`` when v is undefined."""
    if value is None or not math.isfinite(value):
        return {"value": None, "reason": reason, **counts}
    return {"value": float(value), **counts}


class CountedFigure(Figure, total=False):
    """A figure with the counts it was computed from (span F1: ``matches`` of ``spans``; kappas: ``tokens``)."""

    matches: int
    spans: int
    tokens: int


class PairFigure(CountedFigure):
    """A figure for one pair of annotators, ``a`` before ``b`` in pseudonym order."""

    a: str
    b: str
    articles: int


class Interval(TypedDict, total=False):
    """A 95% percentile interval of the cluster bootstrap; ``low``/``high`` are ``None`` with a ``reason``
    when there is none (the bootstrap off, fewer than two articles, undefined in every resample)."""

    low: float | None
    high: float | None
    resamples: int
    defined: int
    seed: int
    reason: str


class SpanF1(TypedDict):
    micro: CountedFigure
    per_label: dict[str, CountedFigure]
    pairs: list[PairFigure]
    ci95: Interval


class FleissFigure(Figure):
    raters: int
    articles: int
    tokens: int
    articles_left_out: int


class AlphaFigure(Figure):
    tokens: int
    ci95: Interval


class CohenKappa(TypedDict):
    pairs: list[PairFigure]


class TokenFigures(TypedDict):
    tokenizer: str
    tokens: int
    labelled_tokens: int
    cohen_kappa: CohenKappa
    fleiss_kappa: FleissFigure
    krippendorff_alpha: AlphaFigure
    krippendorff_alpha_labelled: AlphaFigure


class UnitizingFigures(TypedDict):
    overall: Figure
    per_label: dict[str, Figure]
    ci95: Interval


class Judgements(TypedDict):
    """How each annotator's spans were seen by each other annotator of the article (``CLASSES``)."""

    matched: int
    label: int
    boundary: int
    label_and_boundary: int
    miss: int


class AnnotatorDisagreements(Judgements):
    annotator: str
    articles: int
    spans: int
    strict_f1: float | None
    overlap_f1: float | None


class Confusion(TypedDict):
    rows: list[str]
    columns: list[str]
    matrix: list[list[int]]


class LowestArticle(TypedDict):
    article_id: str
    title: str
    annotators: list[str]
    spans: int
    strict_f1: float
    overlap_f1: float
    unitizing_alpha: float | None


class Disagreements(Judgements):
    judgements: int
    per_label: dict[str, Judgements]
    confusion: Confusion
    per_annotator: list[AnnotatorDisagreements]
    lowest_articles: list[LowestArticle]


class ChoiceAlpha(Figure):
    """Krippendorff's alpha over the articles' selections in a control, with the distance between them."""

    distance: str  # "nominal" (single choice) or "masi" (multiple choice, taxonomy)
    ci95: Interval


class OptionFigure(Figure):
    """Krippendorff's alpha (nominal) of one option's presence, 1 selected / 0 not."""

    documents: int


class ChoiceFigures(TypedDict):
    """Agreement on one document-level control (``Choices`` or ``Taxonomy``)."""

    kind: str  # "single", "multiple" or "taxonomy"
    documents: int  # articles where two or more annotators selected something in the control
    alpha: ChoiceAlpha
    per_option: dict[str, OptionFigure]  # a taxonomy option is its path joined with " / "


class AnnotatorCount(TypedDict):
    name: str
    articles: int
    spans: int


class Records(TypedDict):
    read: int
    compared: int
    excluded: dict[str, int]
    articles_with_one_annotator: int


class FigureWithInterval(TypedDict):
    value: float | None
    ci95: Interval


class Headline(TypedDict):
    """The two figures a release states up front (manifest, card, changelog, ``annotate diff``)."""

    documents: int
    strict_f1: FigureWithInterval
    unitizing_alpha: FigureWithInterval


class _SummaryChoices(TypedDict, total=False):
    choices: dict[str, ChoiceFigures]  # by control name; present only when the schema has controls


class Summary(_SummaryChoices):
    """What ``summarise`` returns: every figure over the compared articles."""

    documents: int
    annotators: list[AnnotatorCount]
    labels: list[str]
    records: Records
    span_f1: dict[str, SpanF1]  # "strict", "overlap"
    token: TokenFigures
    unitizing_alpha: UnitizingFigures
    disagreements: Disagreements


class Report(Summary, total=False):
    """What ``report`` returns: the summary with the schema id first, the round when one was asked for, and,
    in a release, ``all_annotated``: the headline over every annotated article, held-back ones included."""

    schema: str
    round: str
    all_annotated: Headline
