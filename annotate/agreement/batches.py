"""Agreement over annotation records, streamed: records and articles -> per-article sufficient statistics.

``measure`` reads the annotation records (offsets only, through ``annotate.records``) and streams the
articles a batch at a time into flat arrays (``_Batch``), computing every figure's per-article and
per-record-pair sums (``Measures``). ``bootstrap`` and ``report`` work on those sums only, so texts are
never held whole and the bootstrap never reads a record again.
"""

from __future__ import annotations

import functools
import itertools
from array import array
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from annotate.agreement.choices import ChoiceCodes, ChoiceSums, choice_sums
from annotate.agreement.shape import CLASSES
from annotate.agreement.stats import (
    cross_record_pairs,
    maximum_matching,
    pairs_within,
    unitizing_sums,
)
from annotate.records import Submitted, SubmittedAnnotation, collect_submitted, collector_paused
from annotate.schema import Control
from annotate.tokens import spans_to_token_codes, tokenize_batch


@dataclass
class _Batch:
    """Articles compared together, as flat arrays. Spans sorted by record, start, end, label; no repeats."""

    ids: list[str]
    titles: list[str]
    texts: list[str]
    lengths: np.ndarray
    rec_article: np.ndarray
    rec_annotator: np.ndarray
    span_rec: np.ndarray
    span_start: np.ndarray
    span_end: np.ndarray
    span_label: np.ndarray


class _BatchBuilder:
    def __init__(self, annotators: dict[str, int], controls: Sequence[Control] = ()):
        self.annotators = annotators
        # Each compared record's selection per control, over all batches (in the order of the records).
        self.choices = {control.name: ChoiceCodes(control) for control in controls}
        self.clear()

    def clear(self) -> None:
        self.ids: list[str] = []
        self.titles: list[str] = []
        self.texts: list[str] = []
        self.rec_article: list[int] = []
        self.rec_annotator: list[int] = []
        self.span_counts: list[int] = []
        # The records' offsets and label codes, appended as machine integers (array += array copies memory;
        # a list would box each of a million values) and handed to numpy through the buffer protocol.
        self.starts = array("q")
        self.ends = array("q")
        self.labels = array("q")

    def __len__(self) -> int:
        return len(self.ids)

    def add(self, article: dict[str, Any], records: Iterable[SubmittedAnnotation], excluded: Counter) -> int:
        """Add an article with the records that fit its text; returns how many records that is."""
        text = article.get("text") or ""
        length = len(text)
        usable = []
        for record in sorted(records, key=lambda r: self.annotators[r.annotator]):
            if record.sha256 != article.get("sha256"):
                excluded["text_changed"] += 1
            elif not record.fits(length):
                excluded["offsets_outside_text"] += 1
            else:
                usable.append(record)
        if len(usable) < 2:
            return len(usable)
        index = len(self.ids)
        self.ids.append(str(article["id"]))
        self.titles.append(str(article.get("title") or ""))
        self.texts.append(text)
        for record in usable:
            self.rec_article.append(index)
            self.rec_annotator.append(self.annotators[record.annotator])
            self.span_counts.append(len(record.starts))
            self.starts += record.starts
            self.ends += record.ends
            self.labels += record.labels
            for name, codes in self.choices.items():
                codes.add(record.choices[name])
        return len(usable)

    def build(self) -> _Batch:
        span_rec = np.repeat(np.arange(len(self.span_counts)), self.span_counts)
        start, end, label = (np.array(values, dtype=np.int64) for values in (self.starts, self.ends, self.labels))
        # Sorted by record, start, end, label: one int64 key when it fits (one fast sort of runs that
        # are mostly in order already), else numpy's four-key lexsort.
        reach = max((int(end.max()) if len(end) else 0) + 1, 1)
        codes = (int(label.max()) if len(label) else 0) + 1
        if len(self.span_counts) * reach * reach * codes < 1 << 62:
            key = ((span_rec * reach + start) * reach + end) * codes + label
            order = np.argsort(key, kind="stable")
            key = key[order]
            fresh = np.ones(len(order), dtype=bool)
            fresh[1:] = key[1:] != key[:-1]
        else:
            order = np.lexsort((label, end, start, span_rec))
            fresh = np.ones(len(order), dtype=bool)
            fresh[1:] = (np.diff(span_rec[order]) != 0) | (np.diff(start[order]) != 0)
            fresh[1:] |= (np.diff(end[order]) != 0) | (np.diff(label[order]) != 0)
        span_rec, start, end, label = span_rec[order], start[order], end[order], label[order]
        batch = _Batch(
            ids=self.ids,
            titles=self.titles,
            texts=self.texts,
            lengths=np.array([len(text) for text in self.texts], dtype=np.int64),
            rec_article=np.array(self.rec_article, dtype=np.int64),
            rec_annotator=np.array(self.rec_annotator, dtype=np.int64),
            span_rec=span_rec[fresh],
            span_start=start[fresh],
            span_end=end[fresh],
            span_label=label[fresh],
        )
        self.clear()
        return batch


