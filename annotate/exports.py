"""Training data from the gold standard (or from one annotator): CoNLL-2003, spaCy ``DocBin``, span JSONL.

Character offsets are the truth; tokens are BERT's pre-tokenization (``annotate.tokens``). Where a span
starts or ends inside a token, the token is cut there ("drones" with a span on "drone" becomes "drone" +
"s") and the cut is reported with the span's text, so the BIO view holds exactly the annotated characters
(Label Studio's converter tags the whole token instead, without a word). BIO tags hold one span per
token: where spans overlap, the one that starts first (then the longer) is kept in CoNLL and in spaCy's
``doc.ents``, and each one left out is reported; span JSONL and spaCy's ``doc.spans["sc"]`` keep them all.

A label may hold inner spaces ("armed group"): CoNLL's columns are split on white space, so its tags write
them as "_" (``B-armed_group``), reported once; spaCy and JSONL keep the label as it is. Span JSONL also
carries the document-level choices (``choices``: the gold's settled options, or the annotator's own) when
the schema has controls.

Formats come from a registry (``FORMATS``), as spaCy's converters do.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from annotate import defaults
from annotate.controls import SelectionError, check_options, sorted_values
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.gold import settled_options
from annotate.imports import LISTED
from annotate.records import collect_submitted
from annotate.schema import Schema, load_schema
from annotate.spans import Span
from annotate.tokens import non_overlapping, spans_to_bio_tags, split_tokens_at_spans, tokenize
from annotate.workspace import Workspace, atomic_write, jsonl_writer

GOLD = defaults.EXPORT_GOLD


@dataclass
class Document:
    """One article ready to write: its text, its spans, and its tokens cut at span boundaries."""

    article: dict[str, Any]
    spans: list[Span]
    tokens: list[tuple[int, int]]
    bio_tags: list[str]
    in_bio: list[Span]  # the spans the BIO tags (and spaCy's doc.ents) hold
    choices: dict[str, list[str]] | None = None  # control -> options (None: the schema has no controls)


@dataclass
class ExportSummary:
    format: str
    source: str
    path: str
    articles: int = 0
    tokens: int = 0
    spans: Counter = field(default_factory=Counter)
    cut_tokens: list[str] = field(default_factory=list)  # "article: span 'drone' (weapon) cuts token 'drones'"
    left_out_of_bio: list[str] = field(default_factory=list)
    held_back: int = 0  # gold articles with open conflicts, left out (see --include-conflicts)
    text_changed: int = 0  # records whose sha256 is not the corpus article's: offsets would point elsewhere
    not_in_corpus: int = 0
    records_left_out: Counter = field(default_factory=Counter)  # an annotator's unusable records, by reason
    unlisted: int = 0
    conll_labels: dict[str, str] = field(default_factory=dict)  # label -> how CoNLL tags write it, if not as is

    def note(self, kind: list[str], line: str) -> None:
        if len(self.cut_tokens) + len(self.left_out_of_bio) < LISTED:
            kind.append(line)
        else:
            self.unlisted += 1

    def as_dict(self) -> dict[str, Any]:
        return {
            "format": self.format,
            "source": self.source,
            "path": self.path,
            "articles": self.articles,
            "tokens": self.tokens,
            "spans": sum(self.spans.values()),
            "spans_by_label": dict(self.spans),
            "cut_tokens": self.cut_tokens,
            "left_out_of_bio": self.left_out_of_bio,
            "not_listed": self.unlisted,
            "held_back_with_conflicts": self.held_back,
            "skipped_text_changed": self.text_changed,
            "skipped_not_in_corpus": self.not_in_corpus,
            "records_left_out": dict(self.records_left_out),
            **({"conll_labels": self.conll_labels} if self.conll_labels else {}),
        }


# -- the writers ------------------------------------------------------------------------------------


def conll_label(label: str) -> str:
    """A label as a CoNLL tag holds it: its inner white space as "_" (the columns are split on white space)."""
    return re.sub(r"\s", "_", label)


def write_conll(documents: Iterable[Document], out: IO[bytes]) -> None:
    """CoNLL-2003 columns ``token -X- _ tag``; ``-DOCSTART-`` before each article, a blank line between
    the lines of its text (a line break inside a span does not end the block). A label's inner spaces
    are written as "_" (``conll_label``)."""
    for document in documents:
        text = document.article["text"]
        lines = ["-DOCSTART- -X- -X- O", ""]
        previous_end = None
        for (start, end), tag in zip(document.tokens, document.bio_tags, strict=True):
            if previous_end is not None and "\n" in text[previous_end:start] and not tag.startswith("I-"):
                lines.append("")
            lines.append(f"{text[start:end]} -X- _ {conll_label(tag)}")
            previous_end = end
        lines.append("")
        out.write(("\n".join(lines) + "\n").encode("utf-8"))


def write_jsonl(documents: Iterable[Document], out: IO[bytes]) -> None:
    """One article a line: ``{id, text, spans: [{start, end, label, text}], tokens: [{start, end}], meta}``
    -- the span JSONL that spaCy's and Prodigy's tools read, with every span kept."""
    writer = jsonl_writer(out)
    for document in documents:
        article, text = document.article, document.article["text"]
        writer.write(
            {
                "id": article["id"],
                "text": text,
                "spans": [{**span._asdict(), "text": span.text_in(text)} for span in document.spans],
                "tokens": [{"start": start, "end": end} for start, end in document.tokens],
                "meta": {key: article.get(key) for key in ("title", "source", "url", "published")},
                **({"choices": document.choices} if document.choices is not None else {}),
            }
        )


def write_spacy(documents: Iterable[Document], out: IO[bytes]) -> None:
    """A spaCy ``DocBin``: the text exactly (white space that is not one space becomes its own token, as
    spaCy does), non-overlapping spans as ``doc.ents``, all spans in ``doc.spans["sc"]``."""
    try:
        from spacy.tokens import Doc, DocBin
        from spacy.vocab import Vocab
    except ImportError:
        raise AnnotateError(Messages.MISSING_PACKAGE, ExitCode.ENVIRONMENT, package="spacy") from None
    vocab = Vocab()
    doc_bin = DocBin(store_user_data=True)
    for document in documents:
        text = document.article["text"]
        words, spaces = spacy_words(text, document.tokens)
        doc = Doc(vocab, words=words, spaces=spaces)
        doc.ents = [doc.char_span(s.start, s.end, label=s.label) for s in document.in_bio]
        doc.spans["sc"] = [doc.char_span(s.start, s.end, label=s.label) for s in document.spans]
        doc.user_data["article_id"] = document.article["id"]
        doc_bin.add(doc)
    out.write(doc_bin.to_bytes())


def spacy_words(text: str, tokens: list[tuple[int, int]]) -> tuple[list[str], list[bool]]:
    """spaCy's words and trailing-space flags for ``tokens`` of ``text``, so that ``doc.text == text``."""
    words: list[str] = []
    spaces: list[bool] = []
    for index, (start, end) in enumerate(tokens):
        words.append(text[start:end])
        gap = text[end : tokens[index + 1][0]] if index + 1 < len(tokens) else text[end:]
        spaces.append(gap.startswith(" "))
        rest = gap[1:] if gap.startswith(" ") else gap
        if rest:
            words.append(rest)
            spaces.append(False)
    return words, spaces


