"""The importer: a Label Studio JSON export -> annotation records + quarantine, every count accounted for."""

from __future__ import annotations

import hashlib
import io
import json
import os
import shutil
from pathlib import Path
from typing import Any

import orjson
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


def test_an_export_read_as_it_downloads_names_its_kept_copy_in_the_quarantine(workspace, articles, tmp_path):
    """Pull imports from a stream while the export is written to a temporary file: what it refuses must
    name the content-addressed copy kept under exports/, which outlives that file."""
    good = ls.span_region(PLAIN, "Government forces", "actor")
    bad = ls.annotation([good, BAD_REGIONS["unknown-label"]()], 1)
    (tmp_path / "part").mkdir()
    download = ls.write(tmp_path / "part" / "conflict-events.json", [ls.task(articles["plain"], [bad])])
    with download.open("rb") as stream:
        summary = import_export(workspace, download, source=stream)
    shutil.rmtree(download.parent)  # as pull does with its download folder
    (entry,) = quarantined(workspace)
    assert entry["export"] == summary.export == workspace.relative(workspace.exports_dir / Path(summary.export).name)
    kept = workspace.root / entry["export"]
    assert hashlib.sha256(kept.read_bytes()).hexdigest() == summary.sha256 and kept.name.startswith("conflict-events-")


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


# -- the fast reader (orjson in blocks) reads what ijson reads, or leaves the file to it ---------------------


def _tasks_read(read: Any, raw: bytes) -> tuple[list[Any], str | None]:
    """The tasks a reader gives for ``raw`` before it stops, and why it stopped (None: at the end)."""
    from annotate.imports import reading

    found: list[Any] = []
    try:
        for task in read(reading.CountingReader(io.BytesIO(raw), None)):
            found.append(task)
    except Exception as stopped:  # what stopped it is what is compared
        return found, type(stopped).__name__
    return found, None


ODD_EXPORTS = {
    "brackets in strings": [{"data": {"text": "a [b"}, "id": 1}, {"data": {"text": '}, {"id": 2'}}, {"data": {}}],
    "brackets in every task": [{"data": {"text": "a [b" * n}, "id": n} for n in range(12)],
    "an integer beyond 64 bits": [{"data": {}}, {"data": {"n": 12345678901234567890123}}, {"data": {}}],
    "a negative one": [{"data": {}}, {"data": {"n": -9223372036854775809}}],
    "19 digits in a string": [{"data": {"sha256": "1234567890123456789012"}}, {"data": {"n": -12}}],
    "an item that is not a task": [{"data": {}}, 5, {"data": {}}],
    "a JSON_MIN record": [{"data": {}}, {"text": "x"}],
    "no tasks": [],
}
ODD_BYTES = {
    "a lone surrogate escape": b'[{"data": {"t": "\\ud800"}}, {"data": {}}]',
    "a form feed between tasks": b'[{"data": {}},\x0c{"data": {}}]',
    "a form feed after the array": b'[{"data": {}}]\x0c',
    "a trailing comma": b'[{"data": {}},]',
    "garbage after the array": b'[{"data": {}}] x',
    "truncated": b'[{"data": {}}, {"data": {"t": "ab',
    "not an array": b'{"data": {}}',
    "a byte-order mark": b'\xef\xbb\xbf[{"data": {}}]',
    "invalid UTF-8": b'[{"data": {}}, {"data": {"t": "\xed\xa0\x80"}}]',
}


