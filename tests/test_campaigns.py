"""Campaigns: overlap and guidelines on the project, rounds, and the status of a project.

Figures are checked against what the tests posted to a real Label Studio, worked out here from the
posts, never against the code under test.
"""

from __future__ import annotations

import json
import statistics
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import pytest
import yaml

from annotate import corpus, tasks
from annotate.push import push, stratified_sample
from annotate.schema import guidelines_html, guidelines_markdown, load_schema, write_guidelines
from annotate.spans import Span
from annotate.status import prediction_outcome, status
from annotate.workspace import Workspace


def title() -> str:
    return f"campaign-{uuid.uuid4().hex[:10]}"


def server_tasks(live, project_id: int, include: str = "id,data,overlap") -> list[Any]:
    return list(live.studio.tasks(project_id, include=include))


# -- sampling and outcomes, on plain data ----------------------------------------------------------------


def test_largest_remainders_allocate_a_sample_by_hand():
    # 4 of 10: quotas 5*0.4=2.0, 3*0.4=1.2, 2*0.4=0.8 -> floors 2, 1, 0; the one seat left goes to the
    # largest remainder (0.8: stratum c)
    strata = {"a": [f"a{i}" for i in range(5)], "b": ["b0", "b1", "b2"], "c": ["c0", "c1"]}
    drawn = stratified_sample(strata, 4, seed=1)
    assert Counter(item[0] for item in drawn) == {"a": 2, "b": 1, "c": 1}
    assert len(set(drawn)) == 4
    assert stratified_sample(strata, 4, seed=1) == drawn
    assert sorted(stratified_sample(strata, 10, seed=5)) == sorted(item for items in strata.values() for item in items)


def test_another_seed_draws_another_sample():
    strata = {"": [f"x{i:03d}" for i in range(200)]}
    assert stratified_sample(strata, 20, seed=1) != stratified_sample(strata, 20, seed=2)


def test_a_predicted_span_is_kept_changed_or_deleted():
    predicted = Span(10, 20, "actor")
    assert prediction_outcome(predicted, {Span(10, 20, "actor"), Span(30, 35, "weapon")}) == "kept"
    assert prediction_outcome(predicted, {Span(10, 20, "casualty")}) == "changed"
    assert prediction_outcome(predicted, {Span(12, 20, "actor")}) == "changed"
    assert prediction_outcome(predicted, {Span(20, 25, "actor"), Span(0, 10, "actor")}) == "deleted"
    assert prediction_outcome(predicted, set()) == "deleted"


# -- guidelines -------------------------------------------------------------------------------------------


def test_the_guidelines_hold_every_definition_note_example_key_and_colour(workspace):
    schema = load_schema(workspace.schema_path)
    markdown, html = guidelines_markdown(schema), guidelines_html(schema)
    raw = yaml.safe_load(workspace.schema_path.read_text())
    for label in raw["labels"]:
        for text in (
            label["definition"],
            *label["notes"],
            *label["examples"]["positive"],
            *label["examples"]["negative"],
        ):
            assert text in markdown
        assert f"`{label['hotkey']}`" in markdown and f"`{label['color']}`" in markdown
        assert f"<h2>{label['name']}</h2>" in html and f"<code>{label['color']}</code>" in html
    assert html.count("<h2>") == len(raw["labels"])


def test_markup_in_the_schema_text_is_shown_not_run(workspace):
    edit_schema(workspace, lambda raw: raw["labels"][0].update(definition="<script>alert(1)</script> *not bold*"))
    html = guidelines_html(load_schema(workspace.schema_path))
    assert "<script>" not in html and "&lt;script&gt;alert(1)&lt;/script&gt; *not bold*" in html


