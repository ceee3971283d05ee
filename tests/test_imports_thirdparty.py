"""The importer on real Label Studio exports that other teams published (tests/fixtures/thirdparty, PROVENANCE.md).

Each workspace takes its schema from the project's config the way a new user would (`annotate schema
from-config`), then imports the export as it was published. The expected figures are counted here from the
raw files, independently of the importer, and agree with FACTS.md (written by the fixtures' own script).
A property test mutates a few real LEOKA tasks in every way the importer repairs, keeps or refuses and
checks that the reconciliation balances whatever it is given.
"""

from __future__ import annotations

import copy
import functools
import json
import re
import tempfile
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from annotate.imports import import_export
from annotate.schema import OPTION_SEPARATOR
from annotate.workspace import Workspace, init_workspace, read_jsonl
from tests.test_imports import assert_adds_up

FIXTURES = Path(__file__).resolve().parent / "fixtures" / "thirdparty"
LEOKA = FIXTURES / "leoka"
PER_ANNOTATOR = sorted((FIXTURES / "leoka-per-annotator").glob("*.json"))
AYMURAI = FIXTURES / "aymurai"
BIOGRAPHYNET = FIXTURES / "biographynet"


@functools.cache
def raw(path: Path) -> list[dict[str, Any]]:
    return json.loads(path.read_text(encoding="utf-8"))


@functools.cache
def facts() -> dict[str, dict[str, str]]:
    """FACTS.md's table: figure -> file (as its column header names it) -> the value written."""
    text = (FIXTURES / "FACTS.md").read_text(encoding="utf-8")
    columns = dict(re.findall(r"\*\*([A-Z])\*\* `([^`]+)`", text))
    rows = [line.strip("|").split("|") for line in text.splitlines() if line.startswith("| ")]
    header = [cell.strip() for cell in rows[0]]
    table = {}
    for cells in rows[1:]:
        cells = [cell.strip() for cell in cells]
        table[cells[0]] = {columns[letter]: value for letter, value in zip(header[1:], cells[1:], strict=True)}
    return table


def fact(figure: str, path: Path) -> int:
    return int(facts()[figure][str(path.relative_to(FIXTURES))])


def adopt(cli, workspace: Workspace, config: Path) -> None:
    result = cli("schema", "from-config", config, workspace=workspace)
    assert result.exit_code == 0, result.stderr


def import_json(cli, workspace: Workspace, export: Path, *options: str) -> tuple[dict[str, Any], list[str]]:
    """The import as the command gives it: the report (JSON on stdout) and the problem lines on stderr."""
    result = cli("import", export, "--json", *options, workspace=workspace)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert_adds_up(report)
    return report, result.stderr.splitlines()


def squash(text: str) -> str:
    return " ".join(text.split())


def span_regions(annotation: dict[str, Any]) -> list[dict[str, Any]]:
    return [region for region in annotation["result"] if region.get("type") == "labels"]


# -- LEOKA: spans and a document-level taxonomy, 3-4 annotators -------------------------------------------


@pytest.mark.parametrize("name", ["LEOKA_team_2.json", "LEOKA_team_11.json"])
def test_leoka_imports_with_its_taxonomy(cli, workspace, name):
    export = LEOKA / name
    adopt(cli, workspace, LEOKA / "config.xml")
    report, lines = import_json(cli, workspace, export)
    annotations = report["annotations"]
    assert annotations["read"] == fact("annotations", export)
    assert annotations["quarantined"] <= 0.01 * annotations["read"]
    assert report["balanced"] is True
    # every problem is one line on stderr, saying which task and record
    problem = re.compile(r"(repaired|quarantined): task \S+ |superseded: (annotations|drafts) \S+ by ann-\d\d: ")
    assert lines and all(problem.match(line) for line in lines)
    # the taxonomy regions are choices now: every annotation's, stored or superseded
    assert (
        report["regions"]["choices"] + report["regions"]["superseded"]
        >= fact("regions of type `taxonomy`", export) - report["regions"]["quarantined"]
    )
    assert report["regions"]["other"] == 0 and report["spans"]["read"] == fact("regions of type `labels`", export)


