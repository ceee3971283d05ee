"""Settling document-level choices: hand-worked cases for each kind of control, properties any settling
must have, and gold over a workspace whose schema has controls (records written directly)."""

from __future__ import annotations

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from annotate.gold import gold, settle_choices, support_needed
from annotate.schema import Control, Option

from .choices import CATEGORY, add_texts, choice_record, use_choice_schema
from .records import write_records

A, B, C, D = "ann-01", "ann-02", "ann-03", "ann-04"
SINGLE = Control("Severity", "single", (Option("Minor"), Option("Serious"), Option("Fatal")))
MULTIPLE = Control("Setting", "multiple", (Option("Traffic stop"), Option("Domestic call"), Option("Ambush")))
TAXONOMY = Control(
    "Category",
    "taxonomy",
    (Option("Killed", (Option("Feloniously Killed"), Option("Accidentally Killed"))), Option("Assaulted")),
)


def settle(control, selections, strategy="majority", min_support=None):
    return settle_choices(control, selections, support_needed(strategy, len(selections), min_support))


# -- single choice ---------------------------------------------------------------------------------------


def test_single_two_of_three_is_gold():
    settled = settle(SINGLE, {A: ["Serious"], B: ["Serious"], C: ["Fatal"]})
    assert (settled.value, settled.settled, settled.conflict) == (["Serious"], "majority", None)
    assert settled.support == {"Serious": [A, B], "Fatal": [C]}


def test_single_everyone_the_same_is_unanimous_and_one_annotator_is_single():
    assert settle(SINGLE, {A: ["Minor"], B: ["Minor"]}).settled == "unanimous"
    assert (settle(SINGLE, {A: ["Fatal"]}).value, settle(SINGLE, {A: ["Fatal"]}).settled) == (["Fatal"], "single")
    assert (settle(SINGLE, {A: []}).value, settle(SINGLE, {A: []}).settled) == ([], "single")


def test_single_choosing_nothing_is_a_reading_too():
    settled = settle(SINGLE, {A: [], B: [], C: ["Minor"]})
    assert (settled.value, settled.settled, settled.conflict) == ([], "majority", None)
    assert settled.support == {"Minor": [C]}


def test_single_three_readings_of_three_annotators_is_a_conflict():
    settled = settle(SINGLE, {A: ["Minor"], B: ["Serious"], C: []})
    assert (settled.value, settled.settled) == ([], None)
    assert settled.options == ["Minor", "Serious"]
    assert settled.conflict == (
        "no choice in 'Severity' has the 2 of 3 annotators needed: 'Minor' 1, 'Serious' 1, nothing 1"
    )


@pytest.mark.parametrize(
    "selections",
    [
        {A: ["Minor"], B: ["Fatal"]},  # 1 against 1
        {A: ["Minor"], B: []},  # 1 against nothing
        {A: ["Minor"], B: ["Minor"], C: ["Fatal"], D: ["Fatal"]},  # 2 against 2
    ],
)
def test_single_ties_are_conflicts(selections):
    settled = settle(SINGLE, selections)
    assert settled.settled is None and settled.conflict and settled.value == []


def test_single_unanimous_needs_everyone_and_a_low_min_support_can_settle_two_options():
    assert settle(SINGLE, {A: ["Minor"], B: ["Minor"], C: []}, "unanimous").settled is None
    two = settle(SINGLE, {A: ["Minor"], B: ["Fatal"], C: []}, min_support=1)
    assert two.settled is None and "options 'Minor', 'Fatal' of 'Severity' each have the 1 needed" in two.conflict
    one = settle(SINGLE, {A: ["Minor"], B: [], C: []}, min_support=1)
    assert (one.value, one.settled) == (["Minor"], "majority")  # a choice with the support wins over nothing


# -- multiple choice and taxonomy ------------------------------------------------------------------------


def test_multiple_each_option_by_majority_selected_or_left():
    settled = settle(MULTIPLE, {A: ["Traffic stop", "Ambush"], B: ["Traffic stop"], C: ["Ambush", "Traffic stop"]})
    assert (settled.value, settled.settled, settled.conflict) == (["Traffic stop", "Ambush"], "majority", None)
    assert settled.support == {"Traffic stop": [A, B, C], "Ambush": [A, C]}
    same = settle(MULTIPLE, {A: ["Ambush"], B: ["Ambush"], C: ["Ambush"]})
    assert (same.value, same.settled) == (["Ambush"], "unanimous")