@dataclass
class Measures:
    """Per-article sufficient statistics of every figure: what ``bootstrap`` and ``summarise`` read.

    Arrays indexed by compared article (``a``), record (``r``) or record pair (``p``; the records of
    two annotators on one article). ``C`` labels, ``V = C + 1`` token values (the labels, then ``O``).
    """

    labels: list[str]
    annotators: list[str]
    records_read: int = 0
    excluded: Counter = field(default_factory=Counter)
    one_annotator_articles: int = 0
    ids: list[str] = field(default_factory=list)
    titles: list[str] = field(default_factory=list)
    parts: list[dict[str, Any]] = field(default_factory=list)
    arrays: dict[str, np.ndarray] = field(default_factory=dict)
    cohen: dict[tuple[int, int], np.ndarray] = field(default_factory=dict)
    choices: dict[str, ChoiceCodes] = field(default_factory=dict)  # by control name: each compared record's selection

    @property
    def documents(self) -> int:
        return len(self.ids)

    @functools.cached_property
    def columns(self) -> dict[str, np.ndarray]:
        """The per-article sums of ``article_columns``, computed once (after ``finish``) for the
        point figures, the lowest articles and the bootstrap."""
        return article_columns(self)

    @functools.cached_property
    def choice_sums(self) -> dict[str, ChoiceSums]:
        """Each control's per-article sums (after ``finish``), for the point figures and the bootstrap."""
        rec_article = self.arrays["rec_article"]
        return {name: choice_sums(codes, rec_article, self.documents) for name, codes in self.choices.items()}

    def add(self, batch: _Batch, part: dict[str, Any]) -> None:
        offset = len(self.ids)
        part["rec_article"] = part["rec_article"] + offset
        part["rp_article"] = part["rp_article"] + offset
        for pair, table in part.pop("cohen").items():
            self.cohen[pair] = self.cohen.get(pair, 0) + table
        self.ids += batch.ids
        self.titles += batch.titles
        self.parts.append(part)

    def finish(self) -> Measures:
        """Concatenate the batches' arrays (sum the pooled ones) into ``arrays``."""
        summed = ("judgements", "confusion")
        if self.parts:
            self.arrays = {
                key: (
                    sum(part[key] for part in self.parts)
                    if key in summed
                    else np.concatenate([part[key] for part in self.parts])
                )
                for key in self.parts[0]
            }
        else:
            self.arrays = _empty_arrays(len(self.labels), len(self.annotators))
        self.parts = []
        return self


def _empty_arrays(labels: int, annotators: int) -> dict[str, np.ndarray]:
    values = labels + 1
    shapes = {
        "m": (0,),
        "lengths": (0,),
        "spans": (0,),
        "rec_article": (0,),
        "rec_annotator": (0,),
        "rec_spans": (0,),
        "rp_article": (0,),
        "rp_a": (0,),
        "rp_b": (0,),
        "strict": (0, labels),
        "overlap": (0, labels),
        "sizes": (0, labels),
        "tokens": (0,),
        "agree": (0,),
        "counts": (0, values),
        "labelled_tokens": (0,),
        "labelled_agree": (0,),
        "labelled_counts": (0, values),
        "unit_observed": (0, labels),
        "unit_expected": (0, labels),
    }
    arrays = {key: np.zeros(shape) for key, shape in shapes.items()}
    arrays["judgements"] = np.zeros((annotators, labels, len(CLASSES)))
    arrays["confusion"] = np.zeros((labels, labels + 1))
    return arrays


def measure(
    articles: Iterable[dict[str, Any]],
    annotations: Iterable[dict[str, Any]],
    labels: Sequence[str],
    batch_articles: int = 4096,
    controls: Sequence[Control] = (),
) -> Measures:
    """Read the records, then stream the articles, computing every figure's per-article sums.

    Units are the articles with submitted annotations from at least two annotators; records whose
    ``sha256`` is not the article's, or whose offsets do not fit its text, are left out and counted.
    Texts are held a batch of ``batch_articles`` at a time; the records (offsets only) are held whole.
    With ``controls`` (the schema's document-level controls), each compared record's selection in
    each is kept too (``Measures.choices``).
    """
    with collector_paused():  # the records are let go before it ends (see ``collector_paused``)
        return measure_grouped(articles, annotations, labels, batch_articles, controls)[0]


