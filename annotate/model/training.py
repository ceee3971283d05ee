"""Training a spaCy pipeline on the gold standard (or a release), on CPU, with spaCy's own loop and config.

The config is spaCy's own (``spacy init config``'s template for a blank English pipeline, efficiency
settings: a hash-embedding tok2vec, no pretrained vectors, nothing downloaded), with:

- ``ner`` when no article of the data has overlapping spans, ``spancat`` otherwise (its n-gram
  suggester reaches the longest span of the data, in spaCy tokens, at most ``MAX_SUGGESTED``);
- a fixed number of epochs (no early stopping, so nothing is chosen on the data it is scored on), the last
  model kept;
- ``system.seed`` = the seed given: spaCy fixes Python's, NumPy's and thinc's generators with it, so the same
  data, seed and settings give the same weights.

Evaluation, before the model that is kept is trained on everything:

- from a release, the model trained on its ``train`` (and ``validation``) split is scored on its ``test``
  split;
- from the gold, by k-fold cross-validation: the articles are dealt into k folds by a salted hash of their
  id, each fold scored by a model trained on the others, the folds' counts summed.
"""

from __future__ import annotations

import hashlib
import io
import itertools
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from annotate import defaults
from annotate.errors import AnnotateError, Messages
from annotate.model.data import GOLD, SPANS_KEY, TrainingData, gold_data, release_data
from annotate.model.evaluation import evaluate
from annotate.model.predict import predict_docs, require_spacy
from annotate.schema import load_schema
from annotate.spans import Span
from annotate.workspace import Workspace

MAX_SUGGESTED = 12  # spancat's longest n-gram, in tokens
FOLD_SALT = "annotate-kfold"


@dataclass
class TrainSettings:
    """How a model is trained: the defaults make a small model that trains in seconds on a few hundred articles."""

    seed: int = defaults.TRAIN_SEED
    epochs: int = defaults.TRAIN_EPOCHS
    width: int = 96  # tok2vec width
    depth: int = 4  # tok2vec depth (convolution layers)
    folds: int = defaults.TRAIN_FOLDS
    beam_width: int = 8  # ner: the beam trained with (predictions are scored with a beam of predict.BEAM_WIDTH)
    architecture: str | None = None  # "ner" | "spancat"; None: from the data


@dataclass
class TrainSummary:
    name: str
    path: str
    model_version: str
    architecture: str
    labels: list[str]
    data: dict[str, Any]
    evaluation: dict[str, Any]
    settings: dict[str, Any]
    epochs_seconds: list[float] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- documents --------------------------------------------------------------------------------------


def read_docs(data: bytes) -> list[Any]:
    from spacy.tokens import DocBin
    from spacy.vocab import Vocab

    return list(DocBin(store_user_data=True).from_bytes(data).get_docs(Vocab()))


def doc_spans(doc: Any) -> list[Span]:
    """Every gold span of an exported doc (``doc.spans["sc"]``, overlaps included)."""
    return sorted(Span(span.start_char, span.end_char, span.label_) for span in doc.spans.get(SPANS_KEY, []))


def has_overlaps(docs: Sequence[Any]) -> bool:
    for doc in docs:
        spans = doc_spans(doc)
        if any(a.end > b.start for a, b in itertools.pairwise(spans)):  # sorted by start: neighbours suffice
            return True
    return False


def longest_span_tokens(docs: Sequence[Any]) -> int:
    """The most spaCy tokens (of a blank English tokenizer) a gold span covers."""
    import spacy

    nlp = spacy.blank("en")
    longest = 1
    for doc in docs:
        ours = nlp.make_doc(doc.text)
        for span in doc_spans(doc):
            covered = ours.char_span(span.start, span.end, alignment_mode="expand")
            if covered is not None:
                longest = max(longest, len(covered))
    return min(longest, MAX_SUGGESTED)


def folds_of(docs: Sequence[Any], folds: int) -> list[list[int]]:
    """Indices of ``docs`` dealt into ``folds`` folds by a salted hash of their article id (stable)."""

    def key(index: int) -> str:
        article = docs[index].user_data.get("article_id", str(index))
        return hashlib.sha256(f"{FOLD_SALT}:{article}".encode()).hexdigest()

    order = sorted(range(len(docs)), key=key)
    return [order[fold::folds] for fold in range(folds)]


