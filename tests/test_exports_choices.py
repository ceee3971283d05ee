"""Exports of a schema with document-level controls and a label with a space: JSONL carries the choices,
CoNLL tags write the space as "_" and say so, spaCy keeps the label as it is."""

from __future__ import annotations

import json

import pytest

from annotate.exports import export
from annotate.gold import gold

from .choices import CHOICE_SCHEMA, add_texts, choice_record, use_choice_schema
from .records import write_records

A, B = "ann-01", "ann-02"


@pytest.fixture
def settled(workspace, tmp_path):
    use_choice_schema(workspace)
    first, second, _ = add_texts(workspace, tmp_path)
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, {"Severity": ["Fatal"], "text": ["Killed", "Killed / Feloniously Killed"]},
                          [("Red Brigade", "armed group"), ("rifle", "weapon")]),
            choice_record(first, B, {"Severity": ["Fatal"], "text": ["Killed", "Killed / Feloniously Killed"]},
                          [("Red Brigade", "armed group"), ("rifle", "weapon")]),
            choice_record(second, A, {"Severity": ["Minor"], "Setting": ["Domestic call"]}, [("bat", "weapon")]),
            choice_record(second, B, {"Severity": ["Serious"], "Setting": ["Domestic call"]}, [("bat", "weapon")]),
        ],
    )  # fmt: skip
    gold(workspace)
    return workspace, first, second


def read_jsonl(path):
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def test_jsonl_of_gold_carries_the_settled_choices(settled):
    workspace, first, _ = settled
    summary = export(workspace, "jsonl")
    (row,) = read_jsonl(workspace.training_dir / "gold.jsonl")  # the second article has a choice conflict
    assert summary.held_back == 1 and row["id"] == first["id"]
    assert row["choices"] == {"Severity": ["Fatal"], "Setting": [], "text": ["Killed", "Killed / Feloniously Killed"]}
    assert [s["label"] for s in row["spans"]] == ["armed group", "weapon"]
    export(workspace, "jsonl", include_conflicts=True)
    rows = read_jsonl(workspace.training_dir / "gold.jsonl")
    assert rows[1]["choices"] == {"Severity": [], "Setting": ["Domestic call"], "text": []}  # Severity in conflict


def test_jsonl_of_one_annotator_carries_their_choices(settled):
    workspace, _, second = settled
    export(workspace, "jsonl", source=B)
    rows = {row["id"]: row for row in read_jsonl(workspace.training_dir / f"{B}.jsonl")}
    assert rows[second["id"]]["choices"] == {"Severity": ["Serious"], "Setting": ["Domestic call"], "text": []}


def test_an_annotators_record_with_an_unknown_option_is_left_out_and_counted(settled):
    workspace, first, _ = settled
    write_records(workspace.annotations_path, [choice_record(first, A, {"Severity": ["Lethal"]})])
    summary = export(workspace, "jsonl", source=A)
    assert (summary.articles, dict(summary.records_left_out)) == (0, {"unknown_option": 1})


def test_conll_tags_write_inner_spaces_as_underscores_and_say_so_once(settled, cli):
    workspace = settled[0]
    said = cli("export", "--format", "conll", workspace=workspace)
    assert said.exit_code == 0, said.stderr
    assert said.stdout.count("inner spaces") == 1
    assert "CoNLL tags write a label's inner spaces as '_': 'armed group' as armed_group." in said.stdout
    lines = (workspace.training_dir / "gold.conll").read_text(encoding="utf-8").splitlines()
    tagged = [line.split(" ") for line in lines if line and not line.startswith("-DOCSTART-")]
    assert all(len(columns) == 4 for columns in tagged)  # every line still has its four columns
    assert [(word, tag) for word, _, _, tag in tagged if tag != "O"] == [
        ("Red", "B-armed_group"),
        ("Brigade", "I-armed_group"),
        ("rifle", "B-weapon"),
    ]
    report = json.loads(cli("export", "--format", "conll", "--json", workspace=workspace).stdout)
    assert report["conll_labels"] == {"armed group": "armed_group"}
    assert "conll_labels" not in json.loads(cli("export", "--format", "jsonl", "--json", workspace=workspace).stdout)


def test_spacy_keeps_the_label_as_it_is(settled):
    spacy = pytest.importorskip("spacy")
    from spacy.tokens import DocBin

    workspace = settled[0]
    export(workspace, "spacy")
    data = (workspace.training_dir / "gold.spacy").read_bytes()
    (doc,) = DocBin().from_bytes(data).get_docs(spacy.blank("en").vocab)
    assert [(ent.text, ent.label_) for ent in doc.ents] == [("Red Brigade", "armed group"), ("rifle", "weapon")]


def test_two_labels_sharing_a_conll_tag_are_refused(settled, cli):
    workspace, _, _ = settled
    clash = CHOICE_SCHEMA.replace(
        "  - name: weapon\n", "  - name: armed_group\n    definition: Clashes.\n  - name: weapon\n", 1
    )
    (workspace.root / "schemas" / "incidents.yaml").write_text(clash, encoding="utf-8")
    said = cli("export", "--format", "conll", workspace=workspace)
    assert (said.exit_code, said.stderr) == (
        1,
        "Error: Labels 'armed group' and 'armed_group' would share the CoNLL tag 'armed_group' (CoNLL tags write a "
        "label's inner spaces as '_'). Rename one of them in the schema, or export jsonl or spacy.\n",
    )
    assert cli("export", "--format", "jsonl", workspace=workspace).exit_code == 0


def test_gold_settled_before_the_schema_had_its_controls_is_refused(settled, cli):
    workspace, first, _ = settled
    records = read_jsonl(workspace.gold_path)
    for record in records:
        del record["choices"]
    write_records(workspace.gold_path, records)
    said = cli("export", "--format", "jsonl", workspace=workspace)
    assert (said.exit_code, said.stderr) == (
        1,
        f"Error: gold/gold.jsonl line 1: article {first['id']} was settled without the schema's control 'Severity' "
        "(the schema changed since). Settle gold again: `annotate gold`.\n",
    )
