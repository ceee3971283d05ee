"""docs/bring-your-own.md, run as written, on the published LEOKA exports (tests/fixtures/thirdparty).

The page's shell blocks run in a real shell with the installed `annotate` command; the workspaces they
leave are then checked against figures computed here straight from the raw export files, not through
the importer: the share quarantined, the reconciliation, strict span F1, the taxonomy kept on the
records, the release's column and the four annotators of the per-person files.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections import defaultdict
from itertools import combinations
from pathlib import Path

import pytest

from .conftest import REPO

PAGE = REPO / "docs" / "bring-your-own.md"
THIRD_PARTY = REPO / "tests" / "fixtures" / "thirdparty"
TEAM_2 = THIRD_PARTY / "leoka" / "LEOKA_team_2.json"


def _shell_blocks() -> list[str]:
    return re.findall(r"```bash\n(.*?)```", PAGE.read_text(encoding="utf-8"), flags=re.S)


def _start(script: str, cwd: Path) -> subprocess.Popen[str]:
    env = {**os.environ, "PATH": f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}", "NO_COLOR": "1"}
    env.pop("ANNOTATE_WORKSPACE", None)
    return subprocess.Popen(
        ["bash", "-e", "-c", script], cwd=cwd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True
    )


def _finish(process: subprocess.Popen[str]) -> subprocess.CompletedProcess[str]:
    stdout, stderr = process.communicate(timeout=900)
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def _run(script: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    return _finish(_start(script, cwd))


@pytest.fixture(scope="module")
def walked(tmp_path_factory: pytest.TempPathFactory) -> dict[str, object]:
    """The page's blocks run: the first three in one shell (one workspace), the fourth in another."""
    root = tmp_path_factory.mktemp("byo")
    (root / "tests").symlink_to(REPO / "tests", target_is_directory=True)
    blocks = _shell_blocks()
    assert len(blocks) == 4, "the page's walkthrough has four shell blocks"
    # the two walks share nothing (two workspaces): run side by side
    whole, by_person = _start("\n".join(blocks[:3]), root), _start(blocks[3], root)
    return {"root": root, "whole": _finish(whole), "by_person": _finish(by_person)}


def _json_of(command: list[str], workspace: Path) -> dict:
    result = _run(" ".join(command), workspace)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def test_the_page_runs_as_written(walked):
    for name in ("whole", "by_person"):
        result = walked[name]
        assert result.returncode == 0, f"{name}: {result.stderr[-2000:]}"
        assert "Traceback" not in result.stderr


def test_the_import_quarantines_at_most_one_percent_and_balances(walked):
    workspace = walked["root"] / "police"
    report = _json_of(["annotate", "import", str(TEAM_2), "--json"], workspace)  # again: everything unchanged
    raw = json.loads(TEAM_2.read_text(encoding="utf-8"))
    annotations = sum(len(task["annotations"]) for task in raw)
    assert report["annotations"]["read"] == annotations == 390
    assert report["balanced"] is True
    stored = [json.loads(line) for line in (workspace / "annotations" / "annotations.jsonl").open()]
    quarantined = workspace / "annotations" / "quarantine.jsonl"
    in_quarantine = sum(1 for _ in quarantined.open()) if quarantined.exists() else 0
    assert in_quarantine <= 0.01 * annotations
    assert len(stored) + in_quarantine + report["annotations"]["superseded"] >= annotations - 3


def _independent_strict_f1(path: Path) -> float:
    """Pooled strict span F1 straight from the export: submitted annotations, the newest per annotator and
    text, spans as (start, end, label) with white space trimmed at the edges, each counted once."""
    newest: dict[tuple[str, object], tuple[str, set]] = {}
    for task in json.loads(path.read_text(encoding="utf-8")):
        text = task["data"]["text"].strip()
        shift = len(task["data"]["text"]) - len(task["data"]["text"].lstrip())
        for annotation in task["annotations"]:
            if annotation.get("was_cancelled"):
                continue
            spans = set()
            for region in annotation["result"]:
                if region.get("type") != "labels":
                    continue
                start, end = region["value"]["start"] - shift, region["value"]["end"] - shift
                while start < end and text[start].isspace():
                    start += 1
                while end > start and text[end - 1].isspace():
                    end -= 1
                spans.add((start, end, region["value"]["labels"][0]))
            who = annotation["completed_by"]["id"] if isinstance(annotation["completed_by"], dict) else None
            key = (text, who)
            stamp = annotation.get("updated_at") or annotation.get("created_at") or ""
            if key not in newest or newest[key][0] <= stamp:
                newest[key] = (stamp, spans)
    by_text: dict[str, dict[object, set]] = defaultdict(dict)
    for (text, who), (_, spans) in newest.items():
        by_text[text][who] = spans
    matches = total = 0
    for marks in by_text.values():
        for a, b in combinations(sorted(marks, key=str), 2):
            matches += len(marks[a] & marks[b])
            total += len(marks[a]) + len(marks[b])
    return 2 * matches / total


