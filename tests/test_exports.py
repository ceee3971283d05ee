"""Training-data exports: CoNLL-2003, spaCy DocBin and span JSONL, from gold or one annotator."""

from __future__ import annotations

import json
import sys

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate import corpus, exports
from annotate.exports import export, spacy_words
from annotate.spans import Span
from annotate.tokens import bio_tags_to_spans, non_overlapping, spans_to_bio_tags, split_tokens_at_spans, tokenize
from annotate.workspace import Workspace

from .records import annotation_record, gold_record, span_at, write_records

TEXT = "Two drones hit Kyiv's Podil district.\nThree civilians were killed by Russian forces."


ARTICLE_SPANS = [
    span_at(TEXT, "drones", "weapon", trim_end=1),  # "drone": cuts the token "drones"
    span_at(TEXT, "Kyiv", "location"),
    span_at(TEXT, "Kyiv's Podil district", "location"),  # overlaps the one above
    span_at(TEXT, "Three civilians", "casualty"),
    span_at(TEXT, "Russian forces", "actor"),
]


def add_article(workspace: Workspace, text: str, tmp_path, name: str = "a.txt") -> dict:
    path = tmp_path / name
    path.write_text(f"Title of {name}\n{text}", encoding="utf-8")
    corpus.add(workspace, [path])
    return next(article for article in workspace.read_articles() if article["text"] == text)


@pytest.fixture
def gold_workspace(workspace: Workspace, tmp_path) -> tuple[Workspace, dict]:
    article = add_article(workspace, TEXT, tmp_path)
    write_records(workspace.gold_path, [gold_record(article, ARTICLE_SPANS)])
    return workspace, article


def read_conll(path, texts: list[str]) -> list[list[Span]]:
    """An independent reader: find each token in the text left to right, then read the BIO runs."""
    blocks = path.read_text(encoding="utf-8").split("-DOCSTART- -X- -X- O\n")[1:]
    assert len(blocks) == len(texts)
    documents = []
    for block, text in zip(blocks, texts, strict=True):
        tokens, tags, position = [], [], 0
        for line in block.splitlines():
            if not line:
                continue
            word, pos, chunk, tag = line.split(" ")
            assert (pos, chunk) == ("-X-", "_")
            start = text.index(word, position)
            assert not text[position:start].strip(), f"skipped text before {word!r}"
            tokens.append((start, start + len(word)))
            tags.append(tag)
            position = start + len(word)
        assert not text[position:].strip()
        documents.append(bio_tags_to_spans(tokens, tags))
    return documents


def test_conll_holds_exactly_the_annotated_characters(gold_workspace, tmp_path):
    workspace, article = gold_workspace
    summary = export(workspace, "conll")
    assert summary.path == "training/gold.conll"
    [spans] = read_conll(workspace.root / summary.path, [TEXT])
    # The overlapping "Kyiv" loses to the longer "Kyiv's Podil district"; "drone" keeps its exact extent.
    assert spans == [s for s in ARTICLE_SPANS if s != span_at(TEXT, "Kyiv", "location")]
    assert spans[0].text_in(TEXT) == "drone"
    assert summary.cut_tokens == [
        f"{article['id']}: span 'drone' (weapon, 4-9) cuts token 'drones'; the token was split there"
    ]
    assert (
        len(summary.left_out_of_bio) == 1
        and "'Kyiv' (location) overlaps \"Kyiv's Podil district\"" in (summary.left_out_of_bio[0])
    )
    assert summary.articles == 1 and summary.spans == {"location": 2, "weapon": 1, "casualty": 1, "actor": 1}


def test_conll_blocks_follow_the_lines_of_the_text(gold_workspace):
    workspace, _ = gold_workspace
    export(workspace, "conll")
    body = (workspace.training_dir / "gold.conll").read_text().split("-DOCSTART- -X- -X- O\n\n")[1]
    first, second = body.strip("\n").split("\n\n")
    assert first.splitlines()[-1] == ". -X- _ O" and second.splitlines()[0] == "Three -X- _ B-casualty"