@pytest.mark.parametrize("block", [1, 40, 1 << 20])
@pytest.mark.parametrize(
    "raw",
    [json.dumps(tasks, indent=indent).encode() for tasks in ODD_EXPORTS.values() for indent in (None, 2)]
    + list(ODD_BYTES.values()),
    ids=[f"{name}, indent {indent}" for name in ODD_EXPORTS for indent in (None, 2)] + list(ODD_BYTES),
)
def test_the_fast_reader_gives_ijsons_tasks_or_hands_the_file_back(raw, block, monkeypatch):
    from annotate.imports import reading

    monkeypatch.setattr(reading, "BLOCK", block)
    monkeypatch.setattr(reading, "LONGEST_BLOCK", block * 4)
    monkeypatch.setattr(reading, "LONGEST_TASK", block * 64)
    monkeypatch.setattr(reading, "GIVE_UP_AFTER", 1 if block == 40 else 8)
    expected, error = _tasks_read(lambda stream: reading.read_export(stream, "e.json"), raw)
    found, stopped = _tasks_read(reading.read_export_fast, raw)
    assert found == expected[: len(found)] and [type(task) for task in found] == [
        type(t) for t in expected[: len(found)]
    ]
    assert stopped == "NotPlain" or (stopped is None and error is None and len(found) == len(expected))


def test_a_plain_export_is_read_by_orjson_alone_block_after_block(monkeypatch):
    from annotate.imports import reading

    tasks = [{"data": {"text": f"task {n} [a bracket in a string]" if n % 7 == 0 else f"task {n}"}, "id": n}
             for n in range(200)]  # fmt: skip

    def no_ijson(*_: Any, **__: Any) -> Any:
        raise AssertionError("ijson was asked to read a plain export")

    monkeypatch.setattr(reading.ijson, "items", no_ijson)
    monkeypatch.setattr(reading, "BLOCK", 300)  # many blocks, and some cut in a string by its bracket
    found, stopped = _tasks_read(reading.read_export_fast, json.dumps(tasks, indent=1).encode())
    assert stopped is None and found == tasks


def test_orjson_still_says_where_a_task_ends_as_the_fast_reader_reads_it():
    # The fast reader finds a task's end in orjson's error messages; other words would send it to ijson.
    from annotate.imports import reading

    for raw, message in ((b'{"data": {}}, {"data"', reading.AFTER_THE_TASK), (b'{"data": {', reading.END_OF_DATA)):
        with pytest.raises(orjson.JSONDecodeError) as error:
            orjson.loads(raw)
        assert error.value.msg == message


def test_an_export_the_fast_reader_hands_back_is_imported_as_ijson_reads_it(workspace, articles, tmp_path):
    good = ls.task(articles["plain"], [ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1)])
    raw = json.dumps([good, good]) + "\f"  # a form feed: white space to yajl, not to the fast reader
    path = tmp_path / "feed.json"
    path.write_text(raw, encoding="utf-8")
    told: list[int] = []
    report = run_import(workspace, path, progress=told.append)
    assert report["tasks"]["read"] == 2 and report["annotations"]["imported"] == 1
    assert sum(told) == len(raw.encode())  # read twice, reported once


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


# -- document-level controls, other controls' regions, repairs of issue 12 --------------------------------------

CONTROLS_SCHEMA = """\
name: with-controls
version: 1.0.0
labels:
  - {name: actor, definition: Who acted., aliases: [ACTOR, perpetrator]}
  - {name: location, definition: Where.}
  - {name: weapon, definition: With what.}
  - {name: casualty, definition: Who was hurt.}
controls:
  - name: Category
    kind: taxonomy
    options:
      - Killed: [Feloniously Killed, Accidentally Killed]
      - Assaulted
  - name: certainty
    kind: single
    options: [sure, unsure]
"""


@pytest.fixture
def with_controls(workspace: Workspace) -> Workspace:
    path = workspace.root / "schemas" / "with-controls.yaml"
    path.write_text(CONTROLS_SCHEMA, encoding="utf-8")
    workspace.set_config("schema", "schemas/with-controls.yaml")
    return workspace


def taxonomy(*paths: str, region_id: str = "t1", from_name: str = "Category") -> dict[str, Any]:
    return {
        "id": region_id, "type": "taxonomy", "from_name": from_name, "to_name": "text", "origin": "manual",
        "value": {"taxonomy": [path.split(" / ") for path in paths]},
    }  # fmt: skip