@pytest.mark.parametrize("name", ["LEOKA_team_2.json", "LEOKA_team_11.json"])
def test_leoka_whitespace_repairs_are_the_mismatches_of_the_raw_file(cli, workspace, name):
    export = LEOKA / name
    adopt(cli, workspace, LEOKA / "config.xml")
    report, _ = import_json(cli, workspace, export)
    mismatched = 0  # counted here from the raw file: value.text that differs from the text only in white space
    for task in raw(export):
        text = task["data"]["text"]
        for annotation in task["annotations"]:
            for region in span_regions(annotation):
                value = region["value"]
                at_offsets = text[value["start"] : value["end"]]
                if value["text"] != at_offsets:
                    assert squash(value["text"]) == squash(at_offsets)  # LEOKA has no other kind of mismatch
                    mismatched += 1
    assert mismatched == fact("spans whose value.text != text[start:end]: whitespace only", export)
    assert report["annotations"]["repaired"].get("whitespace", 0) == mismatched
    assert report["annotations"]["quarantined_by_reason"].get("text-mismatch", 0) == 0


def test_leoka_taxonomy_values_are_on_the_records_as_the_raw_file_has_them(cli, workspace):
    export = LEOKA / "LEOKA_team_2.json"
    adopt(cli, workspace, LEOKA / "config.xml")
    import_json(cli, workspace, export)
    by_id = {annotation["id"]: annotation for task in raw(export) for annotation in task["annotations"]}
    stored = list(workspace.read_annotations())
    assert len(stored) > 380
    checked = Counter()
    for record in stored:
        source = by_id[record["origin"]["annotation"]]
        paths = {
            OPTION_SEPARATOR.join(path)
            for region in source["result"]
            if region["type"] == "taxonomy"
            for path in region["value"]["taxonomy"]
        }
        assert set(record["choices"]["Category"]) == paths
        assert len(record["choices"]["Category"]) == len(paths)
        checked["with a selection" if paths else "without"] += 1
    assert checked["with a selection"] >= 380 and checked["without"] == 3  # FACTS: 387 of 390 have a taxonomy
    # one by hand: the file's first annotation, whose taxonomy region lists [Killed], [Assaulted, Injured],
    # [Killed, Feloniously Killed], [Suspect], [Suspect, Arrested], [Suspect, Injured]: in the config's order
    first = next(record for record in stored if record["origin"]["annotation"] == 32407866)
    assert first["choices"] == {
        "Category": [
            "Killed", "Killed / Feloniously Killed", "Assaulted / Injured", "Suspect", "Suspect / Arrested",
            "Suspect / Injured",
        ]
    }  # fmt: skip


def test_the_four_per_annotator_files_become_four_annotators(cli, workspace):
    adopt(cli, workspace, LEOKA / "config.xml")
    pseudonyms = {}
    for number, export in enumerate(PER_ANNOTATOR, start=1):
        report, _ = import_json(cli, workspace, export, "--annotator", f"Coder {number}")
        annotations = report["annotations"]
        assert annotations["read"] == len([a for task in raw(export) for a in task["annotations"]])
        assert annotations["read"] == fact("annotations", export)
        assert annotations["quarantined"] <= 0.01 * annotations["read"]
        pseudonyms[export] = report["attributed_to"]
    assert len(set(pseudonyms.values())) == 4
    stored = Counter(record["annotator"] for record in workspace.read_annotations())
    for export, pseudonym in pseudonyms.items():
        # one record per annotator per article: the file's annotations of distinct texts (the same text in two
        # tasks is one article; the newer annotation stays, the other is counted as superseded)
        texts = {task["data"]["text"].strip() for task in raw(export) if task["annotations"]}
        assert stored[pseudonym] == len(texts)
    articles = {p: {r["article_id"] for r in workspace.read_annotations() if r["annotator"] == p} for p in stored}
    shared = set.intersection(*articles.values())
    assert len(shared) >= 95  # tasks matched across files by their text: the four annotated the same narratives
    mapping = json.loads((workspace.annotations_dir / "annotators.json").read_text())
    assert sorted(mapping) == [f"name:Coder {n}" for n in range(1, 5)]
    assert "Coder" not in workspace.annotations_path.read_text(encoding="utf-8")


