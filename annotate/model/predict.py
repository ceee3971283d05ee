"""A trained model's spans with a score each: what pre-annotation, scoring and the ML backend ask of it.

A pipeline is loaded from ``models/NAME/pipeline`` (spaCy's own format) with the card's ``meta.json`` beside
it. Scores:

- ``spancat``: the classifier's probability of the span's label (spans at or above the threshold kept);
- ``ner``: the greedy parser's entities, each scored by its **beam marginal**: the probability mass of the
  parses in a beam search (width ``BEAM_WIDTH``) that contain exactly that entity (spaCy's
  ``EntityRecognizer.scored_ents``). A confident entity scores near 1; one the parser hesitates over, lower.

Offsets are the character offsets of spaCy's tokens in the text given (code points, end exclusive).
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NamedTuple

from annotate.errors import AnnotateError, ExitCode, Messages

BEAM_WIDTH = 16
META = "meta.json"
PIPELINE = "pipeline"


class ScoredSpan(NamedTuple):
    start: int
    end: int
    label: str
    score: float

    @property
    def span(self):
        from annotate.spans import Span

        return Span(self.start, self.end, self.label)


def require_spacy() -> None:
    try:
        import spacy  # noqa: F401
    except ImportError:
        raise AnnotateError(Messages.MISSING_PACKAGE, ExitCode.ENVIRONMENT, package="spacy") from None


def predict_docs(nlp: Any, texts: Sequence[str], batch_size: int = 32) -> list[list[ScoredSpan]]:
    """The scored spans of each text, by the pipeline's span component (``ner`` or ``spancat``), each
    trimmed of white space at its edges (spaCy makes a line break a token, and a span may end on it)."""
    texts = list(texts)
    if "spancat" in nlp.pipe_names:
        found = [_spancat_spans(doc) for doc in nlp.pipe(texts, batch_size=batch_size)]
    else:
        found = []
        for begin in range(0, len(texts), batch_size):
            found += _ner_spans(nlp, texts[begin : begin + batch_size])
    return [_trimmed(text, spans) for text, spans in zip(texts, found, strict=True)]


def _trimmed(text: str, spans: list[ScoredSpan]) -> list[ScoredSpan]:
    kept = []
    for span in spans:
        covered = text[span.start : span.end]
        start = span.start + len(covered) - len(covered.lstrip())
        end = span.end - (len(covered) - len(covered.rstrip()))
        if start < end:
            kept.append(span._replace(start=start, end=end))
    return sorted(set(kept))


def _spancat_spans(doc: Any) -> list[ScoredSpan]:
    group = doc.spans.get("sc")
    if group is None or not len(group):
        return []
    scores = group.attrs.get("scores")
    found = []
    for index, span in enumerate(group):
        score = float(scores[index]) if scores is not None else 1.0
        found.append(ScoredSpan(span.start_char, span.end_char, span.label_, round(score, 4)))
    return sorted(found)


def _ner_spans(nlp: Any, texts: list[str]) -> list[list[ScoredSpan]]:
    """Greedy entities, each with its beam marginal (see the module's docstring)."""
    docs = [nlp.make_doc(text) for text in texts]
    ner = nlp.get_pipe("ner")
    for name, component in nlp.pipeline:
        if name != "ner":
            docs = list(component.pipe(docs))
    marginals = ner.scored_ents(ner.beam_parse(docs, beam_width=BEAM_WIDTH))
    ner.set_annotations(docs, ner.predict(docs))
    found = []
    for doc, scores in zip(docs, marginals, strict=True):
        found.append(
            sorted(
                ScoredSpan(
                    ent.start_char,
                    ent.end_char,
                    ent.label_,
                    round(min(1.0, scores.get((ent.start, ent.end, ent.label_), 0.0)), 4),
                )
                for ent in doc.ents
            )
        )
    return found


@dataclass
class Model:
    """A trained model as the stages after training use it."""

    path: Path
    nlp: Any
    meta: dict[str, Any]

    @property
    def version(self) -> str:
        return self.meta["model_version"]

    @property
    def labels(self) -> list[str]:
        return list(self.meta["labels"])

    def predict(self, texts: Iterable[str]) -> list[list[ScoredSpan]]:
        return predict_docs(self.nlp, list(texts))


def load_model(path: Path | str) -> Model:
    """A model folder written by ``annotate train`` (its ``meta.json`` and ``pipeline/``)."""
    require_spacy()
    import spacy

    path = Path(path)
    meta_path = path / META
    if not meta_path.exists() or not (path / PIPELINE).is_dir():
        raise AnnotateError(Messages.MODEL_MISSING, path=path)
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return Model(path, spacy.load(path / PIPELINE), meta)