def test_multiple_a_tie_on_an_option_is_one_conflict_for_the_control_and_the_rest_stays_settled():
    settled = settle(MULTIPLE, {A: ["Traffic stop", "Ambush"], B: ["Traffic stop"]})
    assert (settled.value, settled.settled, settled.options) == (["Traffic stop"], None, ["Ambush"])
    four = settle(MULTIPLE, {A: ["Ambush"], B: ["Ambush", "Domestic call"], C: ["Domestic call"], D: []})
    assert four.options == ["Domestic call", "Ambush"] and four.value == []
    assert "selected by 'Domestic call' 2, 'Ambush' 2" in four.conflict


def test_multiple_unanimous_strategy_leaves_a_two_of_three_option_undecided():
    settled = settle(MULTIPLE, {A: ["Ambush"], B: ["Ambush"], C: []}, "unanimous")
    assert settled.options == ["Ambush"] and settled.settled is None


def test_taxonomy_options_are_paths_settled_one_by_one():
    settled = settle(
        TAXONOMY,
        {A: ["Killed", "Killed / Feloniously Killed"], B: ["Killed / Feloniously Killed"], C: ["Killed"]},
    )
    assert settled.value == ["Killed", "Killed / Feloniously Killed"] and settled.settled == "majority"
    assert settled.support == {"Killed": [A, C], "Killed / Feloniously Killed": [A, B]}


# -- properties: what every settling must satisfy, checked on random selections -------------------------


@st.composite
def selections_of(draw, control):
    names = control.option_names
    count = draw(st.integers(1, 5))
    if control.multiple:
        chosen = st.lists(st.sampled_from(names), unique=True, max_size=len(names))
    else:
        chosen = st.lists(st.sampled_from(names), max_size=1)
    return {f"ann-{n:02d}": draw(chosen) for n in range(1, count + 1)}


@settings(max_examples=300, deadline=None)
@given(data=st.data(), control=st.sampled_from([SINGLE, MULTIPLE, TAXONOMY]), min_support=st.none() | st.integers(1, 5))
def test_settling_properties(data, control, min_support):
    selections = data.draw(selections_of(control))
    n = len(selections)
    needed = support_needed("majority", n, min_support)
    settled = settle_choices(control, selections, needed)
    readings = {annotator: frozenset(chosen) for annotator, chosen in selections.items()}
    # unanimous exactly when everyone read it the same; one annotator settles alone
    if n == 1:
        (only,) = selections.values()
        assert settled.settled == "single" and settled.value == sorted(only, key=control.option_names.index)
    elif len(set(readings.values())) == 1:
        assert settled.settled == "unanimous"
    else:
        assert settled.settled != "unanimous"
    # support is who selected what
    for option in control.option_names:
        assert settled.support.get(option, []) == sorted(a for a, chosen in selections.items() if option in chosen)
    # every option in the value has the support needed; a conflict has a reason and options in question
    assert all(len(settled.support[option]) >= needed for option in settled.value)
    assert (settled.settled is None) == (settled.conflict is not None)
    if settled.conflict:
        assert settled.options and set(settled.options) <= set(settled.support)
    if control.multiple and needed > n / 2:
        # a strict majority: an option is present, absent, or (only on a tie of an even count) undecided
        for option in control.option_names:
            count = len(settled.support.get(option, []))
            assert (option in settled.value) == (count >= needed)
            assert (option in settled.options) == (n - needed < count < needed)
        if n % 2 == 1 and needed == n // 2 + 1:
            assert settled.conflict is None  # a majority of an odd number: no tie


# -- gold over a workspace ----------------------------------------------------------------------------


@pytest.fixture
def incidents(workspace, tmp_path):
    use_choice_schema(workspace)
    return add_texts(workspace, tmp_path)


def by_article(workspace):
    return {record["article_id"]: record for record in workspace.read_gold()}


