"""The review site on disk: static files that open from ``file://`` with no network and no server.

    review/
      index.html          the overview (tables and inline SVG charts, written here), the article list and
                          the article view (drawn by review.js from the data files)
      review.css, review.js
      data/meta.js        labels, colours, annotators, rounds: what the filters offer
      data/index.js       one short row per article (for the list, its filters and its order)
      data/chunk-NNNN.js  the articles themselves, CHUNK_SIZE a file, loaded when one of them is opened

Data are JavaScript files run by ``<script src>``: a page opened from ``file://`` may not ``fetch()`` a
local file. Every text reaches the page through ``textContent`` (review.js) or ``html.escape`` (here).
"""

from __future__ import annotations

import html
import re
import shutil
from collections.abc import Callable
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import orjson

from annotate.agreement import CLASSES
from annotate.agreement.format import (
    Table,
    choice_tables,
    confusion_table,
    headline_text,
    judgement_table,
    pair_table,
    span_table,
    token_text,
)
from annotate.agreement.report import headline
from annotate.review import charts
from annotate.review.data import GOLD_STATUSES, Review, gather
from annotate.workspace import Workspace

CHUNK_SIZE = 100
STATIC = ("index.html", "review.css", "review.js")
OVERVIEW_MARK = "<!--OVERVIEW-->"
TITLE_MARK = "<!--TITLE-->"
DEFAULT_LOWEST_SHOWN = 10


@dataclass
class SiteSummary:
    out: str
    index: str
    articles: int
    annotators: int
    spans: int
    conflicts: int
    chunks: int
    bytes: int

    def as_dict(self) -> dict[str, Any]:
        return dict(vars(self))


def review(
    workspace: Workspace,
    out: Path | str | None = None,
    round_name: str | None = None,
    link: Any = None,
    progress: Callable[[int], None] | None = None,
) -> SiteSummary:
    """Write the review site of ``workspace`` to ``out`` (default ``review/`` in the workspace)."""
    data = gather(workspace, round_name, link)
    target = Path(out) if out is not None else workspace.root / "review"
    return write_site(data, target, progress)


def write_overview(workspace: Workspace, target: Path) -> str:
    """Only the overview (``index.html`` and its style, no article), as a release carries it; returns the
    page's path relative to ``target``'s parent."""
    data = gather(workspace)
    target.mkdir(parents=True, exist_ok=True)
    static = resources.files("annotate.review") / "static"
    (target / "review.css").write_bytes((static / "review.css").read_bytes())
    page = re.sub(r"<!--ARTICLES-->.*?<!--/ARTICLES-->", "", _page(data), flags=re.DOTALL)
    (target / "index.html").write_text(page, encoding="utf-8")
    return f"{target.name}/index.html"


def _page(data: Review) -> str:
    page = (resources.files("annotate.review") / "static" / "index.html").read_text(encoding="utf-8")
    title = "Review" + (f" · round {data.round_name}" if data.round_name else "")
    return page.replace(TITLE_MARK, html.escape(title)).replace(OVERVIEW_MARK, overview_html(data))


def write_site(data: Review, target: Path, progress: Callable[[int], None] | None = None) -> SiteSummary:
    folder = target / "data"
    if folder.exists():
        shutil.rmtree(folder)
    folder.mkdir(parents=True)
    labels = data.schema.label_names
    annotators = data.annotators
    statuses = list(GOLD_STATUSES)
    label_code = {name: index for index, name in enumerate(labels)}
    kind_code = {name: index for index, name in enumerate(CLASSES)}
    rounds = list(data.rounds)
    rows, chunk, chunks = [], {}, 0
    for article in data.articles():
        place = len(rows)
        rows.append(
            [
                article["id"],
                article["title"],
                article["figures"].get("strict_f1"),
                article["rank"],
                [annotators.index(name) for name in article["annotators"] if name in annotators],
                sorted({label_code[label] * len(CLASSES) + kind_code[kind] for label, kind in article["labels_kinds"]}),
                [rounds.index(name) for name in article["rounds"] if name in rounds],
                statuses.index(article["gold"]),
                place // CHUNK_SIZE,
                [label_code[label] for label in article["labels"]],
            ]
        )
        chunk[article["id"]] = article
        if len(chunk) == CHUNK_SIZE:
            _write_chunk(folder, chunks, chunk)
            chunks, chunk = chunks + 1, {}
        if progress:
            progress(1)
    if chunk:
        _write_chunk(folder, chunks, chunk)
        chunks += 1
    colours = {label.name: label.color for label in data.schema.labels}
    meta = {
        "schema": f"{data.schema.name} {data.schema.version}",
        "round": data.round_name,
        "labels": labels,
        "colours": colours,
        "kinds": list(CLASSES),
        "annotators": annotators,
        "rounds": rounds,
        "gold": statuses,
        "controls": [control.name for control in data.schema.controls],
        "chunk_size": CHUNK_SIZE,
        "articles": len(rows),
    }
    _write_js(folder / "meta.js", "REVIEW_META", meta)
    _write_js(folder / "index.js", "REVIEW_INDEX", rows)
    static = resources.files("annotate.review") / "static"
    for name in STATIC[1:]:
        (target / name).write_bytes((static / name).read_bytes())
    (target / "index.html").write_text(_page(data), encoding="utf-8")
    size = sum(path.stat().st_size for path in target.rglob("*") if path.is_file())
    shown = data.workspace.relative(target)
    return SiteSummary(
        out=shown,
        index=str(Path(shown) / "index.html"),
        articles=len(rows),
        annotators=len(annotators),
        spans=data.counts.get("spans", 0),
        conflicts=data.counts.get("conflicts", 0),
        chunks=chunks,
        bytes=size,
    )


