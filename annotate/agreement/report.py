"""The agreement report: every figure from the per-article sums, as one typed, JSON-ready dict.

``report(workspace)`` reads the annotation records and the corpus through the workspace, ``measure``s
them, ``bootstrap``s the intervals and ``summarise``s the figures. Its shape is declared in
``annotate.agreement.shape`` (the keys are documented in docs/agreement.md); an undefined figure is
``{"value": null, "reason": "..."}``, never a silent 0.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
import orjson

from annotate.agreement.batches import Measures, figures_of_sums, measure_grouped
from annotate.agreement.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap
from annotate.agreement.choices import choice_figures
from annotate.agreement.shape import (
    CLASSES,
    NO_UNITS,
    Figure,
    FigureWithInterval,
    Headline,
    Interval,
    Report,
    Summary,
    figure,
)
from annotate.agreement.stats import fleiss_from_sums, kappa_of_table
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.records import Submitted, collector_paused
from annotate.schema import Schema, load_schema
from annotate.workspace import Workspace, atomic_write, file_sha256, json_text

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
DEFAULT_LOWEST = 10
NO_VARIATION = "every token carries the same value: no disagreement is expected by chance"


def report(
    workspace: Workspace,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    lowest: int = DEFAULT_LOWEST,
    round_name: str | None = None,
) -> Report:
    """The agreement report of a workspace's annotations, as a JSON-ready dict (keys in docs/agreement.md);
    with ``round_name``, of the articles that went out in that round only."""
    schema = load_schema(workspace.schema_path)
    with collector_paused():  # the records are let go before it ends (see ``collector_paused``)
        measures = measured(workspace, schema, round_name)[0]
    figures = summarise(measures, bootstrap(measures, resamples, seed), lowest)
    return {"schema": schema.id, **({"round": round_name} if round_name else {}), **figures}


def measured(workspace: Workspace, schema: Schema, round_name: str | None = None) -> tuple[Measures, Submitted]:
    """The per-article sums of the workspace's annotations (of one round's articles with ``round_name``), and
    the submitted records grouped by article they came from; one clear error when there is nothing to measure."""
    where = workspace.relative(workspace.annotations_path)
    if not workspace.annotations_path.exists():
        raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, ExitCode.BAD_INPUT, path=where)
    articles, annotations = workspace.read_articles(), workspace.read_annotations()
    if round_name is not None:
        wanted = workspace.round_articles(round_name)
        articles = (article for article in articles if article["id"] in wanted)
        annotations = (record for record in annotations if record.get("article_id") in wanted)
    measures, collected = measure_grouped(articles, annotations, schema.label_names, controls=schema.controls)
    if measures.records_read == 0 and round_name is not None:
        raise AnnotateError(Messages.ROUND_NO_ANNOTATIONS, name=round_name, articles=len(wanted))
    if measures.records_read == 0:
        raise AnnotateError(Messages.AGREEMENT_NO_ANNOTATIONS, ExitCode.BAD_INPUT, path=where)
    return measures, collected


def saved_report(
    workspace: Workspace,
    resamples: int = DEFAULT_RESAMPLES,
    seed: int = DEFAULT_SEED,
    lowest: int = DEFAULT_LOWEST,
    round_name: str | None = None,
    digests: dict[Path, str] | None = None,
) -> Report:
    """``report``, reused from ``workspace.agreement_path`` when it was computed from the same inputs (the
    sha256 of the annotations, the corpus, the schema and the rounds, the same parameters and package
    version), else computed and saved there. The bootstrap is seeded, so a report is a function of those.
    ``digests``: the sha256 of any of those files the caller took already (publish), not taken again."""
    inputs = report_inputs(workspace, resamples, seed, lowest, round_name, digests)
    if workspace.agreement_path.exists():
        try:
            saved = orjson.loads(workspace.agreement_path.read_bytes())
        except orjson.JSONDecodeError:
            saved = None  # a damaged cache is computed again, never trusted
        if isinstance(saved, dict) and saved.get("inputs") == inputs and isinstance(saved.get("report"), dict):
            return saved["report"]
    figures = report(workspace, resamples, seed, lowest, round_name)
    with atomic_write(workspace.agreement_path) as out:
        out.write(json_text({"inputs": inputs, "report": figures}))
    return figures


def report_inputs(
    workspace: Workspace,
    resamples: int,
    seed: int,
    lowest: int,
    round_name: str | None,
    digests: dict[Path, str] | None = None,
) -> dict[str, Any]:
    """What an agreement report is a function of (see ``saved_report``)."""
    files = {
        "annotations": workspace.annotations_path,
        "articles": workspace.articles_path,
        "schema": workspace.schema_path,
        **({"rounds": workspace.rounds_path} if round_name is not None else {}),
    }
    return {
        **{f"{name}_sha256": _sha256_of(path, digests or {}) for name, path in files.items()},
        "resamples": resamples,
        "seed": seed,
        "lowest": lowest,
        "round": round_name,
        "code_sha256": _code_sha256(),
    }


def _sha256_of(path: Path, digests: dict[Path, str]) -> str | None:
    """The file's sha256 (from ``digests`` when there), None when it does not exist."""
    if path in digests:
        return digests[path]
    return file_sha256(path) if path.exists() else None