def test_the_per_annotator_files_without_annotator_collapse_into_one(cli, workspace):
    """Why --annotator exists: each file says completed_by 1."""
    adopt(cli, workspace, LEOKA / "config.xml")
    for export in PER_ANNOTATOR[:2]:
        import_json(cli, workspace, export)
    assert {record["annotator"] for record in workspace.read_annotations()} == {"ann-01"}


# -- AymurAI: spans with per-region choices, one annotator --------------------------------------------------


def test_aymurai_per_region_choices_are_kept_in_other(cli, workspace):
    export = AYMURAI / "annotations.json"
    adopt(cli, workspace, AYMURAI / "config.xml")
    report, lines = import_json(cli, workspace, export)
    # the one annotation whose spans truly contradict their offsets (shifted by up to 9 characters, FACTS.md)
    # is the only one quarantined; the per-region choices never are a reason
    assert report["annotations"]["quarantined_by_reason"] == {
        "text-mismatch": fact("annotations with a span mismatch: differs (worst)", export)
    }
    assert report["annotations"]["imported"] == 8
    escaped = fact("annotations with a span mismatch: literal \\n for a newline (and whitespace) (worst)", export)
    assert report["annotations"]["repaired"]["escaped-newline"] == escaped == 2
    stored = list(workspace.read_annotations())
    by_id = {annotation["id"]: annotation for task in raw(export) for annotation in task["annotations"]}
    kept = 0
    for record in stored:
        source = by_id[record["origin"]["annotation"]]
        assert record["other"] == [region for region in source["result"] if region["type"] != "labels"]
        assert "choices" not in record  # the project has no document-level control
        kept += len(record["other"])
    assert kept == report["regions"]["other"] > 0
    assert all(key.endswith("(choices)") for key in report["regions"]["other_by_control"])
    assert sum(1 for line in lines if line.startswith("quarantined:")) == 1


def test_biographynet_relations_are_kept_in_other(cli, workspace):
    export = BIOGRAPHYNET / "testing_ls_full.json"
    adopt(cli, workspace, BIOGRAPHYNET / "config.xml")
    report, _ = import_json(cli, workspace, export)
    assert report["annotations"]["imported"] == 2 and report["annotations"]["quarantined"] == 0
    assert report["regions"]["other_by_control"] == {"(relation)": fact("regions of type `relation`", export)}
    assert report["spans"]["stored"] == fact("span regions", export)


# -- Label Studio 0.x: completions, inclusive ends, no users ------------------------------------------------

LEGACY = FIXTURES / "label-studio-0.x"


def test_a_label_studio_0x_export_imports_with_its_inclusive_ends_repaired(cli, workspace, tmp_path):
    """Label Studio's own 0.x example (one completion file per task, as a 0.x project kept them); the export
    is what 0.x's JSON export made of them: the list of the tasks."""
    tasks = [raw(LEGACY / "0.json"), raw(LEGACY / "1.json")]
    export = tmp_path / "result.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    adopt(cli, workspace, LEGACY / "config.xml")
    regions = [region for task in tasks for completion in task["completions"] for region in completion["result"]]
    # the published offsets count `end` inclusively: every value.text is one character longer than [start, end)
    text = tasks[0]["data"]["text"]
    assert all(text[r["value"]["start"] : r["value"]["end"] + 1] == r["value"]["text"] for r in regions)
    report, lines = import_json(cli, workspace, export, "--annotator", "analyst@example.org")
    assert report["format"] == "label-studio-0.x"
    assert report["annotations"]["read"] == 2 and report["annotations"]["quarantined"] == 0
    assert report["annotations"]["repaired"] == {"inclusive-end": len(regions)}
    assert sum("inclusive-end" in line for line in lines) == 2  # one line per completion repaired
    # the two tasks hold the same text: one article, one annotator; 0.x kept no timestamps: the last one read wins
    assert report["annotations"]["imported"] == 1 and report["annotations"]["superseded"] == 1
    (record,) = workspace.read_annotations()
    assert [(s["text"], s["label"]) for s in record["spans"]] == [("February 22", "Date")]
    assert "analyst@example.org" not in json.dumps(record)