def measure_grouped(
    articles: Iterable[dict[str, Any]],
    annotations: Iterable[dict[str, Any]],
    labels: Sequence[str],
    batch_articles: int = 4096,
    controls: Sequence[Control] = (),
) -> tuple[Measures, Submitted]:
    """``measure``, and the submitted records grouped by article (``collect_submitted``) it measured, for a
    caller that shows them too (the review site's lanes)."""
    with collector_paused():
        collected = collect_submitted(annotations, labels, [control.name for control in controls])
        return _measure(articles, collected, labels, batch_articles, controls), collected


def _measure(
    articles: Iterable[dict[str, Any]],
    collected: Submitted,
    labels: Sequence[str],
    batch_articles: int,
    controls: Sequence[Control] = (),
) -> Measures:
    names = sorted({annotator for records in collected.by_article.values() for annotator in records})
    annotators = {name: index for index, name in enumerate(names)}
    measures = Measures(list(labels), names, collected.records, collected.left_out)
    builder = _BatchBuilder(annotators, controls)
    measures.choices = builder.choices
    seen: set[str] = set()
    for article in articles:
        article_id = str(article.get("id"))
        records = collected.by_article.get(article_id)
        if records is None or article_id in seen:
            continue
        seen.add(article_id)
        if builder.add(article, records.values(), measures.excluded) == 1:
            measures.one_annotator_articles += 1
        if len(builder) >= batch_articles:
            batch = builder.build()
            measures.add(batch, _measure_batch(batch, len(labels), len(names)))
    if len(builder):
        batch = builder.build()
        measures.add(batch, _measure_batch(batch, len(labels), len(names)))
    measures.excluded["not_in_corpus"] += sum(
        len(records) for article_id, records in collected.by_article.items() if article_id not in seen
    )
    return measures.finish()


