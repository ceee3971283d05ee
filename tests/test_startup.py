"""Start-up: `annotate --help` and the light commands import only what they use (issue 14).

What a command imported is only meaningful in a fresh interpreter, so each check runs one: it imports
``annotate.cli``, runs the commands given, and says which heavy libraries ``sys.modules`` holds after each.
No timings here (benchmarks/startup.py prints them).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys

import httpx
import pytest
import typer
from label_studio_sdk.core.api_error import ApiError

from annotate.errors import AnnotateError, ExitCode, Messages

from .conftest import BUNDLED, REPO

# Libraries that take tenths of a second each to import; none is needed to show help or by a light command.
HEAVY = (
    "label_studio_sdk", "datasets", "huggingface_hub", "matplotlib", "spacy", "scipy", "pyarrow", "numpy",
    "sklearn", "pandas", "httpx",
)  # fmt: skip
# The modules the light commands (init, schema check, corpus stats and add) import: heavy libraries wait
# inside the functions that use them.
LIGHT_MODULES = (
    "annotate.defaults", "annotate.errors", "annotate.workspace", "annotate.spans", "annotate.records",
    "annotate.schema", "annotate.labelconfig", "annotate.controls", "annotate.corpus",
)  # fmt: skip

PROBE = """
import json, sys
heavy = set(json.loads(sys.argv[1]))

def loaded():  # a heavy name with a dot is that module itself, else any module of the package
    return sorted({name.partition(".")[0] for name in sys.modules} & heavy | set(sys.modules) & heavy)

found = []
for module in json.loads(sys.argv[3]):
    __import__(module)
    found.append({"command": f"import {module}", "exit": 0, "heavy": loaded()})
import annotate.cli
found.append({"command": "import annotate.cli", "exit": 0, "heavy": loaded()})
for argv in json.loads(sys.argv[2]):
    try:
        annotate.cli.app(argv, prog_name="annotate")
        code = 0
    except SystemExit as exit:
        code = exit.code
    found.append({"command": " ".join(argv), "exit": code, "heavy": loaded()})
