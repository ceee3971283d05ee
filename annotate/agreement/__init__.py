"""Inter-annotator agreement, one layer per module:

- ``stats``: the statistics on plain data (Krippendorff's alpha, Fleiss' and Cohen's kappa, unitizing
  alpha, span F1), held against published tables and independent implementations in the tests;
- ``batches``: annotation records and articles, streamed into per-article sufficient statistics;
- ``choices``: document-level choices (Choices, Taxonomy): per control and per option, from those records;
- ``bootstrap``: 95% intervals by a cluster bootstrap over articles, on those sums;
- ``report``: every figure as one JSON-ready report, whose shape ``shape`` declares;
- ``format``: the one way the report is written for people (terminal and dataset card);
- ``drawing``: the report's pictures (PNG).

The public names are re-exported here: ``from annotate.agreement import krippendorff_alpha``.
"""

from annotate.agreement.batches import Measures, measure
from annotate.agreement.bootstrap import DEFAULT_RESAMPLES, DEFAULT_SEED, bootstrap
from annotate.agreement.drawing import draw_png
from annotate.agreement.report import (
    DEFAULT_LOWEST,
    EXCLUSIONS,
    NO_UNITS,
    NO_VARIATION,
    NONE_COLUMN,
    headline,
    report,
    saved_report,
    summarise,
)
from annotate.agreement.shape import CLASSES, Headline, Report, Summary
from annotate.agreement.stats import (
    LEVELS,
    Unit,
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    krippendorff_alpha_distance,
    masi_distance,
    span_f1,
    unitizing_alpha,
    unitizing_disagreements,
)

__all__ = [
    "CLASSES",
    "DEFAULT_LOWEST",
    "DEFAULT_RESAMPLES",
    "DEFAULT_SEED",
    "EXCLUSIONS",
    "LEVELS",
    "NONE_COLUMN",
    "NO_UNITS",
    "NO_VARIATION",
    "Headline",
    "Measures",
    "Report",
    "Summary",
    "Unit",
    "bootstrap",
    "cohen_kappa",
    "draw_png",
    "fleiss_kappa",
    "headline",
    "krippendorff_alpha",
    "krippendorff_alpha_distance",
    "masi_distance",
    "measure",
    "report",
    "saved_report",
    "span_f1",
    "summarise",
    "unitizing_alpha",
    "unitizing_disagreements",
]
