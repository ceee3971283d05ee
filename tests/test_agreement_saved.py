"""The saved agreement report (issue 14): ``annotate agreement`` keeps its report in
``annotations/agreement.json`` with the sha256 of what it was computed from; the command run again and
``annotate publish`` reuse it while those inputs are unchanged, and compute it again the moment one changes.

Whether a report was reused is seen by making the computation impossible (``report`` replaced by a function
that fails): a reuse still succeeds, a recomputation fails.
"""

from __future__ import annotations

import importlib
import json

import pytest

from annotate import agreement, gold, release

from .records import write_records

report_module = importlib.import_module("annotate.agreement.report")  # the module, not the function of that name
manifest_module = importlib.import_module("annotate.release.manifest")
workspace_module = importlib.import_module("annotate.workspace")
pytestmark = pytest.mark.usefixtures("datasets_cache")


@pytest.fixture
def annotated(simulated):
    return simulated


def test_the_command_run_again_prints_the_same_report_without_computing_it(annotated, cli, monkeypatch):
    first = cli("agreement", "--json", workspace=annotated)
    assert first.exit_code == 0, first.stderr
    saved = json.loads(annotated.agreement_path.read_text())
    assert saved["report"] == json.loads(first.stdout) == agreement.report(annotated)
    assert saved["inputs"]["resamples"] == agreement.DEFAULT_RESAMPLES
    assert len(saved["inputs"]["annotations_sha256"]) == 64
    monkeypatch.setattr(report_module, "report", lambda *a, **k: pytest.fail("computed again"))
    again = cli("agreement", "--json", workspace=annotated)
    assert again.exit_code == 0 and again.stdout == first.stdout


def test_a_changed_store_corpus_schema_or_parameter_is_computed_again(annotated, cli, tmp_path):
    assert cli("agreement", "--json", workspace=annotated).exit_code == 0
    computed = []
    original = report_module.report

    def counting(*args, **kwargs):
        computed.append(args[1:])
        return original(*args, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(report_module, "report", counting)
        assert cli("agreement", "--json", workspace=annotated).exit_code == 0 and computed == []
        assert cli("agreement", "--json", "--resamples", "10", workspace=annotated).exit_code == 0
        assert len(computed) == 1
        records = list(annotated.read_annotations())
        dropped = records.pop()
        write_records(annotated.annotations_path, records)
        fewer = json.loads(cli("agreement", "--json", workspace=annotated).stdout)
        assert len(computed) == 2 and fewer["records"]["read"] == len(records)
        write_records(annotated.annotations_path, [*records, dropped])
        assert json.loads(cli("agreement", "--json", workspace=annotated).stdout)["records"]["read"] == len(records) + 1
        schema = annotated.schema_path
        schema.write_text(schema.read_text().replace("version: 1.0.0", "version: 1.1.0"))
        assert json.loads(cli("agreement", "--json", workspace=annotated).stdout)["schema"].endswith("1.1.0")
        assert len(computed) == 4


def test_a_damaged_saved_report_is_computed_again_not_trusted(annotated, cli):
    assert cli("agreement", workspace=annotated).exit_code == 0
    annotated.agreement_path.write_text('{"inputs": ', encoding="utf-8")
    assert agreement.saved_report(annotated) == agreement.report(annotated)
    saved = json.loads(annotated.agreement_path.read_text())
    saved["report"]["documents"] = 999  # a hand edit cannot be told from the real thing by its inputs...
    annotated.agreement_path.write_text(json.dumps(saved), encoding="utf-8")
    assert agreement.saved_report(annotated)["documents"] == 999  # ...so it is reused: say so in the docs
    assert agreement.saved_report(annotated, resamples=0)["documents"] != 999


def test_publish_with_no_saved_report_computes_and_saves_it(annotated):
    gold.gold(annotated)
    assert not annotated.agreement_path.exists()
    release.publish(annotated, "1.0.0", include_conflicts=True)
    assert json.loads(annotated.agreement_path.read_text())["report"] == agreement.report(annotated)


def test_publish_after_agreement_reports_the_same_figures_without_computing(annotated, cli, monkeypatch):
    figures = json.loads(cli("agreement", "--json", workspace=annotated).stdout)
    gold.gold(annotated)
    monkeypatch.setattr(report_module, "report", lambda *a, **k: pytest.fail("computed again"))
    release.publish(annotated, "1.0.0", include_conflicts=True)
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    span = figures["span_f1"]["strict"]
    assert manifest["agreement"]["documents"] == figures["documents"]
    assert manifest["agreement"]["strict_f1"]["value"] == span["micro"]["value"]
    assert manifest["agreement"]["strict_f1"]["ci95"] == span["ci95"]


def test_publish_holding_articles_back_measures_the_published_ones(annotated, cli):
    whole = json.loads(cli("agreement", "--json", workspace=annotated).stdout)
    gold.gold(annotated)  # majority leaves open conflicts: those articles are held back
    summary = release.publish(annotated, "1.0.0")
    assert summary.held_back
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    assert manifest["agreement"]["documents"] == summary.published < whole["documents"]
    assert manifest["agreement"]["all_annotated_articles"]["documents"] == whole["documents"]


def test_publish_reads_the_store_once_and_hashes_each_input_once(annotated, cli, monkeypatch):
    assert cli("agreement", workspace=annotated).exit_code == 0
    gold.gold(annotated)
    reads, hashed = [], []
    read_annotations = type(annotated).read_annotations

    def counted_reads(self):
        reads.append(1)
        return read_annotations(self)

    def counted_hash(path):
        hashed.append(path.name)
        return workspace_module.file_sha256(path)

    monkeypatch.setattr(type(annotated), "read_annotations", counted_reads)
    monkeypatch.setattr(report_module, "file_sha256", counted_hash)
    monkeypatch.setattr(manifest_module, "file_sha256", counted_hash)
    monkeypatch.setattr(release, "file_sha256", counted_hash)
    monkeypatch.setattr(report_module, "report", lambda *a, **k: pytest.fail("computed again"))
    release.publish(annotated, "1.0.0", include_conflicts=True)
    assert len(reads) == 1  # the Parquet rows; the saved report applies since every record is published
    inputs = ("annotations.jsonl", "articles.jsonl", "gold.jsonl", annotated.schema_path.name)
    assert all(hashed.count(name) == 1 for name in inputs), hashed


def test_digests_given_are_the_digests_taken(annotated):
    taken = report_module.report_inputs(annotated, 10, 1, 2, None)
    given = {annotated.annotations_path: taken["annotations_sha256"], annotated.schema_path: "not read again"}
    again = report_module.report_inputs(annotated, 10, 1, 2, None, digests=given)
    assert again == {**taken, "schema_sha256": "not read again"}