def test_a_label_studio_0x_export_without_annotator_says_how_to_name_one(cli, workspace, tmp_path):
    export = tmp_path / "result.json"
    export.write_text(json.dumps([raw(LEGACY / "0.json")]), encoding="utf-8")
    adopt(cli, workspace, LEGACY / "config.xml")
    report, lines = import_json(cli, workspace, export)
    assert report["annotations"]["quarantined_by_reason"] == {"no-annotator": 1}
    assert any("--annotator" in line for line in lines)


# -- the books always balance: real tasks, mutated -------------------------------------------------------------

ALIAS = "WHEN"  # an older name of LEOKA's label Date, added to the schema below
MUTATIONS = (
    "duplicate", "whitespace", "alias", "no-label", "missing-labels", "unknown-label", "taxonomy", "unknown-option",
    "per-region-choices", "relation", "textarea", "out-of-range", "text-mismatch", "non-region", "cancel",
    "same-annotator-twice", "no-annotator", "result-not-a-list",
)  # fmt: skip


@functools.cache
def leoka_schema() -> str:
    """The schema `schema from-config` makes of LEOKA's config, with an alias on Date."""
    with tempfile.TemporaryDirectory() as folder:
        from annotate.schema import adopt_config

        workspace = init_workspace(Path(folder) / "ws")
        adopted = adopt_config(workspace, (LEOKA / "config.xml").read_text(encoding="utf-8"), "leoka", "config.xml")
        schema = yaml.safe_load((workspace.root / adopted.path).read_text(encoding="utf-8"))
    next(label for label in schema["labels"] if label["name"] == "Date")["aliases"] = [ALIAS]
    return yaml.safe_dump(schema, sort_keys=False, allow_unicode=True)


def leoka_workspace(folder: Path) -> Workspace:
    workspace = init_workspace(folder / "ws")
    (workspace.root / "schemas" / "leoka.yaml").write_text(leoka_schema(), encoding="utf-8")
    workspace.set_config("schema", "schemas/leoka.yaml")
    return workspace


