"""The one way an agreement report is written for people: numbers, intervals, sentences and tables.

The terminal (``annotate agreement``, ``annotate diff``, ``annotate prelabel score``, ``annotate status``) and
the dataset card read their text from here, so a figure reads the same wherever it is shown. Tables are
plain ``Table`` values: the CLI draws them with rich, the card writes them as Markdown (``markdown_table``).
It does no arithmetic and no I/O: it only reads the report.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, NamedTuple

from annotate.agreement.shape import (
    CLASSES,
    ChoiceFigures,
    Disagreements,
    Figure,
    Headline,
    Interval,
    Report,
    TokenFigures,
)

UNDEFINED = "n/a"


class Table(NamedTuple):
    """A table of text: ``names`` leading columns of names, the rest figures (right-aligned in the terminal)."""

    title: str
    columns: tuple[str, ...]
    rows: list[tuple[str, ...]]
    names: int = 1
    caption: str | None = None


def figure_text(figure: Figure | float | int | None) -> str:
    """A figure as text: floats with 3 decimals, counts as they are, ``n/a`` when undefined
    (``None``, or a figure dict whose ``value`` is ``None``)."""
    value = figure.get("value") if isinstance(figure, dict) else figure
    if value is None:
        return UNDEFINED
    return f"{value:.3f}" if isinstance(value, float) else str(value)


def interval_text(interval: Interval) -> str:
    """``[low, high]``, or why there is no interval."""
    if interval.get("low") is None:
        return f"(no interval: {interval['reason']})"
    return f"[{interval['low']:.3f}, {interval['high']:.3f}]"


def with_interval(figure: Figure | float | None, interval: Interval) -> str:
    return f"{figure_text(figure)} {interval_text(interval)}"


def headline_text(headline: Headline) -> str:
    """``strict span F1 is 0.756 [0.728, 0.785] and alpha_U 0.838 [...]``: the two figures a release states."""
    strict, unitizing = headline["strict_f1"], headline["unitizing_alpha"]
    return (
        f"strict span F1 is {with_interval(strict, strict['ci95'])} "
        f"and alpha_U {with_interval(unitizing, unitizing['ci95'])}"
    )


def headline_figures(headline: Headline) -> str:
    """``0.756 / 0.838``: strict span F1 / alpha_U without intervals, for one-line comparisons."""
    return f"{figure_text(headline['strict_f1'])} / {figure_text(headline['unitizing_alpha'])}"


def annotators_text(report: Report) -> str:
    return ", ".join(f"{a['name']} ({a['articles']} articles)" for a in report["annotators"]) or "none"


def token_text(token: TokenFigures) -> str:
    alpha, labelled = token["krippendorff_alpha"], token["krippendorff_alpha_labelled"]
    return (
        f"Token level ({token['tokens']} tokens, {token['labelled_tokens']} labelled by someone): Krippendorff's "
        f"alpha {with_interval(alpha, alpha['ci95'])}; "
        f"over labelled tokens {with_interval(labelled, labelled['ci95'])}; "
        f"Fleiss' kappa {figure_text(token['fleiss_kappa'])}."
    )


def span_table(report: Report) -> Table:
    """Span agreement over all labels (with intervals) and per label: strict F1, overlap F1, alpha_U."""
    span, unitizing = report["span_f1"], report["unitizing_alpha"]
    strict, overlap = span["strict"], span["overlap"]
    rows = [
        (
            "all",
            with_interval(strict["micro"], strict["ci95"]),
            with_interval(overlap["micro"], overlap["ci95"]),
            with_interval(unitizing["overall"], unitizing["ci95"]),
        )
    ]
    for label in report["labels"]:
        figures = (strict["per_label"][label], overlap["per_label"][label], unitizing["per_label"][label])
        rows.append((label, *map(figure_text, figures)))
    columns = ("label", "strict span F1", "overlap span F1", "Krippendorff's alpha_U")
    return Table("Span agreement (F1 pooled over annotator pairs; alpha_U)", columns, rows)


DISTANCE_NAMES = {"nominal": "nominal", "masi": "MASI distance"}


def choice_table(name: str, figures: ChoiceFigures) -> Table:
    """One document-level control: alpha over the articles' selections (with its interval), then each
    option's alpha of presence (1 selected / 0 not)."""
    alpha = figures["alpha"]
    distance = DISTANCE_NAMES.get(alpha["distance"], alpha["distance"])
    rows = [(f"all ({distance})", str(figures["documents"]), with_interval(alpha, alpha["ci95"]))]
    rows += [(option, str(entry["documents"]), figure_text(entry)) for option, entry in figures["per_option"].items()]
    title = f"{name} ({figures['kind']}): Krippendorff's alpha"
    caption = "all: of the selections, on articles where two or more selected something; an option: of its presence"
    return Table(title, ("option", "articles", "Krippendorff's alpha"), rows, caption=caption)