def _code_sha256() -> str:
    """The sha256 of this package's Python sources: a report saved by other code is computed again."""
    import hashlib

    package = Path(__file__).resolve().parent.parent
    digest = hashlib.sha256()
    for path in sorted(package.rglob("*.py")):
        digest.update(path.relative_to(package).as_posix().encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def summarise(
    measures: Measures, intervals: dict[str, Interval] | None = None, lowest: int = DEFAULT_LOWEST
) -> Summary:
    """Every figure from the per-article sums; ``intervals`` from ``bootstrap`` (none: the bootstrap is off)."""
    intervals = intervals or bootstrap(measures, resamples=0)
    arrays = measures.arrays
    summary: Summary = {
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
    if measures.choices:
        summary["choices"] = {
            name: choice_figures(sums, intervals[f"choices.{name}"]) for name, sums in measures.choice_sums.items()
        }
    return summary


_figure_entry = figure


def _f1(matches: float, spans: float, reason: str, **extra: Any) -> dict[str, Any]:
    value = 2 * matches / spans if spans > 0 else math.nan
    return _figure_entry(value, reason, **extra, matches=round(float(matches)), spans=int(spans))


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
    pooled = figures_of_sums({key: column.sum(axis=0) for key, column in measures.columns.items()})
    alpha, alpha_labelled = pooled["token.krippendorff_alpha"], pooled["token.krippendorff_alpha_labelled"]
    return {
        "tokenizer": "BERT pre-tokenization: white space separates, each punctuation character is a token",
        "tokens": tokens,
        "labelled_tokens": labelled,
        "cohen_kappa": {
            "pairs": [
                _figure_entry(
                    kappa_of_table(table),
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
            **_figure_entry(alpha, NO_UNITS if not tokens else NO_VARIATION, tokens=tokens),
            "ci95": intervals["token.krippendorff_alpha"],
        },
        "krippendorff_alpha_labelled": {
            **_figure_entry(
                alpha_labelled,
                NO_UNITS if not measures.documents else NO_VARIATION if labelled else "no token was labelled by anyone",
                tokens=labelled,
            ),
            "ci95": intervals["token.krippendorff_alpha_labelled"],
        },
    }


def _fleiss_figure(m: np.ndarray, arrays: dict[str, np.ndarray]) -> dict[str, Any]:
    """Fleiss' kappa over the articles with the most common number of annotators (ties: the larger)."""
    if not len(m):
        return _figure_entry(math.nan, NO_UNITS, raters=0, articles=0, tokens=0, articles_left_out=0)
    sizes = np.bincount(m.astype(np.int64))
    raters = int(len(sizes) - 1 - np.argmax(sizes[::-1]))
    mine = m == raters
    tokens = int(arrays["tokens"][mine].sum())
    value = fleiss_from_sums(tokens, raters, float(arrays["agree"][mine].sum()), arrays["counts"][mine].sum(axis=0))
    return _figure_entry(
        value,
        NO_VARIATION if tokens else "no tokens",
        raters=raters,
        articles=int(mine.sum()),
        tokens=tokens,
        articles_left_out=int((~mine).sum()),
    )


def _unitizing_figures(measures: Measures, interval: dict) -> dict[str, Any]:
    def alpha(observed: float, expected: float, reason: str) -> dict[str, Any]:
        return _figure_entry(1 - observed / expected if expected > 0 else math.nan, reason)

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
    per_article = figures_of_sums(measures.columns)  # one value per article
    strict, overlap = per_article["span_f1.strict"], per_article["span_f1.overlap"]
    unitizing = per_article["unitizing_alpha"]
    candidates = np.flatnonzero(measures.columns["sizes"] > 0)
    # Keys of Python floats: indexing an array for each of 10,000 articles makes a NumPy scalar each time.
    strict_of, overlap_of = strict.tolist(), overlap.tolist()
    order = sorted(candidates.tolist(), key=lambda a: (strict_of[a], overlap_of[a], measures.ids[a]))[:lowest]
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


def headline(figures: Report | Summary) -> Headline:
    """The two figures a release states up front: pooled strict span F1 and alpha_U, with their intervals."""
    span, unitizing = figures["span_f1"], figures["unitizing_alpha"]
    return {
        "documents": figures["documents"],
        "strict_f1": value_and_interval(span["strict"]["micro"], span["strict"]["ci95"]),
        "unitizing_alpha": value_and_interval(unitizing["overall"], unitizing["ci95"]),
    }


def value_and_interval(figure: Figure, interval: Interval) -> FigureWithInterval:
    """A figure's value beside its interval, as the manifest and the headline carry it."""
    return {"value": figure.get("value"), "ci95": interval}