def choices(from_name: str, *options: str, region_id: str = "c1", **value: Any) -> dict[str, Any]:
    return {
        "id": region_id, "type": "choices", "from_name": from_name, "to_name": "text", "origin": "manual",
        "value": {"choices": list(options), **value},
    }  # fmt: skip


OTHER_REGIONS = {
    "textarea": lambda: {"id": "n1", "type": "textarea", "from_name": "notes", "to_name": "text",
                         "value": {"text": ["unclear who fired"]}},
    "rating": lambda: {"id": "q1", "type": "rating", "from_name": "quality", "to_name": "text", "value": {"rating": 4}},
    "relation": lambda: {"from_id": "r1", "to_id": "r2", "type": "relation", "direction": "right",
                         "labels": ["attacks"]},
    "per-region choices": lambda: choices("kind", "artillery", region_id="r1", start=26, end=32, text="Aleppo"),
    "labels of another control": lambda: {"id": "e1", "type": "labels", "from_name": "entity", "to_name": "text",
                                          "value": {"start": 0, "end": 10, "text": "Government", "labels": ["ORG"]}},
}  # fmt: skip


def test_document_choices_are_kept_on_the_record(with_controls, articles, tmp_path):
    one = ls.annotation(
        [
            ls.span_region(PLAIN, "Aleppo", "location"),
            taxonomy("Killed / Feloniously Killed", "Assaulted"),
            taxonomy("Killed", region_id="t2"),  # a second region of one control: the union, in schema order
            choices("certainty", "unsure"),
        ],
        1,
    )
    two = ls.annotation([ls.span_region(PLAIN, "drone", "weapon")], 2)  # selected nothing
    report = run_import(with_controls, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [one, two])]))
    found = {record["annotator"]: record for record in records(with_controls)}
    assert found["ann-01"]["choices"] == {
        "Category": ["Killed", "Killed / Feloniously Killed", "Assaulted"],
        "certainty": ["unsure"],
    }
    assert found["ann-02"]["choices"] == {"Category": [], "certainty": []}
    assert "other" not in found["ann-01"]
    assert report["regions"] | {"other_by_control": {}} == {
        "read": 5, "spans": 2, "choices": 3, "other": 0, "dropped": {"duplicate": 0, "no-label": 0},
        "superseded": 0, "quarantined": 0, "other_by_control": {},
    }  # fmt: skip
    assert report["spans"]["read"] == 2 and report["spans"]["stored"] == 2


def test_predictions_and_drafts_keep_choices_too(with_controls, articles, tmp_path):
    prediction = {
        "id": 7,
        "model_version": "m",
        "result": [taxonomy("Assaulted")],
        "created_at": "2026-11-19T00:00:00Z",
    }
    draft = {"id": 8, "user": 3, "result": [choices("certainty", "sure")], "created_at": "2026-11-19T00:00:00Z"}
    task = ls.task(articles["plain"], predictions=[prediction], drafts=[draft])
    run_import(with_controls, ls.write(tmp_path / "e.json", [task]))
    (stored_prediction,) = read_jsonl(with_controls.annotations_dir / "predictions.jsonl")
    (stored_draft,) = read_jsonl(with_controls.annotations_dir / "drafts.jsonl")
    assert stored_prediction["choices"] == {"Category": ["Assaulted"], "certainty": []}
    assert stored_draft["choices"] == {"Category": [], "certainty": ["sure"]}


@pytest.mark.parametrize(
    ("region", "reason", "said"),
    [
        (lambda: taxonomy("Killed / Drowned"), "unknown-option", "'Killed / Drowned' is not an option"),
        (lambda: choices("certainty", "maybe"), "unknown-option", "'maybe' is not an option of control 'certainty'"),
        (lambda: choices("certainty", "sure", "unsure"), "not-a-choice", "takes one option"),
        (lambda: {"id": "x", "type": "choices", "from_name": "certainty", "value": {}}, "not-a-choice", "no 'choices'"),
    ],
)
def test_a_choice_the_control_cannot_hold_quarantines_its_annotation(
    with_controls, articles, tmp_path, region, reason, said
):
    bad = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location"), region()], 1)
    report = run_import(with_controls, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [bad])]))
    assert report["annotations"]["quarantined_by_reason"] == {reason: 1}
    (entry,) = quarantined(with_controls)
    assert said in entry["detail"] and entry["detail"].count(".") <= 2
    assert report["regions"]["quarantined"] == 2 and report["spans"]["quarantined"] == 1