def test_gold_settles_each_control_and_lists_choice_conflicts(workspace, incidents):
    first, second, third = incidents
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, {"Severity": ["Serious"], "Setting": ["Traffic stop"], "text": ["Assaulted"]},
                          [("Red Brigade", "armed group")]),
            choice_record(first, B, {"Severity": ["Serious"], "Setting": ["Traffic stop", "Ambush"],
                                     "text": ["Assaulted"]}, [("Red Brigade", "armed group")]),
            choice_record(first, C, {"Severity": ["Fatal"], "Setting": ["Traffic stop"],
                                     "text": ["Killed", "Killed / Feloniously Killed"]}),
            choice_record(second, A, {"Severity": ["Minor"], "Setting": ["Domestic call"]}, [("bat", "weapon")]),
            choice_record(second, B, {"Severity": ["Serious"], "Setting": ["Domestic call"]}, [("bat", "weapon")]),
            choice_record(third, A, {"Severity": ["Fatal"], "text": ["Killed / Accidentally Killed"]}),
        ],
    )  # fmt: skip
    summary = gold(workspace)
    found = by_article(workspace)
    one = found[first["id"]]
    assert list(one) == [
        "article_id", "sha256", "strategy", "min_support", "support_needed", "settled_by", "decided_by",
        "annotators", "spans", "choices", "conflicts",
    ]  # fmt: skip
    assert one["choices"] == {
        "Severity": {"value": ["Serious"], "settled": "majority", "support": {"Serious": [A, B], "Fatal": [C]}},
        "Setting": {"value": ["Traffic stop"], "settled": "majority",
                    "support": {"Traffic stop": [A, B, C], "Ambush": [B]}},
        "text": {"value": ["Assaulted"], "settled": "majority",
                 "support": {"Killed": [C], "Killed / Feloniously Killed": [C], "Assaulted": [A, B]}},
    }  # fmt: skip
    assert one["conflicts"] == []
    two = found[second["id"]]
    assert two["choices"]["Severity"] == {"value": [], "settled": None, "support": {"Minor": [A], "Serious": [B]}}
    assert two["choices"]["Setting"]["settled"] == "unanimous" and two["choices"]["text"]["settled"] == "unanimous"
    assert two["conflicts"] == [
        {
            "control": "Severity",
            "kind": "choice",
            "reason": "no choice in 'Severity' has the 2 of 2 annotators needed: 'Minor' 1, 'Serious' 1",
            "candidates": [{"option": "Minor", "support": [A]}, {"option": "Serious", "support": [B]}],
        }
    ]
    three = found[third["id"]]
    assert three["choices"]["text"] == {
        "value": ["Killed / Accidentally Killed"], "settled": "single",
        "support": {"Killed / Accidentally Killed": [A]},
    }  # fmt: skip
    report = summary.as_dict()
    assert report["conflicts_per_kind"] == {"choice": 1}
    assert report["articles"] | {"settled_by": None} == {
        "settled": 3, "complete": 2, "with_conflicts": 1, "awaiting_adjudication": 0, "settled_by": None,
    }  # fmt: skip
    assert report["choices"]["Severity"] == {
        "settled": {"single": 1, "unanimous": 0, "majority": 1, "adjudicated": 0, "ground_truth": 0},
        "in_conflict": 1,
        "values": {"Minor": 0, "Serious": 1, "Fatal": 1},
    }
    assert report["choices"]["text"]["values"] == dict.fromkeys(CATEGORY, 0) | {
        "Assaulted": 1,
        "Killed / Accidentally Killed": 1,
    }
    assert report["balanced"] is True


