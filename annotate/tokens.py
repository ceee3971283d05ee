"""Tokens with character offsets, and the token views of spans (labels per token, BIO tags).

Character offsets are the truth (``annotate.spans``); tokens are a derived view, used for token-level
agreement and for BIO/CoNLL exports. Offsets are Python code points, end exclusive, like spans.

The tokenizer is BERT's pre-tokenization rule -- the one ``tokenizers.pre_tokenizers.BertPreTokenizer``
applies: white space separates tokens and is dropped, every punctuation character is a token of its
own, and every other run of characters is one token ("AK-47" -> "AK", "-", "47"; "🔥🔥" is one token).
Punctuation is ASCII punctuation plus Unicode categories P*; white space is the Unicode White_Space
property.

Why not call ``tokenizers`` itself: its Python binding builds a string and two tuples per token, which
costs about 4 s for 10 million characters -- twice the whole time budget of an agreement report over
10,000 articles -- where the same rule over NumPy code-point arrays takes about 0.1 s. The tests hold
this module against ``BertPreTokenizer`` (its offsets are code points too, emoji included). The two
differ only on rare punctuation added to Unicode after the tables compiled into ``tokenizers`` (e.g.
U+2E4C MEDIEVAL COMMA): here Python's ``unicodedata`` decides, so the view follows the interpreter's
Unicode version.

The rule for spans that miss token boundaries: **a token carries a span's label when the span covers
any of its characters** (a span on "drone" inside the token "drones" labels "drones"). When spans of different
labels from one annotator share a token, the span that starts first wins, then the longer one, then
the one given first.

A released dataset's ``ner_tags`` (``spans_to_ner_tags``) follow a stricter rule: a span that does not start
and end on token boundaries, or that overlaps another, is not tagged at all -- its tokens get ``NO_LABEL``
and the span is reported, never shifted.
"""

from __future__ import annotations

import bisect
import itertools
import unicodedata
from collections.abc import Iterable, Sequence
from functools import cache

import numpy as np

from annotate.spans import Span

OUTSIDE = "O"
NO_LABEL = -1  # ClassLabel's "no label": tokens of a span that BIO tags cannot hold
NOT_ON_TOKEN_BOUNDARIES = "not on token boundaries"
OVERLAPS = "overlaps another gold span"

# Character classes of the rule.
_SPACE, _PUNCT, _OTHER = 0, 1, 2

# The Unicode White_Space property (what Rust's char::is_whitespace, hence tokenizers, uses). Python's
# str.isspace() differs: it also counts U+001C..U+001F, which White_Space does not.
_WHITE_SPACE = (
    *range(0x09, 0x0E),
    0x20,
    0x85,
    0xA0,
    0x1680,
    *range(0x2000, 0x200B),
    0x2028,
    0x2029,
    0x202F,
    0x205F,
    0x3000,
)


def _char_class(code: int) -> int:
    if code in _WHITE_SPACE:
        return _SPACE
    char = chr(code)
    if (0x21 <= code <= 0x7E and not char.isalnum()) or unicodedata.category(char).startswith("P"):
        return _PUNCT
    return _OTHER


@cache
def _bmp_classes() -> np.ndarray:
    """Class of every code point of the Basic Multilingual Plane (built once): ``_char_class``'s rule with
    the 65,536 ``unicodedata.category`` calls in C (a loop of ``_char_class`` takes 35 ms, this 10)."""
    plane = np.arange(0x10000, dtype="<u4").tobytes().decode("utf-32-le", "surrogatepass")
    first_letters = "".join(map(unicodedata.category, plane))[0::2].encode("ascii")
    punctuation = np.frombuffer(first_letters, dtype=np.uint8) == ord("P")
    ascii_punctuation = [code for code in range(0x21, 0x7F) if not chr(code).isalnum()]
    punctuation[ascii_punctuation] = True
    classes = np.where(punctuation, _PUNCT, _OTHER).astype(np.uint8)
    classes[list(_WHITE_SPACE)] = _SPACE
    return classes