@pytest.mark.parametrize("kind", sorted(OTHER_REGIONS))
def test_regions_of_controls_the_schema_does_not_model_are_kept_not_refused(workspace, articles, tmp_path, kind):
    region = OTHER_REGIONS[kind]()
    annotation = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location", 0) | {"id": "r1"}, region], 1)
    report = run_import(workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [annotation])]))
    assert report["annotations"]["imported"] == 1 and report["annotations"]["quarantined"] == 0
    (record,) = records(workspace)
    assert record["other"] == [region]  # unchanged
    assert "choices" not in record  # the workspace's schema has no document-level controls
    assert report["regions"]["other"] == 1 and report["spans"] | {"repaired": {}} == {
        "read": 1, "stored": 1, "dropped": 0, "superseded": 0, "quarantined": 0, "repaired": {},
    }  # fmt: skip
    (counted,) = report["regions"]["other_by_control"]
    assert counted == (f"{region['from_name']} ({region['type']})" if "from_name" in region else "(relation)")


def test_without_controls_or_other_regions_records_are_as_before(workspace, articles, tmp_path):
    annotation = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")], 1, annotation_id=4)
    run_import(workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [annotation], task_id=2)]))
    (record,) = records(workspace)
    assert list(record) == [
        "article_id", "annotator", "status", "spans", "sha256", "created_at", "updated_at", "lead_time",
        "ground_truth", "origin",
    ]  # fmt: skip


def test_value_text_differing_only_in_white_space_trusts_the_offsets(workspace, articles, tmp_path):
    text = "Government  forces shelled\tAleppo on Monday.\nA drone struck a car."
    start = text.index("forces")
    regions = [
        ls.region(start, start + 21, "actor", "forces shelled Aleppo"),  # a run and a tab collapsed
        ls.region(0, 10, "actor", "Government "),  # a space more at the edge than the offsets hold
        ls.region(text.index("A drone"), text.index("A drone") + 7, "weapon", "A drone"),  # exact
        ls.region(text.index(".\nA") + 1, text.index(".\nA") + 9, "weapon", "\\nA drone"),  # an escaped line break
    ]
    task = ls.task({}, [ls.annotation(regions, 1)], data={"text": text})
    report = run_import(workspace, ls.write(tmp_path / "e.json", [task]))
    (record,) = records(workspace)
    drone = text.index("A drone")
    assert [(s["start"], s["end"]) for s in record["spans"]] == [(0, 10), (start, start + 21), (drone, drone + 7)]
    assert report["spans"]["repaired"] == {"whitespace": 2, "escaped-newline": 1, "trim": 1, "duplicate": 1}
    assert report["regions"]["dropped"] == {"duplicate": 1, "no-label": 0}


def test_value_text_that_truly_differs_still_quarantines(workspace, articles, tmp_path):
    regions = [ls.region(26, 32, "location", "Aleppo  x")]
    report = run_import(
        workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation(regions)])])
    )
    assert report["annotations"]["quarantined_by_reason"] == {"text-mismatch": 1}


def test_an_alias_is_mapped_to_its_label(with_controls, articles, tmp_path):
    regions = [ls.span_region(PLAIN, "Government forces", "perpetrator"), ls.span_region(PLAIN, "drone", "weapon")]
    report = run_import(
        with_controls, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation(regions)])])
    )
    (record,) = records(with_controls)
    assert [s["label"] for s in record["spans"]] == ["actor", "weapon"]
    assert report["spans"]["repaired"] == {"alias": 1} and report["annotations"]["repaired"] == {"alias": 1}