Writer = Callable[[Iterable[Document], IO[bytes]], None]
FORMATS: dict[str, tuple[str, Writer]] = {
    "conll": (".conll", write_conll),
    "spacy": (".spacy", write_spacy),
    "jsonl": (".jsonl", write_jsonl),
}


# -- the export -------------------------------------------------------------------------------------


def export(
    workspace: Workspace,
    format: str = "conll",
    source: str = GOLD,
    out: Path | str | None = None,
    include_conflicts: bool = False,
) -> ExportSummary:
    """Write the spans of ``source`` (``"gold"`` or an annotator's pseudonym) as training data.

    Articles come in corpus order. Gold articles with open conflicts are left out unless
    ``include_conflicts`` (then only their settled spans are written), and counted either way.
    """
    if format not in FORMATS:
        raise AnnotateError(Messages.TRAINING_UNKNOWN_FORMAT, format=format, known=", ".join(FORMATS))
    suffix, writer = FORMATS[format]
    path = Path(out) if out is not None else workspace.training_dir / f"{source}{suffix}"
    summary = ExportSummary(format=format, source=source, path=workspace.relative(path))
    schema = load_schema(workspace.schema_path)
    if format == "conll":
        summary.conll_labels = _conll_labels(schema.label_names)
    spans_by_article = _source_spans(workspace, schema, source, include_conflicts, summary)
    with atomic_write(path, "wb") as stream:
        writer(_documents(workspace, spans_by_article, summary), stream)
    summary.not_in_corpus = len(spans_by_article)
    return summary


def _conll_labels(labels: list[str]) -> dict[str, str]:
    """The labels CoNLL tags write otherwise (inner spaces as "_"); two that would share a tag are refused."""
    tags: dict[str, str] = {}
    for label in labels:
        tag = conll_label(label)
        if tag in tags:
            raise AnnotateError(Messages.TRAINING_TAG_CLASH, labels=f"'{tags[tag]}' and '{label}'", tag=tag)
        tags[tag] = label
    return {label: tag for tag, label in tags.items() if tag != label}


