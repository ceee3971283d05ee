"""The values the command line shows in its help before it imports any stage.

`annotate --help` and the light commands must start without the stages' libraries (the Label Studio SDK,
numpy, datasets, ...), yet their help shows these defaults; each stage takes its own from here, so the
help and the library cannot disagree. This module imports nothing.
"""

from __future__ import annotations

LABEL_STUDIO_URL_ENV = "LABEL_STUDIO_URL"
LABEL_STUDIO_API_KEY_ENV = "LABEL_STUDIO_API_KEY"
PUSH_BATCH_SIZE = 1000  # tasks per import request of `adjudicate push`
PUSH_BATCH_BYTES = 4_000_000  # JSON bytes per import request of `push`: 10,000 short reports in 3 requests
PULL_BATCH_SIZE = 400  # task ids per export request: the URL stays under 8 KB, which proxies accept
PULL_REQUESTS = 3  # export requests in flight at once: the server works while the last response is imported
AGREEMENT_RESAMPLES = 1000
AGREEMENT_SEED = 0
RELEASE_RATIOS = (0.8, 0.1, 0.1)
EXPORT_FORMATS = ("conll", "spacy", "jsonl")  # the keys of annotate.exports.FORMATS, in that order
EXPORT_GOLD = "gold"
TRAIN_SEED = 0
TRAIN_EPOCHS = 30  # passes over the training articles; fixed (no early stopping on the data scored)
TRAIN_FOLDS = 5  # k of the cross-validation over the gold when the model is not trained on a release
SERVE_PORT = 9090  # Label Studio's ML backends listen there by default
