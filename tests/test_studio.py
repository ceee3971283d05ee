"""Against a real Label Studio (started once per session): the local server, push, pull, round trip."""

from __future__ import annotations

import hashlib
import importlib.util
import json
import operator
import os
import signal
import socket
import subprocess
import sys
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx
import orjson
import pytest

from annotate import corpus, studio, tasks
from annotate import pull as pull_stage
from annotate.errors import AnnotateError
from annotate.pull import FIRST_PULL, STORE_CHANGED, pull
from annotate.push import push
from annotate.workspace import init_workspace, read_jsonl

from . import lsexport as ls
from .conftest import LiveStudio


def title() -> str:
    return f"test-{uuid.uuid4().hex[:10]}"


def server_tasks(live: LiveStudio, project_id: int) -> list[Any]:
    return list(live.studio.tasks(project_id, include="id,data"))


# -- the local server -------------------------------------------------------------------------------------


def test_the_local_server_listens_on_loopback_with_private_credentials(label_studio, cli):
    status = studio.status(label_studio.home)
    assert status.running and status.url.startswith("http://127.0.0.1:")
    path = studio.credentials_path(label_studio.home)
    assert os.stat(path).st_mode & 0o777 == 0o600
    assert json.loads(path.read_text())["token"] == label_studio.token
    result = cli("studio", "status", "--json", workspace=label_studio.home)
    assert result.exit_code == 0 and json.loads(result.stdout)["running"] is True
    assert label_studio.token not in result.stdout + result.stderr
    assert label_studio.credentials.password not in result.stdout + result.stderr


def test_the_local_server_runs_in_several_processes_and_serves_the_ui(label_studio):
    leader = int(studio.pid_path(label_studio.home).read_text())
    assert len(living_in_group(leader)) == studio.WORKERS + 1  # gunicorn's master and its workers
    assert httpx.get(f"{label_studio.url}/user/login/").status_code == 200
    assert httpx.get(f"{label_studio.url}/static/images/favicon.ico").status_code == 200


def test_the_local_server_reports_nothing_to_label_studios_sentry(label_studio):
    """Label Studio sends its errors, with the users' details, to its makers' Sentry unless its DSN is empty."""
    leader = int(studio.pid_path(label_studio.home).read_text())
    for pid in living_in_group(leader):
        environment = dict(
            entry.split(b"=", 1) for entry in Path(f"/proc/{pid}/environ").read_bytes().split(b"\0") if b"=" in entry
        )
        assert (environment[b"SENTRY_DSN"], environment[b"FRONTEND_SENTRY_DSN"]) == (b"", b""), pid


def test_a_full_batch_of_the_highest_ids_fits_the_servers_request_line(label_studio):
    """Pull's longest URL: a batch of seven-digit ids, ``ids[]`` each (about 8 KB; gunicorn's default limit is 4 KB)."""
    project = label_studio.studio.create_project(title=title())
    ids = list(range(9_999_999 - pull_stage.DEFAULT_BATCH_SIZE, 9_999_999))
    assert orjson.loads(pull_stage.export_batch(label_studio.studio, project.id, ids)) == []


def test_the_token_is_in_no_file_but_the_credentials(label_studio, pushed_workspace, cli):
    result = cli("push", "--project", title(), *label_studio.connection_args(), workspace=pushed_workspace)
    assert result.exit_code == 0, result.stderr
    assert label_studio.token not in result.stdout + result.stderr
    for root in (label_studio.home.root, pushed_workspace.root):
        for path in root.rglob("*"):
            if path.is_file() and path.name != "credentials.json" and "data" not in path.parts:
                assert label_studio.token.encode() not in path.read_bytes(), path


def test_status_of_a_workspace_without_server_exits_3(cli, workspace):
    result = cli("studio", "status", workspace=workspace)
    assert result.exit_code == 3 and "not running" in result.stdout


def test_a_refused_api_key_is_one_line_exit_3(label_studio, pushed_workspace, cli):
    result = cli(
        "push", "--project", title(), "--url", label_studio.url, "--api-key", "wrong" * 8, workspace=pushed_workspace
    )
    assert result.exit_code == 3
    assert result.stderr.startswith("Error: ") and "refused the API key" in result.stderr
    assert result.stderr.count("\n") == 1


@pytest.mark.parametrize("command", ["pull", "push"])  # pull checks the key first, push with its first request
def test_an_unreachable_server_is_one_line_exit_3(pushed_workspace, cli, command):
    result = cli(
        command,
        "--project",
        "x-project",
        "--url",
        "http://127.0.0.1:9",
        "--api-key",
        "k" * 40,
        workspace=pushed_workspace,
    )
    assert result.exit_code == 3 and "Cannot reach Label Studio at http://127.0.0.1:9" in result.stderr
    assert result.stderr.count("\n") == 1