def _measure_batch(batch: _Batch, labels: int, annotators: int) -> dict[str, Any]:
    """Every per-article and per-record-pair sum of one batch of articles."""
    rec_article, span_rec, label = batch.rec_article, batch.span_rec, batch.span_label
    m = np.bincount(rec_article, minlength=len(batch.ids))
    first_record = np.concatenate(([0], np.cumsum(m)[:-1]))
    slot = np.arange(len(rec_article)) - first_record[rec_article]
    base = np.concatenate(([0], np.cumsum(batch.lengths)[:-1]))
    span_article = rec_article[span_rec]
    global_start, global_end = base[span_article] + batch.span_start, base[span_article] + batch.span_end

    # Record pairs (two annotators on one article), numbered in the order pairs_within lists them.
    rp_a, rp_b = pairs_within(rec_article)
    pair_offset = np.concatenate(([0], np.cumsum(m * (m - 1) // 2)[:-1]))
    first, second = cross_record_pairs(span_rec, global_start, global_end)
    rec_first, rec_second = span_rec[first], span_rec[second]
    pair = _pair_number(pair_offset, m, span_article[first], slot[rec_first], slot[rec_second])
    same_label = label[first] == label[second]
    same_extent = (batch.span_start[first] == batch.span_start[second]) & (
        batch.span_end[first] == batch.span_end[second]
    )
    pairs, spans = len(rp_a), max(len(span_rec), 1)
    strict = np.bincount(pair * labels + label[first], weights=same_label & same_extent, minlength=pairs * labels)
    # Matching nodes: a span as seen from one other slot of its article, (span, slot), numbered densely.
    rows = int(m.max()) if len(m) else 1
    matched = maximum_matching(
        (first * rows + slot[rec_second])[same_label], (second * rows + slot[rec_first])[same_label], spans * rows
    )
    matched_span = matched // rows
    matched_pair = _pair_number(
        pair_offset, m, span_article[matched_span], slot[span_rec[matched_span]], matched % rows
    )
    overlap = np.bincount(matched_pair * labels + label[matched_span], minlength=pairs * labels)
    rec_counts = np.bincount(span_rec * labels + label, minlength=len(rec_article) * labels).reshape(-1, labels)

    judgements, confusion = _judgements(batch, m, slot, first, second, same_label, same_extent, labels, annotators)
    observed, expected = unitizing_sums(
        rec_article, batch.lengths, m, span_rec, label, batch.span_start, batch.span_end, labels
    )
    part = {
        "m": m,
        "lengths": batch.lengths,
        "spans": np.bincount(span_article, minlength=len(m)),
        "rec_article": rec_article,
        "rec_annotator": batch.rec_annotator,
        "rec_spans": rec_counts.sum(axis=1),
        "rp_article": rec_article[rp_a],
        "rp_a": batch.rec_annotator[rp_a],
        "rp_b": batch.rec_annotator[rp_b],
        "strict": strict.reshape(pairs, labels),
        "overlap": overlap.reshape(pairs, labels).astype(np.float64),
        "sizes": rec_counts[rp_a] + rec_counts[rp_b],
        "unit_observed": observed,
        "unit_expected": expected,
        "judgements": judgements,
        "confusion": confusion,
    }
    part.update(_token_measures(batch, m, slot, first_record, base, labels, annotators))
    return part


def _pair_number(
    pair_offset: np.ndarray, m: np.ndarray, article: np.ndarray, low: np.ndarray, high: np.ndarray
) -> np.ndarray:
    """The number of the record pair (slots ``low < high`` of ``article``) in ``pairs_within``'s order."""
    return pair_offset[article] + low * m[article] - low * (low + 1) // 2 + (high - low - 1)


def _judgements(
    batch: _Batch,
    m: np.ndarray,
    slot: np.ndarray,
    first: np.ndarray,
    second: np.ndarray,
    same_label: np.ndarray,
    same_extent: np.ndarray,
    labels: int,
    annotators: int,
) -> tuple[np.ndarray, np.ndarray]:
    """Each span, as seen by each other annotator of its article: matched or the cause of disagreement.

    Returns counts by (annotator, label, class) for ``CLASSES`` and the label confusion matrix of span
    pairs with the same extent (both orders), with a last column for no span of that extent.
    """
    span_rec, label = batch.span_rec, batch.span_label
    rows = int(m.max()) if len(m) else 1
    # Bits, strongest first: same span; same extent, other label; same label, other extent; other both.
    flags = np.select([same_label & same_extent, same_extent, same_label], [1, 2, 4], 8).astype(np.uint8)
    seen = np.zeros(len(span_rec) * rows, dtype=np.uint8)  # per span and slot (k-th annotator of the article)
    np.bitwise_or.at(seen, first * rows + slot[span_rec[second]], flags)
    np.bitwise_or.at(seen, second * rows + slot[span_rec[first]], flags)
    seen = seen.reshape(-1, rows)
    # Every span is judged by the other annotators of its article; seeing nothing overlapping is a miss.
    column = np.arange(rows)[None, :]
    judged = (column < m[batch.rec_article[span_rec]][:, None]) & (column != slot[span_rec][:, None])
    klass = np.select([seen & 1 > 0, seen & 2 > 0, seen & 4 > 0, seen & 8 > 0], [0, 1, 2, 3], 4)
    owner = batch.rec_annotator[span_rec]
    keys = ((owner * labels + label) * len(CLASSES))[:, None] + klass
    counts = np.bincount(keys[judged], minlength=annotators * labels * len(CLASSES))

    width = labels + 1
    a, b = label[first[same_extent]], label[second[same_extent]]
    confusion = np.bincount(a * width + b, minlength=labels * width) + np.bincount(
        b * width + a, minlength=labels * width
    )
    alone = (judged & (seen & 3 == 0)).sum(axis=1)
    confusion = confusion + np.bincount(label * width + labels, weights=alone, minlength=labels * width)
    return counts.reshape(annotators, labels, len(CLASSES)), confusion.reshape(labels, width)


def _token_measures(
    batch: _Batch,
    m: np.ndarray,
    slot: np.ndarray,
    first_record: np.ndarray,
    base: np.ndarray,
    labels: int,
    annotators: int,
) -> dict[str, Any]:
    """Token-level sums: per article the agreeing annotator pairs and value counts (all tokens, and the
    tokens someone labelled), and per annotator pair the confusion table for Cohen's kappa."""
    values = labels + 1
    starts, ends, pointers = tokenize_batch(batch.texts)
    token_article = np.repeat(np.arange(len(m)), np.diff(pointers))
    token_start, token_end = base[token_article] + starts, base[token_article] + ends
    span_article = batch.rec_article[batch.span_rec]
    span_start, span_end = base[span_article] + batch.span_start, base[span_article] + batch.span_end
    # One row per slot (the k-th annotator of each article): its label code per token, -1 if missing.
    rows = int(m.max()) if len(m) else 0
    tags = np.full((rows, len(starts)), -1, dtype=np.int16)
    for row in range(rows):
        mine = slot[batch.span_rec] == row
        codes, _ = spans_to_token_codes(
            token_start, token_end, span_start[mine], span_end[mine], batch.span_label[mine], outside=labels
        )
        tags[row] = np.where(m[token_article] > row, codes, -1)
    agree = np.zeros(len(starts), dtype=np.int64)
    cohen: dict[tuple[int, int], np.ndarray] = {}
    for row_a, row_b in itertools.combinations(range(rows), 2):
        both = (tags[row_a] >= 0) & (tags[row_b] >= 0)
        agree += both & (tags[row_a] == tags[row_b])
        # The annotator pair of each article that has both slots, numbered among the pairs present.
        has_both = np.flatnonzero(m > row_b)
        pair_keys, pair_index = np.unique(
            batch.rec_annotator[first_record[has_both] + row_a] * annotators
            + batch.rec_annotator[first_record[has_both] + row_b],
            return_inverse=True,
        )
        article_pair = np.zeros(len(m), dtype=np.int64)
        article_pair[has_both] = pair_index
        cells = (article_pair[token_article[both]] * values + tags[row_a][both]) * values + tags[row_b][both]
        tables = np.bincount(cells, minlength=len(pair_keys) * values * values).reshape(-1, values, values)
        for key, table in zip(pair_keys.tolist(), tables, strict=True):
            pair = divmod(key, annotators)
            cohen[pair] = cohen.get(pair, 0) + table
    labelled = ((tags >= 0) & (tags < labels)).any(axis=0)
    return {
        "tokens": np.diff(pointers),
        "agree": np.bincount(token_article, weights=agree, minlength=len(m)),
        "counts": _value_counts(tags, token_article, len(m), values),
        "labelled_tokens": np.bincount(token_article, weights=labelled, minlength=len(m)),
        "labelled_agree": np.bincount(token_article, weights=agree * labelled, minlength=len(m)),
        "labelled_counts": _value_counts(tags[:, labelled], token_article[labelled], len(m), values),
        "cohen": cohen,
    }


def _value_counts(tags: np.ndarray, token_article: np.ndarray, articles: int, values: int) -> np.ndarray:
    counts = np.zeros(articles * values)
    for row in tags:
        present = row >= 0
        counts += np.bincount(token_article[present] * values + row[present], minlength=articles * values)
    return counts.reshape(articles, values)


# -- the figures that are functions of per-article sums (pooled, per article, per resample) ----------

SUMMED_FIGURES = (
    "span_f1.strict",
    "span_f1.overlap",
    "token.krippendorff_alpha",
    "token.krippendorff_alpha_labelled",
    "unitizing_alpha",
)


def article_columns(measures: Measures) -> dict[str, np.ndarray]:
    """The per-article sums each bootstrapped figure is a function of (summed over resampled articles)."""
    arrays = measures.arrays
    documents = measures.documents
    by_article = {
        key: np.bincount(arrays["rp_article"].astype(np.int64), weights=arrays[key].sum(axis=1), minlength=documents)
        for key in ("strict", "overlap", "sizes")
    }
    m = arrays["m"].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "strict": by_article["strict"],
            "overlap": by_article["overlap"],
            "sizes": by_article["sizes"],
            "values": m * arrays["tokens"],
            "diagonal": np.where(m > 1, 2 * arrays["agree"] / (m - 1), 0.0),
            "counts": arrays["counts"],
            "labelled_values": m * arrays["labelled_tokens"],
            "labelled_diagonal": np.where(m > 1, 2 * arrays["labelled_agree"] / (m - 1), 0.0),
            "labelled_counts": arrays["labelled_counts"],
            "unit_observed": arrays["unit_observed"].sum(axis=1),
            "unit_expected": arrays["unit_expected"].sum(axis=1),
        }


def figures_of_sums(sums: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """The bootstrapped figures from summed columns (each a vector: one value per resample)."""
    with np.errstate(invalid="ignore", divide="ignore"):
        return {
            "span_f1.strict": np.where(sums["sizes"] > 0, 2 * sums["strict"] / sums["sizes"], np.nan),
            "span_f1.overlap": np.where(sums["sizes"] > 0, 2 * sums["overlap"] / sums["sizes"], np.nan),
            "token.krippendorff_alpha": _alpha_vector(sums["values"], sums["diagonal"], sums["counts"]),
            "token.krippendorff_alpha_labelled": _alpha_vector(
                sums["labelled_values"], sums["labelled_diagonal"], sums["labelled_counts"]
            ),
            "unitizing_alpha": np.where(
                sums["unit_expected"] > 0, 1 - sums["unit_observed"] / sums["unit_expected"], np.nan
            ),
        }


def _alpha_vector(total: np.ndarray, diagonal: np.ndarray, counts: np.ndarray) -> np.ndarray:
    expected = total * total - (counts * counts).sum(axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where((total >= 2) & (expected > 0), 1 - (total - 1) * (total - diagonal) / expected, np.nan)