def _classes(codes: np.ndarray) -> np.ndarray:
    """The class of each code point; the few outside the BMP (emoji, historic scripts) looked up one by one."""
    classes = _bmp_classes().take(codes, mode="clip")  # past the BMP: looked up below
    astral = codes > 0xFFFF
    if astral.any():
        distinct, where = np.unique(codes[astral], return_inverse=True)
        classes[astral] = np.array([_char_class(int(code)) for code in distinct], dtype=np.uint8)[where]
    return classes


def tokenize_batch(texts: Sequence[str]) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Tokenize many texts in one pass.

    Returns ``(starts, ends, pointers)``: int64 arrays where the tokens of ``texts[i]`` are
    ``starts[pointers[i]:pointers[i + 1]]`` and ``ends[...]``, offsets into ``texts[i]``.
    """
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    bases = np.concatenate(([0], np.cumsum(lengths + 1)))
    # One joined text, a space between texts so that no token crosses from one into the next.
    codes = np.frombuffer(" ".join(texts).encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    if not len(codes):
        return np.zeros(0, np.int64), np.zeros(0, np.int64), np.zeros(len(texts) + 1, np.int64)
    classes = _classes(codes)
    # A token starts at every non-space character but one that continues a run of "other" characters,
    # and ends likewise.
    other = classes == _OTHER
    joined = other[1:] & other[:-1]
    starts = classes != _SPACE
    ends = starts.copy()
    starts[1:] &= ~joined
    ends[:-1] &= ~joined
    starts, ends = np.flatnonzero(starts), np.flatnonzero(ends) + 1
    pointers = np.searchsorted(starts, bases)
    owner = np.repeat(np.arange(len(texts)), np.diff(pointers))
    return starts - bases[owner], ends - bases[owner], pointers


def token_utf8(
    texts: Sequence[str], starts: np.ndarray, ends: np.ndarray, pointers: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """The UTF-8 bytes of every token of ``tokenize_batch``'s output, one after another, and where each
    token's bytes begin: ``(data, offsets)``, token ``t`` being ``data[offsets[t]:offsets[t + 1]]`` -- the
    buffers of an Arrow string array, made without a Python string per token."""
    joined = " ".join(texts)
    data = np.frombuffer(joined.encode("utf-8"), dtype=np.uint8)
    index = np.int32 if len(data) < 2**31 else np.int64  # half the memory for the usual batch
    codes = np.frombuffer(joined.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    widths = np.ones(len(codes), dtype=np.uint8)
    for bound in (0x80, 0x800, 0x10000):  # UTF-8 takes one byte more from each of these code points on
        widths += codes >= bound
    byte_at = np.zeros(len(codes) + 1, dtype=index)  # code point offset -> byte offset, on the joined text
    np.cumsum(widths, dtype=index, out=byte_at[1:])
    del codes, widths
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    bases = np.repeat(np.concatenate(([0], np.cumsum(lengths + 1)))[:-1], np.diff(pointers))
    first, last = byte_at[starts + bases], byte_at[ends + bases]
    del byte_at
    sizes = last - first
    offsets = np.zeros(len(sizes) + 1, dtype=index)
    np.cumsum(sizes, out=offsets[1:])
    picked = np.repeat(first - offsets[:-1], sizes)
    picked += np.arange(offsets[-1], dtype=index)
    return data[picked], offsets


def tokenize(text: str) -> list[tuple[int, int]]:
    """The ``(start, end)`` character offsets of the tokens of ``text``."""
    starts, ends, _ = tokenize_batch([text])
    return list(zip(starts.tolist(), ends.tolist(), strict=True))


def spans_to_token_codes(
    token_starts: np.ndarray,
    token_ends: np.ndarray,
    span_starts: np.ndarray,
    span_ends: np.ndarray,
    span_codes: np.ndarray,
    outside: int = -1,
) -> tuple[np.ndarray, np.ndarray]:
    """The array form of the rule: the label code of each token (``outside`` where no span covers it).

    Tokens and spans are offsets on one axis (several texts may share it, each shifted by its own base).
    Tokens must be sorted and not overlap. Returns ``(codes, owner)``: ``owner[t]`` is the index of the
    span that gave token ``t`` its label, -1 for none. A token covered by several spans takes the label
    of the one that starts first, then the longer, then the one with the smaller index.
    """
    token_starts, token_ends = np.asarray(token_starts), np.asarray(token_ends)
    span_starts, span_ends, span_codes = np.asarray(span_starts), np.asarray(span_ends), np.asarray(span_codes)
    # Tokens t0 <= t < t1 overlap the span: end > span start and start < span end.
    first = np.searchsorted(token_ends, span_starts, side="right")
    stop = np.searchsorted(token_starts, span_ends, side="left")
    counts = np.maximum(stop - first, 0)
    span_of = np.repeat(np.arange(len(span_starts)), counts)
    token_of = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    # Rank the spans by the rule, then keep the best-ranked span for each token.
    rank = np.lexsort((np.arange(len(span_starts)), -span_ends, span_starts))
    priority = np.empty(len(rank), dtype=np.int64)
    priority[rank] = np.arange(len(rank))
    best = np.full(len(token_starts), len(rank), dtype=np.int64)
    np.minimum.at(best, token_of, priority[span_of])
    labelled = best < len(rank)
    owner = np.full(len(token_starts), -1, dtype=np.int64)
    owner[labelled] = rank[best[labelled]]
    codes = np.full(len(token_starts), outside, dtype=np.int64)
    labelled = owner >= 0
    codes[labelled] = span_codes[owner[labelled]]
    return codes, owner


def spans_to_token_labels(tokens: Sequence[tuple[int, int]], spans: Iterable[Span]) -> list[str]:
    """The label of each token under the module's rule, ``"O"`` where no span covers it."""
    owner, spans = _owners(tokens, spans)
    return [spans[index].label if index >= 0 else OUTSIDE for index in owner.tolist()]


