"""Label Studio tasks: one per article, predictions checked by the SDK and against their text."""

from __future__ import annotations

import json

import pytest

from annotate import corpus, tasks
from annotate.errors import AnnotateError
from annotate.schema import load_schema
from annotate.spans import Span

from .conftest import REPO, SEED


def load_tasks(path):
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture
def bundled_workspace(workspace, bundled_copy):
    corpus.add(workspace, [bundled_copy])
    return workspace


def test_one_task_per_article_with_the_documented_data(workspace, tmp_path):
    (tmp_path / "a.jsonl").write_text(
        json.dumps({"text": "Gunmen killed two guards in Kano.", "title": "Kano"})
        + "\n"
        + json.dumps({"text": "No title here."})
        + "\n",
        encoding="utf-8",
    )
    corpus.add(workspace, [tmp_path / "a.jsonl"])
    summary = tasks.build(workspace)
    written = load_tasks(workspace.tasks_path)
    articles = list(workspace.read_articles())
    assert summary.tasks == len(written) == 2
    for task, article in zip(written, articles, strict=True):
        assert task == {
            "data": {
                "text": article["text"],
                "title": article["title"],
                "article_id": article["id"],
                "sha256": article["sha256"],
            }
        }


def test_prelabelled_tasks_pass_the_sdk_and_match_their_text_on_the_bundled_corpus(bundled_workspace):
    from label_studio_sdk.label_interface import LabelInterface

    schema = load_schema(bundled_workspace.schema_path)
    summary = tasks.build(bundled_workspace, prelabel=True)
    interface = LabelInterface(schema.label_config())
    written = load_tasks(bundled_workspace.tasks_path)
    assert summary.refused_regions == 0
    assert summary.regions == sum(len(t["predictions"][0]["result"]) for t in written) > 100
    assert set(summary.regions_per_label) == set(schema.label_names)
    assert all(count > 0 for count in summary.regions_per_label.values())
    for task in written:
        [prediction] = task["predictions"]
        assert interface.validate_prediction(prediction, return_errors=True) == []
        assert prediction["model_version"] == summary.model_version
        text = task["data"]["text"]
        for region in prediction["result"]:
            value = region["value"]
            assert text[value["start"] : value["end"]] == value["text"]


def test_offsets_after_an_emoji_are_code_points(bundled_workspace):
    tasks.build(bundled_workspace, prelabel=True)
    emoji_tasks = [
        t for t in load_tasks(bundled_workspace.tasks_path) if any(ord(c) > 0xFFFF for c in t["data"]["text"])
    ]
    assert emoji_tasks
    checked = 0
    for task in emoji_tasks:
        text = task["data"]["text"]
        first_emoji = next(i for i, c in enumerate(text) if ord(c) > 0xFFFF)
        for region in task["predictions"][0]["result"]:
            if region["value"]["start"] > first_emoji:
                assert text[region["value"]["start"] : region["value"]["end"]] == region["value"]["text"]
                checked += 1
    assert checked > 0


def test_model_version_names_rules_and_schema(workspace):
    version = tasks.model_version(load_schema(workspace.schema_path))
    assert version.startswith("annotate-rules-") and version.endswith("/conflict-spans-1.0.0")


def test_a_region_that_fails_validation_is_left_out_and_reported(workspace, monkeypatch):
    corpus.add(workspace, [SEED])
    text = next(workspace.read_articles())["text"]
    start = text.index("Baghdad")
    faulty = [
        Span(start, start + 7, "location"),  # good
        Span(start, start + 7, "place"),  # not in the schema
        Span(start - 1, start + 7, "location"),  # leading space
        Span(len(text) - 2, len(text) + 5, "actor"),  # past the end
    ]
    monkeypatch.setattr(tasks.rules, "prelabel", lambda _text: faulty)
    refused = []
    summary = tasks.build(workspace, prelabel=True, on_refused=refused.append)
    [task] = load_tasks(workspace.tasks_path)
    assert [r["value"]["text"] for r in task["predictions"][0]["result"]] == ["Baghdad"]
    assert summary.refused_regions == 3 and summary.regions == 1
    assert refused[0].reason.startswith("Region 0: Invalid value for control 'label'")  # the SDK's word
    assert "valid labels: ['actor', 'weapon', 'casualty', 'location']" in refused[0].reason
    assert [r.reason.split(" ")[0] for r in refused[1:]] == ["span", "offsets"]


def test_building_from_an_empty_corpus_says_what_to_do(workspace):
    with pytest.raises(AnnotateError, match=r"is empty\. Add articles first"):
        tasks.build(workspace)
    assert not workspace.tasks_path.exists()


def test_out_option_writes_elsewhere_and_the_file_is_complete_json(workspace, tmp_path):
    corpus.add(workspace, [SEED])
    target = tmp_path / "elsewhere" / "batch.json"
    tasks.build(workspace, out=target, prelabel=True)
    assert len(load_tasks(target)) == 1
    assert not workspace.tasks_path.exists()


def test_reference_spans_cover_every_bundled_article_and_fit_their_texts(bundled_workspace):
    """The bundled gold: one line per bundled article, every span on its text (checked by score)."""
    from annotate.prelabel import score

    figures = score(bundled_workspace, REPO / "corpus" / "reference" / "spans.jsonl")
    assert figures["articles"] == len(list(bundled_workspace.read_articles())) == 36
    # A floor, not a pinned figure: the rules may improve, but a change that breaks them fails here.
    assert figures["micro"]["f1"] >= 0.7
    assert all(figures["per_label"][label]["recall"] >= 0.4 for label in ("actor", "weapon", "casualty", "location"))


def test_a_project_s_own_schema_gets_its_data_key_and_no_rule_pre_annotations(cli, workspace, tmp_path):
    """A schema made from another project's config: tasks carry the text under its data key, and the rule
    pre-annotator (conflict labels only) is refused in one line instead of failing on every region."""
    config = tmp_path / "config.xml"
    config.write_text(
        '<View><Labels name="ner" toName="doc"><Label value="PER"/></Labels><Text name="doc" value="$body"/></View>'
    )
    assert cli("schema", "from-config", str(config), "--name", "people", workspace=workspace).exit_code == 0
    (tmp_path / "a.jsonl").write_text(json.dumps({"text": "Gunmen killed two guards in Kano."}) + "\n")
    assert cli("corpus", "add", str(tmp_path / "a.jsonl"), workspace=workspace).exit_code == 0
    refused = cli("tasks", "build", "--prelabel", workspace=workspace)
    assert refused.exit_code == 1 and refused.stderr.count("\n") == 1
    assert "schema people-1.0.0 has none of these labels" in refused.stderr and "without --prelabel" in refused.stderr
    assert cli("tasks", "build", workspace=workspace).exit_code == 0
    (task,) = load_tasks(workspace.tasks_path)
    assert set(task["data"]) == {"body", "title", "article_id", "sha256"}
