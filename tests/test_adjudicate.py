"""Adjudication against a real Label Studio (the session's server): push the conflicts, decide, pull."""

from __future__ import annotations

import json
import uuid
from collections import defaultdict

import pytest

from annotate.adjudicate import SETTLED_PREDICTION, adjudicate_pull, adjudicate_push
from annotate.gold import gold

from . import lsexport as ls


@pytest.fixture
def settled(simulated):
    """The bundled corpus with the simulated annotations, settled by majority (20 articles in conflict)."""
    gold(simulated)
    return simulated


def review_tasks(live, title):
    project = live.studio.project(title)
    return project, {task.data["article_id"]: task for task in live.studio.tasks(project.id, include="id,data")}


def annotators_spans(workspace):
    found = defaultdict(dict)
    for item in workspace.read_annotations():
        if item["status"] == "submitted":
            spans = sorted((s["start"], s["end"], s["label"]) for s in item["spans"])
            found[item["article_id"]][item["annotator"]] = spans
    return found


def test_push_sends_each_article_in_conflict_once_with_one_prediction_per_annotator(label_studio, settled, cli):
    title = f"review-{uuid.uuid4().hex[:8]}"
    in_conflict = {r["article_id"]: r for r in settled.read_gold() if r["conflicts"]}
    assert len(in_conflict) == 20
    result = cli("adjudicate", "push", "--project", title, "--json", *label_studio.connection_args(), workspace=settled)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["created"], report["articles_in_conflict"], report["pushed"], report["already_there"]) == (
        True, 20, 20, 0,
    )  # fmt: skip
    project, tasks = review_tasks(label_studio, title)
    assert set(tasks) == set(in_conflict)
    # The adjudicator starts from the settled spans: the project preloads that prediction.
    assert (project.model_version, project.show_collab_predictions) == (SETTLED_PREDICTION, True)
    expected = annotators_spans(settled)
    texts = {a["id"]: a for a in settled.read_articles()}
    predictions = defaultdict(dict)
    for prediction in label_studio.client.predictions.list(project=project.id):
        article_id = next(a for a, t in tasks.items() if t.id == prediction.task)
        assert prediction.model_version not in predictions[article_id]  # one per annotator
        spans = sorted((r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in prediction.result)
        predictions[article_id][prediction.model_version] = spans
        assert "@" not in json.dumps(prediction.result)
    assert report["predictions"] == sum(len(p) for p in predictions.values())
    for article_id, by_version in predictions.items():
        settled_spans = sorted((s["start"], s["end"], s["label"]) for s in in_conflict[article_id]["spans"])
        assert by_version.pop(SETTLED_PREDICTION) == settled_spans
        assert sorted(by_version) == in_conflict[article_id]["annotators"]  # pseudonyms only: ann-01, ...
        assert all(version.startswith("ann-") for version in by_version)
        assert by_version == {who: expected[article_id][who] for who in by_version}
        data = tasks[article_id].data
        article = texts[article_id]
        assert (data["text"], data["sha256"], data["title"]) == (article["text"], article["sha256"], article["title"])
    again = cli("adjudicate", "push", "--project", title, "--json", *label_studio.connection_args(), workspace=settled)
    assert json.loads(again.stdout) | {"url": None, "project_id": None} == report | {
        "created": False, "pushed": 0, "already_there": 20, "predictions": 0, "url": None, "project_id": None,
    }  # fmt: skip
    assert len(review_tasks(label_studio, title)[1]) == 20


def test_push_before_gold_says_to_settle_first(label_studio, workspace, cli):
    result = cli("adjudicate", "push", *label_studio.connection_args(), workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No gold standard yet: gold/gold.jsonl is missing or empty. Settle it first: `annotate gold`.\n"
    )


def test_an_adjudication_comes_back_as_gold_the_newest_wins_and_a_bad_region_is_refused(label_studio, settled, cli):
    title = f"review-{uuid.uuid4().hex[:8]}"
    adjudicate_push(settled, label_studio.studio, title)
    _, tasks = review_tasks(label_studio, title)
    decided, broken = sorted(tasks)[:2]
    text = tasks[decided].data["text"]
    words = [w for w in text.split() if w.isalpha() and len(w) > 4]
    adjudicator = label_studio.annotators[2]
    first = label_studio.client.annotations.create(
        id=tasks[decided].id, result=[ls.span_region(text, words[0], "actor")], completed_by=adjudicator.id
    )
    newest = label_studio.client.annotations.create(
        id=tasks[decided].id,
        result=[ls.span_region(text, words[1], "location"), ls.span_region(text, words[2], "weapon")],
        completed_by=adjudicator.id,
    )
    assert newest.id > first.id
    bad = ls.region(0, 5, "actor", "not the text there")
    label_studio.client.annotations.create(id=tasks[broken].id, result=[bad], completed_by=adjudicator.id)
    before = {r["article_id"]: r for r in settled.read_gold()}
    result = cli("adjudicate", "pull", "--project", title, "--json", *label_studio.connection_args(), workspace=settled)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert (report["decisions_read"], report["new"], report["superseded"]) == (3, 1, 1)
    (refused,) = report["refused"]
    assert refused.startswith(f"task {tasks[broken].id} annotation ") and "not the text there" in refused
    assert f"refused: {refused}" in result.stderr
    mapping = json.loads((settled.annotations_dir / "annotators.json").read_text())
    pseudonym = mapping[f"email:{adjudicator.email}"]
    (decision,) = [json.loads(line) for line in settled.adjudications_path.read_text().splitlines()]
    expected = sorted((text.index(w), text.index(w) + len(w), label) for w, label in ((words[1], "location"),
                                                                                    (words[2], "weapon")))  # fmt: skip
    assert decision["article_id"] == decided and decision["adjudicator"] == pseudonym
    assert [(s["start"], s["end"], s["label"]) for s in decision["spans"]] == expected
    after = {r["article_id"]: r for r in settled.read_gold()}
    assert after[decided]["settled_by"] == "adjudicated" and after[decided]["conflicts"] == []
    assert after[decided]["decided_by"] == pseudonym
    assert [(s["start"], s["end"], s["label"], s["settled"]) for s in after[decided]["spans"]] == [
        (*span, "adjudicated") for span in expected
    ]
    assert report["gold_changed"] == [decided]
    assert {a: r for a, r in after.items() if a != decided} == {a: r for a, r in before.items() if a != decided}
    assert report["gold"]["adjudicated"] == [decided] and report["gold"]["articles"]["with_conflicts"] == 19
    for path in (settled.gold_path, settled.adjudications_path):
        content = path.read_text()
        assert "@" not in content and label_studio.token not in content and f'"{adjudicator.id}"' not in content
    # pulled again: nothing new, gold unchanged
    again = adjudicate_pull(settled, label_studio.studio, title)
    assert (again.new, again.updated, again.unchanged, again.gold_changed) == (0, 0, 1, [])


def test_pull_of_a_missing_review_project_says_so(label_studio, settled, cli):
    result = cli(
        "adjudicate", "pull", "--project", "no-such-review", *label_studio.connection_args(), workspace=settled
    )
    assert result.exit_code == 1 and "There is no project 'no-such-review'" in result.stderr
