"""Settling gold: hand-worked cases for every rule, a brute-force property check, the bundled export, the CLI.

The brute force below re-derives, from the rules as the module docstring states them, which
candidates are gold, rejected or in a conflict, with its own naive code (all pairs, transitive
closure by repeated passes), and holds ``settle_spans`` to it on random annotations.
"""

from __future__ import annotations

import json
import random
from collections import defaultdict

import orjson
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate import corpus
from annotate.gold import gold, settle_spans, support_needed
from annotate.spans import Span

from .records import annotation_record, span_at, write_records

A, B, C, D = "ann-01", "ann-02", "ann-03", "ann-04"
X = Span(0, 10, "actor")


def spans_of(candidates):
    return [c.span for c in candidates]


# -- settle_spans: hand-worked cases --------------------------------------------------------------------


def test_majority_two_of_three_is_gold_the_third_reading_is_rejected():
    marks = {A: [X], B: [X], C: [Span(0, 10, "casualty")]}
    settled = settle_spans(marks, support_needed("majority", 3))
    assert [(c.span, c.support) for c in settled.gold] == [(X, frozenset({A, B}))]
    assert spans_of(settled.rejected) == [Span(0, 10, "casualty")]
    assert settled.conflicts == []


def test_a_lone_minority_span_is_rejected_not_a_conflict():
    marks = {A: [X, Span(20, 25, "weapon")], B: [X], C: [X]}
    settled = settle_spans(marks, 2)
    assert spans_of(settled.gold) == [X]
    assert spans_of(settled.rejected) == [Span(20, 25, "weapon")] and settled.conflicts == []


def test_unanimous_needs_everyone_and_a_two_of_three_span_is_rejected():
    marks = {A: [X, Span(20, 25, "weapon")], B: [X, Span(20, 25, "weapon")], C: [X]}
    assert support_needed("unanimous", 3) == 3
    settled = settle_spans(marks, support_needed("unanimous", 3))
    assert spans_of(settled.gold) == [X]
    assert spans_of(settled.rejected) == [Span(20, 25, "weapon")] and settled.conflicts == []


def test_same_extent_other_labels_from_enough_annotators_is_a_label_conflict():
    marks = {A: [Span(0, 10, "actor")], B: [Span(0, 10, "casualty")], C: []}
    (conflict,) = settle_spans(marks, 2).conflicts
    assert (conflict.kind, conflict.start, conflict.end) == ("label", 0, 10)
    assert [(c.span.label, c.support) for c in conflict.candidates] == [
        ("actor", frozenset({A})),
        ("casualty", frozenset({B})),
    ]
    assert "2 of 3 annotators" in conflict.reason and "label" in conflict.reason


def test_a_tie_is_a_conflict_two_annotators_and_two_against_two():
    two = settle_spans({A: [X], B: [Span(0, 10, "weapon")]}, support_needed("majority", 2))
    assert support_needed("majority", 2) == 2 and [c.kind for c in two.conflicts] == ["label"]
    four = {A: [X], B: [X], C: [Span(0, 10, "weapon")], D: [Span(0, 10, "weapon")]}
    settled = settle_spans(four, support_needed("majority", 4))
    assert support_needed("majority", 4) == 3
    assert settled.gold == [] and len(settled.conflicts) == 1 and len(settled.conflicts[0].candidates) == 2


def test_other_extents_of_one_label_are_a_boundary_conflict_spanning_them_all():
    marks = {A: [Span(0, 15, "casualty")], B: [Span(6, 15, "casualty")], C: [Span(0, 9, "casualty")]}
    (conflict,) = settle_spans(marks, 2).conflicts
    assert (conflict.kind, conflict.start, conflict.end) == ("boundary", 0, 15)
    assert len(conflict.candidates) == 3 and "extent" in conflict.reason


def test_label_and_extent_both_differing():
    marks = {A: [Span(0, 15, "casualty")], B: [Span(6, 15, "actor")], C: []}
    assert [c.kind for c in settle_spans(marks, 2).conflicts] == ["label-and-boundary"]


def test_two_minority_spans_from_one_annotator_do_not_make_a_conflict():
    marks = {A: [Span(0, 15, "casualty"), Span(6, 15, "actor")], B: [], C: []}
    settled = settle_spans(marks, 2)
    assert settled.conflicts == [] and len(settled.rejected) == 2


