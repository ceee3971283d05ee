"""Pictures of an agreement report: the annotator-pair heatmap and the label confusion matrix, as PNG.

matplotlib is imported here, when a picture is asked for, not when the report is computed.
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import numpy as np

from annotate.errors import AnnotateError, ExitCode, Messages


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