# -- the config and one training run -----------------------------------------------------------------


def training_config(architecture: str, settings: TrainSettings, max_span_tokens: int = 3) -> Any:
    """spaCy's own config for a blank English ``tok2vec`` + ``ner`` or ``spancat`` pipeline (see the docstring)."""
    from spacy.cli.init_config import init_config

    config = init_config(lang="en", pipeline=[architecture], optimize="efficiency", gpu=False)
    config["system"]["seed"] = settings.seed
    config["nlp"]["batch_size"] = 64
    training = config["training"]
    training.update(max_epochs=settings.epochs, max_steps=0, patience=0, eval_frequency=10**9)
    training["logger"] = {"@loggers": "spacy.ConsoleLogger.v1", "progress_bar": False}
    encode = config["components"]["tok2vec"]["model"]["encode"]
    encode.update(width=settings.width, depth=settings.depth)
    if architecture == "ner":
        # the beam-trained parser: its beam search's marginals are what scores an entity (annotate.model.predict)
        config["components"]["ner"].update(
            factory="beam_ner", beam_width=settings.beam_width, beam_density=0.0001, beam_update_prob=1.0
        )
    if architecture == "spancat":
        component = config["components"]["spancat"]
        component["spans_key"] = SPANS_KEY
        component["suggester"] = {
            "@misc": "spacy.ngram_range_suggester.v1",
            "min_size": 1,
            "max_size": max_span_tokens,
        }
    return config


def train_pipeline(config: Any, train_docs: bytes, epoch_done: Callable[[float], None] | None = None) -> Any:
    """Train a pipeline from ``config`` on the DocBin ``train_docs``; the last model after the set epochs.

    ``epoch_done(seconds)`` hears of each epoch's time (read in spaCy's ``before_update`` hook)."""
    from spacy.training.initialize import init_nlp
    from spacy.training.loop import train

    with tempfile.TemporaryDirectory(prefix="annotate-train-") as folder:
        path = Path(folder) / "train.spacy"
        path.write_bytes(train_docs)
        config = config.copy()
        config["paths"]["train"] = str(path)
        config["paths"]["dev"] = str(path)  # the loop needs one; never used to choose (eval_frequency is huge)
        config["training"]["before_update"] = {"@callbacks": _epoch_hook_name()}
        nlp = init_nlp(config)
        clock = _EpochClock(epoch_done)
        _CLOCK[0] = clock
        quiet = io.StringIO()
        nlp, _ = train(nlp, None, stdout=quiet, stderr=quiet)
        clock.finish()
    nlp.config["training"]["before_update"] = None  # the saved config names nothing of ours
    return nlp


class _EpochClock:
    def __init__(self, told: Callable[[float], None] | None):
        self.told, self.epoch, self.started = told, 0, time.perf_counter()

    def __call__(self, nlp: Any, info: dict[str, Any]) -> None:
        if info["epoch"] != self.epoch:
            self.finish()
            self.epoch = info["epoch"]

    def finish(self) -> None:
        now = time.perf_counter()
        if self.told:
            self.told(now - self.started)
        self.started = now


_CLOCK: list[Callable[[Any, dict[str, Any]], None]] = [lambda nlp, info: None]


def _epoch_hook_name() -> str:
    """spaCy's loop resolves ``training.before_update`` from its registry: ours is registered once, and
    calls the clock of the run in progress."""
    from spacy.util import registry

    name = "annotate.epoch_clock.v1"
    if name not in registry.callbacks:
        registry.callbacks.register(name, func=lambda: lambda nlp, info: _CLOCK[0](nlp, info))
    return name


# -- the stage --------------------------------------------------------------------------------------


def choose_architecture(docs: Sequence[Any], asked: str | None) -> str:
    if asked is not None:
        if asked not in ("ner", "spancat"):
            raise AnnotateError(Messages.MODEL_BAD_ARCHITECTURE, architecture=asked)
        return asked
    return "spancat" if has_overlaps(docs) else "ner"