def test_jsonl_keeps_every_span_and_the_tokens(gold_workspace):
    workspace, article = gold_workspace
    export(workspace, "jsonl")
    [line] = (workspace.training_dir / "gold.jsonl").read_text().splitlines()
    record = json.loads(line)
    assert record["id"] == article["id"] and record["text"] == TEXT
    assert [Span(s["start"], s["end"], s["label"]) for s in record["spans"]] == sorted(ARTICLE_SPANS)
    assert all(s["text"] == TEXT[s["start"] : s["end"]] for s in record["spans"])
    starts = {t["start"] for t in record["tokens"]}
    ends = {t["end"] for t in record["tokens"]}
    assert all(s.start in starts and s.end in ends for s in ARTICLE_SPANS)
    assert record["meta"]["title"] == "Title of a.txt"


def test_spacy_docbin_round_trips_text_and_spans(gold_workspace):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    workspace, article = gold_workspace
    export(workspace, "spacy")
    data = (workspace.training_dir / "gold.spacy").read_bytes()
    [doc] = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    assert doc.text == TEXT
    assert [(e.start_char, e.end_char, e.label_) for e in doc.ents] == [
        tuple(s) for s in non_overlapping(ARTICLE_SPANS)
    ]
    assert sorted((s.start_char, s.end_char, s.label_) for s in doc.spans["sc"]) == [
        tuple(s) for s in sorted(ARTICLE_SPANS)
    ]
    assert doc.user_data["article_id"] == article["id"]


def test_adjacent_spans_of_one_label_stay_two_spans(workspace, tmp_path):
    text = "Hamas Islamic Jihad fighters"
    article = add_article(workspace, text, tmp_path)
    spans = [Span(0, 5, "actor"), Span(6, 28, "actor")]
    write_records(workspace.gold_path, [gold_record(article, spans)])
    export(workspace, "conll")
    assert read_conll(workspace.training_dir / "gold.conll", [text]) == [spans]


def test_spacy_words_rebuild_any_spacing():
    text = "A  b\n\nc\t d"
    words, spaces = spacy_words(text, tokenize(text))
    assert "".join(w + (" " if sp else "") for w, sp in zip(words, spaces, strict=True)) == text


def test_without_spacy_the_format_is_refused_in_one_line(gold_workspace, cli, monkeypatch):
    workspace, _ = gold_workspace
    monkeypatch.setitem(sys.modules, "spacy.tokens", None)
    result = cli("export", "--format", "spacy", workspace=workspace)
    assert result.exit_code == 3
    assert result.stderr == "Error: The spacy package is not installed. Install it: pip install spacy\n"


def test_gold_articles_with_open_conflicts_are_held_back_unless_asked(workspace, tmp_path):
    calm = add_article(workspace, "Police arrested two men in Lagos.", tmp_path, "calm.txt")
    torn = add_article(workspace, TEXT, tmp_path, "torn.txt")
    conflict = {"start": 0, "end": 9, "reason": "no extent reached support", "candidates": []}
    write_records(
        workspace.gold_path,
        [gold_record(calm, [Span(27, 32, "location")]), gold_record(torn, ARTICLE_SPANS[:1], [conflict])],
    )
    held = export(workspace, "jsonl")
    assert (held.articles, held.held_back) == (1, 1)
    included = export(workspace, "jsonl", include_conflicts=True)
    assert (included.articles, included.held_back) == (2, 0)


def test_records_of_a_changed_text_or_an_unknown_article_are_skipped_and_counted(workspace, tmp_path):
    article = add_article(workspace, TEXT, tmp_path)
    stale = {**gold_record(article, ARTICLE_SPANS), "sha256": "0" * 64}
    ghost = {**gold_record(article, []), "article_id": "ffffffffffffffff"}
    write_records(workspace.gold_path, [stale, ghost])
    summary = export(workspace, "conll")
    assert (summary.articles, summary.text_changed, summary.not_in_corpus) == (0, 1, 1)


