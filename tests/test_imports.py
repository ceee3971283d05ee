"""The importer: a Label Studio JSON export -> annotation records + quarantine, every count accounted for."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

import pytest

from annotate import corpus
from annotate.errors import AnnotateError
from annotate.imports import import_export, utf16_to_codepoints
from annotate.workspace import Workspace, read_jsonl
from tests import lsexport as ls

PLAIN = "Government forces shelled Aleppo on Monday, killing three civilians.\nA drone struck a car near Idlib."
EMOJI = "🔥 Militants fired rockets at Sderot 🚀 on Friday, wounding two soldiers and a 🧒 child."


@pytest.fixture
def articles(workspace: Workspace, tmp_path: Path) -> dict[str, dict[str, Any]]:
    source = tmp_path / "in"
    source.mkdir()
    (source / "plain.txt").write_text(f"Aleppo shelling\n\n{PLAIN}", encoding="utf-8")
    (source / "emoji.txt").write_text(f"Sderot rockets\n\n{EMOJI}", encoding="utf-8")
    corpus.add(workspace, [source])
    by_text = {article["text"]: article for article in workspace.read_articles()}
    return {"plain": by_text[PLAIN], "emoji": by_text[EMOJI]}


def records(workspace: Workspace) -> list[dict[str, Any]]:
    return list(workspace.read_annotations())


def quarantined(workspace: Workspace) -> list[dict[str, Any]]:
    return list(read_jsonl(workspace.quarantine_path)) if workspace.quarantine_path.exists() else []


def assert_adds_up(report: dict[str, Any]) -> None:
    assert report["balanced"] is True
    for kind in ("annotations", "predictions", "drafts"):
        tally = report[kind]
        outcomes = ("imported", "updated", "unchanged", "superseded", "quarantined", "ids_only")
        assert tally["read"] == sum(tally[key] for key in outcomes), kind
        assert tally["quarantined"] == sum(tally["quarantined_by_reason"].values())
    spans = report["spans"]
    assert spans["read"] == spans["stored"] + spans["dropped"] + spans["superseded"] + spans["quarantined"]
    regions = report["regions"]
    held = regions["spans"] + regions["choices"] + regions["other"] + sum(regions["dropped"].values())
    assert regions["read"] == held + regions["superseded"] + regions["quarantined"]
    assert sum(regions["other_by_control"].values()) == regions["other"]


def run_import(workspace: Workspace, path: Path, **kwargs: Any) -> dict[str, Any]:
    report = import_export(workspace, path, **kwargs).as_dict()
    assert_adds_up(report)
    return report


# -- good records ---------------------------------------------------------------------------------------


def test_three_annotators_become_three_records_with_pseudonyms(workspace, articles, tmp_path):
    plain = articles["plain"]
    people = [{"id": n, "email": f"person{n}@example.org", "first_name": "P", "last_name": str(n)} for n in (4, 5, 6)]
    export = ls.write(
        tmp_path / "export.json",
        [
            ls.task(
                plain,
                [
                    ls.annotation([ls.span_region(PLAIN, "Government forces", "actor")], completed_by=people[0]),
                    ls.annotation(
                        [ls.span_region(PLAIN, "Aleppo", "location"), ls.span_region(PLAIN, "drone", "weapon")],
                        completed_by=people[1],
                        lead_time=12.25,
                    ),
                    ls.annotation([], completed_by=people[2], cancelled=True),
                ],
            )
        ],
    )
    report = run_import(workspace, export)
    assert report["annotations"] | {"quarantined_by_reason": {}} == {
        "read": 3, "imported": 3, "updated": 0, "unchanged": 0, "superseded": 0,
        "quarantined": 0, "quarantined_by_reason": {}, "ids_only": 0, "repaired": {},
    }  # fmt: skip
    assert report["cancelled"] == 1
    found = {record["annotator"]: record for record in records(workspace)}
    assert sorted(found) == ["ann-01", "ann-02", "ann-03"]
    assert found["ann-01"]["spans"] == [{"start": 0, "end": 17, "label": "actor", "text": "Government forces"}]
    assert [s["text"] for s in found["ann-02"]["spans"]] == ["Aleppo", "drone"]
    assert found["ann-02"]["lead_time"] == 12.25
    assert found["ann-03"]["status"] == "cancelled" and found["ann-03"]["spans"] == []
    assert {record["sha256"] for record in found.values()} == {plain["sha256"]}
    assert all(record["status"] == "submitted" for name, record in found.items() if name != "ann-03")


def test_no_email_or_user_id_reaches_the_records(workspace, articles, tmp_path):
    plain = articles["plain"]
    who = {"id": 41, "email": "secret.person@example.org", "first_name": "Secret", "last_name": "Person"}
    export = ls.write(
        tmp_path / "e.json", [ls.task(plain, [ls.annotation([ls.region(26, 32, "location", "Aleppo")], who)])]
    )
    run_import(workspace, export)
    stored = workspace.annotations_path.read_text(encoding="utf-8")
    assert "example.org" not in stored and "Secret" not in stored and '"completed_by"' not in stored
    mapping = workspace.annotations_dir / "annotators.json"
    assert os.stat(mapping).st_mode & 0o777 == 0o600
    assert json.loads(mapping.read_text()) == {"email:secret.person@example.org": "ann-01", "user:41": "ann-01"}


def test_a_bare_user_id_gets_the_pseudonym_its_email_had(workspace, articles, tmp_path):
    plain = articles["plain"]
    first = ls.write(
        tmp_path / "a.json",
        [ls.task(plain, [ls.annotation([], {"id": 9, "email": "x@example.org"}, annotation_id=1)], task_id=1)],
    )
    run_import(workspace, first)
    second = ls.write(
        tmp_path / "b.json",
        [ls.task(articles["emoji"], [ls.annotation([], 9, annotation_id=2)], task_id=2)],
    )
    run_import(workspace, second)
    assert {record["annotator"] for record in records(workspace)} == {"ann-01"}


def test_ids_from_the_server_tie_bare_ids_to_emails(workspace, articles, tmp_path):
    export = ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation([], 3), ls.annotation([], 4)])])
    run_import(workspace, export, users_by_id={3: "a@example.org", 4: "b@example.org"})
    mapping = json.loads((workspace.annotations_dir / "annotators.json").read_text())
    assert mapping["email:a@example.org"] == mapping["user:3"] != mapping["user:4"]


def test_ground_truth_and_lead_time_are_recorded(workspace, articles, tmp_path):
    export = ls.write(
        tmp_path / "e.json",
        [ls.task(articles["plain"], [ls.annotation([], 1, ground_truth=True, lead_time=3.5)])],
    )
    report = run_import(workspace, export)
    (record,) = records(workspace)
    assert record["ground_truth"] is True and record["lead_time"] == 3.5
    assert report["ground_truth"] == 1
    assert record["origin"]["task"] is not None and record["origin"]["annotation"] is not None


# -- repairs -------------------------------------------------------------------------------------------


def test_utf16_offsets_after_an_emoji_are_converted_and_reported(workspace, articles, tmp_path):
    regions = [ls.utf16_region(EMOJI, "Militants", "actor"), ls.utf16_region(EMOJI, "two soldiers", "casualty")]
    regions.append(ls.utf16_region(EMOJI, "child", "casualty"))
    assert regions[1]["value"]["start"] != EMOJI.index("two soldiers")  # the shift is real
    export = ls.write(tmp_path / "e.json", [ls.task(articles["emoji"], [ls.annotation(regions, 1)])])
    report = run_import(workspace, export)
    (record,) = records(workspace)
    assert [(s["text"], EMOJI[s["start"] : s["end"]]) for s in record["spans"]] == [
        ("Militants", "Militants"),
        ("two soldiers", "two soldiers"),
        ("child", "child"),
    ]
    # "Militants" follows the emoji at position 0: shifted by one unit, so it was converted too
    assert report["spans"]["repaired"] == {"utf16": 3}
    assert len(report["repairs"]) == 1 and "3 utf16" in report["repairs"][0]


def test_code_point_offsets_on_emoji_text_are_taken_as_they_are(workspace, articles, tmp_path):
    export = ls.write(
        tmp_path / "e.json",
        [ls.task(articles["emoji"], [ls.annotation([ls.span_region(EMOJI, "Sderot", "location")], 1)])],
    )
    report = run_import(workspace, export)
    assert report["spans"]["repaired"] == {}
    assert records(workspace)[0]["spans"][0]["start"] == EMOJI.index("Sderot")


def test_utf16_converter_refuses_the_middle_of_a_surrogate_pair():
    convert = utf16_to_codepoints("a🔥b")
    assert convert is not None
    assert [convert(0), convert(1), convert(2), convert(3), convert(4)] == [0, 1, None, 2, 3]
    assert utf16_to_codepoints("no astral here: é ü") is None


def test_whitespace_at_span_edges_is_trimmed_and_reported(workspace, articles, tmp_path):
    start = PLAIN.index(" Aleppo")
    export = ls.write(
        tmp_path / "e.json",
        [ls.task(articles["plain"], [ls.annotation([ls.region(start, start + 8, "location", " Aleppo ")], 1)])],
    )
    report = run_import(workspace, export)
    assert records(workspace)[0]["spans"] == [
        {"start": start + 1, "end": start + 7, "label": "location", "text": "Aleppo"}
    ]
    assert report["spans"]["repaired"] == {"trim": 1}


# -- quarantine ----------------------------------------------------------------------------------------


BAD_REGIONS = {
    "unknown-label": lambda: ls.region(26, 32, "city", "Aleppo"),
    "offsets-out-of-range": lambda: ls.region(90, 500, "location", "Idlib"),
    "text-mismatch": lambda: ls.region(26, 32, "location", "Aleppx"),
    "not-a-span": lambda: {"id": "s1", "type": "labels", "from_name": "label", "value": {"labels": ["actor"]}},
    "empty-span": lambda: ls.region(17, 18, "actor", " "),
}


@pytest.mark.parametrize("reason", sorted(BAD_REGIONS))
def test_a_region_that_cannot_be_repaired_quarantines_its_annotation(workspace, articles, tmp_path, reason):
    good = ls.span_region(PLAIN, "Government forces", "actor")
    bad = ls.annotation([good, BAD_REGIONS[reason]()], 1)
    export = ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [bad, ls.annotation([good], 2)])])
    report = run_import(workspace, export)
    assert report["annotations"]["quarantined_by_reason"] == {reason: 1}
    assert report["annotations"]["imported"] == 1
    assert report["spans"] == {
        "read": 3, "stored": 1, "dropped": 0, "superseded": 0, "quarantined": 2, "repaired": {}
    }  # fmt: skip
    assert report["regions"] | {"other_by_control": {}} == {
        "read": 3, "spans": 1, "choices": 0, "other": 0, "dropped": {"duplicate": 0, "no-label": 0},
        "superseded": 0, "quarantined": 2, "other_by_control": {},
    }  # fmt: skip
    (entry,) = quarantined(workspace)
    assert entry["reason"] == reason and entry["raw"]["result"] == bad["result"]
    assert entry["article_id"] == articles["plain"]["id"] and entry["detail"]


def test_text_changed_since_push_quarantines_every_annotation_of_the_task(workspace, articles, tmp_path):
    changed = dict(articles["plain"], text=PLAIN.replace("three", "four"))
    export = ls.write(tmp_path / "e.json", [ls.task(changed, [ls.annotation([], 1), ls.annotation([], 2)])])
    report = run_import(workspace, export)
    assert report["annotations"]["quarantined_by_reason"] == {"text-changed": 2}
    assert records(workspace) == []
    assert [entry["reason"] for entry in quarantined(workspace)] == ["text-changed", "text-changed"]


def test_an_annotation_without_annotator_is_quarantined(workspace, articles, tmp_path):
    export = ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation([], None)])])
    report = run_import(workspace, export)
    assert report["annotations"]["quarantined_by_reason"] == {"no-annotator": 1}


def test_quarantine_keeps_no_email(workspace, articles, tmp_path):
    who = {"id": 3, "email": "hidden@example.org"}
    export = ls.write(
        tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation([ls.region(0, 3, "city", "Gov")], who)])]
    )
    run_import(workspace, export)
    assert "hidden@example.org" not in workspace.quarantine_path.read_text()


# -- idempotence and versions --------------------------------------------------------------------------


def test_importing_the_same_export_twice_changes_nothing(workspace, articles, tmp_path):
    export = ls.write(
        tmp_path / "e.json",
        [
            ls.task(articles["plain"], [ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1)]),
            ls.task(articles["emoji"], [ls.annotation([ls.region(0, 3, "city", "xx")], 1)]),
        ],
    )
    run_import(workspace, export)
    before = {p.name: p.read_bytes() for p in workspace.annotations_dir.iterdir()}
    report = run_import(workspace, export)
    assert report["annotations"]["unchanged"] == 1 and report["annotations"]["imported"] == 0
    assert report["annotations"]["quarantined"] == 1  # counted again, but not written twice
    assert {p.name: p.read_bytes() for p in workspace.annotations_dir.iterdir()} == before


def test_an_updated_annotation_replaces_the_stored_version(workspace, articles, tmp_path):
    old = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1, annotation_id=5)
    run_import(workspace, ls.write(tmp_path / "a.json", [ls.task(articles["plain"], [old], task_id=3)]))
    new = ls.annotation(
        [ls.span_region(PLAIN, "Idlib", "location")], 1, annotation_id=5, updated_at="2026-11-21T10:00:00Z"
    )
    report = run_import(workspace, ls.write(tmp_path / "b.json", [ls.task(articles["plain"], [new], task_id=3)]))
    assert report["annotations"]["updated"] == 1
    (record,) = records(workspace)
    assert [s["text"] for s in record["spans"]] == ["Idlib"]
    # and the older export, imported again, does not bring the old version back
    report = run_import(workspace, tmp_path / "a.json")
    assert report["annotations"]["superseded"] == 1
    assert [s["text"] for s in records(workspace)[0]["spans"]] == ["Idlib"]


def test_two_annotations_by_one_annotator_on_one_task_keep_the_newest(workspace, articles, tmp_path):
    newer = ls.annotation([ls.span_region(PLAIN, "Idlib", "location")], 1, updated_at="2026-11-22T00:00:00Z")
    older = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1, updated_at="2026-11-21T00:00:00Z")
    report = run_import(workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [newer, older])]))
    assert report["annotations"]["imported"] == 1 and report["annotations"]["superseded"] == 1
    assert report["spans"]["superseded"] == 1
    assert len(report["superseded_records"]) == 1 and "kept the newest" in report["superseded_records"][0]
    assert [s["text"] for s in records(workspace)[0]["spans"]] == ["Idlib"]


def test_predictions_and_drafts_are_kept_apart_from_annotations(workspace, articles, tmp_path):
    prediction = {
        "id": 77, "model_version": "rules-2", "score": 0.5, "result": [ls.span_region(PLAIN, "Aleppo", "location")],
        "created_at": "2026-11-19T00:00:00Z", "updated_at": "2026-11-19T00:00:00Z",
    }  # fmt: skip
    draft = {
        "id": 88, "user": "drafter@example.org", "result": [ls.span_region(PLAIN, "drone", "weapon")],
        "lead_time": 4.0, "created_at": "2026-11-19T00:00:00Z", "updated_at": "2026-11-19T00:00:00Z",
    }  # fmt: skip
    export = ls.write(
        tmp_path / "e.json",
        [
            ls.task(articles["plain"], [ls.annotation([], 1)], predictions=[prediction], drafts=[draft]),
            ls.task(articles["emoji"], predictions=[12]),
        ],
    )
    report = run_import(workspace, export)
    assert report["predictions"]["imported"] == 1 and report["predictions"]["ids_only"] == 1
    assert report["drafts"]["imported"] == 1
    assert len(records(workspace)) == 1
    (stored_prediction,) = read_jsonl(workspace.annotations_dir / "predictions.jsonl")
    assert stored_prediction["model_version"] == "rules-2" and stored_prediction["spans"][0]["text"] == "Aleppo"
    (stored_draft,) = read_jsonl(workspace.annotations_dir / "drafts.jsonl")
    assert stored_draft["spans"][0]["text"] == "drone" and stored_draft["annotator"].startswith("ann-")
    assert report["tasks"]["without_annotations"] == 1


# -- foreign projects -------------------------------------------------------------------------------------


def test_a_foreign_task_is_matched_by_text_or_joins_the_corpus(workspace, articles, tmp_path):
    new_text = "Rebels ambushed a convoy near Goma, killing five soldiers."
    export = ls.write(
        tmp_path / "e.json",
        [
            ls.task({}, [ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1)], data={"text": PLAIN}),
            ls.task(
                {},
                [ls.annotation([ls.region(31, 35, "location", "Goma")], 1)],
                data={"text": "\n" + new_text + "\n", "id": "their-17"},
            ),
        ],
    )
    report = run_import(workspace, export)
    assert report["tasks"]["articles_added_to_corpus"] == 1
    added = [article for article in workspace.read_articles() if article["text"] == new_text]
    assert len(added) == 1 and added[0]["source_id"] == "their-17"
    by_article = {record["article_id"]: record for record in records(workspace)}
    assert by_article[articles["plain"]["id"]]["spans"][0]["text"] == "Aleppo"
    # the leading newline of the task's text is not in the stored article: offsets moved by one
    assert by_article[added[0]["id"]]["spans"] == [{"start": 30, "end": 34, "label": "location", "text": "Goma"}]


def test_a_foreign_text_that_normalisation_would_change_is_quarantined(workspace, articles, tmp_path):
    export = ls.write(tmp_path / "e.json", [ls.task({}, [ls.annotation([], 1)], data={"text": "line one\r\nline two"})])
    report = run_import(workspace, export)
    assert report["annotations"]["quarantined_by_reason"] == {"text-not-normalised": 1}


# -- malformed input ------------------------------------------------------------------------------------


def test_malformed_json_is_refused_with_its_position_and_nothing_is_written(workspace, articles, tmp_path):
    good = ls.task(articles["plain"], [ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1)])
    text = json.dumps([good, good], indent=1)
    broken = text.replace('"was_cancelled": false', '"was_cancelled": fals', 2)
    second = broken.index('"was_cancelled": fals', broken.index('"was_cancelled": fals') + 1)
    path = tmp_path / "broken.json"
    path.write_text(broken, encoding="utf-8")
    with pytest.raises(AnnotateError) as caught:
        import_export(workspace, path)
    message = str(caught.value)
    line = broken.count("\n", 0, second) + 1
    assert f"line {line}" in message and "broken.json" in message and "Nothing was imported" in message
    assert not workspace.annotations_dir.exists() and not workspace.exports_dir.exists()


def test_a_truncated_export_is_refused(workspace, articles, tmp_path):
    text = json.dumps([ls.task(articles["plain"], [ls.annotation([], 1)])])
    path = tmp_path / "cut.json"
    path.write_text(text[: len(text) // 2], encoding="utf-8")
    with pytest.raises(AnnotateError, match=r"malformed JSON at byte \d+ \(line 1\)"):
        import_export(workspace, path)
    assert not workspace.annotations_path.exists()


def test_a_json_min_export_is_refused_with_what_to_do(workspace, tmp_path):
    path = tmp_path / "min.json"
    path.write_text(json.dumps(["not a task"]), encoding="utf-8")
    with pytest.raises(AnnotateError, match="Export the project as JSON"):
        import_export(workspace, path)


def test_the_export_is_kept_under_a_content_addressed_name(workspace, articles, tmp_path):
    export = ls.write(tmp_path / "project-7.json", [ls.task(articles["plain"], [ls.annotation([], 1)])])
    report = run_import(workspace, export)
    (kept,) = workspace.exports_dir.iterdir()
    assert kept.name == f"project-7-{report['sha256'][:16]}.json" and kept.read_bytes() == export.read_bytes()


# -- the command ---------------------------------------------------------------------------------------


def test_cli_import_json_reports_and_quarantine_lines(cli, workspace, articles, tmp_path):
    export = ls.write(
        tmp_path / "e.json",
        [ls.task(articles["plain"], [ls.annotation([ls.region(26, 32, "city", "Aleppo")], 1), ls.annotation([], 2)])],
    )
    result = cli("import", export, "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert_adds_up(report)
    assert report["annotations"]["quarantined_by_reason"] == {"unknown-label": 1}
    assert "quarantined: task" in result.stderr and "unknown-label" in result.stderr


def test_cli_import_of_a_broken_file_is_one_line_and_exit_1(cli, workspace, tmp_path):
    path = tmp_path / "bad.json"
    path.write_text('[{"id": 1,, }]', encoding="utf-8")
    result = cli("import", path, workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and result.stderr.startswith("Error: ")
    assert "byte" in result.stderr and "line 1" in result.stderr


def test_reports_list_a_bounded_number_of_records_but_count_all(workspace, articles, tmp_path, monkeypatch):
    from annotate.imports import summary

    monkeypatch.setattr(summary, "LISTED", 2)
    bad = [ls.annotation([ls.region(0, 3, "city", "Gov")], n) for n in range(5)]
    report = run_import(workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], bad)]))
    assert report["annotations"]["quarantined"] == 5
    assert len(report["quarantined_records"]) == 2 and report["records_not_listed"] == 3
    assert len(quarantined(workspace)) == 5


def test_annotations_that_are_not_a_list_are_quarantined_not_skipped(workspace, articles, tmp_path):
    broken = ls.task(articles["plain"])
    broken["annotations"] = {"id": 3, "result": "nonsense"}
    report = run_import(workspace, ls.write(tmp_path / "e.json", [broken]))
    assert report["annotations"]["read"] == 1
    assert report["annotations"]["quarantined_by_reason"] == {"not-a-span": 1}


def test_a_task_listed_twice_is_quarantined_once_but_counted_twice(workspace, articles, tmp_path):
    bad = ls.task(articles["plain"], [ls.annotation([ls.region(0, 3, "city", "Gov")], 1)])
    report = run_import(workspace, ls.write(tmp_path / "e.json", [bad, bad]))
    assert report["annotations"]["quarantined"] == 2 and len(quarantined(workspace)) == 1
