"""The model in the loop: a spaCy pipeline trained on the gold, pre-annotating the next round, served to Label Studio.

One layer per module: ``data`` (the gold or a release as spaCy DocBins, through the training-data export),
``training`` (spaCy's config and loop, cross-validation), ``evaluation`` (strict and overlap P/R/F1 per label),
``card`` (the model folder: pipeline, meta.json, README.md), ``predict`` (a loaded model's scored spans) and
``backend`` (Label Studio's ML backend API). spaCy is imported by the functions that need it (the ``model``
extra), never by importing this package.
"""

from __future__ import annotations

import importlib
from typing import Any

# Each name is imported from its module on first use (PEP 562): serving or pre-annotating with a model needs
# ``predict`` only, and ``training`` brings the training-data export (numpy, the exports) with it, ~0.4 s.
_MODULE_OF = {
    "Model": "predict",
    "ScoredSpan": "predict",
    "load_model": "predict",
    "TrainSettings": "training",
    "TrainSummary": "training",
    "train": "training",
}
__all__ = list(_MODULE_OF)


def __getattr__(name: str) -> Any:
    if name not in _MODULE_OF:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_MODULE_OF[name]}"), name)
