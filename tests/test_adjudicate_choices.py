"""Adjudication of document-level choices: the review tasks carry them (checked by the SDK's
``LabelInterface``), and a round trip against the real Label Studio brings the adjudicator's choices
back into gold. The schema's task data key is ``body``, not ``text``."""

from __future__ import annotations

import json
import uuid

import pytest

from annotate import adjudicate
from annotate.adjudicate import SETTLED_PREDICTION, adjudicate_pull, adjudicate_push
from annotate.gold import gold

from .choices import add_texts, choice_record, use_choice_schema
from .records import write_records

A, B = "ann-01", "ann-02"


@pytest.fixture
def in_conflict(workspace, tmp_path):
    """Two articles, two annotators: the first settles; the second's Severity and a span are in conflict."""
    schema = use_choice_schema(workspace)
    first, second, _ = add_texts(workspace, tmp_path)
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, {"Severity": ["Fatal"]}, [("rifle", "weapon")]),
            choice_record(first, B, {"Severity": ["Fatal"]}, [("rifle", "weapon")]),
            choice_record(second, A, {"Severity": ["Minor"], "Setting": ["Domestic call"],
                                      "text": ["Assaulted"]}, [("bat", "weapon")]),
            choice_record(second, B, {"Severity": ["Serious"], "Setting": ["Domestic call"],
                                      "text": ["Assaulted", "Killed / Accidentally Killed"]}, [("a bat", "weapon")]),
        ],
    )  # fmt: skip
    gold(workspace)
    return workspace, schema, second


def chosen(result):
    """Options per control in a prediction's or annotation's result, read independently of annotate.controls."""
    found = {}
    for region in result:
        if region["type"] == "choices":
            found[region["from_name"]] = region["value"]["choices"]
        elif region["type"] == "taxonomy":
            found[region["from_name"]] = [" / ".join(path) for path in region["value"]["taxonomy"]]
    return found


def test_review_tasks_carry_each_annotators_choices_and_the_settled_ones(in_conflict):
    workspace, schema, second = in_conflict
    (record,) = [r for r in workspace.read_gold() if r["conflicts"]]
    # the span first, then the controls: Severity 1 against 1, the taxonomy's "Killed / Accidentally Killed" too
    assert [c.get("control") for c in record["conflicts"]] == [None, "Severity", "text"]
    work = adjudicate._annotators_work(workspace, {record["article_id"]: record}, schema)
    task = adjudicate._review_task(second, work[second["id"]], record, schema)
    assert task["data"]["body"] == second["text"]
    interface = schema.label_interface()
    by_version = {}
    for prediction in task["predictions"]:
        assert interface.validate_prediction(prediction, return_errors=True) == []  # the SDK takes every region
        by_version[prediction["model_version"]] = chosen(prediction["result"])
    assert by_version == {
        A: {"Severity": ["Minor"], "Setting": ["Domestic call"], "text": ["Assaulted"]},
        B: {"Severity": ["Serious"], "Setting": ["Domestic call"],
            "text": ["Killed / Accidentally Killed", "Assaulted"]},
        SETTLED_PREDICTION: {"Setting": ["Domestic call"], "text": ["Assaulted"]},  # what is settled, ties left out
    }  # fmt: skip


def test_adjudicated_choices_come_back_into_gold(label_studio, in_conflict, cli):
    workspace, _, second = in_conflict
    title = f"review-{uuid.uuid4().hex[:8]}"
    pushed = adjudicate_push(workspace, label_studio.studio, title)
    assert (pushed.pushed, pushed.predictions) == (1, 3)
    project = label_studio.studio.project(title)
    config = label_studio.client.projects.get(project.id).label_config
    assert '<Taxonomy name="text" toName="narrative"' in config and '<Choices name="Severity"' in config
    (task,) = label_studio.studio.tasks(project.id, include="id,data")
    predictions = {p.model_version: chosen(p.result) for p in label_studio.client.predictions.list(project=project.id)}
    assert predictions[A]["Severity"] == ["Minor"] and predictions[B]["Severity"] == ["Serious"]
    text = task.data["body"]
    start = text.index("bat")
    result = [
        {"id": "s1", "from_name": "entities", "to_name": "narrative", "type": "labels",
         "value": {"start": start, "end": start + 3, "text": "bat", "labels": ["weapon"]}},
        {"id": "c1", "from_name": "Severity", "to_name": "narrative", "type": "choices",
         "value": {"choices": ["Serious"]}},
        {"id": "c2", "from_name": "text", "to_name": "narrative", "type": "taxonomy",
         "value": {"taxonomy": [["Assaulted"], ["Killed", "Accidentally Killed"]]}},
    ]  # fmt: skip
    adjudicator = label_studio.annotators[2]
    label_studio.client.annotations.create(id=task.id, result=result, completed_by=adjudicator.id)
    said = cli("adjudicate", "pull", "--project", title, "--json", *label_studio.connection_args(), workspace=workspace)
    assert said.exit_code == 0, said.stderr
    report = json.loads(said.stdout)
    assert (report["new"], report["refused"], report["gold_changed"]) == (1, [], [second["id"]])
    (decision,) = workspace.read_adjudications()
    assert decision["choices"] == {
        "Severity": ["Serious"],
        "Setting": [],
        "text": ["Killed / Accidentally Killed", "Assaulted"],
    }
    settled = {r["article_id"]: r for r in workspace.read_gold()}[second["id"]]
    assert settled["conflicts"] == [] and settled["settled_by"] == "adjudicated"
    assert {name: (entry["value"], entry["settled"]) for name, entry in settled["choices"].items()} == {
        "Severity": (["Serious"], "adjudicated"),
        "Setting": ([], "adjudicated"),
        "text": (["Killed / Accidentally Killed", "Assaulted"], "adjudicated"),
    }
    assert [(s["text"], s["label"]) for s in settled["spans"]] == [("bat", "weapon")]
    assert report["gold"]["choices"]["Severity"]["settled"]["adjudicated"] == 1


def test_a_decision_with_an_option_the_control_lacks_is_refused(label_studio, in_conflict):
    workspace, _, _ = in_conflict
    title = f"review-{uuid.uuid4().hex[:8]}"
    adjudicate_push(workspace, label_studio.studio, title)
    project = label_studio.studio.project(title)
    (task,) = label_studio.studio.tasks(project.id, include="id,data")
    bad = {"id": "c1", "from_name": "Severity", "to_name": "narrative", "type": "choices",
           "value": {"choices": ["Lethal"]}}  # fmt: skip
    label_studio.client.annotations.create(id=task.id, result=[bad], completed_by=label_studio.annotators[2].id)
    pulled = adjudicate_pull(workspace, label_studio.studio, title)
    (refused,) = pulled.refused
    assert refused.endswith("region 'c1': option 'Lethal' is not an option of control 'Severity'")
    assert pulled.new == 0 and not workspace.adjudications_path.read_text()