def spans_to_bio_tags(tokens: Sequence[tuple[int, int]], spans: Iterable[Span]) -> list[str]:
    """BIO tags: ``B-label`` on the first token a span labels, ``I-label`` on the rest, ``O`` elsewhere."""
    owner, spans = _owners(tokens, spans)
    tags = []
    previous = -1
    for index in owner.tolist():
        if index < 0:
            tags.append(OUTSIDE)
        else:
            tags.append(f"{'I' if index == previous else 'B'}-{spans[index].label}")
        previous = index
    return tags


def non_overlapping(spans: Iterable[Span]) -> list[Span]:
    """The spans a BIO view can hold: in order of start, the longer first, each one that overlaps none
    kept before it (the rule ``annotate.tokens`` applies to a token two spans share)."""
    kept: list[Span] = []
    for span in sorted(spans, key=lambda span: (span.start, -span.end, span.label)):
        if not kept or span.start >= kept[-1].end:
            kept.append(span)
    return kept


def bio_tags_to_spans(tokens: Sequence[tuple[int, int]], tags: Sequence[str]) -> list[Span]:
    """Spans from BIO tags: from the first token of a run to the end of its last token.

    An ``I-`` tag that does not continue a run of the same label starts a new span (as conlleval reads it).
    """
    if len(tokens) != len(tags):
        raise ValueError(f"{len(tokens)} tokens but {len(tags)} tags")
    runs: list[list] = []  # [start, end, label], the last one open while its tags continue it
    open_run = False
    for (start, end), tag in zip(tokens, tags, strict=True):
        prefix, _, label = tag.partition("-")
        if tag == OUTSIDE:
            open_run = False
        elif prefix not in ("B", "I") or not label:
            raise ValueError(f"not a BIO tag: {tag!r}")
        elif prefix == "I" and open_run and runs[-1][2] == label:
            runs[-1][1] = end
        else:
            runs.append([start, end, label])
            open_run = True
    return [Span(*run) for run in runs]