def test_schema_guidelines_writes_markdown_and_html(cli, workspace, tmp_path):
    result = cli("schema", "guidelines", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert "guidelines/guidelines.md" in result.stdout
    schema = load_schema(workspace.schema_path)
    assert (workspace.guidelines_dir / "guidelines.md").read_text() == guidelines_markdown(schema)
    page = (workspace.guidelines_dir / "guidelines.html").read_text()
    assert page.startswith("<!DOCTYPE html>") and guidelines_html(schema) in page
    result = cli("schema", "guidelines", "--out", tmp_path / "docs", workspace=workspace)
    assert result.exit_code == 0 and sorted(p.name for p in (tmp_path / "docs").iterdir()) == [
        "guidelines.html",
        "guidelines.md",
    ]


def edit_schema(workspace: Workspace, change) -> None:
    raw = yaml.safe_load(workspace.schema_path.read_text())
    change(raw)
    workspace.schema_path.write_text(yaml.safe_dump(raw, sort_keys=False, allow_unicode=True))


# -- the command line refuses bad values before connecting ----------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "said"),
    [
        (["--annotators-per-task", "0"], "--annotators-per-task 0: must be a whole number of at least 1"),
        (["--overlap-share", "101"], "--overlap-share 101: must be a whole percentage from 0 to 100"),
        (["--overlap-share", "-1"], "--overlap-share -1: must be a whole percentage from 0 to 100"),
        (["--sample", "5"], "--sample and --seed draw a round: name it with --round NAME"),
        (["--round", "r1", "--sample", "0"], "--sample 0: must be at least 1"),
    ],
)
def test_bad_campaign_options_are_one_line_exit_1(cli, workspace, arguments, said):
    result = cli("push", "--project", "p", *arguments, workspace=workspace)
    assert result.exit_code == 1 and result.stderr.startswith(f"Error: {said}")
    assert result.stderr.count("\n") == 1


def test_status_without_a_server_is_one_line_exit_3(cli, workspace):
    result = cli("status", "--project", "p", "--url", "http://127.0.0.1:9", "--api-key", "k" * 40, workspace=workspace)
    assert result.exit_code == 3 and "Cannot reach Label Studio" in result.stderr and result.stderr.count("\n") == 1


# -- overlap and instructions on a real server -----------------------------------------------------------


def test_push_sets_overlap_and_instructions_and_reports_changes(label_studio, pushed_workspace, cli):
    name = title()
    args = ["push", "--project", name, "--json", *label_studio.connection_args()]
    first = cli(*args, "--annotators-per-task", 3, "--overlap-share", 40, workspace=pushed_workspace)
    assert first.exit_code == 0, first.stderr
    report = json.loads(first.stdout)
    project = label_studio.client.projects.get(report["project_id"])
    assert (project.maximum_annotations, project.overlap_cohort_percentage) == (3, 40)
    assert report["overlap"] == {"annotators_per_task": 3, "overlap_share": 40}
    assert report["changed"] == {
        "annotators_per_task": {"old": 1, "new": 3},
        "overlap_share": {"old": 100, "new": 40},
    }
    schema = load_schema(pushed_workspace.schema_path)
    assert project.expert_instruction == guidelines_html(schema) and project.show_instruction is True
    assert report["instructions_updated"] is True
    # Label Studio gives round(36 * 40%) = 14 tasks three annotators, the rest one
    assert Counter(task.overlap for task in server_tasks(label_studio, project.id)) == {3: 14, 1: 22}

    second = json.loads(cli(*args, "--overlap-share", 40, workspace=pushed_workspace).stdout)
    assert second["changed"] == {} and second["instructions_updated"] is False
    assert second["overlap"] == {"annotators_per_task": 3, "overlap_share": 40}

    text = cli("push", "--project", name, "--overlap-share", 100, *label_studio.connection_args(),
               workspace=pushed_workspace)  # fmt: skip
    assert text.exit_code == 0, text.stderr
    assert "Changed overlap-share: 40 -> 100." in text.stdout
    assert "The project now asks 3 annotators for every task; instructions shown." in text.stdout
    assert label_studio.client.projects.get(project.id).overlap_cohort_percentage == 100


def test_a_schema_change_updates_the_instructions_on_the_next_push(label_studio, pushed_workspace):
    name = title()
    push(pushed_workspace, label_studio.studio, name)
    edit_schema(
        pushed_workspace,
        lambda raw: raw.update(version="1.1.0") or raw["labels"][1]["notes"].append("Count a drone once per mention."),
    )
    summary = push(pushed_workspace, label_studio.studio, name)
    assert summary.instructions_updated is True and summary.changed == {}
    held = label_studio.client.projects.get(summary.project_id).expert_instruction
    assert "Count a drone once per mention." in held and "conflict-spans 1.1.0" in held
    assert push(pushed_workspace, label_studio.studio, name).instructions_updated is False


# -- rounds -----------------------------------------------------------------------------------------------


@pytest.fixture
def sourced_workspace(workspace: Workspace, tmp_path: Path) -> Workspace:
    """36 articles from three sources (20, 10 and 6), with tasks built."""
    for source, count in (("wire-a", 20), ("wire-b", 10), ("radio", 6)):
        folder = tmp_path / source
        folder.mkdir()
        for n in range(count):
            (folder / f"{n:02d}.txt").write_text(f"{source} report {n}\n\nShelling hit district {n} of {source}.")
        corpus.add(workspace, [folder], source=source)
    tasks.build(workspace)
    return workspace


