"""Shared fixtures: a fresh workspace on disk and a way to run the real CLI."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_38baa6d87464e9c9.txt"
BUNDLED = REPO / "corpus" / "bundled"


@pytest.fixture
def workspace(tmp_path: Path) -> Workspace:
    return init_workspace(tmp_path / "ws")


class Cli:
    """Runs `annotate ...` in-process through typer's runner, with stdout and stderr kept apart."""

    def __init__(self) -> None:
        self.runner = CliRunner()

    def __call__(self, *args: object, workspace: Workspace | None = None):
        from annotate.cli import app

        argv = [str(arg) for arg in args]
        if workspace is not None:
            argv += ["--workspace", str(workspace.root)]
        return self.runner.invoke(app, argv, catch_exceptions=False)


@pytest.fixture
def cli() -> Cli:
    return Cli()


@pytest.fixture
def bundled_copy(tmp_path: Path) -> Path:
    """The bundled articles and the seed, copied so a test can ingest them into its own workspace."""
    target = tmp_path / "articles"
    shutil.copytree(BUNDLED, target)
    shutil.copy(SEED, target / SEED.name)
    return target