@pytest.mark.parametrize("labels", [None, []])
def test_a_region_with_no_label_is_left_out_and_counted(workspace, articles, tmp_path, labels):
    unlabelled = ls.span_region(PLAIN, "drone", "weapon")
    if labels is None:
        del unlabelled["value"]["labels"]
    else:
        unlabelled["value"]["labels"] = labels
    regions = [ls.span_region(PLAIN, "Aleppo", "location"), unlabelled]
    report = run_import(
        workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation(regions)])])
    )
    assert [s["text"] for s in records(workspace)[0]["spans"]] == ["Aleppo"]
    assert report["annotations"]["quarantined"] == 0 and report["spans"]["repaired"] == {"no-label": 1}
    assert report["spans"]["dropped"] == 1 and report["regions"]["dropped"] == {"duplicate": 0, "no-label": 1}


def test_a_duplicate_span_repaired_away_keeps_the_books_balanced(workspace, articles, tmp_path):
    twice = [ls.span_region(PLAIN, "Aleppo", "location"), ls.span_region(PLAIN, "Aleppo", "location")]
    report = run_import(workspace, ls.write(tmp_path / "e.json", [ls.task(articles["plain"], [ls.annotation(twice)])]))
    assert report["balanced"] is True and report["spans"]["dropped"] == 1 and report["spans"]["stored"] == 1


def test_the_text_comes_from_the_schemas_data_key(workspace, articles, tmp_path):
    schema = (workspace.root / "schemas" / "conflict-spans.yaml").read_text(encoding="utf-8")
    (workspace.root / "schemas" / "story.yaml").write_text(
        schema.replace("name: conflict-spans", "name: story\ntext: {name: text, value: story}", 1), encoding="utf-8"
    )
    workspace.set_config("schema", "schemas/story.yaml")
    annotation = ls.annotation([ls.span_region(PLAIN, "Aleppo", "location")])
    report = run_import(workspace, ls.write(tmp_path / "e.json", [ls.task({}, [annotation], data={"story": PLAIN})]))
    assert report["annotations"]["imported"] == 1
    assert records(workspace)[0]["article_id"] == articles["plain"]["id"]


# -- whose work: --annotator ------------------------------------------------------------------------------


def per_person_export(path: Path, articles: dict[str, Any], phrase: str) -> Path:
    """One person's own Label Studio export: completed_by 1, task ids of its own, no article ids."""
    tasks = [
        ls.task({}, [ls.annotation([ls.span_region(PLAIN, phrase, "location")], 1)], data={"text": PLAIN}),
        ls.task({}, [], data={"text": EMOJI}, drafts=[{"id": 3, "user": 1, "result": []}]),
    ]
    return ls.write(path, tasks)


def test_annotator_attributes_each_file_to_its_person(workspace, articles, tmp_path):
    first = run_import(workspace, per_person_export(tmp_path / "a.json", articles, "Aleppo"), annotator="Alice Doe")
    second = run_import(
        workspace, per_person_export(tmp_path / "b.json", articles, "Idlib"), annotator="bob@example.org"
    )
    assert (first["attributed_to"], second["attributed_to"]) == ("ann-01", "ann-02")
    found = {record["annotator"]: record for record in records(workspace)}
    assert sorted(found) == ["ann-01", "ann-02"]
    assert found["ann-01"]["article_id"] == found["ann-02"]["article_id"] == articles["plain"]["id"]  # by text
    assert {d["annotator"] for d in read_jsonl(workspace.annotations_dir / "drafts.jsonl")} == {"ann-01", "ann-02"}
    mapping = json.loads((workspace.annotations_dir / "annotators.json").read_text())
    assert mapping == {"name:Alice Doe": "ann-01", "email:bob@example.org": "ann-02"}  # user 1 is nobody's
    assert "Alice" not in workspace.annotations_path.read_text() and "bob" not in workspace.annotations_path.read_text()
    again = run_import(workspace, tmp_path / "a.json", annotator="Alice Doe")
    assert again["attributed_to"] == "ann-01" and again["annotations"]["unchanged"] == 1


