"""The workspace: layout, config checks, atomic writes, damaged files."""

from __future__ import annotations

import pytest

from annotate.errors import AnnotateError, ExitCode
from annotate.workspace import atomic_write, default_schema_text, init_workspace, open_workspace, read_jsonl


def test_init_lays_out_config_schema_and_corpus(tmp_path):
    workspace = init_workspace(tmp_path / "new", name="kivu-2026")
    assert workspace.schema_path.read_text(encoding="utf-8") == default_schema_text()
    assert workspace.corpus_dir.is_dir()
    reopened = open_workspace(tmp_path / "new")
    assert reopened.config["name"] == "kivu-2026"
    assert reopened.config["schema"] == "schemas/conflict-spans.yaml"


def test_init_keeps_a_schema_that_is_already_there(tmp_path):
    (tmp_path / "schemas").mkdir()
    (tmp_path / "schemas" / "conflict-spans.yaml").write_text("name: mine\n", encoding="utf-8")
    init_workspace(tmp_path)
    assert (tmp_path / "schemas" / "conflict-spans.yaml").read_text() == "name: mine\n"


def test_a_folder_without_config_is_not_a_workspace(tmp_path):
    with pytest.raises(AnnotateError) as caught:
        open_workspace(tmp_path)
    assert caught.value.exit_code == ExitCode.ENVIRONMENT


def test_unknown_config_key_is_named(tmp_path):
    init_workspace(tmp_path)
    (tmp_path / "annotate.yaml").write_text("name: x\nschmea: schemas/x.yaml\n", encoding="utf-8")
    with pytest.raises(AnnotateError, match=r"annotate.yaml: unknown key 'schmea'\. Known keys: name, schema"):
        open_workspace(tmp_path)


def test_a_schema_path_that_does_not_exist_is_named(tmp_path, cli):
    init_workspace(tmp_path)
    (tmp_path / "annotate.yaml").write_text("schema: schemas/missing.yaml\n", encoding="utf-8")
    result = cli("schema", "check", "--workspace", tmp_path)
    assert result.exit_code == 1
    assert (
        result.stderr
        == f"Error: {tmp_path / 'schemas/missing.yaml'} does not exist. Check the path in annotate.yaml.\n"
    )


def test_workspace_from_the_environment(tmp_path, cli, monkeypatch):
    init_workspace(tmp_path)
    monkeypatch.setenv("ANNOTATE_WORKSPACE", str(tmp_path))
    assert cli("schema", "check").exit_code == 0


def test_atomic_write_leaves_the_old_file_when_interrupted(tmp_path):
    target = tmp_path / "records.jsonl"
    target.write_text("old\n", encoding="utf-8")
    with pytest.raises(RuntimeError), atomic_write(target) as out:
        out.write("half of the new")
        raise RuntimeError("killed")
    assert target.read_text(encoding="utf-8") == "old\n"
    assert list(tmp_path.iterdir()) == [target]


def test_a_damaged_line_in_a_workspace_file_names_the_line(tmp_path):
    path = tmp_path / "articles.jsonl"
    path.write_text('{"id": "a"}\n{"id": "b"}\n{"id": \n', encoding="utf-8")
    records = read_jsonl(path)
    assert [next(records)["id"], next(records)["id"]] == ["a", "b"]
    with pytest.raises(AnnotateError, match=r"articles.jsonl line 3: .*The file is damaged; restore it from a backup"):
        next(records)


def test_a_damaged_corpus_says_how_to_rebuild_it(workspace):
    workspace.articles_path.write_text('{"id": "a"}\n{"id": \n', encoding="utf-8")
    with pytest.raises(AnnotateError, match=r"line 2: .*re-run `annotate corpus add`"):
        list(workspace.read_articles())
