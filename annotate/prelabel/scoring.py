"""Scoring the pre-annotator: precision, recall and F1 of its spans against reference spans.

``evaluate`` counts on plain data (predicted and reference spans per article); ``score`` reads a
reference file (``corpus/reference/spans.jsonl`` by default), checks each line against the corpus
text and runs the rules (``annotate.prelabel.rules``) on the articles it names.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from annotate.errors import AnnotateError, Messages
from annotate.prelabel.rules import LABELS, RULES_VERSION
from annotate.spans import Span
from annotate.workspace import Workspace, read_jsonl

# ---------------------------------------------------------------------------------------------
# Evaluation
# ---------------------------------------------------------------------------------------------


def _ratio(numerator: int, denominator: int) -> float | None:
    return numerator / denominator if denominator else None


def scores(tp: int, fp: int, fn: int) -> dict:
    """Precision, recall and F1 of the counts (None where a denominator is zero), with the counts."""
    return {
        "precision": _ratio(tp, tp + fp),
        "recall": _ratio(tp, tp + fn),
        # 2tp / (2tp + fp + fn), the harmonic mean of P and R written so that it is defined (0.0)
        # when P is undefined but gold spans were all missed; None only when there is nothing at all.
        "f1": _ratio(2 * tp, 2 * tp + fp + fn),
        "tp": tp,
        "fp": fp,
        "fn": fn,
    }


Matches = Callable[[set[Span], set[Span]], Counter]


def strict_matches(predicted: set[Span], gold: set[Span]) -> Counter[str]:
    """Per label, how many predicted spans have a gold span of the same start, end and label."""
    return Counter(span.label for span in predicted & gold)


def evaluate(
    pairs: Iterable[tuple[Sequence[Span], Sequence[Span]]],
    labels: Sequence[str] = LABELS,
    matches: Matches = strict_matches,
) -> dict:
    """Precision/recall/F1 of predicted vs gold spans, a predicted span right when ``matches`` pairs it with a
    gold span (by default strictly: same start, end and label). pairs yields (predicted, gold) per article.
    Returns {"micro": {"precision", "recall", "f1", "tp", "fp", "fn"},
     "per_label": {label: {...same keys...}}}. A figure with a zero denominator is None (never a silent 0).

    ``per_label`` always has ``labels`` (the rules' four by default), plus any other label seen.  Spans may be
    ``Span`` or plain ``(start, end, label)`` tuples; a span repeated within one article counts once.
    """
    counts = {label: [0, 0, 0] for label in labels}  # tp, fp, fn
    for predicted, gold in pairs:
        predicted_set = {Span(*span[:3]) for span in predicted}
        gold_set = {Span(*span[:3]) for span in gold}
        matched = matches(predicted_set, gold_set)
        for label, number in Counter(span.label for span in predicted_set).items():
            row = counts.setdefault(label, [0, 0, 0])
            row[0] += matched[label]
            row[1] += number - matched[label]
        for label, number in Counter(span.label for span in gold_set).items():
            counts.setdefault(label, [0, 0, 0])[2] += number - matched[label]
    totals = [sum(column) for column in zip(*counts.values(), strict=True)] if counts else [0, 0, 0]
    return {
        "micro": scores(*totals),
        "per_label": {label: scores(*numbers) for label, numbers in counts.items()},
    }


# ---------------------------------------------------------------------------------------------
# Scoring against gold on disk
# ---------------------------------------------------------------------------------------------


def score(workspace: Workspace, gold_path: Path, prelabel: str = "rules") -> dict:
    """A pre-annotator's precision and recall against the gold spans in ``gold_path``.

    ``prelabel`` names it as ``annotate.prelabel.annotators`` does: ``rules``, ``model:PATH``,
    ``rules+model:PATH``. A gold line is ``{"article_id": ..., "spans": [{"start", "end", "label", "text"?}, ...]}``.
    Gold is small and read whole; the corpus is streamed. A malformed line, an article not in the
    corpus or offsets that do not fit the text stop with one line naming the file and the line.
    Returns ``evaluate()``'s figures (per label: the pre-annotator's labels and the schema's) plus
    ``articles`` scored, ``rules_version``, ``prelabel``, ``model_version`` and ``gold``.
    """
    from annotate.prelabel.annotators import pre_annotator
    from annotate.schema import load_schema

    schema = load_schema(workspace.schema_path)
    annotator = pre_annotator(prelabel, schema, workspace.root)
    gold = _read_reference_spans(gold_path)
    texts, references = [], []
    for article in workspace.read_articles():
        if article["id"] in gold:
            line, raw_spans = gold.pop(article["id"])
            references.append(_gold_spans(gold_path, line, article, raw_spans))
            texts.append(article["text"])
    if gold:
        article_id, (line, _) = next(iter(gold.items()))
        raise _bad_gold(gold_path, line, f"article '{article_id}' is not in the corpus", "Add it, or remove the line.")
    labels = list(dict.fromkeys([*annotator.labels, *schema.label_names]))
    figures = evaluate(zip(annotator.spans(texts), references, strict=True), labels)
    return {
        "gold": workspace.relative(gold_path),
        "articles": len(texts),
        "rules_version": RULES_VERSION,
        "prelabel": annotator.spec,
        "model_version": annotator.version,
        **figures,
    }


def _read_reference_spans(path: Path) -> dict[str, tuple[int, list]]:
    """``article_id -> (line number, raw spans)`` of a reference spans file (the gold the rules are scored on)."""
    gold: dict[str, tuple[int, list]] = {}
    for line, record in enumerate(read_jsonl(path), start=1):
        if not isinstance(record, dict) or not isinstance(record.get("spans"), list):
            raise _bad_gold(path, line, 'expected {"article_id": ..., "spans": [...]}', "Fix the record.")
        gold[str(record.get("article_id"))] = (line, record["spans"])
    return gold


def _gold_spans(path: Path, line: int, article: dict, raw_spans: list) -> list[Span]:
    """The spans of one gold line, each checked against the article's text."""
    text = article["text"]
    spans = []
    for index, raw in enumerate(raw_spans):
        try:
            span = Span(int(raw["start"]), int(raw["end"]), str(raw["label"]))
        except (KeyError, TypeError, ValueError):
            raise _bad_gold(path, line, f"spans[{index}] needs integer start and end and a label", "Fix it.") from None
        fits = 0 <= span.start < span.end <= len(text)
        if not fits or raw.get("text", span.text_in(text)) != span.text_in(text):
            problem = f"spans[{index}] [{span.start}:{span.end}] does not fit the text of article {article['id']}"
            raise _bad_gold(path, line, problem, "Offsets are code points into the corpus text, end exclusive.")
        spans.append(span)
    return spans


def _bad_gold(path: Path, line: int, problem: str, fix: str) -> AnnotateError:
    return AnnotateError(Messages.GOLD_BAD_RECORD, path=path, line=line, problem=problem, fix=fix)
