"""The model in the loop: a spaCy pipeline trained on the gold, pre-annotating the next round, served to Label Studio.

One layer per module: ``data`` (the gold or a release as spaCy DocBins, through the training-data export),
``training`` (spaCy's config and loop, cross-validation), ``evaluation`` (strict and overlap P/R/F1 per label),
``card`` (the model folder: pipeline, meta.json, README.md), ``predict`` (a loaded model's scored spans) and
``backend`` (Label Studio's ML backend API). spaCy is imported by the functions that need it (the ``model``
extra), never by importing this package.
"""

from annotate.model.predict import Model, ScoredSpan, load_model  # noqa: F401
from annotate.model.training import TrainSettings, TrainSummary, train  # noqa: F401