def spans_to_ner_tags(
    tokens: Sequence[tuple[int, int]], spans: Iterable[Span], tag_names: Sequence[str]
) -> tuple[list[int], list[tuple[Span, str]]]:
    """Tag ids per token, and the spans that could not be tagged with the reason.

    A span is tagged when it starts on a token start, ends on a token end and overlaps no span kept
    before it (spans taken by start, then longest first); the tokens any other span touches get
    ``NO_LABEL`` -- never a shifted span.
    """
    spans = list(spans)
    starts = {start for start, _ in tokens}
    ends = {end for _, end in tokens}
    aligned = [span for span in spans if span.start in starts and span.end in ends]
    kept = non_overlapping(aligned)
    taggable, tagged = set(aligned), set(kept)
    refused = sorted(
        [(span, NOT_ON_TOKEN_BOUNDARIES) for span in spans if span not in taggable]
        + [(span, OVERLAPS) for span in aligned if span not in tagged]
    )
    index = {name: number for number, name in enumerate(tag_names)}
    tags = [index[tag] for tag in spans_to_bio_tags(tokens, kept)]
    for span, _ in refused:
        for position, (start, end) in enumerate(tokens):
            if start < span.end and span.start < end:
                tags[position] = NO_LABEL
    return tags, refused


def ner_tags_batch(
    texts: Sequence[str], spans: Sequence[Sequence[Span]], tag_names: Sequence[str]
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, list[list[tuple[Span, str]]]]:
    """``tokenize_batch`` and ``spans_to_ner_tags`` over many texts in one pass: the tokens and tag ids of
    ``texts[i]`` are ``[pointers[i]:pointers[i + 1]]`` of ``(starts, ends, pointers, tags, refused)``, and
    ``refused[i]`` is what ``spans_to_ner_tags`` refuses in ``texts[i]`` (same rule, same order).

    ``KeyError`` for a span label without its B/I tag in ``tag_names``.
    """
    starts, ends, pointers = tokenize_batch(texts)
    index = {name: number for number, name in enumerate(tag_names)}
    tags = np.full(len(starts), index[OUTSIDE], dtype=np.int64)
    # Every text on one axis, each shifted past the one before it, so no span or token reaches another text.
    lengths = np.fromiter((len(text) for text in texts), dtype=np.int64, count=len(texts))
    bases = np.concatenate(([0], np.cumsum(lengths + 1)))[:-1]
    token_bases = np.repeat(bases, np.diff(pointers))
    axis_starts, axis_ends = starts + token_bases, ends + token_bases
    flat = [(owner, span) for owner, text_spans in enumerate(spans) for span in text_spans]
    refused: list[list[tuple[Span, str]]] = [[] for _ in texts]
    if not flat:
        return starts, ends, pointers, tags, refused
    owners = np.fromiter((owner for owner, _ in flat), dtype=np.int64, count=len(flat))
    span_starts = np.fromiter((span.start for _, span in flat), dtype=np.int64, count=len(flat)) + bases[owners]
    span_ends = np.fromiter((span.end for _, span in flat), dtype=np.int64, count=len(flat)) + bases[owners]
    # Aligned: starts on a token start and ends on a token end.
    at_start = np.minimum(np.searchsorted(axis_starts, span_starts), max(len(starts) - 1, 0))
    at_end = np.minimum(np.searchsorted(axis_ends, span_ends), max(len(ends) - 1, 0))
    aligned = np.zeros(len(flat), dtype=bool)
    if len(starts):
        aligned = (axis_starts[at_start] == span_starts) & (axis_ends[at_end] == span_ends)
    # The aligned spans in non_overlapping's order (start, longer first, label); each kept unless it overlaps
    # the last one kept (an equal copy of a kept span is neither tagged again nor refused, as there).
    label_rank = {label: rank for rank, label in enumerate(sorted({span.label for _, span in flat}))}
    ranks = np.fromiter((label_rank[span.label] for _, span in flat), dtype=np.int64, count=len(flat))
    candidates = np.flatnonzero(aligned)
    order = candidates[np.lexsort((ranks[candidates], -span_ends[candidates], span_starts[candidates]))]
    kept, overlapping = [], []
    on_axis = list(zip(span_starts.tolist(), span_ends.tolist(), [span.label for _, span in flat], strict=True))
    last = None
    for number in order.tolist():
        if last is None or on_axis[number][0] >= last[1]:
            kept.append(number)
            last = on_axis[number]
        elif on_axis[number] != last:
            overlapping.append(number)
    # BIO tags of the kept spans: B on the first token each covers, I on the rest.
    kept_array = np.asarray(kept, dtype=np.int64)
    first = np.searchsorted(axis_ends, span_starts[kept_array], side="right")
    stop = np.searchsorted(axis_starts, span_ends[kept_array], side="left")
    counts = np.maximum(stop - first, 0)
    inside = np.fromiter((index[f"I-{flat[number][1].label}"] for number in kept), dtype=np.int64, count=len(kept))
    begin = np.fromiter((index[f"B-{flat[number][1].label}"] for number in kept), dtype=np.int64, count=len(kept))
    covered = np.repeat(first - np.cumsum(counts) + counts, counts) + np.arange(counts.sum())
    tags[covered] = np.repeat(inside, counts)
    tags[first[counts > 0]] = begin[counts > 0]
    # Refused spans: not aligned, or overlapping a kept one; every token they touch gets NO_LABEL.
    refusals = [(number, NOT_ON_TOKEN_BOUNDARIES) for number in np.flatnonzero(~aligned).tolist()]
    refusals += [(number, OVERLAPS) for number in overlapping]
    for number, reason in refusals:
        owner, span = flat[number]
        refused[owner].append((span, reason))
        low = np.searchsorted(axis_ends, span_starts[number], side="right")
        tags[low : np.searchsorted(axis_starts, span_ends[number], side="left")] = NO_LABEL
    for found in refused:
        found.sort()
    return starts, ends, pointers, tags, refused


