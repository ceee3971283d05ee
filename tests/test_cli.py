"""The command line: documented commands, one-line errors, meaningful exit codes, JSON output."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
import typer

from .conftest import REPO, SEED


def all_commands():
    from annotate.cli import app

    root = typer.main.get_command(app)
    stack = [((), root)]
    while stack:
        path, command = stack.pop()
        if getattr(command, "commands", None):  # a group (typer vendors its own click)
            stack.extend(((*path, name), sub) for name, sub in command.commands.items())
        else:
            yield path


COMMANDS = sorted(all_commands())


def test_the_commands_are_the_ones_documented():
    assert COMMANDS == sorted(
        [
            ("init",),
            ("agreement",),
            ("review",),
            ("schema", "check"),
            ("schema", "config"),
            ("schema", "from-config"),
            ("schema", "from-project"),
            ("schema", "tags"),
            ("schema", "guidelines"),
            ("status",),
            ("corpus", "add"),
            ("corpus", "stats"),
            ("prelabel", "score"),
            ("prelabel", "text"),
            ("tasks", "build"),
            ("studio", "up"),
            ("studio", "down"),
            ("studio", "status"),
            ("push",),
            ("pull",),
            ("import",),
            ("gold",),
            ("adjudicate", "push"),
            ("adjudicate", "pull"),
            ("publish",),
            ("diff",),
            ("export",),
            ("train",),
            ("serve",),
        ]
    )


@pytest.mark.parametrize("command", COMMANDS, ids=" ".join)
def test_every_command_has_help_with_an_example(cli, command):
    result = cli(*command, "--help")
    assert result.exit_code == 0
    assert "Example:" in result.stdout
    assert re.search(r"annotate " + re.escape(command[0]), result.stdout.split("Example:")[1])


def test_top_level_help_shows_the_pipeline_in_order(cli):
    result = cli("--help")
    assert result.exit_code == 0
    steps = [
        "annotate init",
        "annotate schema config",
        "annotate corpus add",
        "annotate prelabel",
        "annotate tasks build",
        "annotate studio up",
        "annotate push",
        "annotate status",
        "annotate pull",
        "annotate import",
        "annotate agreement",
        "annotate gold",
        "annotate adjudicate push",
        "annotate adjudicate pull",
        "annotate publish",
        "annotate diff",
        "annotate export",
    ]
    positions = [result.stdout.index(step) for step in steps]
    assert positions == sorted(positions)


def test_outside_a_workspace_the_error_says_how_to_make_one(cli, tmp_path):
    result = cli("corpus", "stats", "--workspace", tmp_path)
    assert result.exit_code == 3
    assert (
        result.stderr == f"Error: No workspace at {tmp_path}: there is no annotate.yaml. "
        f"Run `annotate init {tmp_path}` or pass --workspace DIR.\n"
    )


def test_init_makes_a_workspace_and_refuses_to_overwrite_one(cli, tmp_path):
    target = tmp_path / "project"
    first = cli("init", target, "--name", "my-data")
    assert first.exit_code == 0
    assert (target / "annotate.yaml").is_file() and (target / "schemas" / "conflict-spans.yaml").is_file()
    assert "name: my-data" in (target / "annotate.yaml").read_text()
    second = cli("init", target)
    assert second.exit_code == 1
    assert "already a workspace" in second.stderr


def test_corpus_add_summary_and_json(cli, workspace, tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "One."}\n{"text": "One."}\n{"text": ""}\n', encoding="utf-8")
    result = cli("corpus", "add", tmp_path / "a.jsonl", "--json", workspace=workspace)
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert {k: summary[k] for k in ("records", "added", "duplicates", "skipped", "corpus_size")} == {
        "records": 3,
        "added": 1,
        "duplicates": 1,
        "skipped": 1,
        "corpus_size": 1,
    }
    assert result.stderr == f"skipped: {tmp_path / 'a.jsonl'} line 3: empty text; fill it in or drop the record\n"


def test_corpus_add_strict_exits_4_and_writes_nothing(cli, workspace, tmp_path):
    (tmp_path / "a.jsonl").write_text('{"text": "Fine."}\n{"txt": "typo"}\n', encoding="utf-8")
    result = cli("corpus", "add", tmp_path / "a.jsonl", "--strict", workspace=workspace)
    assert result.exit_code == 4
    assert result.stderr.splitlines() == [
        f"skipped: {tmp_path / 'a.jsonl'} line 2: no 'text' field (fields: txt); name it with --text-field",
        "Error: --strict: 1 record(s) would be skipped (listed above); nothing was written.",
    ]
    assert not workspace.articles_path.exists()


def test_corpus_add_of_a_missing_file_is_one_line_exit_1(cli, workspace, tmp_path):
    result = cli("corpus", "add", tmp_path / "missing.jsonl", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr == f"Error: {tmp_path / 'missing.jsonl'} does not exist. Check the path.\n"


def test_corpus_stats_json(cli, workspace):
    cli("corpus", "add", SEED, workspace=workspace)
    result = cli("corpus", "stats", "--json", workspace=workspace)
    assert result.exit_code == 0
    assert json.loads(result.stdout)["articles"] == 1


def test_tasks_build_json_summary(cli, workspace):
    cli("corpus", "add", SEED, workspace=workspace)
    result = cli("tasks", "build", "--prelabel", "--json", workspace=workspace)
    assert result.exit_code == 0
    summary = json.loads(result.stdout)
    assert summary["tasks"] == 1 and summary["regions"] > 5 and summary["refused_regions"] == 0
    assert (workspace.root / "tasks" / "tasks.json").is_file()


def test_prelabel_text_prints_offsets_and_json(cli):
    text = "Gunmen killed three soldiers in Kano."
    result = cli("prelabel", "text", text, "--json")
    assert result.exit_code == 0
    for span in json.loads(result.stdout):
        assert text[span["start"] : span["end"]] == span["text"]


def test_the_installed_console_script_runs(tmp_path):
    """The real entry point, in a subprocess: no traceback, the documented exit code."""
    script = REPO / ".venv" / "bin" / "annotate"
    command = [str(script)] if script.exists() else [sys.executable, "-m", "annotate.cli"]
    result = subprocess.run([*command, "corpus", "stats", "--workspace", str(tmp_path)], capture_output=True, text=True)
    assert result.returncode == 3
    assert "Traceback" not in result.stderr
    assert result.stderr.startswith("Error: No workspace at ")


def test_readme_quick_start_is_what_ci_runs():
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    ci = (REPO / ".ci" / "run").read_text(encoding="utf-8")
    assert "make demo" in readme and "make test" in readme
    assert re.search(r"^make test$", ci, re.MULTILINE)


@pytest.mark.parametrize(
    ("overlap", "words"),
    [
        ({"annotators_per_task": 1, "overlap_share": 100}, "one annotator per task"),
        ({"annotators_per_task": 3, "overlap_share": 0}, "one annotator per task"),
        ({"annotators_per_task": 3, "overlap_share": 100}, "3 annotators for every task"),
        ({"annotators_per_task": 2, "overlap_share": 25}, "2 annotators for 25% of the tasks, one for the rest"),
    ],
)
def test_overlap_settings_in_words(overlap, words):
    from annotate.cli import _overlap_words

    assert _overlap_words(overlap) == words


def test_the_progress_bar_is_rich_only_where_it_can_be_seen(monkeypatch):
    """No terminal (nor one forced): a stand-in taking what the commands tell the bar; else rich's bar."""
    import io

    from rich.progress import Progress

    from annotate.cli import progress_bar

    monkeypatch.setattr(sys, "stderr", io.StringIO())
    for variable in ("FORCE_COLOR", "TTY_COMPATIBLE"):
        monkeypatch.delenv(variable, raising=False)
    with progress_bar("Working") as bar:
        assert not isinstance(bar, Progress)
        task = bar.task_ids[0]
        bar.advance(task, 3)
        bar.update(task, completed=3, total=9)
        bar.reset(task, total=9, description="Again")
    monkeypatch.setenv("FORCE_COLOR", "1")
    with progress_bar("Working") as bar:
        assert isinstance(bar, Progress) and len(bar.task_ids) == 1
