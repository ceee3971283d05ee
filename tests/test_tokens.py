"""Tokens with offsets and the token views of spans, held against tokenizers' BertPreTokenizer."""

from __future__ import annotations

import unicodedata

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.schema import load_schema
from annotate.spans import Span
from annotate.tokens import (
    OVERLAPS,
    bio_tags_to_spans,
    ner_tags_batch,
    ner_tags_to_spans,
    spans_to_bio_tags,
    spans_to_ner_tags,
    spans_to_token_codes,
    spans_to_token_labels,
    token_utf8,
    tokenize,
    tokenize_batch,
)

from .conftest import BUNDLED, REPO, SEED

pre_tokenizers = pytest.importorskip("tokenizers.pre_tokenizers")


def oracle(text: str) -> list[tuple[int, int]]:
    return [offsets for _, offsets in pre_tokenizers.BertPreTokenizer().pre_tokenize_str(text)]


def text_tokens(batch: tuple[np.ndarray, np.ndarray, np.ndarray], index: int) -> list[tuple[int, int]]:
    starts, ends, pointers = batch
    window = slice(pointers[index], pointers[index + 1])
    return list(zip(starts[window].tolist(), ends[window].tolist(), strict=True))


def test_offsets_are_code_points_past_emoji():
    text = "🔥 Kyiv's AK-47 rifles, “three”"
    tokens = tokenize(text)
    assert [text[start:end] for start, end in tokens] == [
        "🔥", "Kyiv", "'", "s", "AK", "-", "47", "rifles", ",", "“", "three", "”",
    ]  # fmt: skip
    assert tokens == oracle(text)


def test_the_bundled_corpus_tokenizes_as_bert_pre_tokenizer_does():
    texts = [path.read_text(encoding="utf-8") for path in sorted(BUNDLED.glob("*.txt"))] + [SEED.read_text()]
    batch = tokenize_batch(texts)
    assert len(texts) == 36 and batch[2][-1] > 5_000
    for index, text in enumerate(texts):
        assert text_tokens(batch, index) == oracle(text), f"text {index}"


# Characters whose class both Unicode tables agree on: letters of several scripts, digits, marks,
# white space (including no-break and ideographic spaces), ASCII and general punctuation, emoji.
ALPHABET = st.sampled_from(
    list("abcXYZéßçøİı0123456789 \t\n.,;:!?'\"()[]{}-–—/\\@#$%^&*_+=<>|~`")
    + list("ДжиКиївبغدادموصل北京市中文ひらがな")
    + ["\u00a0", "\u3000", "\u2009", "\u200b", "\u0301", "\u2019", "\u201c", "\u2026"]
    + ["🔥", "💥", "👍", "\U0001f3fd", "\U0001f1fa"]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(ALPHABET, max_size=40), max_size=5))
def test_random_texts_tokenize_as_bert_pre_tokenizer_does(texts):
    batch = tokenize_batch(texts)
    for index, text in enumerate(texts):
        assert text_tokens(batch, index) == oracle(text)
        assert tokenize(text) == oracle(text)