Source = dict[str, tuple[str, list[Span], dict[str, list[str]] | None]]  # article id -> (sha256, spans, choices)


def _source_spans(
    workspace: Workspace, schema: Schema, source: str, include_conflicts: bool, summary: ExportSummary
) -> Source:
    """``{article_id: (sha256, spans, choices)}`` of the source: the offsets only, texts stream by later."""
    controls = [control.name for control in schema.controls]
    if source == GOLD:
        if not workspace.gold_path.exists():
            raise AnnotateError(Messages.GOLD_MISSING, path=workspace.relative(workspace.gold_path))
        found: Source = {}
        for line, record in enumerate(workspace.read_gold(), start=1):
            if record.get("conflicts") and not include_conflicts:
                summary.held_back += 1
                continue
            choices = _gold_choices(workspace, record, line, controls) if controls else None
            found[record["article_id"]] = (record["sha256"], _spans(record["spans"]), choices)
        return found
    annotators: set[str] = set()

    def of_source() -> Iterator[dict[str, Any]]:
        for record in workspace.read_annotations():
            annotators.add(record["annotator"])
            if record["annotator"] == source:
                yield record

    labels = schema.label_names
    found = collect_submitted(of_source(), labels, controls)
    if source not in annotators:
        known = ", ".join(sorted(annotators)) or "none: run `annotate import` or `annotate pull` first"
        raise AnnotateError(Messages.TRAINING_UNKNOWN_SOURCE, source=source, known=known)
    summary.records_left_out.update(
        {reason: count for reason, count in found.left_out.items() if reason not in ("cancelled", "superseded")}
    )
    kept: Source = {}
    for article_id, records in found.by_article.items():
        record = records[source]
        choices = _annotator_choices(record.choices, schema) if controls else None
        if controls and choices is None:
            summary.records_left_out["unknown_option"] += 1
            continue
        kept[article_id] = (record.sha256, sorted(record.spans(labels)), choices)
    return kept


def _gold_choices(workspace: Workspace, record: dict[str, Any], line: int, controls: list[str]) -> dict[str, list[str]]:
    """A gold record's settled options per control; gold settled before the schema had a control is refused."""
    try:
        return settled_options(record, controls)
    except KeyError as missing:
        raise AnnotateError(
            Messages.GOLD_WITHOUT_CHOICES,
            path=workspace.relative(workspace.gold_path),
            line=line,
            article=record["article_id"],
            control=missing.args[0],
        ) from None


def _annotator_choices(choices: dict[str, tuple[str, ...]] | None, schema: Schema) -> dict[str, list[str]] | None:
    """An annotator's options per control, in the control's order; None if one is not the control's."""
    choices = choices or {}
    found = {}
    for control in schema.controls:
        selected = list(choices.get(control.name, ()))
        try:
            check_options(control, selected)
        except SelectionError:
            return None
        found[control.name] = sorted_values(selected, control)
    return found


def _spans(raw: Iterable[dict[str, Any]]) -> list[Span]:
    return sorted(Span(span["start"], span["end"], span["label"]) for span in raw)


def _documents(workspace: Workspace, spans_by_article: Source, summary: ExportSummary) -> Iterator[Document]:
    """Stream the corpus; each article of the source becomes a Document (popped, so what is left at the
    end was not in the corpus)."""
    for article in workspace.read_articles():
        found = spans_by_article.pop(article["id"], None)
        if found is None:
            continue
        sha256, spans, choices = found
        if sha256 != article["sha256"]:
            summary.text_changed += 1
            continue
        document = to_document(article, spans, summary)
        document.choices = choices
        summary.articles += 1
        summary.tokens += len(document.tokens)
        summary.spans.update(span.label for span in spans)
        yield document


def to_document(article: dict[str, Any], spans: list[Span], summary: ExportSummary) -> Document:
    """An article and its spans as the writers take them (tokens cut at span boundaries, the BIO view)."""
    text = article["text"]
    tokens, cuts = split_tokens_at_spans(tokenize(text), spans)
    for span, (start, end) in cuts:
        summary.note(
            summary.cut_tokens,
            f"{article['id']}: span {span.text_in(text)!r} ({span.label}, {span.start}-{span.end}) "
            f"cuts token {text[start:end]!r}; the token was split there",
        )
    in_bio = non_overlapping(spans)
    for span in spans:
        if span not in in_bio:
            kept = next(other for other in in_bio if other.overlaps(span))
            summary.note(
                summary.left_out_of_bio,
                f"{article['id']}: span {span.text_in(text)!r} ({span.label}) overlaps {kept.text_in(text)!r} "
                f"({kept.label}); BIO holds one span per token, so it is only in the span views",
            )
    return Document(article, spans, tokens, spans_to_bio_tags(tokens, in_bio), in_bio)