def test_span_agreement_equals_an_independent_computation(walked):
    workspace = walked["root"] / "police"
    report = _json_of(["annotate", "agreement", "--json", "--resamples", "0"], workspace)
    ours = report["span_f1"]["strict"]["micro"]["value"]
    assert ours == pytest.approx(_independent_strict_f1(TEAM_2), abs=1e-12)


def test_the_taxonomy_is_on_the_records_and_measured_per_option(walked):
    workspace = walked["root"] / "police"
    raw = json.loads(TEAM_2.read_text(encoding="utf-8"))
    selected = {
        annotation["id"]: sorted(
            " / ".join(path)
            for region in annotation["result"]
            if region["type"] == "taxonomy"
            for path in region["value"]["taxonomy"]
        )
        for task in raw
        for annotation in task["annotations"]
    }
    stored = [json.loads(line) for line in (workspace / "annotations" / "annotations.jsonl").open()]
    assert stored
    for record in stored:
        assert sorted(record["choices"]["Category"]) == selected[record["origin"]["annotation"]]
    report = _json_of(["annotate", "agreement", "--json", "--resamples", "0"], workspace)
    category = report["choices"]["Category"]
    assert category["kind"] == "taxonomy"
    assert category["alpha"]["value"] is not None
    assert "Killed / Feloniously Killed" in category["per_option"]


@pytest.mark.usefixtures("datasets_cache")
def test_the_release_has_the_taxonomy_column_and_the_export_carries_it(walked):
    import datasets

    workspace = walked["root"] / "police"
    release = next((workspace / "releases").iterdir())
    gold = datasets.load_dataset(str(release), "gold")
    feature = gold["train"].features["Category"]
    names = feature.feature.names if hasattr(feature, "feature") else feature.names
    assert "Killed / Feloniously Killed" in names
    exported = [json.loads(line) for line in next((workspace / "training").glob("*.jsonl")).open()]
    assert exported and all("Category" in record["choices"] for record in exported)


def test_four_per_person_files_give_four_annotators_and_six_pairs(walked):
    workspace = walked["root"] / "police-by-person"
    report = _json_of(["annotate", "agreement", "--json", "--resamples", "0"], workspace)
    pairs = report["span_f1"]["strict"]["pairs"]
    assert len({p["a"] for p in pairs} | {p["b"] for p in pairs}) == 4
    assert len(pairs) == 6
    assert "@example.org" not in json.dumps(report)  # pseudonyms, never the names given to --annotator


# -- a live project that this tool did not make ---------------------------------------------------------


def test_an_existing_project_is_pulled_with_its_own_schema(label_studio, cli, workspace):
    """A project made in Label Studio with LEOKA's config, its narratives annotated there by three users with
    their spans and taxonomy (the published annotations, re-entered through the API); then, as a lead new
    to this tool: `schema from-project`, `pull`, `agreement`."""
    import uuid

    title = f"LEOKA {uuid.uuid4().hex[:8]}"
    config = (THIRD_PARTY / "leoka" / "config.xml").read_text(encoding="utf-8")
    client = label_studio.client
    project = client.projects.create(title=title, label_config=config)
    published = json.loads(TEAM_2.read_text(encoding="utf-8"))[:6]
    client.projects.import_tasks(project.id, request=[{"data": {"text": task["data"]["text"]}} for task in published])
    tasks = sorted(label_studio.studio.tasks(project.id, include="id,data"), key=lambda task: task.id)
    people = {}  # the published annotators, each one of the server's three users
    expected = {}
    for task, source in zip(tasks, published, strict=True):
        assert task.data["text"] == source["data"]["text"]
        for annotation in source["annotations"]:
            if annotation.get("was_cancelled"):
                continue
            person = annotation["completed_by"]["id"]
            if person not in people:
                people[person] = label_studio.annotators[len(people)]
            who = people[person]
            result = [{key: region[key] for key in ("id", "from_name", "to_name", "type", "value")}
                      for region in annotation["result"]]  # fmt: skip
            client.annotations.create(id=task.id, result=result, completed_by=who.id)
            expected[(task.id, who.id)] = sorted(
                " / ".join(path) for region in result if region["type"] == "taxonomy"
                for path in region["value"]["taxonomy"]
            )  # fmt: skip
    connection = label_studio.connection_args()
    assert cli("schema", "from-project", "--project", title, *connection, workspace=workspace).exit_code == 0
    pulled = cli("pull", "--project", title, "--json", *connection, workspace=workspace)
    assert pulled.exit_code == 0, pulled.stderr
    report = json.loads(pulled.stdout)
    imported = report  # the import report, with the project named
    assert imported["balanced"] is True
    assert imported["annotations"]["read"] == len(expected) and imported["annotations"]["quarantined"] == 0
    records = [json.loads(line) for line in (workspace.root / "annotations" / "annotations.jsonl").open()]
    assert len(records) == len(expected)
    tasks_by_id = {task.id for task in tasks}
    assert {record["origin"]["task"] for record in records} == tasks_by_id
    assert sorted(sorted(record["choices"]["Category"]) for record in records) == sorted(expected.values())
    agreement = cli("agreement", "--json", "--resamples", "0", workspace=workspace)
    figures = json.loads(agreement.stdout)
    assert figures["choices"]["Category"]["documents"] == len(published)
    assert len(figures["annotators"]) == 3