print("\\n" + json.dumps(found))
"""


def probe(*commands: list[str], modules: tuple[str, ...] = (), heavy: tuple[str, ...] = HEAVY) -> list[dict]:
    """In a fresh interpreter, import the modules, then annotate.cli, then run the commands one after the
    other: after each step, its exit code and the ``heavy`` modules loaded so far."""
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    result = subprocess.run(
        [sys.executable, "-c", PROBE, json.dumps(heavy), json.dumps(commands), json.dumps(modules)],
        capture_output=True, text=True, env=environment, cwd=REPO, check=True,
    )  # fmt: skip
    return json.loads(result.stdout.splitlines()[-1])


def help_commands() -> list[list[str]]:
    """``--help`` of the app, of each group and of each command."""
    from annotate.cli import app

    found, stack = [], [((), typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        found.append([*path, "--help"])
        stack.extend(((*path, name), sub) for name, sub in getattr(command, "commands", {}).items())
    return sorted(found)


def test_importing_the_cli_loads_no_heavy_library():
    assert probe() == [{"command": "import annotate.cli", "exit": 0, "heavy": []}]


def test_the_modules_of_the_light_commands_load_no_heavy_library():
    found = probe(modules=LIGHT_MODULES)
    assert [entry["command"] for entry in found] == [f"import {module}" for module in (*LIGHT_MODULES, "annotate.cli")]
    assert [entry for entry in found if entry["heavy"]] == []


def test_every_help_loads_no_heavy_library():
    commands = help_commands()
    assert len(commands) > 30  # the app, its groups and every command
    found = probe(*commands)
    assert [entry["exit"] for entry in found] == [0] * len(found)
    assert [entry for entry in found if entry["heavy"]] == []


@pytest.fixture
def filled_workspace(workspace, cli):
    assert cli("corpus", "add", BUNDLED, workspace=workspace).exit_code == 0
    return workspace


@pytest.mark.parametrize(
    ("command", "needs"),
    [
        (["corpus", "stats"], ["numpy"]),  # the lengths' median and 90th percentile
        (["schema", "check"], ["label_studio_sdk"]),  # the SDK's own check of the derived labeling config
    ],
)
def test_a_light_command_loads_only_what_it_uses(filled_workspace, command, needs):
    [_, entry] = probe([*command, "--workspace", str(filled_workspace.root)])
    assert entry["exit"] == 0
    assert entry["heavy"] == needs


def test_the_sdk_checks_a_labeling_config_once_then_commands_trust_it(filled_workspace, tmp_path, monkeypatch):
    """Loading a schema has the SDK validate its config the first time (0.8 s of imports), not every time;
    ``schema check`` always asks the SDK; a changed config is checked again."""
    monkeypatch.setenv("ANNOTATE_CACHE_DIR", str(tmp_path / "cache"))
    tags = ["schema", "tags", "--workspace", str(filled_workspace.root)]
    check = ["schema", "check", "--workspace", str(filled_workspace.root)]
    assert [entry["heavy"] for entry in probe(tags)[1:]] == [["label_studio_sdk"]]
    assert [entry["heavy"] for entry in probe(tags)[1:]] == [[]]
    assert [entry["heavy"] for entry in probe(check)[1:]] == [["label_studio_sdk"]]
    schema_file = filled_workspace.schema_path
    schema_file.write_text(schema_file.read_text().replace("version: 1.0.0", "version: 1.0.1"))
    markers = list((tmp_path / "cache").rglob("*"))
    assert [entry["heavy"] for entry in probe(tags)[1:]] == [[]]  # the version is not in the config
    schema_file.write_text(schema_file.read_text().replace('color: "#d62728"', 'color: "#d62729"'))
    assert [entry["heavy"] for entry in probe(tags)[1:]] == [["label_studio_sdk"]]
    assert len(list((tmp_path / "cache").rglob("*"))) == len(markers) + 1


def test_an_invalid_labeling_config_is_never_remembered(tmp_path, monkeypatch):
    from annotate.schema import check_label_config

    monkeypatch.setenv("ANNOTATE_CACHE_DIR", str(tmp_path / "cache"))
    bad = (
        '<View><Labels name="label" toName="missing"><Label value="a"/></Labels>'
        '<Text name="text" value="$text"/></View>'
    )
    for _ in range(2):
        with pytest.raises(Exception, match="missing"):
            check_label_config(bad)
    assert not (tmp_path / "cache").exists() or not [p for p in (tmp_path / "cache").rglob("*") if p.is_file()]


def test_a_push_loads_the_http_client_alone(label_studio, pushed_workspace):
    """`annotate push` talks plain HTTP, first and again: not the SDK's client (of the SDK, only its error
    class), nor NumPy; nor what shows nothing where standard error is no terminal (rich's progress bar) or
    is never run (httpx's command line, which would bring click and pygments)."""
    push = ["push", "--project", f"startup-{os.getpid()}", *label_studio.connection_args()]
    push += ["--workspace", str(pushed_workspace.root)]
    sdk = ("label_studio_sdk.client", "label_studio_sdk.label_interface")
    heavy = (*(name for name in HEAVY if name != "label_studio_sdk"), *sdk, "rich", "click", "pygments")
    found = probe(push, push, heavy=heavy)
    assert [(entry["exit"], entry["heavy"]) for entry in found] == [(0, [])] + [(0, ["httpx"])] * 2


def test_the_init_command_loads_no_heavy_library(tmp_path):
    [_, entry] = probe(["init", str(tmp_path / "ws")])
    assert entry == {"command": f"init {tmp_path / 'ws'}", "exit": 0, "heavy": []}


def test_the_help_shows_the_export_formats_the_stage_has():
    from annotate import defaults, exports

    assert tuple(exports.FORMATS) == defaults.EXPORT_FORMATS


# -- the error wrapper knows the SDK's and httpx's errors without importing them first ---------------------


def wrapped(exc: BaseException):
    from annotate.cli import one_line_errors

    @one_line_errors
    def command() -> None:
        raise exc

    return command


@pytest.mark.parametrize(
    ("exc", "exit_code", "message"),
    [
        (AnnotateError(Messages.CORPUS_EMPTY, path="corpus/articles.jsonl"), ExitCode.BAD_INPUT, "Error: "),
        (
            ApiError(status_code=400, body={"detail": "bad config"}),
            ExitCode.BAD_INPUT,
            "Error: " + Messages.STUDIO_REQUEST_FAILED.format(status=400, said="bad config"),
        ),
        (
            httpx.ConnectError("refused"),
            ExitCode.ENVIRONMENT,
            "Error: " + Messages.STUDIO_CONNECTION_LOST.format(problem="ConnectError"),
        ),
        (FileNotFoundError(2, "No such file or directory", "a.json"), ExitCode.BAD_INPUT, "Error: a.json: No such"),
        (KeyboardInterrupt(), 130, "Interrupted; files being written were left as they were."),
    ],
)
def test_the_error_wrapper_turns_each_error_into_one_line(capsys, exc, exit_code, message):
    with pytest.raises(typer.Exit) as raised:
        wrapped(exc)()
    assert raised.value.exit_code == int(exit_code)
    assert capsys.readouterr().err.startswith(message)


def test_the_error_wrapper_lets_other_errors_through():
    with pytest.raises(ValueError, match="a bug"):
        wrapped(ValueError("a bug"))()