def _write_chunk(folder: Path, number: int, articles: dict[str, Any]) -> None:
    body = orjson.dumps(articles).decode()
    (folder / f"chunk-{number:04d}.js").write_text(f"window.REVIEW_CHUNK({number}, {body});\n", encoding="utf-8")


def _write_js(path: Path, name: str, value: Any) -> None:
    path.write_text(f"window.{name} = {orjson.dumps(value).decode()};\n", encoding="utf-8")


def table_html(table: Table) -> str:
    """A ``format`` table as an HTML table, every cell escaped."""
    head = "".join(f"<th>{html.escape(column)}</th>" for column in table.columns)
    body = "".join(
        "<tr>"
        + "".join(
            f'<td class="{"name" if index < table.names else "num"}">{html.escape(cell)}</td>'
            for index, cell in enumerate(row)
        )
        + "</tr>"
        for row in table.rows
    )
    caption = f'<p class="caption">{html.escape(table.caption)}</p>' if table.caption else ""
    title = html.escape(table.title)
    return f"<h3>{title}</h3><table><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>{caption}"


def overview_html(data: Review) -> str:
    """The overview: headline, charts (inline SVG) and the agreement report's tables."""
    report = data.overview
    labels = report["labels"]
    span, unitizing = report["span_f1"], report["unitizing_alpha"]
    parts = [
        f'<p class="headline">{html.escape(str(report["documents"]))} articles compared by '
        f"{len(report['annotators'])} annotators: {html.escape(headline_text(headline(report)))}.</p>",
        f"<p>{html.escape(token_text(report['token']))}</p>",
    ]
    strict_rows = [("all", span["strict"]["micro"].get("value"), *_bounds(span["strict"]["ci95"]))]
    strict_rows += [
        (label, span["strict"]["per_label"][label].get("value"), *_bounds(data.label_intervals[label]["strict_f1"]))
        for label in labels
    ]
    alpha_rows = [("all", unitizing["overall"].get("value"), *_bounds(unitizing["ci95"]))]
    alpha_rows += [
        (label, unitizing["per_label"][label].get("value"), *_bounds(data.label_intervals[label]["unitizing_alpha"]))
        for label in labels
    ]
    names = [annotator["name"] for annotator in report["annotators"]]
    grid: list[list[float | None]] = [[None] * len(names) for _ in names]
    for pair in span["strict"]["pairs"]:
        a, b = names.index(pair["a"]), names.index(pair["b"])
        grid[a][b] = grid[b][a] = pair.get("value")
    confusion = report["disagreements"]["confusion"]
    disagreements = report["disagreements"]
    charts_html = [
        charts.interval_bars(strict_rows, "Strict span F1 per label, with 95% intervals"),
        charts.interval_bars(alpha_rows, "Krippendorff's alpha_U per label, with 95% intervals"),
        charts.heatmap(grid, names, names, "Strict span F1 between annotators", unit=True),
        charts.heatmap(confusion["matrix"], confusion["rows"], confusion["columns"], "Label confusion", unit=False),
        charts.stacked_bars(
            [(label, disagreements["per_label"][label]) for label in labels], "How spans were seen, per label"
        ),
        charts.stacked_bars(
            [(row["annotator"], row) for row in disagreements["per_annotator"]], "How spans were seen, per annotator"
        ),
    ]
    for name, figures in report.get("choices", {}).items():
        alpha = figures["alpha"]
        rows = [("all", alpha.get("value"), *_bounds(alpha["ci95"]))]
        rows += [(option, entry.get("value"), None, None) for option, entry in list(figures["per_option"].items())[:20]]
        charts_html.append(charts.interval_bars(rows, f"{name}: Krippendorff's alpha (document level)"))
    parts.append('<div class="charts">' + "".join(f"<figure>{svg}</figure>" for svg in charts_html) + "</div>")
    lowest = dict(disagreements, lowest_articles=disagreements["lowest_articles"][:DEFAULT_LOWEST_SHOWN])
    tables = [span_table(report), pair_table(report), judgement_table(lowest), confusion_table(lowest)]
    tables += choice_tables(report)
    parts.append('<details class="tables"><summary>Tables</summary>' + "".join(map(table_html, tables)) + "</details>")
    excluded = {reason: count for reason, count in report["records"]["excluded"].items() if count}
    if excluded:
        text = ", ".join(f"{reason} {count}" for reason, count in excluded.items())
        parts.append(f'<p class="caption">Records left out of the comparison: {html.escape(text)}.</p>')
    return "\n".join(parts)


def _bounds(interval: dict[str, Any]) -> tuple[float | None, float | None]:
    return interval.get("low"), interval.get("high")