def test_nested_spans_marked_together_are_both_gold():
    outer, inner = Span(0, 15, "casualty"), Span(6, 8, "actor")
    settled = settle_spans({A: [outer, inner], B: [outer, inner], C: [outer]}, 2)
    assert spans_of(settled.gold) == [outer, inner] and settled.conflicts == []


def test_with_a_low_min_support_overlapping_settled_spans_of_different_annotators_conflict():
    marks = {A: [Span(0, 10, "actor")], B: [Span(5, 12, "actor")], C: [Span(30, 35, "weapon")]}
    assert support_needed("majority", 3, min_support=1) == 1
    settled = settle_spans(marks, 1)
    assert spans_of(settled.gold) == [Span(30, 35, "weapon")]
    (conflict,) = settled.conflicts
    assert conflict.kind == "overlapping-settled" and (conflict.start, conflict.end) == (0, 12)


def test_a_minority_span_beside_contested_ones_joins_their_conflict():
    marks = {A: [Span(0, 10, "actor")], B: [Span(0, 10, "actor"), Span(8, 20, "actor")],
             C: [Span(8, 20, "actor")], D: [Span(9, 11, "weapon")]}  # fmt: skip
    settled = settle_spans(marks, 2)  # A,B and B,C share B: not contested, both gold
    assert spans_of(settled.gold) == [Span(0, 10, "actor"), Span(8, 20, "actor")]
    assert spans_of(settled.rejected) == [Span(9, 11, "weapon")]
    marks[B] = [Span(0, 10, "actor")]
    marks[D] = [Span(8, 20, "actor"), Span(9, 11, "weapon")]
    settled = settle_spans(marks, 2)  # {A,B} and {C,D}: disjoint supports, overlapping
    assert settled.gold == [] and len(settled.conflicts) == 1
    assert spans_of(settled.conflicts[0].candidates) == [
        Span(0, 10, "actor"),
        Span(8, 20, "actor"),
        Span(9, 11, "weapon"),
    ]


def test_min_support_above_the_annotators_of_an_article_means_all_of_them():
    assert support_needed("majority", 2, min_support=3) == 2
    assert support_needed("majority", 1) == 1 and support_needed("unanimous", 1) == 1


# -- the brute force ------------------------------------------------------------------------------------


def overlap(a: Span, b: Span) -> bool:
    return a.start < b.end and b.start < a.end


def closure(items: list[Span]) -> list[set[Span]]:
    """Connected components under overlap, by merging sets until nothing changes."""
    groups = [{item} for item in items]
    merged = True
    while merged:
        merged = False
        for i in range(len(groups)):
            for j in range(i + 1, len(groups)):
                if any(overlap(a, b) for a in groups[i] for b in groups[j]):
                    groups[i] |= groups.pop(j)
                    merged = True
                    break
            if merged:
                break
    return groups


span_strategy = st.builds(
    lambda start, length, label: Span(start, start + length, label),
    st.integers(0, 30),
    st.integers(1, 8),
    st.sampled_from(["actor", "weapon"]),
)


@settings(max_examples=300, deadline=None)
@given(
    st.dictionaries(st.sampled_from([A, B, C, D]), st.lists(span_strategy, max_size=5), min_size=1),
    st.one_of(st.none(), st.integers(1, 4)),
)
def test_settling_agrees_with_a_brute_force_of_the_rules(marks, min_support):
    needed = support_needed("majority", len(marks), min_support)
    settled = settle_spans(marks, needed)
    support = defaultdict(set)
    for who, spans in marks.items():
        for span in spans:
            support[span].add(who)
    passed = {s for s in support if len(support[s]) >= needed}
    gold = spans_of(settled.gold)
    rejected = spans_of(settled.rejected)
    in_conflicts = [c.span for conflict in settled.conflicts for c in conflict.candidates]
    # every candidate lands exactly once
    assert sorted(gold + rejected + in_conflicts) == sorted(support)
    # gold: passed, and not contested by an overlapping passed span from other annotators
    contested = {p for p in passed for q in passed if p != q and overlap(p, q) and not support[p] & support[q]}
    assert set(gold) == passed - contested
    assert all(len(c.support) >= needed and c.support == frozenset(support[c.span]) for c in settled.gold)
    if min_support is None:  # two disjoint majorities do not exist: every majority span is gold
        assert set(gold) == passed
    # every passed candidate is gold unless in a conflict
    assert passed <= set(gold) | set(in_conflicts)
    # failing candidates that overlap no passed span: each overlap cluster is one conflict if its
    # annotators together have the support needed, else rejected
    free = [s for s in support if s not in passed and not any(overlap(s, p) for p in passed)]
    conflicts_by_members = {frozenset(spans_of(c.candidates)): c for c in settled.conflicts}
    for cluster in closure(free):
        annotators = set().union(*(support[s] for s in cluster))
        if len(annotators) >= needed:
            assert conflicts_by_members[frozenset(cluster)].kind in ("label", "boundary", "label-and-boundary")
        else:
            assert cluster <= set(rejected)
    # failing candidates that overlap an uncontested gold span and no contested one are rejected
    for s in support:
        if s not in passed and any(overlap(s, g) for g in gold) and not any(overlap(s, c) for c in contested):
            assert s in rejected
    # the conflicts' stretch covers their candidates
    for conflict in settled.conflicts:
        assert conflict.start == min(c.span.start for c in conflict.candidates)
        assert conflict.end == max(c.span.end for c in conflict.candidates)