def ner_tags_to_spans(tokens: Sequence[tuple[int, int]], tags: Sequence[int], tag_names: Sequence[str]) -> list[Span]:
    """The spans BIO tag ids describe (``NO_LABEL`` tokens read as outside)."""
    names = [tag_names[tag] if tag != NO_LABEL else OUTSIDE for tag in tags]
    return bio_tags_to_spans(tokens, names)


def _owners(tokens: Sequence[tuple[int, int]], spans: Iterable[Span]) -> tuple[np.ndarray, list[Span]]:
    spans = list(spans)
    token_array = np.asarray(tokens, dtype=np.int64).reshape(-1, 2)
    span_array = np.asarray([(s.start, s.end) for s in spans], dtype=np.int64).reshape(-1, 2)
    # The owner index is all the list helpers need: the label is read from the span it points to.
    codes = np.zeros(len(spans), dtype=np.int64)
    _, owner = spans_to_token_codes(token_array[:, 0], token_array[:, 1], span_array[:, 0], span_array[:, 1], codes)
    return owner, spans


def split_tokens_at_spans(
    tokens: Sequence[tuple[int, int]], spans: Iterable[Span]
) -> tuple[list[tuple[int, int]], list[tuple[Span, tuple[int, int]]]]:
    """Cut tokens where a span starts or ends inside them, so that every span falls on token boundaries.

    Returns ``(tokens, cuts)``: the new token offsets, and for each span that cut a token the span and the
    token ``(start, end)`` it cut. Offsets never move: "drones" with a span on "drone" becomes "drone" + "s",
    where a whole-token tagger would silently stretch the span to "drones".
    """
    boundaries: dict[int, Span] = {}
    for span in spans:
        boundaries.setdefault(span.start, span)
        boundaries.setdefault(span.end, span)
    offsets = sorted(boundaries)
    result: list[tuple[int, int]] = []
    cuts: list[tuple[Span, tuple[int, int]]] = []
    for start, end in tokens:
        first = bisect.bisect_right(offsets, start)
        inside = offsets[first : bisect.bisect_left(offsets, end, lo=first)]
        if not inside:
            result.append((start, end))
            continue
        edges = [start, *inside, end]
        result.extend(itertools.pairwise(edges))
        cuts.extend((span, (start, end)) for span in dict.fromkeys(boundaries[offset] for offset in inside))
    return result, cuts