def test_every_code_point_is_classed_as_the_oracle_does_but_for_newer_unicode_punctuation():
    """A sweep over the Basic and Supplementary Multilingual Planes (every script, punctuation and emoji;
    planes 2 and up hold only ideographs, tags and private use), each character between two letters: one
    token (a letter-like character), two (white space) or three (punctuation). Where the rule and
    tokenizers disagree, it is on characters whose category changed between Unicode versions."""
    codes = [code for code in range(1, 0x20000) if not 0xD800 <= code <= 0xDFFF]
    text = " ".join(f"a{chr(code)}a" for code in codes)
    mine = np.bincount(tokenize_batch([text])[0] // 4, minlength=len(codes))
    theirs = np.bincount(np.array([start for start, _ in oracle(text)]) // 4, minlength=len(codes))
    differing = np.flatnonzero(mine != theirs)
    assert 0 < np.count_nonzero(mine == 3) and 0 < np.count_nonzero(mine == 2) and len(differing) < 200
    for group in differing.tolist():  # 106 with Python 3.11 (Unicode 14)
        char = chr(codes[group])
        assert codes[group] >= 0x0600, hex(codes[group])  # never Latin, Greek, Cyrillic, Armenian, Hebrew
        assert unicodedata.category(char)[0] in "PSM", hex(codes[group])


def test_empty_inputs():
    assert tokenize("") == [] and tokenize("   ") == []
    starts, ends, pointers = tokenize_batch([])
    assert len(starts) == len(ends) == 0 and pointers.tolist() == [0]
    assert tokenize_batch(["", "a b", ""])[2].tolist() == [0, 0, 2, 2]


def test_a_token_is_labelled_when_a_span_covers_any_of_it():
    text = "Kyiv's defenders"
    tokens = tokenize(text)  # Kyiv ' s defenders
    assert spans_to_token_labels(tokens, [Span(0, 4, "location")]) == ["location", "O", "O", "O"]
    assert spans_to_token_labels(tokens, [Span(2, 9, "actor")]) == ["actor", "actor", "actor", "actor"]
    assert spans_to_token_labels(tokens, []) == ["O"] * 4


def test_two_labels_on_one_token_the_span_that_starts_first_then_the_longer_wins():
    tokens = tokenize("three US troops")
    labels = spans_to_token_labels(tokens, [Span(6, 15, "actor"), Span(0, 15, "casualty")])
    assert labels == ["casualty"] * 3
    labels = spans_to_token_labels(tokens, [Span(6, 8, "location"), Span(6, 15, "actor")])
    assert labels == ["O", "actor", "actor"]
    labels = spans_to_token_labels(tokens, [Span(6, 8, "location"), Span(6, 8, "actor")])
    assert labels == ["O", "location", "O"]  # identical extents: the span given first


def test_bio_tags_round_trip_on_aligned_spans():
    text = "A drone strike killed three soldiers in Kharkiv."
    tokens = tokenize(text)
    spans = [Span(2, 7, "weapon"), Span(22, 36, "casualty"), Span(40, 47, "location")]
    tags = spans_to_bio_tags(tokens, spans)
    assert tags == ["O", "B-weapon", "O", "O", "B-casualty", "I-casualty", "O", "B-location", "O"]
    assert bio_tags_to_spans(tokens, tags) == spans


def test_adjacent_spans_of_one_label_stay_two_spans():
    tokens = tokenize("Mosul Baghdad")
    tags = spans_to_bio_tags(tokens, [Span(0, 5, "location"), Span(6, 13, "location")])
    assert tags == ["B-location", "B-location"]
    assert bio_tags_to_spans(tokens, tags) == [Span(0, 5, "location"), Span(6, 13, "location")]


def test_a_stray_inside_tag_starts_a_span_and_a_bad_tag_is_refused():
    tokens = tokenize("a b c")
    assert bio_tags_to_spans(tokens, ["O", "I-actor", "I-weapon"]) == [Span(2, 3, "actor"), Span(4, 5, "weapon")]
    with pytest.raises(ValueError, match="not a BIO tag"):
        bio_tags_to_spans(tokens, ["O", "X-actor", "O"])
    with pytest.raises(ValueError, match="3 tokens but 2 tags"):
        bio_tags_to_spans(tokens, ["O", "O"])


def test_the_array_form_marks_owners_and_outside():
    codes, owner = spans_to_token_codes(
        np.array([0, 5, 10]), np.array([4, 9, 14]), np.array([6, 0]), np.array([12, 2]), np.array([3, 1]), outside=9
    )
    assert codes.tolist() == [1, 3, 3] and owner.tolist() == [1, 0, 0]


# -- the ner_tags of a release: spans BIO tags cannot hold are refused, never shifted ---------------------


def test_overlapping_gold_spans_are_kept_and_marked_not_tagged():
    tokens = tokenize("three US troops died")
    spans = [Span(0, 15, "casualty"), Span(6, 8, "actor")]
    tags, refused = spans_to_ner_tags(tokens, spans, load_schema_tags())
    assert refused == [(Span(6, 8, "actor"), OVERLAPS)]
    assert tags[1] == -1 and tags[0] != -1


def load_schema_tags():
    return load_schema(REPO / "schemas" / "conflict-spans.yaml").bio_tags


@st.composite
def text_and_aligned_spans(draw):
    words = draw(
        st.lists(
            st.sampled_from(["Taliban", "fighters", "AK-47", "Kabul", ",", "drone", "é", "🔥", "3"]),
            min_size=1,
            max_size=25,
        )
    )
    text = " ".join(words)
    tokens = tokenize(text)
    labels = ["actor", "weapon", "casualty", "location"]
    spans, position = [], 0
    while position < len(tokens):
        position += draw(st.integers(0, 3))
        if position >= len(tokens):
            break
        length = draw(st.integers(1, 3))
        last = min(position + length, len(tokens)) - 1
        spans.append(Span(tokens[position][0], tokens[last][1], draw(st.sampled_from(labels))))
        position = last + 1
    return tokens, spans


@settings(max_examples=300, deadline=None)
@given(text_and_aligned_spans())
def test_aligned_spans_round_trip_through_ner_tags_exactly(case):
    tokens, spans = case
    tag_names = load_schema_tags()
    tags, refused = spans_to_ner_tags(tokens, spans, tag_names)
    assert refused == []
    assert ner_tags_to_spans(tokens, tags, tag_names) == spans


@st.composite
def texts_and_any_spans(draw):
    """Texts with spans anywhere: off token boundaries, overlapping, repeated, empty."""
    words = st.sampled_from(["Taliban", "fighters", "AK-47", "Kabul", ",", "drone", "é", "🔥", "3", "  "])
    texts = draw(st.lists(st.lists(words, max_size=12).map(" ".join), min_size=1, max_size=5))
    labels = ["actor", "weapon", "casualty", "location"]
    spans = []
    for text in texts:
        found = []
        for _ in range(draw(st.integers(0, 6))):
            start = draw(st.integers(0, len(text)))
            found.append(Span(start, draw(st.integers(start, len(text))), draw(st.sampled_from(labels))))
        if found and draw(st.booleans()):
            found.append(found[0])  # the same span twice
        spans.append(found)
    return texts, spans


@settings(max_examples=300, deadline=None)
@given(texts_and_any_spans())
def test_ner_tags_of_a_batch_are_those_of_each_text(case):
    texts, spans = case
    tag_names = load_schema_tags()
    starts, ends, pointers, tags, refused = ner_tags_batch(texts, spans, tag_names)
    for number, text in enumerate(texts):
        tokens = tokenize(text)
        window = slice(pointers[number], pointers[number + 1])
        assert list(zip(starts[window].tolist(), ends[window].tolist(), strict=True)) == tokens
        assert (tags[window].tolist(), refused[number]) == spans_to_ner_tags(tokens, spans[number], tag_names)


@settings(max_examples=200, deadline=None)
@given(st.lists(st.text(alphabet=st.characters(exclude_categories=("Cs",))), max_size=6))
def test_the_utf8_of_a_batch_s_tokens_is_each_token_encoded(texts):
    starts, ends, pointers = tokenize_batch(texts)
    data, offsets = token_utf8(texts, starts, ends, pointers)
    got = [bytes(data[offsets[t] : offsets[t + 1]]) for t in range(len(starts))]
    owner = np.repeat(np.arange(len(texts)), np.diff(pointers))
    wanted = [texts[o][s:e].encode() for o, s, e in zip(owner.tolist(), starts.tolist(), ends.tolist(), strict=True)]
    assert got == wanted and len(offsets) == len(starts) + 1