# -- the stage over a workspace ---------------------------------------------------------------------------

TEXTS = [
    "Gunmen attacked a police post in Kano on Monday, killing three officers with rifles.",
    "A drone strike hit a convoy near Idlib, and two fighters died in the blast.",
    "Shelling struck the market in Donetsk overnight; officials said nobody was hurt.",
]


@pytest.fixture
def articles(workspace, tmp_path):
    source = tmp_path / "articles.jsonl"
    source.write_text("".join(json.dumps({"text": text}) + "\n" for text in TEXTS), encoding="utf-8")
    corpus.add(workspace, [source])
    return list(workspace.read_articles())


def record(article, annotator, phrases, status="submitted", ground_truth=False, sha256=None, updated="2026-11-20"):
    spans = [span_at(article["text"], phrase, label) for phrase, label in phrases]
    return annotation_record(article, annotator, spans, status, ground_truth, sha256, updated)


def by_article(workspace):
    return {r["article_id"]: r for r in workspace.read_gold()}


def triples(record_or_spans):
    spans = record_or_spans["spans"] if isinstance(record_or_spans, dict) else record_or_spans
    return [(s["text"], s["label"], s["settled"], s["support"]) for s in spans]


def test_gold_over_a_workspace_cancelled_single_and_changed_text(workspace, articles):
    first, second, third = articles
    write_records(
        workspace.annotations_path,
        [
            record(first, A, [("Gunmen", "actor"), ("Kano", "location")]),
            record(second, A, [("drone", "weapon")]),
            record(first, B, [("Gunmen", "actor"), ("rifles", "weapon")]),
            record(first, C, [], status="cancelled"),
            record(third, A, [("Shelling", "weapon"), ("Donetsk", "location")]),
            record(second, B, [("drone", "weapon")], sha256="0" * 64),
        ],
    )
    summary = gold(workspace)
    found = by_article(workspace)
    # the cancelled annotator is not an annotator: 2 of 2 is unanimous, not a majority of 3
    assert found[first["id"]]["annotators"] == [A, B] and found[first["id"]]["support_needed"] == 2
    assert triples(found[first["id"]]) == [("Gunmen", "actor", "unanimous", [A, B])]
    assert [c["kind"] for c in found[first["id"]]["conflicts"]] == []  # Kano and rifles: lone, rejected
    # B's annotation of the second article is on another text: left out, listed; A alone settles it
    assert found[second["id"]]["settled_by"] == "single"
    assert triples(found[second["id"]]) == [("drone", "weapon", "single", [A])]
    assert summary.text_changed == [f"article {second['id']} by {B}"]
    assert triples(found[third["id"]]) == [
        ("Shelling", "weapon", "single", [A]),
        ("Donetsk", "location", "single", [A]),
    ]
    assert [r["article_id"] for r in workspace.read_gold()] == [a["id"] for a in articles]  # corpus order
    figures = summary.as_dict()
    assert figures["records"] | {"read": 6} == {
        "read": 6, "used": 4, "cancelled": 1, "not_submitted": 0, "superseded": 0, "malformed": 0,
        "unknown_label": 0, "not_in_corpus": 0, "text_changed": 1, "offsets_outside_text": 0,
    }  # fmt: skip
    assert figures["candidates"] == {"total": 6, "gold": 4, "rejected": 2, "in_conflicts": 0, "overridden": 0}
    assert figures["articles"]["complete"] == 3 and summary.balanced