def choice_tables(report: Report) -> list[Table]:
    """A ``choice_table`` for each document-level control of the schema (none when it has none)."""
    return [choice_table(name, figures) for name, figures in report.get("choices", {}).items()]


def no_pairs_text(report: Report) -> str:
    """The one line ``annotate agreement`` prints when no article has two annotators: what is missing and
    what to do, instead of a table of undefined figures."""
    records = report["records"]
    names = ", ".join(annotator["name"] for annotator in report["annotators"]) or "none"
    left_out = ", ".join(f"{reason} {count}" for reason, count in records["excluded"].items() if count)
    return (
        (f"Round '{report['round']}': " if report.get("round") else "")
        + "No agreement to measure: no article has submitted annotations from two annotators "
        f"(annotators: {names}; articles with one: {records['articles_with_one_annotator']}"
        + (f"; records left out: {left_out}" if left_out else "")
        + "). Import the other annotators' work (`annotate import EXPORT.json`; for a file of one person's work "
        "add `--annotator NAME`) and run `annotate agreement` again."
    )


def pair_table(report: Report) -> Table:
    span = report["span_f1"]
    kappas = {(k["a"], k["b"]): k for k in report["token"]["cohen_kappa"]["pairs"]}
    rows = [
        (
            strict["a"],
            strict["b"],
            str(strict["articles"]),
            *map(figure_text, (strict, overlap, kappas.get((strict["a"], strict["b"])))),
        )
        for strict, overlap in zip(span["strict"]["pairs"], span["overlap"]["pairs"], strict=True)
    ]
    columns = ("a", "b", "articles", "strict F1", "overlap F1", "Cohen's kappa (tokens)")
    return Table("Annotator pairs", columns, rows, names=2)


def judgement_table(disagreements: Disagreements) -> Table:
    rows = [
        (
            row["annotator"],
            str(row["articles"]),
            str(row["spans"]),
            figure_text(row["strict_f1"]),
            figure_text(row["overlap_f1"]),
            *(str(row[c]) for c in CLASSES),
        )
        for row in disagreements["per_annotator"]
    ]
    rows.append(("all", "", "", "", "", *(str(disagreements[c]) for c in CLASSES)))
    return Table(
        "Each annotator's spans as each other annotator saw them",
        ("annotator", "articles", "spans", "strict", "overlap", "matched", "label", "boundary", "both", "miss"),
        rows,
        caption="both: another label and another extent; miss: nothing overlapping",
    )


def confusion_table(disagreements: Disagreements) -> Table:
    confusion = disagreements["confusion"]
    rows = [(label, *map(str, row)) for label, row in zip(confusion["rows"], confusion["matrix"], strict=True)]
    title = "Labels given to the same extent (rows: one annotator; columns: another)"
    return Table(title, ("", *confusion["columns"]), rows)


def lowest_table(disagreements: Disagreements, title_width: int = 18) -> Table:
    rows = [
        (
            row["article_id"],
            shorten(row["title"], title_width),
            str(row["spans"]),
            *(figure_text(row[key]) for key in ("strict_f1", "overlap_f1", "unitizing_alpha")),
        )
        for row in disagreements["lowest_articles"]
    ]
    columns = ("article", "title", "spans", "strict", "overlap", "alpha_U")
    return Table("Articles with the lowest agreement", columns, rows, names=2)


def shorten(text: str, width: int) -> str:
    return text if len(text) <= width else text[: width - 1] + "…"


def markdown_table(table: Table) -> list[str]:
    """The table as Markdown lines (no title: the card gives it a heading of its own)."""
    return [_markdown_row(table.columns), "|" + "---|" * len(table.columns), *map(_markdown_row, table.rows)]


def _markdown_row(cells: Sequence[Any]) -> str:
    return "| " + " | ".join(str(cell) for cell in cells) + " |"