def test_one_annotator_newest_submitted_annotation(workspace, tmp_path):
    article = add_article(workspace, TEXT, tmp_path)
    write_records(
        workspace.annotations_path,
        [
            annotation_record(article, "ann-01", [span_at(TEXT, "drones", "weapon")], updated="2026-01-02"),
            annotation_record(article, "ann-01", [ARTICLE_SPANS[0]], updated="2026-01-01"),
            annotation_record(article, "ann-02", [ARTICLE_SPANS[-1]], updated="2026-01-01"),
            annotation_record(article, "ann-03", [Span(0, 3, "actor")], updated="2026-01-01", status="cancelled"),
        ],
    )
    summary = export(workspace, "jsonl", source="ann-01")
    [record] = [json.loads(line) for line in (workspace.training_dir / "ann-01.jsonl").read_text().splitlines()]
    assert [s["text"] for s in record["spans"]] == ["drones"] and summary.cut_tokens == []
    assert export(workspace, "jsonl", source="ann-03").articles == 0  # only a cancelled annotation
    odd = {**annotation_record(article, "ann-02", []), "spans": [{"start": 0, "end": 3, "label": "vehicle"}]}
    write_records(workspace.annotations_path, [odd])
    left = export(workspace, "jsonl", source="ann-02")
    assert (left.articles, dict(left.records_left_out)) == (0, {"unknown_label": 1})  # counted, not silent


def test_cli_errors_are_one_line(workspace, cli, tmp_path):
    add_article(workspace, TEXT, tmp_path)
    no_gold = cli("export", "--format", "conll", workspace=workspace)
    assert (no_gold.exit_code, no_gold.stderr) == (
        1,
        "Error: No gold standard yet: gold/gold.jsonl is missing or empty. Settle it first: `annotate gold`.\n",
    )
    assert cli("export", "--format", "brat", workspace=workspace).exit_code == 2
    unknown = cli("export", "--format", "conll", "--source", "ann-07", workspace=workspace)
    assert unknown.exit_code == 1 and "No annotator 'ann-07'" in unknown.stderr and "annotate import" in unknown.stderr


def test_cli_json_report(gold_workspace, cli, tmp_path):
    workspace, _ = gold_workspace
    target = tmp_path / "out" / "train.conll"
    result = cli("export", "--format", "conll", "--out", target, "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["articles"] == 1 and report["spans"] == 5 and len(report["cut_tokens"]) == 1
    assert target.is_file() and "cut token:" in result.stderr


def test_the_registry_is_the_list_of_formats():
    assert set(exports.FORMATS) == {"conll", "spacy", "jsonl"}


# -- properties -------------------------------------------------------------------------------------

WORDS = st.lists(st.sampled_from(["drones", "hit", "Kyiv's", "AK-47", "🔥fire", "three", ",", "army"]), max_size=12)


@st.composite
def text_and_spans(draw):
    text = " ".join(draw(WORDS))
    spans = []
    for _ in range(draw(st.integers(0, 4))):
        if len(text) < 2:
            break
        start = draw(st.integers(0, len(text) - 1))
        end = draw(st.integers(start + 1, len(text)))
        if text[start].isspace() or text[end - 1].isspace():
            continue
        spans.append(Span(start, end, draw(st.sampled_from(["actor", "weapon"]))))
    return text, spans


@settings(max_examples=300, deadline=None)
@given(text_and_spans())
def test_cut_tokens_put_every_span_edge_on_a_token_edge_and_lose_no_character(case):
    text, spans = case
    original = tokenize(text)
    tokens, cuts = split_tokens_at_spans(original, spans)
    edges = {edge for token in tokens for edge in token}
    assert all(s.start in edges and s.end in edges for s in spans)
    assert "".join(text[a:b] for a, b in tokens) == "".join(text[a:b] for a, b in original)
    assert (tokens == original) == (cuts == [])
    kept = non_overlapping(spans)
    assert all(a == b or not a.overlaps(b) for a in kept for b in kept)
    assert all(span in kept for span in spans if not any(o != span and o.overlaps(span) for o in spans))
    assert bio_tags_to_spans(tokens, spans_to_bio_tags(tokens, kept)) == kept