def test_ground_truth_overrides_the_majority_and_is_reported(workspace, articles, cli):
    first = articles[0]
    write_records(
        workspace.annotations_path,
        [
            record(first, A, [("Gunmen", "actor")]),
            record(first, B, [("Gunmen", "actor")]),
            record(first, C, [("Gunmen", "casualty"), ("Kano", "location")], ground_truth=True),
        ],
    )
    summary = gold(workspace)
    (settled,) = workspace.read_gold()
    assert settled["settled_by"] == "ground_truth" and settled["decided_by"] == C
    assert triples(settled) == [("Gunmen", "casualty", "ground_truth", [C]), ("Kano", "location", "ground_truth", [C])]
    assert settled["conflicts"] == [] and summary.ground_truth == [first["id"]]
    assert summary.candidates["overridden"] == 3 and summary.balanced
    said = cli("gold", workspace=workspace)
    assert said.stderr == f"ground truth: article {first['id']} settled by its ground_truth annotation\n"


def adjudication(article, phrases, sha256=None, who=D, updated="2026-11-22T10:00:00Z"):
    spans = [{"start": article["text"].index(p), "end": article["text"].index(p) + len(p), "label": label, "text": p}
             for p, label in phrases]  # fmt: skip
    origin = {"project": 9, "task": 1, "annotation": 5}
    return {"article_id": article["id"], "sha256": sha256 or article["sha256"], "spans": spans,
            "adjudicator": who, "updated_at": updated, "origin": origin}  # fmt: skip


def test_an_adjudication_overrides_ground_truth_and_a_stale_one_is_ignored(workspace, articles):
    first, second = articles[:2]
    write_records(
        workspace.annotations_path,
        [
            record(first, A, [("Gunmen", "actor")], ground_truth=True),
            record(first, B, [("Gunmen", "casualty")]),
            record(second, A, [("drone", "weapon")]),
            record(second, B, [("drone strike", "weapon")]),
        ],
    )
    write_records(
        workspace.adjudications_path,
        [adjudication(first, [("Gunmen", "actor"), ("rifles", "weapon")]),
         adjudication(second, [("drone", "weapon")], sha256="f" * 64)],
    )  # fmt: skip
    summary = gold(workspace)
    found = by_article(workspace)
    assert found[first["id"]]["settled_by"] == "adjudicated" and found[first["id"]]["decided_by"] == D
    assert triples(found[first["id"]]) == [
        ("Gunmen", "actor", "adjudicated", [A]),
        ("rifles", "weapon", "adjudicated", []),
    ]
    assert summary.adjudicated == [first["id"]] and summary.ground_truth_overruled == [first["id"]]
    assert summary.ground_truth == []
    # the stale decision is ignored: the article falls back to the strategy and its conflict stays open
    assert summary.adjudications_ignored == [
        f"article {second['id']}: adjudicated on another text (its sha256 differs); ignored"
    ]
    assert [c["kind"] for c in found[second["id"]]["conflicts"]] == ["boundary"]
    assert summary.as_dict()["articles"] | {"settled_by": None} == {
        "settled": 2, "complete": 1, "with_conflicts": 1, "awaiting_adjudication": 0, "settled_by": None,
    }  # fmt: skip


def test_adjudicated_strategy_counts_only_adjudicated_articles_as_complete(workspace, articles):
    first, second = articles[:2]
    write_records(
        workspace.annotations_path,
        [record(first, A, [("Gunmen", "actor")]), record(first, B, [("Gunmen", "actor")]),
         record(second, A, [("drone", "weapon")]), record(second, B, [("drone", "weapon")])],
    )  # fmt: skip
    write_records(workspace.adjudications_path, [adjudication(first, [("Kano", "location")])])
    summary = gold(workspace, "adjudicated")
    found = by_article(workspace)
    assert found[first["id"]]["conflicts"] == [] and triples(found[first["id"]]) == [
        ("Kano", "location", "adjudicated", [])
    ]
    (awaiting,) = found[second["id"]]["conflicts"]
    assert awaiting["kind"] == "awaiting-adjudication" and (awaiting["start"], awaiting["end"]) == (
        0,
        len(second["text"]),
    )
    assert triples(found[second["id"]]) == [("drone", "weapon", "unanimous", [A, B])]  # the proposal stays
    assert (summary.complete, summary.with_conflicts, summary.awaiting_adjudication) == (1, 1, 1)