def test_ground_truth_and_adjudication_settle_the_choices_too(workspace, incidents):
    first, second, third = incidents
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, {"Severity": ["Minor"]}),
            choice_record(first, B, {"Severity": ["Minor"]}),
            choice_record(first, C, {"Severity": ["Fatal"], "Setting": ["Ambush"]}, ground_truth=True),
            choice_record(second, A, {"Severity": ["Minor"]}),
            choice_record(second, B, {"Severity": ["Serious"]}),
            choice_record(third, A, {"Severity": ["Minor"]}),
            choice_record(third, B, {"Severity": ["Serious"]}),
        ],
    )
    decision = {"article_id": second["id"], "sha256": second["sha256"], "spans": [], "adjudicator": D,
                "updated_at": "2026-11-22T10:00:00Z", "origin": {"project": 9, "task": 1, "annotation": 5},
                "choices": {"Severity": ["Serious"], "Setting": [], "text": ["Assaulted"]}}  # fmt: skip
    damaged = {**decision, "article_id": third["id"], "sha256": third["sha256"], "choices": {"Severity": ["Bad"]}}
    write_records(workspace.adjudications_path, [decision, damaged])
    summary = gold(workspace)
    found = by_article(workspace)
    truth = found[first["id"]]["choices"]
    support = {"Minor": [A, B], "Fatal": [C]}
    assert truth["Severity"] == {"value": ["Fatal"], "settled": "ground_truth", "support": support}
    assert truth["Setting"] == {"value": ["Ambush"], "settled": "ground_truth", "support": {"Ambush": [C]}}
    decided = found[second["id"]]
    assert decided["choices"]["Severity"]["value"] == ["Serious"] and decided["conflicts"] == []
    assert decided["choices"]["text"] == {"value": ["Assaulted"], "settled": "adjudicated", "support": {}}
    assert summary.adjudications_ignored == [
        f"article {third['id']}: the adjudication's spans do not fit the article (damaged file?); ignored"
    ]
    assert [c["kind"] for c in found[third["id"]]["conflicts"]] == ["choice"]
    assert summary.as_dict()["choices"]["Severity"]["settled"]["adjudicated"] == 1 and summary.balanced


def test_a_record_with_an_option_the_control_lacks_is_left_out_and_counted(workspace, incidents):
    first = incidents[0]
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, {"Severity": ["Minor"]}),
            choice_record(first, B, {"Severity": ["Lethal"]}),
            choice_record(first, C, {"Severity": ["Minor", "Fatal"]}),
        ],
    )
    summary = gold(workspace)
    (settled,) = workspace.read_gold()
    assert settled["annotators"] == [A] and settled["choices"]["Severity"]["settled"] == "single"
    assert summary.records["unknown_label"] == 1 and summary.records["malformed"] == 1 and summary.balanced
    assert summary.problems == [
        f"annotation record 2 (article {first['id']} by {B}): option 'Lethal' is not an option of control "
        "'Severity'; left out",
        f"annotation record 3 (article {first['id']} by {C}): 2 options of the single-choice control "
        "'Severity'; left out",
    ]


def test_the_adjudicated_strategy_keeps_choice_conflicts_before_the_awaiting_one(workspace, incidents):
    first = incidents[0]
    write_records(
        workspace.annotations_path,
        [choice_record(first, A, {"Severity": ["Minor"]}), choice_record(first, B, {"Severity": ["Fatal"]})],
    )
    gold(workspace, "adjudicated")
    (settled,) = workspace.read_gold()
    assert [c["kind"] for c in settled["conflicts"]] == ["choice", "awaiting-adjudication"]


def test_the_cli_reports_each_control(cli, workspace, incidents):
    first = incidents[0]
    write_records(
        workspace.annotations_path,
        [choice_record(first, A, {"Severity": ["Minor"]}), choice_record(first, B, {"Severity": ["Minor"]})],
    )
    said = cli("gold", workspace=workspace)
    assert said.exit_code == 0, said.stderr
    assert (
        "Choice Severity: settled unanimous 1; in conflict 0; articles per option: Minor 1, Serious 0, Fatal 0.\n"
        in said.stdout
    )
    assert "The figures add up." in said.stdout
    report = json.loads(cli("gold", "--json", workspace=workspace).stdout)
    assert list(report["choices"]) == ["Severity", "Setting", "text"]


def test_a_schema_without_controls_has_no_choices_anywhere(cli, workspace, tmp_path):
    articles = add_texts(workspace, tmp_path, ["Gunmen attacked a police post in Kano."])
    from .records import annotation_record, span_at

    text = articles[0]["text"]
    write_records(workspace.annotations_path, [annotation_record(articles[0], A, [span_at(text, "Gunmen", "actor")])])
    report = json.loads(cli("gold", "--json", workspace=workspace).stdout)
    assert "choices" not in report
    (settled,) = workspace.read_gold()
    assert "choices" not in settled
