"""The pre-annotators tasks and scoring can use, named the way the command line names them.

- ``rules``: the rule-based pre-annotator of this package (the four labels of the bundled schema; no score);
- ``model:PATH``: a model trained by ``annotate train`` (any schema's labels; a score per region);
- ``rules+model:PATH``: the rules' spans, and the model's where they mark nothing: a model span is kept
  when it overlaps no rule span, so the transparent rules win where both speak and the model fills in what
  they do not know (other labels, other phrasings).

A pre-annotator's ``version`` is what the predictions carry as ``model_version``, so ``annotate status``
can tell the acceptance of one from another's.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from annotate.errors import AnnotateError, Messages
from annotate.prelabel.rules import LABELS, RULES_VERSION
from annotate.schema import Schema
from annotate.spans import Span

RULES = "rules"
MODEL = "model:"
RULES_AND_MODEL = "rules+model:"


@dataclass(frozen=True)
class Suggestion:
    """A predicted span and the pre-annotator's confidence in it (None: the rules give none)."""

    span: Span
    score: float | None = None


@dataclass
class PreAnnotator:
    spec: str
    version: str
    labels: list[str]  # the labels it can mark
    predict: Callable[[Sequence[str]], list[list[Suggestion]]]  # texts -> suggestions per text

    def spans(self, texts: Sequence[str]) -> list[list[Span]]:
        return [[suggestion.span for suggestion in found] for found in self.predict(texts)]


def rules_version(schema: Schema) -> str:
    """Names the rules and the schema the pre-annotations were made with."""
    return f"annotate-{RULES_VERSION}/{schema.id}"


def _rules(texts: Sequence[str]) -> list[list[Suggestion]]:
    from annotate import prelabel as package  # looked up when called: ``annotate.prelabel.prelabel`` is the rules

    return [[Suggestion(span) for span in package.prelabel(text)] for text in texts]


def rules_annotator(schema: Schema) -> PreAnnotator:
    return PreAnnotator(RULES, rules_version(schema), list(LABELS), _rules)


def check_model_labels(model, schema: Schema) -> None:
    """Refuse a model that marks labels the schema lacks (trained for another schema)."""
    missing = [label for label in model.labels if label not in schema.label_names]
    if missing:
        raise AnnotateError(
            Messages.MODEL_OTHER_SCHEMA,
            path=model.path,
            trained=model.meta.get("schema"),
            schema=schema.id,
            missing=", ".join(missing),
        )


def model_annotator(path: Path, schema: Schema, shown: str | None = None) -> PreAnnotator:
    from annotate.model.predict import load_model

    model = load_model(path)
    check_model_labels(model, schema)

    def predict(texts: Sequence[str]) -> list[list[Suggestion]]:
        return [[Suggestion(s.span, s.score) for s in found] for found in model.predict(texts)]

    return PreAnnotator(f"{MODEL}{shown or path}", model.version, model.labels, predict)


def combined(rules: PreAnnotator, model: PreAnnotator) -> PreAnnotator:
    """The rules' suggestions, then the model's that overlap none of them (see the module's docstring)."""

    def predict(texts: Sequence[str]) -> list[list[Suggestion]]:
        merged = []
        for by_rules, by_model in zip(rules.predict(texts), model.predict(texts), strict=True):
            kept = [s for s in by_model if not any(s.span.overlaps(r.span) for r in by_rules)]
            merged.append(sorted([*by_rules, *kept], key=lambda s: s.span))
        return merged

    labels = [*rules.labels, *(label for label in model.labels if label not in rules.labels)]
    return PreAnnotator(
        f"{RULES_AND_MODEL}{model.spec[len(MODEL) :]}", f"{rules.version}+{model.version}", labels, predict
    )


def model_path(text: str | Path, root: Path | None = None) -> Path:
    """A model's folder: a relative path is looked for in the workspace ``root`` first, then where the command
    runs."""
    path = Path(text)
    if root is not None and not path.is_absolute() and (root / path).exists():
        return root / path
    return path


def pre_annotator(spec: str, schema: Schema, root: Path | None = None) -> PreAnnotator:
    """The pre-annotator ``spec`` names (``rules``, ``model:PATH``, ``rules+model:PATH``); a relative PATH is
    found by ``model_path``."""
    if spec == RULES:
        return rules_annotator(schema)
    if spec.startswith(MODEL) and len(spec) > len(MODEL):
        return model_annotator(model_path(spec[len(MODEL) :], root), schema, spec[len(MODEL) :])
    if spec.startswith(RULES_AND_MODEL) and len(spec) > len(RULES_AND_MODEL):
        model = model_annotator(model_path(spec[len(RULES_AND_MODEL) :], root), schema, spec[len(RULES_AND_MODEL) :])
        return combined(rules_annotator(schema), model)
    raise AnnotateError(Messages.PRELABEL_UNKNOWN, spec=spec)