def test_a_round_pushed_twice_is_still_k_articles_stratified_by_source(label_studio, sourced_workspace, cli):
    name = title()
    args = ["push", "--project", name, "--round", "pilot", "--sample", 12, "--seed", 7, "--json"]
    first = json.loads(cli(*args, *label_studio.connection_args(), workspace=sourced_workspace).stdout)
    assert (first["pushed"], first["outside_round"], first["round"]["new"]) == (12, 24, True)
    again = json.loads(cli(*args, *label_studio.connection_args(), workspace=sourced_workspace).stdout)
    assert (again["pushed"], again["already_there"], again["round"]["new"]) == (0, 12, False)
    found = server_tasks(label_studio, first["project_id"])
    assert len(found) == 12 and {task.data["round"] for task in found} == {"pilot"}
    # 12 of 36: quotas 6.67 (wire-a), 3.33 (wire-b), 2 (radio) -> 6, 3, 2 and the seat left to wire-a
    sources = {article["id"]: article["source"] for article in sourced_workspace.read_articles()}
    assert Counter(sources[task.data["article_id"]] for task in found) == {"wire-a": 7, "wire-b": 3, "radio": 2}
    (record,) = sourced_workspace.read_rounds()
    assert (record["round"], record["project"], record["seed"], record["sample"]) == ("pilot", name, 7, 12)
    assert sorted(record["articles"]) == sorted(task.data["article_id"] for task in found)


def test_the_same_seed_draws_the_same_round_and_another_k_or_seed_is_refused(label_studio, sourced_workspace, cli):
    first, second = title(), title()
    drawn = {}
    for name in (first, second):
        push(sourced_workspace, label_studio.studio, name, round_name="r1", sample=9, seed=3)
        drawn[name] = next(r["articles"] for r in sourced_workspace.read_rounds() if r["project"] == name)
    assert drawn[first] == drawn[second] and len(drawn[first]) == 9
    for changed in (["--sample", 10], ["--seed", 4]):
        result = cli("push", "--project", first, "--round", "r1", *changed, *label_studio.connection_args(),
                     workspace=sourced_workspace)  # fmt: skip
        assert result.exit_code == 1 and result.stderr.count("\n") == 1
        assert f"Round 'r1' of project '{first}' was drawn with --sample 9 --seed 3" in result.stderr
    # a second round draws from what is not pushed yet
    push(sourced_workspace, label_studio.studio, first, round_name="r2", sample=27)
    rounds = {r["round"]: set(r["articles"]) for r in sourced_workspace.read_rounds() if r["project"] == first}
    assert not rounds["r1"] & rounds["r2"] and len(rounds["r1"] | rounds["r2"]) == 36
    result = cli("push", "--project", first, "--round", "r3", "--sample", 1, *label_studio.connection_args(),
                 workspace=sourced_workspace)  # fmt: skip
    assert result.exit_code == 1 and "more articles than the 0 of tasks/tasks.json not yet sent" in result.stderr


def test_an_interrupted_round_is_finished_with_its_own_articles(label_studio, sourced_workspace):
    name = title()
    summary = push(sourced_workspace, label_studio.studio, name, round_name="pilot", sample=10, seed=1)
    found = server_tasks(label_studio, summary.project_id)
    for task in found[:4]:  # as if the push had stopped before these
        label_studio.client.tasks.delete(task.id)
    resumed = push(sourced_workspace, label_studio.studio, name, round_name="pilot")
    assert (resumed.pushed, resumed.already_there) == (4, 6)
    assert sorted(t.data["article_id"] for t in server_tasks(label_studio, summary.project_id)) == sorted(
        t.data["article_id"] for t in found
    )


# -- status ---------------------------------------------------------------------------------------------


def predicted_regions(workspace: Workspace) -> dict[str, list[dict[str, Any]]]:
    """article id -> the predicted regions of its task, read from the task file."""
    found = json.loads(workspace.tasks_path.read_text())
    return {task["data"]["article_id"]: task["predictions"][0]["result"] for task in found}


def region(start: int, end: int, label: str, text: str) -> dict[str, Any]:
    value = {"start": start, "end": end, "text": text[start:end], "labels": [label]}
    return {"from_name": "label", "to_name": "text", "type": "labels", "value": value}