def test_the_connection_comes_from_the_environment(label_studio, pushed_workspace, cli, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_URL", label_studio.url)
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", label_studio.token)
    result = cli("push", "--project", title(), "--json", workspace=pushed_workspace)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pushed"] == 36


# -- push -------------------------------------------------------------------------------------------------


def test_push_creates_the_project_with_the_schema_config_and_is_idempotent(label_studio, pushed_workspace, cli):
    name = title()
    first = cli("push", "--project", name, "--json", *label_studio.connection_args(), workspace=pushed_workspace)
    assert first.exit_code == 0, first.stderr
    report = json.loads(first.stdout)
    assert (report["created"], report["pushed"], report["already_there"]) == (True, 36, 0)
    second = json.loads(
        cli("push", "--project", name, "--json", *label_studio.connection_args(), workspace=pushed_workspace).stdout
    )
    assert (second["created"], second["pushed"], second["already_there"]) == (False, 0, 36)
    project = label_studio.studio.project(name)
    from annotate.schema import load_schema

    assert project.label_config == load_schema(pushed_workspace.schema_path).label_config()
    found = server_tasks(label_studio, project.id)
    ids = [task.data["article_id"] for task in found]
    assert len(ids) == 36 == len(set(ids))
    assert {article["id"] for article in pushed_workspace.read_articles()} == set(ids)
    with_predictions = list(label_studio.client.predictions.list(project=project.id))
    assert len({prediction.task for prediction in with_predictions}) == 36


def test_push_refuses_a_project_with_other_labels_and_names_them(label_studio, pushed_workspace, cli):
    name = title()
    config = (
        '<View><Text name="text" value="$text"/><Labels name="label" toName="text">'
        '<Label value="actor"/><Label value="place"/></Labels></View>'
    )
    label_studio.client.projects.create(title=name, label_config=config)
    result = cli("push", "--project", name, *label_studio.connection_args(), workspace=pushed_workspace)
    assert result.exit_code == 1
    for said in ("label 'weapon' is not in the project", "label 'place' is not in the schema", "--update-config"):
        assert said in result.stderr
    assert server_tasks(label_studio, label_studio.studio.project(name).id) == []
    result = cli(
        "push", "--project", name, "--update-config", *label_studio.connection_args(), workspace=pushed_workspace
    )
    assert result.exit_code == 0, result.stderr
    assert "config updated" in result.stdout
    assert "weapon" in label_studio.studio.project(name).label_config


def test_a_config_the_server_refuses_is_told_as_a_mistake_of_the_schema(
    label_studio, pushed_workspace, cli, monkeypatch
):
    from annotate.schema import Schema

    broken = (
        '<View><Text name="text" value="$text"/>'
        '<Labels name="label" toName="nowhere"><Label value="actor"/></Labels></View>'
    )
    monkeypatch.setattr(Schema, "label_config", lambda self: broken)
    name = title()
    result = cli("push", "--project", name, *label_studio.connection_args(), workspace=pushed_workspace)
    assert result.exit_code == 1 and result.stderr.count("\n") == 1
    assert str(pushed_workspace.schema_path) in result.stderr and 'toName="nowhere" not found' in result.stderr
    assert label_studio.studio.find_project(name) is None


def test_an_article_whose_text_changed_since_it_was_pushed_is_reported_not_pushed_again(label_studio, pushed_workspace):
    name = title()
    connection = label_studio.studio
    push(pushed_workspace, connection, name)
    lines = pushed_workspace.tasks_path.read_bytes().split(b"\n")
    task = json.loads(lines[1].rstrip(b","))
    task["data"].update(text=task["data"]["text"] + " (edited)", sha256="0" * 64)
    lines[1] = json.dumps(task).encode() + b","
    pushed_workspace.tasks_path.write_bytes(b"\n".join(lines))
    summary = push(pushed_workspace, connection, name)
    assert summary.changed_since_push == [task["data"]["article_id"]]
    assert (summary.pushed, summary.already_there, summary.checked) == (0, 35, "count")
    assert len(server_tasks(label_studio, connection.project(name).id)) == 36


# -- the ledger ---------------------------------------------------------------------------------------------


def ledger_tasks(workspace, name: str) -> dict[int, str | None]:
    """task id -> article id, as the push ledger of project ``name`` says."""
    lines = workspace.push_ledger_path(name).read_text().splitlines()
    return {record["task"]: record["article_id"] for record in map(json.loads, lines[1:])}


def server_articles(live: LiveStudio, name: str) -> dict[str | None, int]:
    """article id (None for a task this tool did not push) -> task id, as the server says."""
    return {task.data.get("article_id"): task.id for task in server_tasks(live, live.studio.project(name).id)}


def requests_of(live: LiveStudio) -> tuple[studio.Studio, list[tuple[str, str]]]:
    """A connection to the live server, as `annotate push` makes it, and the requests it sends (method, path)."""
    connection = studio.connect(None, live.url, live.token, check=False)
    sent: list[tuple[str, str]] = []
    connection.http.event_hooks["request"].append(lambda request: sent.append((request.method, request.url.path)))
    return connection, sent


def test_a_push_asks_the_server_only_what_the_ledger_cannot_say(label_studio, pushed_workspace):
    """Creating a project is one request with its config, overlap and instructions; a push with nothing new
    is one: the project, with its task count (which agrees with the ledger)."""
    name = title()
    connection, sent = requests_of(label_studio)
    first = push(pushed_workspace, connection, name, annotators_per_task=2)
    imports = [("POST", f"/api/projects/{first.project_id}/import")] * first.batches
    assert sent == [("GET", "/api/projects"), ("POST", "/api/projects"), *imports]
    assert first.changed == {"annotators_per_task": {"old": 1, "new": 2}} and first.instructions_updated
    assert first.overlap == {"annotators_per_task": 2, "overlap_share": 100} and first.instructions_shown
    ledger = pushed_workspace.push_ledger_path(name).read_bytes()
    sent.clear()
    again = push(pushed_workspace, connection, name, annotators_per_task=2)
    assert sent == [("GET", "/api/projects")]
    assert (again.pushed, again.already_there, again.checked, again.changed) == (0, 36, "count", {})
    assert pushed_workspace.push_ledger_path(name).read_bytes() == ledger  # kept as it was, not written again


def test_the_ledger_is_the_project_and_a_push_with_nothing_new_reads_only_its_count(
    label_studio, pushed_workspace, cli
):
    name = title()
    result = cli("push", "--project", name, "--json", "--batch-bytes", 20_000, *label_studio.connection_args(),
                 workspace=pushed_workspace)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    # requests of at most 20,000 bytes, filled in order (a bigger task would go alone)
    sizes = [len(line.rstrip(b",")) for line in pushed_workspace.tasks_path.read_bytes().splitlines()[1:-1]]
    expected, size = 1, 1
    for task_size in sizes:
        if size > 1 and size + task_size + 1 > 20_000:
            expected, size = expected + 1, 1
        size += task_size + 1
    assert report["batches"] == expected > 1 and report["pushed"] == 36 and report["checked"] == "new project"
    header = json.loads(pushed_workspace.push_ledger_path(name).read_text().splitlines()[0])
    project = label_studio.studio.project(name)
    assert (header["server"], header["project_id"], header["project"]) == (label_studio.url, project.id, name)
    on_server = server_articles(label_studio, name)
    assert {article: task for task, article in ledger_tasks(pushed_workspace, name).items()} == on_server
    again = push(pushed_workspace, label_studio.studio, name)
    assert (again.pushed, again.already_there, again.checked) == (0, 36, "count")


def test_tasks_deleted_and_added_by_someone_else_are_found_without_reading_every_task(label_studio, pushed_workspace):
    name = title()
    connection = label_studio.studio
    push(pushed_workspace, connection, name)
    project = connection.project(name)
    deleted = server_tasks(label_studio, project.id)[:2]
    for task in deleted:
        label_studio.client.tasks.delete(task.id)
    label_studio.client.projects.import_tasks(project.id, request=[{"data": {"text": "Someone else's task."}}])
    summary = push(pushed_workspace, connection, name)
    assert (summary.pushed, summary.already_there, summary.checked) == (2, 34, "ids")
    articles = [task.data.get("article_id") for task in server_tasks(label_studio, project.id)]
    assert len(articles) == 37 and len(set(articles)) == 37 and None in articles
    assert {task.data["article_id"] for task in deleted} <= set(articles)
    assert sorted(ledger_tasks(pushed_workspace, name)) == sorted(t.id for t in server_tasks(label_studio, project.id))
    again = push(pushed_workspace, connection, name)
    assert (again.pushed, again.already_there, again.checked) == (0, 36, "count")


def test_a_ledger_of_another_server_or_torn_by_a_kill_is_not_trusted_beyond_what_holds(label_studio, pushed_workspace):
    name = title()
    connection = label_studio.studio
    push(pushed_workspace, connection, name)
    path = pushed_workspace.push_ledger_path(name)
    path.write_bytes(path.read_bytes() + b'{"task": 99999, "article_id": "torn')  # a line a kill cut short
    torn = push(pushed_workspace, connection, name)
    assert (torn.pushed, torn.already_there, torn.checked) == (0, 36, "count")
    assert path.read_bytes().endswith(b"}\n") and len(ledger_tasks(pushed_workspace, name)) == 36
    lines = path.read_text().splitlines()
    header = json.loads(lines[0])
    path.write_text("\n".join([json.dumps({**header, "server": "http://elsewhere:8080"}), *lines[1:]]) + "\n")
    elsewhere = push(pushed_workspace, connection, name)
    assert (elsewhere.pushed, elsewhere.already_there, elsewhere.checked) == (0, 36, "full listing")
    assert json.loads(path.read_text().splitlines()[0])["server"] == label_studio.url
    assert len(server_tasks(label_studio, connection.project(name).id)) == 36


def test_a_task_file_laid_out_by_hand_pushes_the_same_tasks(pushed_workspace):
    from annotate.push import read_task_lines, read_tasks

    lines = list(read_tasks(pushed_workspace))
    pushed_workspace.tasks_path.write_text(json.dumps(lines, indent=2), encoding="utf-8")
    parsed = list(read_task_lines(pushed_workspace))
    assert [task for task, _raw in parsed] == lines and [json.loads(raw) for _task, raw in parsed] == lines
    # one task per line until a task spans lines: read on from there
    mixed = b"[\n" + json.dumps(lines[0]).encode() + b",\n" + json.dumps(lines[1:], indent=1)[1:].encode()
    pushed_workspace.tasks_path.write_bytes(mixed)
    assert list(read_tasks(pushed_workspace)) == lines


def two_hundred_articles(workspace, folder: Path) -> None:
    """Enough tasks that a push with one task per request can be caught mid-way."""
    folder.mkdir()
    for n in range(200):
        (folder / f"{n:03d}.txt").write_text(f"Report {n}\n\nShelling hit district {n} of the city overnight.")
    corpus.add(workspace, [folder])
    tasks.build(workspace)


def push_and_kill_mid_way(workspace, connection: studio.Studio, key: str, name: str, kill) -> tuple[Any, int, str]:
    """Run `annotate push` one task per request in a subprocess; call ``kill(process)`` once the
    project holds 10 tasks. Returns the finished process, the count seen at the kill, its stderr."""
    command = [sys.executable, "-m", "annotate.cli", "push", "--project", name, "--batch-size", "1"]
    command += ["--url", connection.url, "--api-key", key, "--workspace", str(workspace.root)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    count = 0
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline and process.poll() is None:
        project = connection.find_project(name)
        count = len(list(connection.tasks(project.id, include="id"))) if project else 0
        if count >= 10:
            kill(process)
            break
        time.sleep(0.1)
    _, stderr = process.communicate(timeout=120)
    assert 10 <= count < 200, "the push was not interrupted mid-way"
    return process, count, stderr


def test_a_push_killed_mid_way_is_finished_by_the_next_one(label_studio, workspace, tmp_path, cli):
    two_hundred_articles(workspace, tmp_path / "many")
    name = title()
    kill = operator.methodcaller("send_signal", signal.SIGKILL)
    process, count, _ = push_and_kill_mid_way(workspace, label_studio.studio, label_studio.token, name, kill)
    assert process.returncode == -signal.SIGKILL
    on_server = server_articles(label_studio, name)
    left = ledger_tasks(workspace, name)  # true or behind, never ahead
    assert set(left.items()) <= {(task, article) for article, task in on_server.items()}
    result = cli("push", "--project", name, "--json", *label_studio.connection_args(), workspace=workspace)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["already_there"] >= count and report["already_there"] + report["pushed"] == 200
    assert report["checked"] in ("count", "newer tasks")
    ids = [task.data["article_id"] for task in server_tasks(label_studio, label_studio.studio.project(name).id)]
    assert len(ids) == 200 == len(set(ids))
    assert {article: task for task, article in ledger_tasks(workspace, name).items()} == server_articles(
        label_studio, name
    )


@pytest.mark.studio  # starts a server of its own
def test_a_push_whose_server_is_killed_is_finished_after_a_restart(workspace, tmp_path, tmp_path_factory, cli):
    """Its own server (the session's stays up): killed with SIGKILL mid-push, started again, pushed again."""
    two_hundred_articles(workspace, tmp_path / "many")
    home = init_workspace(tmp_path_factory.mktemp("doomed-studio") / "home")
    studio.up(home, port=18090)
    try:
        credentials = studio.read_credentials(home)
        name = title()

        def kill_server(_pusher: Any) -> None:
            os.killpg(int(studio.pid_path(home).read_text()), signal.SIGKILL)

        connection = studio.connect(None, credentials.url, credentials.token)
        pusher, _, stderr = push_and_kill_mid_way(workspace, connection, credentials.token, name, kill_server)
        assert pusher.returncode == 3 and stderr.startswith("Error: Lost the connection to Label Studio")
        assert stderr.count("\n") == 1 and "re-run" in stderr
        studio.up(home)
        credentials = studio.read_credentials(home)
        result = cli("push", "--project", name, "--json", "--url", credentials.url, "--api-key", credentials.token,
                     workspace=workspace)  # fmt: skip
        assert result.exit_code == 0, result.stderr
        connection = studio.connect(None, credentials.url, credentials.token)
        ids = [task.data["article_id"] for task in connection.tasks(connection.project(name).id)]
        assert len(ids) == 200 == len(set(ids))
    finally:
        studio.down(home)


# -- the round trip ------------------------------------------------------------------------------------


@pytest.fixture
def annotated_project(label_studio, pushed_workspace) -> dict[str, Any]:
    """A pushed project annotated through the API as three users: what was posted, for comparison."""
    name = title()
    push(pushed_workspace, label_studio.studio, name)
    project = label_studio.studio.project(name)
    by_article = {task.data["article_id"]: task for task in server_tasks(label_studio, project.id)}
    articles = {article["id"]: article for article in pushed_workspace.read_articles()}
    plain = [a for a in articles.values() if all(ord(c) <= 0xFFFF for c in a["text"])][:4]
    emoji = next(a for a in articles.values() if any(ord(c) > 0xFFFF for c in a["text"]))
    posted: dict[tuple[str, int], list[tuple[int, int, str]]] = {}
    words = [(a, a["text"].split()[1:4]) for a in plain]
    for user_index, user in enumerate(label_studio.annotators):
        for article, picked in words:
            phrase = picked[user_index % len(picked)].strip(".,;:'\"")
            result = [ls.span_region(article["text"], phrase, ("actor", "weapon", "location")[user_index])]
            label_studio.client.annotations.create(
                id=by_article[article["id"]].id, result=result, completed_by=user.id, lead_time=10.0 + user_index
            )
            start = article["text"].index(phrase)
            posted[(article["id"], user.id)] = [(start, start + len(phrase), result[0]["value"]["labels"][0])]
    # after an emoji, as a browser counting UTF-16 units would send it
    text = emoji["text"]
    last_astral = max(i for i, c in enumerate(text) if ord(c) > 0xFFFF)
    phrase = next(word for word in text[last_astral + 1 :].split() if word.isalpha() and len(word) > 3)
    label_studio.client.annotations.create(
        id=by_article[emoji["id"]].id,
        result=[ls.utf16_region(text, phrase, "location")],
        completed_by=label_studio.annotators[0].id,
    )
    cp_start = text.index(phrase)
    posted[(emoji["id"], label_studio.annotators[0].id)] = [(cp_start, cp_start + len(phrase), "location")]
    # a skipped task
    label_studio.client.annotations.create(
        id=by_article[emoji["id"]].id, result=[], was_cancelled=True, completed_by=label_studio.annotators[1].id
    )
    return {"name": name, "project": project, "posted": posted, "emoji": emoji, "cancelled": emoji["id"]}


def test_push_annotate_as_three_users_pull_and_the_records_match(
    label_studio, pushed_workspace, annotated_project, cli
):
    result = cli("pull", "--project", annotated_project["name"], "--json", *label_studio.connection_args(),
                 workspace=pushed_workspace)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["balanced"] is True and report["tasks"]["read"] == 36
    assert report["annotations"]["read"] == 14 and report["annotations"]["imported"] == 14
    assert report["annotations"]["quarantined"] == 0 and report["cancelled"] == 1
    assert report["spans"]["repaired"] == {"utf16": 1}
    mapping = json.loads((pushed_workspace.annotations_dir / "annotators.json").read_text())
    pseudonym = {user.id: mapping[f"email:{user.email}"] for user in label_studio.annotators}
    assert len(set(pseudonym.values())) == 3
    stored = {(r["article_id"], r["annotator"]): r for r in pushed_workspace.read_annotations()}
    expected = {(article, pseudonym[user]): spans for (article, user), spans in annotated_project["posted"].items()}
    submitted = {key: [(s["start"], s["end"], s["label"]) for s in r["spans"]] for key, r in stored.items()
                 if r["status"] == "submitted"}  # fmt: skip
    assert submitted == expected
    cancelled = [key for key, r in stored.items() if r["status"] == "cancelled"]
    assert cancelled == [(annotated_project["cancelled"], pseudonym[label_studio.annotators[1].id])]
    texts = {a["id"]: a["text"] for a in pushed_workspace.read_articles()}
    assert all(texts[r["article_id"]][s["start"] : s["end"]] == s["text"] for r in stored.values() for s in r["spans"])
    (export,) = pushed_workspace.exports_dir.iterdir()
    assert export.name == Path(report["export"]).name and len(json.loads(export.read_bytes())) == 36
    assert "example.org" not in pushed_workspace.annotations_path.read_text()


def test_pulling_again_changes_nothing_and_an_edit_comes_back_as_an_update(
    label_studio, pushed_workspace, annotated_project
):
    name = annotated_project["name"]
    pull(pushed_workspace, label_studio.studio, name)
    before = pushed_workspace.annotations_path.read_bytes()
    again = pull(pushed_workspace, label_studio.studio, name, full=True).imported
    assert again.tallies["annotations"].unchanged == 14 and pushed_workspace.annotations_path.read_bytes() == before
    nothing = pull(pushed_workspace, label_studio.studio, name)  # incremental: no task changed
    assert nothing.pulled == 0 and nothing.imported.tallies["annotations"].read == 0
    assert pushed_workspace.annotations_path.read_bytes() == before
    project = annotated_project["project"]
    edited_task = next(t for t in server_tasks(label_studio, project.id) if t.data["article_id"] in {
        article for article, _ in annotated_project["posted"]})  # fmt: skip
    annotations = list(label_studio.client.annotations.list(id=edited_task.id))
    text = edited_task.data["text"]
    first_word = text.split()[0]
    label_studio.client.annotations.update(annotations[0].id, result=[ls.span_region(text, first_word, "actor")])
    updated = pull(pushed_workspace, label_studio.studio, name)
    assert updated.pulled == 1 and updated.imported.tallies["annotations"].updated == 1
    assert updated.imported.tallies["annotations"].unchanged == len(annotations) - 1
    records = list(read_jsonl(pushed_workspace.annotations_path))
    assert len(records) == 14
    assert any(r["spans"] and r["spans"][0]["text"] == first_word and r["spans"][0]["start"] == 0 for r in records)


def test_pull_of_a_missing_project_says_so(label_studio, pushed_workspace, cli):
    result = cli("pull", "--project", "no-such-project", *label_studio.connection_args(), workspace=pushed_workspace)
    assert result.exit_code == 1 and "There is no project 'no-such-project'" in result.stderr


def test_pull_pages_through_a_project_bigger_than_one_batch(label_studio, pushed_workspace, annotated_project):
    result = pull(pushed_workspace, label_studio.studio, annotated_project["name"], batch_size=7)
    assert result.tasks == 36 and result.imported.tasks_read == 36
    assert result.imported.tallies["annotations"].read == 14


# -- incremental pull, the raw export, a failed request ------------------------------------------------


def stored_keys(workspace) -> list[tuple[str, str]]:
    return sorted((r["article_id"], r["annotator"]) for r in workspace.read_annotations())


def test_an_incremental_pull_catches_new_changed_and_deleted_annotations_and_tasks(
    label_studio, pushed_workspace, annotated_project
):
    name, project = annotated_project["name"], annotated_project["project"]
    client = label_studio.client
    first = pull(pushed_workspace, label_studio.studio, name)
    assert first.full_because == FIRST_PULL and first.pulled == first.tasks == 36
    exports = sorted(pushed_workspace.exports_dir.iterdir())

    nothing = pull(pushed_workspace, label_studio.studio, name)
    assert nothing.full_because is None and nothing.pulled == 0 and nothing.export is None
    assert nothing.imported.balanced and nothing.imported.tasks_read == 0
    assert sorted(pushed_workspace.exports_dir.iterdir()) == exports  # no export written

    tasks = server_tasks(label_studio, project.id)
    posted_articles = {article for article, _ in annotated_project["posted"]}
    untouched = next(t for t in tasks if t.data["article_id"] not in posted_articles)
    text = untouched.data["text"]
    client.annotations.create(
        id=untouched.id,
        result=[ls.span_region(text, text.split()[0], "actor")],
        completed_by=label_studio.annotators[2].id,
    )
    new = pull(pushed_workspace, label_studio.studio, name)
    assert new.pulled == 1 and new.imported.tallies["annotations"].imported == 1 and new.imported.balanced
    assert new.export is not None and (pushed_workspace.root / new.export).exists()

    annotated = next(t for t in tasks if t.data["article_id"] in posted_articles)
    doomed = next(iter(client.annotations.list(id=annotated.id)))
    before = stored_keys(pushed_workspace)
    client.annotations.delete(doomed.id)
    deleted = pull(pushed_workspace, label_studio.studio, name)
    assert deleted.pulled == 1 and deleted.deleted_annotations == [doomed.id]
    assert stored_keys(pushed_workspace) == before  # kept in the store, as a full pull keeps it
    full = pull(pushed_workspace, label_studio.studio, name, full=True)
    assert full.pulled == 36 and stored_keys(pushed_workspace) == before
    assert full.imported.tallies["annotations"].read == 14 and full.imported.tallies["annotations"].unchanged == 14

    report = "Shelling hit the market in Kharkiv on Monday, officials said."
    client.projects.import_tasks(project.id, request=[{"data": {"text": report}}])
    (made,) = [task.id for task in server_tasks(label_studio, project.id) if task.data["text"] == report]
    client.annotations.create(
        id=made, result=[ls.span_region(report, "Kharkiv", "location")], completed_by=label_studio.annotators[0].id
    )
    client.tasks.delete(untouched.id)
    changed = pull(pushed_workspace, label_studio.studio, name)
    assert changed.pulled == 1 and changed.tasks == 36 and changed.deleted_tasks == [untouched.id]
    assert len(changed.deleted_annotations) == 1  # the annotation of the deleted task
    assert changed.imported.tallies["annotations"].imported == 1 and changed.imported.articles_added == 1
    assert changed.imported.balanced


def test_the_raw_export_is_the_servers_and_a_changed_store_means_a_full_pull(
    label_studio, pushed_workspace, annotated_project
):
    name, project = annotated_project["name"], annotated_project["project"]
    result = pull(pushed_workspace, label_studio.studio, name, batch_size=5)
    kept = pushed_workspace.root / result.export
    raw = kept.read_bytes()
    assert (
        hashlib.sha256(raw).hexdigest()[:16] in kept.name and result.imported.sha256 == hashlib.sha256(raw).hexdigest()
    )
    one_request = b"".join(
        label_studio.client.projects.exports.download_sync(project.id, export_type="JSON", download_all_tasks=True)
    )
    by_id = sorted(orjson.loads(one_request), key=lambda task: task["id"])
    assert orjson.loads(raw) == by_id  # the same tasks, in task-id order, as the one-request export
    assert [task["id"] for task in orjson.loads(raw)] == sorted(
        task.id for task in server_tasks(label_studio, project.id)
    )

    records = pushed_workspace.annotations_path.read_bytes().splitlines(keepends=True)
    pushed_workspace.annotations_path.write_bytes(b"".join(records[1:]))  # a record lost by hand
    again = pull(pushed_workspace, label_studio.studio, name)
    assert again.full_because == STORE_CHANGED and again.imported.tallies["annotations"].imported == 1


def test_a_pull_whose_request_fails_mid_way_changes_nothing(
    label_studio, pushed_workspace, annotated_project, monkeypatch
):
    name = annotated_project["name"]
    real = pull_stage.export_batch
    calls = []

    def failing(*args):
        calls.append(args)
        if len(calls) == 3:
            raise httpx.ReadError("the server went away")
        return real(*args)

    monkeypatch.setattr(pull_stage, "export_batch", failing)
    with pytest.raises(httpx.ReadError):
        pull(pushed_workspace, label_studio.studio, name, batch_size=5)
    assert not pushed_workspace.annotations_path.exists()
    assert not pushed_workspace.exports_dir.exists() or not any(pushed_workspace.exports_dir.iterdir())
    assert list((pushed_workspace.root / ".pull").iterdir()) == []  # no state, no partial download
    monkeypatch.setattr(pull_stage, "export_batch", real)
    result = pull(pushed_workspace, label_studio.studio, name, batch_size=5)
    assert result.full_because == FIRST_PULL and result.imported.tallies["annotations"].imported == 14


def test_the_cli_pulls_incrementally_and_fully_on_request(label_studio, pushed_workspace, annotated_project, cli):
    args = ("pull", "--project", annotated_project["name"], *label_studio.connection_args())
    first = json.loads(cli(*args, "--json", workspace=pushed_workspace).stdout)
    assert first["incremental"] is False and first["tasks_pulled"] == 36 and first["balanced"]
    again = cli(*args, workspace=pushed_workspace)
    assert again.exit_code == 0 and "Pulled 0 of 36 tasks (incremental)" in again.stdout
    assert "Nothing changed; no export written." in again.stdout
    full = json.loads(cli(*args, "--full", "--json", workspace=pushed_workspace).stdout)
    assert full["full_because"] == "--full" and full["annotations"]["unchanged"] == 14


class _StubStudio:
    """Just enough of a connection for pull's download, without a server: ids -> synthetic tasks."""

    url = "http://stub"

    def __init__(self, ids_range: tuple[int, int] | None = None, listed: dict[int, str] | None = None):
        self.ids_range, self.listed = ids_range, listed or {}

    def task_id_range(self, project_id: int) -> tuple[int, int] | None:
        return self.ids_range

    def task_stamps(self, project_id: int, updated_after: str | None = None) -> dict[int, str]:
        return self.listed

    def users_by_id(self) -> dict[int, str]:
        return {}


def test_the_whole_project_is_asked_by_id_range_when_dense_else_listed():
    assert pull_stage.all_task_ids(_StubStudio((5, 9)), 1, 5) == [5, 6, 7, 8, 9]
    assert pull_stage.all_task_ids(_StubStudio((5, 14)), 1, 5) == list(range(5, 15))  # half the ids: still a range
    sparse = _StubStudio((1, 900), {900: "t", 1: "t", 450: "t"})
    assert pull_stage.all_task_ids(sparse, 1, 3) == [1, 450, 900]
    assert pull_stage.all_task_ids(_StubStudio(None), 1, 0) == []


def test_an_import_that_fails_stops_the_download_and_leaves_nothing(workspace, monkeypatch):
    calls = []

    def batch(studio, project_id, ids):
        calls.append(ids)
        return orjson.dumps([{"id": i, "updated_at": "2026-01-01T00:00:00.000000Z", "data": {}} for i in ids])

    def failing_import(workspace, path, users_by_id=None, source=None):
        raise AnnotateError("the import gave up")

    monkeypatch.setattr(pull_stage, "export_batch", batch)
    monkeypatch.setattr(pull_stage, "import_export", failing_import)
    with pytest.raises(AnnotateError, match="gave up"):
        pull_stage._download_and_import(workspace, _StubStudio(), 1, "p", list(range(1, 2001)), 5, {}, None)
    assert len(calls) < 100  # of 400 batches: the bounded feed stopped the download
    assert list((workspace.root / ".pull").iterdir()) == []
    assert not any(thread.name == "pull-download" for thread in threading.enumerate())


# -- the local server, again ---------------------------------------------------------------------------


def test_studio_up_on_a_running_server_finds_it(label_studio, cli):
    result = cli("studio", "up", workspace=label_studio.home)
    assert result.exit_code == 0 and f"Label Studio running at {label_studio.url}" in result.stdout


def test_without_the_studio_extra_up_says_what_to_install(cli, workspace, monkeypatch):
    real_find_spec = studio.importlib.util.find_spec
    monkeypatch.setattr(
        studio.importlib.util, "find_spec", lambda name: None if name == "label_studio" else real_find_spec(name)
    )
    result = cli("studio", "up", workspace=workspace)
    assert result.exit_code == 3
    assert "pip install 'annotate[studio]'" in result.stderr and result.stderr.count("\n") == 1


def test_help_never_shows_the_api_key_from_the_environment(cli, monkeypatch):
    monkeypatch.setenv("LABEL_STUDIO_API_KEY", "very-secret-token-value")
    for command in (("push",), ("pull",)):
        result = cli(*command, "--help")
        assert result.exit_code == 0 and "very-secret-token-value" not in result.stdout


def test_credentials_never_show_in_repr():
    credentials = studio.Credentials("http://127.0.0.1:1", "a@b", "pass-word-value", "token-value")
    assert "pass-word-value" not in repr(credentials) and "token-value" not in repr(credentials)


def test_down_stops_the_server_process_group_and_forgets_its_pid(cli, workspace):
    # a stand-in for the server: a process group whose leader has a child, as Label Studio's has
    leader = subprocess.Popen(["sh", "-c", "sleep 300 & wait"], start_new_session=True)
    workspace.studio_dir.mkdir(parents=True)
    studio.pid_path(workspace).write_text(str(leader.pid))
    result = cli("studio", "down", workspace=workspace)
    assert result.exit_code == 0 and result.stdout.startswith("Label Studio stopped; its data stay in")
    again = cli("studio", "down", workspace=workspace)
    assert again.exit_code == 0 and "Label Studio is not running" in again.stdout
    leader.wait(timeout=10)  # already reaped by `down`: it waited for its child
    deadline = time.monotonic() + 10
    while living_in_group(leader.pid) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert living_in_group(leader.pid) == []
    assert not studio.pid_path(workspace).exists()


def living_in_group(group: int) -> list[int]:
    """Processes of a process group that are neither gone nor zombies (from /proc)."""
    living = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            state, _parent, pgrp = stat.read_text().rsplit(")", 1)[1].split()[:3]
        except (OSError, IndexError):
            continue
        if int(pgrp) == group and state != "Z":
            living.append(int(stat.parent.name))
    return living


@pytest.mark.parametrize(
    ("content", "said"),
    [('[{"data": {"text": "x"}}]', "task 1 has no data.text, data.article_id"), ('[{"data": ', "not valid JSON")],
)
def test_a_damaged_task_file_is_refused_before_anything_is_pushed(label_studio, pushed_workspace, cli, content, said):
    pushed_workspace.tasks_path.write_text(content, encoding="utf-8")
    name = title()
    result = cli("push", "--project", name, *label_studio.connection_args(), workspace=pushed_workspace)
    assert result.exit_code == 1 and said in result.stderr and "annotate tasks build" in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_personal_access_token_works_as_well_as_a_legacy_token(label_studio, pushed_workspace, cli):
    personal = label_studio.client.tokens.create().token  # a JWT refresh token, as the UI hands out
    assert personal != label_studio.token and personal.count(".") == 2
    name = title()
    result = cli("push", "--project", name, "--json", "--url", label_studio.url, "--api-key", personal,
                 workspace=pushed_workspace)  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["pushed"] == 36 and personal not in result.stdout + result.stderr


@pytest.mark.studio  # starts a server of its own
@pytest.mark.parametrize("server", [studio.GUNICORN, studio.RUNSERVER])
def test_up_follows_label_studio_when_its_port_is_taken_after_the_check(tmp_path, monkeypatch, server):
    """The race: the port was free when `up` looked, and taken before Label Studio started. Label Studio
    then moves to the next port by itself; `up` must follow it, not wait on the old port until it times out.
    Served either way: the runserver of `label-studio start` too, which `up` falls back to without gunicorn."""
    home = init_workspace(tmp_path / "home")
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        monkeypatch.setattr(studio, "_free_port", lambda preferred: port)  # what the check saw: free
        try:
            started = studio.up(home, port=port, server=server)
            moved = studio.read_credentials(home).port
            assert moved != port and started.running and started.url == f"http://127.0.0.1:{moved}"
            assert studio.connect(home).url == started.url  # the stored token works there
        finally:
            studio.down(home)


def test_up_serves_with_gunicorn_when_it_is_installed_else_as_label_studio_start_does(monkeypatch):
    assert studio.default_server() == studio.GUNICORN  # the studio extra has it
    assert studio._server_command(studio.GUNICORN, Path("d"), 1)[1:3] == ["-m", "annotate.studio_server"]
    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec", lambda name, *args: None if name == "gunicorn" else real(name))
    assert studio.default_server() == studio.RUNSERVER
    assert studio._server_command(studio.RUNSERVER, Path("d"), 1)[1:4] == ["-m", "label_studio.server", "start"]
    with pytest.raises(ValueError, match="unknown server"):
        studio._server_command("uwsgi", Path("d"), 1)