def cross_validate(docs: list[Any], config: Any, folds: int, labels: list[str]) -> dict[str, Any]:
    """k-fold figures over ``docs`` (see the module's docstring)."""
    from spacy.tokens import DocBin

    folds = min(folds, len(docs))
    pairs: list[tuple[list[Span], list[Span]]] = []
    for held_out in folds_of(docs, folds):
        held = set(held_out)
        train_bin = DocBin(store_user_data=True, docs=[doc for index, doc in enumerate(docs) if index not in held])
        nlp = train_pipeline(config, train_bin.to_bytes())
        test = [docs[index] for index in held_out]
        predicted = predict_docs(nlp, [doc.text for doc in test])
        pairs += [([s.span for s in found], doc_spans(doc)) for found, doc in zip(predicted, test, strict=True)]
    return {"method": f"{folds}-fold cross-validation over the gold", "articles": len(docs), **evaluate(pairs, labels)}


def test_split(nlp: Any, test_docs: list[Any], labels: list[str]) -> dict[str, Any]:
    predicted = predict_docs(nlp, [doc.text for doc in test_docs])
    pairs = [([s.span for s in found], doc_spans(doc)) for found, doc in zip(predicted, test_docs, strict=True)]
    return {"method": "the release's test split", "articles": len(test_docs), **evaluate(pairs, labels)}


def train(
    workspace: Workspace,
    source: str = GOLD,
    out: Path | str | None = None,
    settings: TrainSettings | None = None,
    progress: Callable[[str], None] | None = None,
) -> TrainSummary:
    """Train a model on ``source`` (``"gold"`` or a release version), evaluate it, write it with its card.

    ``out`` defaults to ``models/<workspace name>-<architecture>``; a relative ``out`` is in the workspace (where
    ``model:PATH`` looks first). ``progress(message)`` hears of each run.
    """
    require_spacy()
    from spacy.tokens import DocBin

    from annotate.model.card import model_version, write_card

    settings = settings or TrainSettings()
    if settings.epochs < 1 or settings.folds < 2:
        raise AnnotateError(Messages.MODEL_BAD_SETTINGS, epochs=settings.epochs, folds=settings.folds)
    schema = load_schema(workspace.schema_path)
    labels = schema.label_names
    data: TrainingData = gold_data(workspace) if source == GOLD else release_data(workspace, source)
    if source == GOLD:
        docs = read_docs(data.splits["all"])
        train_bytes = data.splits["all"]
    else:
        parts = [data.splits[split] for split in ("train", "validation") if split in data.splits]
        docs = [doc for part in parts for doc in read_docs(part)]
        train_bytes = DocBin(store_user_data=True, docs=docs).to_bytes()
    if not any(doc_spans(doc) for doc in docs):
        raise AnnotateError(Messages.MODEL_NO_SPANS, source=source)
    architecture = choose_architecture(docs, settings.architecture)
    config = training_config(architecture, settings, longest_span_tokens(docs))
    tell = progress or (lambda message: None)
    if source == GOLD:
        if len(docs) < 2:
            raise AnnotateError(Messages.MODEL_TOO_FEW, articles=len(docs))
        tell(f"cross-validating over {len(docs)} gold article(s), {min(settings.folds, len(docs))} folds")
        figures = cross_validate(docs, config, settings.folds, labels)
    else:
        figures = None
    epochs: list[float] = []
    tell(f"training the {architecture} model on {len(docs)} article(s), {settings.epochs} epoch(s)")
    nlp = train_pipeline(config, train_bytes, lambda seconds: epochs.append(round(seconds, 3)))
    if figures is None:
        test_docs = read_docs(data.splits["test"]) if "test" in data.splits else []
        if not test_docs:
            figures = {"method": "none: the release has no test split", "articles": 0}
        else:
            figures = test_split(nlp, test_docs, labels)
    name = Path(out).name if out else f"{workspace.config['name']}-{architecture}"
    folder = workspace.root / Path(out) if out else workspace.root / "models" / name  # an absolute out stays
    nlp.meta.update(name=name.replace("-", "_"), version="0.0.0", description=f"annotate model {name}")
    summary = TrainSummary(
        name=name,
        path=workspace.relative(folder),
        model_version="",
        architecture=architecture,
        labels=[label for label in labels if label in nlp.get_pipe(architecture).labels],
        data=data.describe(),
        evaluation=figures,
        settings=asdict(settings) | {"architecture": architecture},
        epochs_seconds=epochs,
    )
    summary.model_version = model_version(name, nlp)
    write_card(folder, nlp, summary, schema)
    return summary