@pytest.fixture
def campaign(label_studio, pushed_workspace) -> dict[str, Any]:
    """A round of 10 with 50% of tasks for two annotators, worked on by three users; what was posted."""
    name = title()
    push(pushed_workspace, label_studio.studio, name, annotators_per_task=2, overlap_share=50, round_name="r1",
         sample=10, seed=0)  # fmt: skip
    project = label_studio.studio.project(name)
    found = server_tasks(label_studio, project.id)
    pairs = [t for t in found if t.overlap == 2]
    singles = [t for t in found if t.overlap == 1]
    assert len(pairs) == len(singles) == 5
    predicted = predicted_regions(pushed_workspace)
    users = label_studio.annotators
    posted: list[dict[str, Any]] = []
    outcomes: Counter[tuple[str, str]] = Counter()

    def post(task, user, regions=None, lead_time=None, skip=False, judged=None):
        label_studio.client.annotations.create(
            id=task.id, result=regions or [], completed_by=user.id, lead_time=lead_time, was_cancelled=skip
        )
        posted.append({"task": task, "user": user, "spans": 0 if skip else len(regions or []), "lead": lead_time,
                       "skip": skip})  # fmt: skip
        for outcome in judged or []:
            outcomes[outcome] += 1

    def text(task):
        return task.data["text"]

    def kept_all(task):
        regions = predicted[task.data["article_id"]]
        return regions, [(r["value"]["labels"][0], "kept") for r in regions]

    a1, a2, a3 = pairs[:3]
    b1, b2, _ = singles[:3]
    regions, judged = kept_all(a1)
    post(a1, users[0], regions, 10.0, judged=judged)
    # b1: the first predicted span relabelled, the second deleted, the rest kept, one span added
    first, second, *rest = predicted[b1.data["article_id"]]
    other = "location" if first["value"]["labels"][0] != "location" else "actor"
    relabelled = region(first["value"]["start"], first["value"]["end"], other, text(b1))
    added = region(0, text(b1).index(" "), "actor", text(b1))
    assert not any(r["value"]["start"] < added["value"]["end"] for r in rest)  # nothing predicted overlaps it
    judged = [(first["value"]["labels"][0], "changed"), (second["value"]["labels"][0], "deleted")]
    post(
        b1,
        users[0],
        [relabelled, *rest, added],
        20.0,
        judged=judged + [(r["value"]["labels"][0], "kept") for r in rest],
    )
    post(a2, users[0], skip=True, lead_time=5.0)
    # a1 again: everything deleted
    post(
        a1, users[1], [], 30.0, judged=[(r["value"]["labels"][0], "deleted") for r in predicted[a1.data["article_id"]]]
    )
    # a2: the first predicted span one character shorter at its end, the rest kept
    first, *rest = predicted[a2.data["article_id"]]
    start, end = first["value"]["start"], first["value"]["end"]
    assert not text(a2)[end - 2].isspace()
    shorter = region(start, end - 1, first["value"]["labels"][0], text(a2))
    judged = [(first["value"]["labels"][0], "changed")] + [(r["value"]["labels"][0], "kept") for r in rest]
    post(a2, users[1], [shorter, *rest], 40.0, judged=judged)
    post(b2, users[2], skip=True)
    regions, judged = kept_all(a3)
    post(a3, users[2], regions, 50.0, judged=judged)
    targets = {task.id: task.overlap for task in found}
    return {"name": name, "project": project, "tasks": found, "targets": targets, "posted": posted,
            "outcomes": outcomes, "pairs": pairs, "singles": singles}  # fmt: skip


def expected_status(campaign: dict[str, Any], users) -> dict[str, Any]:
    """The figures, worked out from what the fixture posted."""
    submitted: Counter[int] = Counter()
    touched: dict[int, set[int]] = {}
    for post in campaign["posted"]:
        touched.setdefault(post["task"].id, set()).add(post["user"].id)
        if not post["skip"]:
            submitted[post["task"].id] += 1
    open_tasks = {task_id for task_id, target in campaign["targets"].items() if submitted[task_id] < target}
    people = {}
    for user in users:
        mine = [p for p in campaign["posted"] if p["user"].id == user.id]
        done = [p for p in mine if not p["skip"]]
        people[user.email] = {
            "submitted": len(done),
            "skipped": len(mine) - len(done),
            "remaining": len([t for t in open_tasks if user.id not in touched.get(t, set())]),
            "median_lead_time": statistics.median(p["lead"] for p in done),
            "spans_per_article": sum(p["spans"] for p in done) / len(done),
        }
    waiting = {t for t in open_tasks if campaign["targets"][t] == 2 and submitted[t] >= 1}
    complete = len(campaign["targets"]) - len(open_tasks)
    untouched = len([t for t in campaign["targets"] if t not in touched])
    return {"people": people, "open": len(open_tasks), "waiting": waiting, "complete": complete, "untouched": untouched}