def mutate(task: dict[str, Any], annotation: dict[str, Any], how: str, draw: Any) -> None:
    result = annotation["result"]
    regions = [region for region in result if isinstance(region, dict)] if isinstance(result, list) else []
    spans = [region for region in regions if region.get("type") == "labels" and "start" in region["value"]]
    span = spans[draw(st.integers(0, len(spans) - 1))] if spans else None
    text = task["data"]["text"]
    if how == "duplicate" and span:
        result.append(copy.deepcopy(span))
    elif how == "whitespace" and span:
        value = span["value"]
        value["text"] = draw(
            st.sampled_from([f" {value['text']}", f"{value['text']} ", value["text"].replace(" ", "  ")])
        )
    elif how == "alias" and span:
        span["value"]["labels"] = [ALIAS]
    elif how == "no-label" and span:
        span["value"]["labels"] = []
    elif how == "missing-labels" and span:
        span["value"].pop("labels", None)  # drawn twice for one span: gone already
    elif how == "unknown-label" and span:
        span["value"]["labels"] = ["Weapon_X"]
    elif how in ("taxonomy", "unknown-option") and isinstance(result, list):
        paths = [["Killed", "Feloniously Killed"], ["Suspect"]] if how == "taxonomy" else [["Killed", "Drowned"]]
        value = {"taxonomy": paths}
        result.append({"id": "tx", "type": "taxonomy", "from_name": "Category", "to_name": "text", "value": value})
    elif how == "per-region-choices" and span:
        value = {**span["value"], "choices": ["firearm"]}
        result.append({"id": span["id"], "type": "choices", "from_name": "kind", "to_name": "text", "value": value})
    elif how == "relation" and len(spans) > 1:
        result.append({"from_id": spans[0]["id"], "to_id": spans[1]["id"], "type": "relation", "direction": "right"})
    elif how == "textarea" and isinstance(result, list):
        result.append(
            {"id": "n", "type": "textarea", "from_name": "notes", "to_name": "text", "value": {"text": ["?"]}}
        )
    elif how == "out-of-range" and span:
        span["value"]["end"] = len(text) + draw(st.integers(1, 50))
    elif how == "text-mismatch" and span:
        shift = draw(st.integers(1, 20))
        span["value"]["start"] = max(0, span["value"]["start"] - shift)
    elif how == "non-region" and isinstance(result, list):
        result.append(draw(st.sampled_from(["a string", 7, None, ["list"]])))
    elif how == "cancel":
        annotation["was_cancelled"] = True
    elif how == "same-annotator-twice":
        twin = copy.deepcopy(annotation)
        twin["id"] += 1_000_000_000
        twin["updated_at"] = draw(st.sampled_from(["2020-01-01T00:00:00Z", "2030-01-01T00:00:00Z", None]))
        task["annotations"].append(twin)
    elif how == "no-annotator":
        annotation["completed_by"] = None
    elif how == "result-not-a-list":
        annotation["result"] = {"nonsense": True}


@st.composite
def mutated_exports(draw: Any) -> list[dict[str, Any]]:
    source = raw(LEOKA / "LEOKA_team_2.json")
    first = draw(st.integers(0, len(source) - 3))
    tasks = copy.deepcopy(source[first : first + 3])
    for task in tasks:
        for annotation in list(task["annotations"]):
            for how in draw(st.lists(st.sampled_from(MUTATIONS), max_size=4)):
                mutate(task, annotation, how, draw)
        if draw(st.booleans()):  # as Label Studio 0.x named them
            task["completions"] = task.pop("annotations")
    return tasks


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(export=mutated_exports(), annotator=st.sampled_from([None, "Some One"]))
def test_the_books_balance_whatever_the_export_holds(export, annotator):
    with tempfile.TemporaryDirectory() as folder:
        workspace = leoka_workspace(Path(folder))
        path = Path(folder) / "export.json"
        path.write_text(json.dumps(export, ensure_ascii=False), encoding="utf-8")
        for attempt in ("first", "again"):
            report = import_export(workspace, path, annotator=annotator).as_dict()
            assert_adds_up(report)
            items = [a for task in export for a in task.get("annotations", task.get("completions")) or []]
            assert report["annotations"]["read"] == len(items)
            results = [item["result"] for item in items]
            assert report["regions"]["read"] == sum(len(result) for result in results if isinstance(result, list))
            if attempt == "first":
                stored = list(workspace.read_annotations())
                assert len(stored) == report["annotations"]["imported"]
                assert sum(len(r["spans"]) for r in stored) == report["regions"]["spans"]
                assert sum(len(r.get("other", ())) for r in stored) == report["regions"]["other"]
            else:  # the same export again changes nothing, and still balances
                assert report["annotations"]["imported"] == report["annotations"]["updated"] == 0
        quarantine = list(read_jsonl(workspace.quarantine_path)) if workspace.quarantine_path.exists() else []
        assert len([q for q in quarantine if q["kind"] == "annotations"]) <= report["annotations"]["quarantined"]
