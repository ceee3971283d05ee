"""The overview's charts as inline SVG text: no script, no font file, no network; every text escaped.

Small hand-written SVG rather than matplotlib's (which embeds glyph paths, tens of kilobytes a chart):
bars with their 95% intervals, heatmaps, stacked bars. Each reads figures of the report; none computes one.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from html import escape

KIND_COLOURS = {
    "matched": "#4c9a2a",
    "label": "#e4a01b",
    "boundary": "#3b7dd8",
    "label_and_boundary": "#9b59b6",
    "miss": "#d0453a",
}
KIND_NAMES = {
    "matched": "matched",
    "label": "label",
    "boundary": "boundary",
    "label_and_boundary": "both",
    "miss": "miss",
}
FONT = 'font-family="system-ui, sans-serif" font-size="12"'


def _svg(width: float, height: float, body: list[str], title: str) -> str:
    return (
        f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" role="img" viewBox="0 0 {width:.0f} {height:.0f}" '
        f'width="{width:.0f}" height="{height:.0f}" {FONT}><title>{escape(title)}</title>' + "".join(body) + "</svg>"
    )


def _text(x: float, y: float, text: str, anchor: str = "start", **attributes: str) -> str:
    extra = "".join(f' {key.replace("_", "-")}="{escape(value)}"' for key, value in attributes.items())
    return f'<text x="{x:.1f}" y="{y:.1f}" text-anchor="{anchor}"{extra}>{escape(text)}</text>'


def interval_bars(rows: Sequence[tuple[str, float | None, float | None, float | None]], title: str) -> str:
    """Horizontal bars on [0, 1] (alpha can be negative: clipped at 0, the value still written), each
    with its 95% interval as a whisker; ``rows``: (name, value, low, high), None where undefined."""
    left, width, row = 140, 300, 26
    height = 30 + row * len(rows) + 20
    body = [_text(0, 14, title, font_weight="bold")]
    for tick in (0, 0.25, 0.5, 0.75, 1):
        x = left + tick * width
        body.append(f'<line x1="{x:.1f}" y1="22" x2="{x:.1f}" y2="{height - 18}" stroke="#ddd"/>')
        body.append(_text(x, height - 4, f"{tick:g}", "middle", fill="#666"))
    for index, (name, value, low, high) in enumerate(rows):
        y = 26 + index * row
        body.append(_text(left - 6, y + 14, name, "end"))
        if value is None or not math.isfinite(value):
            body.append(_text(left + 4, y + 14, "n/a", fill="#888"))
            continue
        bar = max(0.0, min(1.0, value)) * width
        body.append(f'<rect x="{left}" y="{y + 3}" width="{bar:.1f}" height="16" fill="#5b8fd1"/>')
        if low is not None and high is not None:
            x1, x2 = (left + max(0.0, min(1.0, v)) * width for v in (low, high))
            body.append(
                f'<line x1="{x1:.1f}" y1="{y + 11}" x2="{x2:.1f}" y2="{y + 11}" stroke="#222" stroke-width="1.5"/>'
            )
            for x in (x1, x2):
                body.append(f'<line x1="{x:.1f}" y1="{y + 6}" x2="{x:.1f}" y2="{y + 16}" stroke="#222"/>')
        body.append(_text(left + width + 8, y + 14, f"{value:.3f}"))
    return _svg(left + width + 60, height, body, title)


def heatmap(
    grid: Sequence[Sequence[float | None]], rows: Sequence[str], columns: Sequence[str], title: str, unit: bool
) -> str:
    """A matrix of cells shaded by value (``unit``: on [0, 1], two decimals; else counts, by the largest)."""
    cell, left, top = 54, 120, 100
    finite = [v for line in grid for v in line if v is not None and math.isfinite(v)]
    top_value = 1.0 if unit else max(finite, default=0) or 1
    body = [_text(0, 14, title, font_weight="bold")]
    for j, name in enumerate(columns):
        x = left + j * cell + cell / 2
        body.append(_text(x, top - 8, name, "start", transform=f"rotate(-40 {x:.1f} {top - 8})"))
    for i, name in enumerate(rows):
        y = top + i * cell
        body.append(_text(left - 6, y + cell / 2 + 4, name, "end"))
        for j, value in enumerate(grid[i]):
            x = left + j * cell
            if value is None or not math.isfinite(value):
                body.append(f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" fill="#f2f2f2" stroke="#fff"/>')
                body.append(_text(x + cell / 2, y + cell / 2 + 4, "–", "middle", fill="#999"))
                continue
            share = max(0.0, min(1.0, value / top_value))
            light = 95 - 60 * share
            body.append(
                f'<rect x="{x}" y="{y}" width="{cell}" height="{cell}" '
                f'fill="hsl(210, 60%, {light:.0f}%)" stroke="#fff"/>'
            )
            text = f"{value:.2f}" if unit else f"{value:.0f}"
            body.append(_text(x + cell / 2, y + cell / 2 + 4, text, "middle", fill="#fff" if light < 60 else "#111"))
    return _svg(left + cell * len(columns) + 20, top + cell * len(rows) + 10, body, title)


def stacked_bars(rows: Sequence[tuple[str, dict[str, int]]], title: str) -> str:
    """One bar per row, split into the disagreement kinds (``KIND_COLOURS`` order) as shares of its total."""
    left, width, row = 140, 300, 24
    height = 30 + row * len(rows) + 30
    body = [_text(0, 14, title, font_weight="bold")]
    for index, (name, counts) in enumerate(rows):
        y = 24 + index * row
        body.append(_text(left - 6, y + 14, name, "end"))
        total = sum(counts.get(kind, 0) for kind in KIND_COLOURS)
        x = float(left)
        for kind, colour in KIND_COLOURS.items():
            count = counts.get(kind, 0)
            if not total or not count:
                continue
            size = width * count / total
            body.append(
                f'<rect x="{x:.1f}" y="{y + 3}" width="{size:.1f}" height="16" fill="{colour}">'
                f"<title>{escape(f'{name}: {KIND_NAMES[kind]} {count}')}</title></rect>"
            )
            x += size
        body.append(_text(left + width + 8, y + 14, str(total)))
    legend_y = height - 10
    x = left
    for kind, colour in KIND_COLOURS.items():
        body.append(f'<rect x="{x}" y="{legend_y - 10}" width="10" height="10" fill="{colour}"/>')
        body.append(_text(x + 14, legend_y, KIND_NAMES[kind]))
        x += 76
    return _svg(max(left + width + 60, x + 20), height, body, title)