def test_status_figures_equal_what_was_posted(label_studio, pushed_workspace, campaign, cli):
    users = label_studio.annotators
    expected = expected_status(campaign, users)
    figures = status(pushed_workspace, label_studio.studio, campaign["name"], show_emails=True)
    assert figures["tasks"] == 10 and figures["open_tasks"] == expected["open"]
    assert figures["overlap"] == {"annotators_per_task": 2, "overlap_share": 50}
    rows = {row["annotator"]: {k: v for k, v in row.items() if k != "annotator"} for row in figures["annotators"]}
    assert rows == expected["people"]
    # by hand, for the scenario: a1 and b1 complete; a2, a3 wait for a second annotator; b2 skipped only
    assert expected["open"] == 8 and expected["complete"] == 2 and len(expected["waiting"]) == 2
    assert rows[users[2].email]["remaining"] == 6 and rows[users[0].email]["skipped"] == 1
    (round_row,) = figures["rounds"]
    assert round_row == {"round": "r1", "recorded": 10, "articles": 10, "complete": 2,
                         "in_progress": 10 - 2 - expected["untouched"], "untouched": expected["untouched"]}  # fmt: skip
    assert figures["waiting"]["count"] == 2
    assert {entry["task"] for entry in figures["waiting"]["articles"]} == expected["waiting"]
    per_label = figures["pre_annotations"]["per_label"]
    for label, row in per_label.items():
        for outcome in ("kept", "changed", "deleted"):
            assert row[outcome] == campaign["outcomes"][(label, outcome)], (label, outcome)
    total = figures["pre_annotations"]["all"]
    assert total["predicted"] == sum(campaign["outcomes"].values())
    assert total["acceptance"] == pytest.approx(
        sum(n for (_, outcome), n in campaign["outcomes"].items() if outcome == "kept") / total["predicted"]
    )
    assert figures["pre_annotations"]["tasks"] == 10 and figures["left_out"] == {}
    # one pre-annotator (the rules) made every prediction: its row is the whole
    version = tasks.model_version(load_schema(pushed_workspace.schema_path))
    assert figures["pre_annotations"]["per_version"] == {
        version: {"tasks": 10, "per_label": {k: v for k, v in per_label.items() if v["predicted"]}, "all": total}
    }


def test_status_pages_and_names_annotators_by_pseudonym_only(label_studio, pushed_workspace, campaign, cli):
    from annotate.pull import pull

    paged = status(pushed_workspace, label_studio.studio, campaign["name"], batch_size=3)
    whole = status(pushed_workspace, label_studio.studio, campaign["name"])
    assert paged == whole
    result = cli("status", "--project", campaign["name"], "--json", *label_studio.connection_args(),
                 workspace=pushed_workspace)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == whole
    table = cli("status", "--project", campaign["name"], *label_studio.connection_args(), workspace=pushed_workspace)
    assert table.exit_code == 0 and "Annotators" in table.stdout and "r1" in table.stdout
    for output in (result.stdout + result.stderr, table.stdout + table.stderr):
        assert "example.org" not in output and "@" not in output
    user_ids = {str(user.id) for user in label_studio.annotators}
    assert not {row["annotator"] for row in whole["annotators"]} & user_ids
    # the same person has the same pseudonym in status and in the pulled records
    pull(pushed_workspace, label_studio.studio, campaign["name"])
    stored = {r["annotator"] for r in pushed_workspace.read_annotations()}
    assert {row["annotator"] for row in whole["annotators"]} == stored
    mapping = json.loads((pushed_workspace.annotations_dir / "annotators.json").read_text())
    emails = cli("status", "--project", campaign["name"], "--json", "--show-emails", *label_studio.connection_args(),
                 workspace=pushed_workspace)  # fmt: skip
    shown = {row["annotator"] for row in json.loads(emails.stdout)["annotators"]}
    assert shown == {user.email for user in label_studio.annotators}
    assert {mapping[f"email:{email}"] for email in shown} == stored


def test_guidelines_written_for_the_team_are_the_project_instructions(label_studio, pushed_workspace):
    summary = push(pushed_workspace, label_studio.studio, title())
    (_, page) = write_guidelines(pushed_workspace)
    held = label_studio.client.projects.get(summary.project_id).expert_instruction
    assert held in page.read_text()