def test_two_records_of_one_annotator_the_newest_counts_and_unknown_articles_are_counted(workspace, articles):
    first = articles[0]
    ghost = {"id": "0" * 16, "text": "x" * 40, "sha256": "1" * 64}
    write_records(
        workspace.annotations_path,
        [
            record(first, A, [("Gunmen", "actor")], updated="2026-11-21"),
            record(first, A, [("Kano", "location")], updated="2026-11-20"),
            {**record(first, B, []), "spans": [{"start": 0, "end": 3, "label": "place", "text": "Gun"}]},
            {**record(ghost, B, []), "spans": []},
        ],
    )
    summary = gold(workspace)
    (settled,) = workspace.read_gold()
    assert triples(settled) == [("Gunmen", "actor", "single", [A])]
    assert summary.records["superseded"] == 1 and summary.records["unknown_label"] == 1
    assert summary.records["not_in_corpus"] == 1 and summary.balanced
    assert any("record 3: unknown label" in line for line in summary.problems)


def test_gold_is_deterministic_whatever_the_order_of_the_records(workspace, articles):
    records = [
        record(article, who, phrases)
        for article in articles
        for who, phrases in (
            (A, [("a", "actor")]),
            (B, [("a", "actor"), ("in", "location")]),
            (C, [("in", "location")]),
        )
    ]
    write_records(workspace.annotations_path, records)
    gold(workspace)
    first = workspace.gold_path.read_bytes()
    random.Random(3).shuffle(records)
    write_records(workspace.annotations_path, records)
    gold(workspace)
    assert workspace.gold_path.read_bytes() == first
    for settled in workspace.read_gold():
        keys = [(s["start"], s["end"], s["label"]) for s in settled["spans"]]
        assert keys == sorted(keys)


# -- the bundled simulated export --------------------------------------------------------------------------


def test_the_bundled_export_under_majority_matches_an_independent_count(simulated):
    summary = gold(simulated)
    supports = defaultdict(lambda: defaultdict(set))
    annotators = defaultdict(set)
    for item in simulated.read_annotations():
        if item["status"] == "submitted":
            annotators[item["article_id"]].add(item["annotator"])
            for s in item["spans"]:
                supports[item["article_id"]][(s["start"], s["end"], s["label"])].add(item["annotator"])
    found = by_article(simulated)
    assert set(found) == set(annotators)
    for article_id, spans in supports.items():
        n = len(annotators[article_id])
        expected = sorted((key, sorted(who)) for key, who in spans.items() if 2 * len(who) > n)
        got = [((s["start"], s["end"], s["label"]), s["support"]) for s in found[article_id]["spans"]]
        assert got == expected
    total = sum(len(spans) for spans in supports.values())
    assert summary.candidates.total() == total and summary.balanced
    assert summary.complete + summary.with_conflicts == summary.articles == 36
    assert summary.records["cancelled"] == 1


# -- the command line ------------------------------------------------------------------------------------


def test_gold_without_annotations_says_to_import_first(cli, workspace):
    result = cli("gold", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No annotations yet: annotations/annotations.jsonl is missing or empty. "
        "Run `annotate import EXPORT.json` or `annotate pull` first.\n"
    )


@pytest.mark.parametrize(
    ("args", "said"),
    [
        (["--strategy", "mean"], "Error: Unknown strategy 'mean'. Use one of: majority, unanimous, adjudicated.\n"),
        (["--min-support", "0"], "Error: --min-support must be a number of annotators, 1 or more (got 0).\n"),
        (["--min-support", "-2"], "Error: --min-support must be a number of annotators, 1 or more (got -2).\n"),
        (["--strategy", "unanimous", "--min-support", "2"], "Error: --min-support goes with the majority or "
         "adjudicated strategy; unanimous takes all.\n"),
    ],
)  # fmt: skip
def test_bad_options_are_one_line_exit_2_and_write_nothing(cli, simulated, args, said):
    result = cli("gold", *args, workspace=simulated)
    assert (result.exit_code, result.stderr) == (2, said)
    assert not simulated.gold_path.exists()


def test_gold_json_and_text_report(cli, simulated):
    result = cli("gold", "--json", workspace=simulated)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["balanced"] is True and report["articles"]["settled"] == 36
    lines = [orjson.loads(line) for line in simulated.gold_path.read_bytes().splitlines()]
    assert report["conflicts"] == sum(len(r["conflicts"]) for r in lines)
    assert report["spans_per_label"] == {
        label: sum(s["label"] == label for r in lines for s in r["spans"])
        for label in ("actor", "weapon", "casualty", "location")
    }
    text = cli("gold", workspace=simulated)
    assert text.exit_code == 0 and "The figures add up." in text.stdout
    assert f"{report['articles']['with_conflicts']} with open conflicts" in text.stdout
    assert "@" not in simulated.gold_path.read_text()