def test_without_annotator_nothing_changes(workspace, articles, tmp_path):
    run_import(workspace, per_person_export(tmp_path / "a.json", articles, "Aleppo"))
    report = run_import(workspace, per_person_export(tmp_path / "b.json", articles, "Idlib"))
    assert report["attributed_to"] is None and report["annotations"]["updated"] == 1
    assert {record["annotator"] for record in records(workspace)} == {"ann-01"}


def test_cli_import_with_annotator(cli, workspace, articles, tmp_path):
    export = per_person_export(tmp_path / "a.json", articles, "Aleppo")
    result = cli("import", export, "--annotator", "Alice Doe", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "attributed to ann-01 (--annotator)" in result.stdout and "Alice" not in result.stdout + result.stderr
    assert "The figures add up." in result.stdout
    empty = cli("import", export, "--annotator", " ", workspace=workspace)
    assert empty.exit_code == 2 and empty.stderr.count("\n") == 1 and "--annotator is empty" in empty.stderr


# -- Label Studio 0.x and JSON_MIN ----------------------------------------------------------------------------


def completions_task(article: dict[str, Any], completions: list[dict[str, Any]]) -> dict[str, Any]:
    """A task as Label Studio 0.x exported it: ``completions``, seconds since 1970, no ``completed_by``."""
    return {"id": 5, "data": {"text": article["text"]}, "completions": completions, "predictions": []}


def completion(result: list[dict[str, Any]], completion_id: int = 5001, **more: Any) -> dict[str, Any]:
    return {"id": completion_id, "lead_time": 9.5, "created_at": 1591265946, "result": result, **more}


def test_a_label_studio_0x_export_is_read_as_annotations(workspace, articles, tmp_path):
    export = ls.write(
        tmp_path / "old.json",
        [completions_task(articles["plain"], [completion([ls.span_region(PLAIN, "Aleppo", "location")])])],
    )
    report = run_import(workspace, export, annotator="the only annotator")
    assert report["format"] == "label-studio-0.x" and report["annotations"]["imported"] == 1
    (record,) = records(workspace)
    assert record["created_at"] == record["updated_at"] == "2020-06-04T10:19:06.000000Z"
    assert record["status"] == "submitted" and record["spans"][0]["text"] == "Aleppo"


def test_a_0x_completion_without_annotator_is_quarantined_saying_what_to_do(cli, workspace, articles, tmp_path):
    skipped = completion([], 5002, skipped=True, completed_by=4)
    export = ls.write(tmp_path / "old.json", [completions_task(articles["plain"], [completion([]), skipped])])
    result = cli("import", export, "--json", workspace=workspace)
    assert result.exit_code == 0
    report = json.loads(result.stdout)
    assert_adds_up(report)
    assert report["format"] == "label-studio-0.x" and report["cancelled"] == 1
    assert report["annotations"]["quarantined_by_reason"] == {"no-annotator": 1}
    (line,) = [line for line in result.stderr.splitlines() if line.startswith("quarantined:")]
    assert "--annotator NAME" in line
    table = cli("import", export, "--annotator", "x", workspace=workspace)
    assert "Format: label-studio-0.x (its completions were read as annotations)." in table.stdout


def test_a_json_min_export_of_objects_is_refused_in_one_line(cli, workspace, tmp_path):
    path = tmp_path / "min.json"
    rows = [{"id": 1, "text": PLAIN, "label": [{"start": 26, "end": 32, "text": "Aleppo", "labels": ["location"]}],
             "annotator": 1, "annotation_id": 3}]  # fmt: skip
    path.write_text(json.dumps(rows), encoding="utf-8")
    result = cli("import", path, workspace=workspace)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert "objects without 'data'" in result.stderr and "not JSON_MIN or CSV" in result.stderr
    assert not workspace.annotations_dir.exists()
