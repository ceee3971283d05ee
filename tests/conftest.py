"""Shared fixtures: a fresh workspace on disk, a way to run the real CLI, and the session's Label Studio.

Every test that needs a running Label Studio carries the `studio` mark, so `pytest -m "not studio"` is the
fast loop: no server, no `label-studio` package needed. Tests that use the `label_studio` fixture (directly
or through another fixture) are marked here; the few that start a server of their own are marked where
they are written.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from annotate.workspace import Workspace, init_workspace

REPO = Path(__file__).resolve().parent.parent
SEED = REPO / "seeds" / "000_38baa6d87464e9c9.txt"
BUNDLED = REPO / "corpus" / "bundled"
# The three simulated annotators' work on the bundled corpus, as a Label Studio JSON export.
SIMULATED_EXPORT = REPO / "corpus" / "simulated" / "label-studio-export.json"


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark `studio` every test whose fixtures (their whole closure) include the session's Label Studio."""
    for item in items:
        if "label_studio" in getattr(item, "fixturenames", ()):
            item.add_marker(pytest.mark.studio)


@pytest.fixture(autouse=True, scope="session")
def label_config_cache(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The cache of labeling configs the SDK found valid (``annotate.schema.check_label_config``) lives in
    the test session's own folder, never the home folder; subprocesses inherit it through the environment."""
    import os

    folder = tmp_path_factory.mktemp("annotate-cache")
    before = os.environ.get("ANNOTATE_CACHE_DIR")
    os.environ["ANNOTATE_CACHE_DIR"] = str(folder)
    yield folder
    if before is None:
        del os.environ["ANNOTATE_CACHE_DIR"]
    else:
        os.environ["ANNOTATE_CACHE_DIR"] = before


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
def datasets_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Keep `datasets`' cache of a test's own loads out of the home folder, and no Hub token in reach."""
    monkeypatch.setenv("HF_DATASETS_CACHE", str(tmp_path / "hf-cache"))
    monkeypatch.delenv("HF_TOKEN", raising=False)


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


# -- a real Label Studio, started once for the whole test session ------------------------------------------


class LiveStudio:
    """The session's Label Studio server: its home workspace, admin token and three annotator users."""

    def __init__(self, home: Workspace):
        from annotate import studio

        self.home = home
        self.credentials = studio.read_credentials(home)
        self.url = self.credentials.url
        self.token = self.credentials.token
        self.studio = studio.connect(None, self.url, self.token)
        self.client = self.studio.client
        self.annotators = [
            self.client.users.create(
                username=f"annotator{n}", email=f"annotator{n}@example.org", first_name="Annotator", last_name=str(n)
            )
            for n in (1, 2, 3)
        ]

    def connection_args(self) -> list[str]:
        return ["--url", self.url, "--api-key", self.token]


@pytest.fixture(scope="session")
def label_studio(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveStudio]:
    """Label Studio from the `studio` extra, started with `annotate.studio.up` (about a minute)."""
    from annotate import studio

    home = init_workspace(tmp_path_factory.mktemp("label-studio") / "home")
    studio.up(home, port=18080)
    try:
        yield LiveStudio(home)
    finally:
        studio.down(home)


@pytest.fixture
def simulated(workspace: Workspace, bundled_copy: Path) -> Workspace:
    """A workspace holding the bundled corpus and the simulated annotators' work, imported."""
    from annotate import corpus
    from annotate.imports import import_export

    corpus.add(workspace, [bundled_copy])
    import_export(workspace, SIMULATED_EXPORT)
    return workspace


@pytest.fixture
def pushed_workspace(workspace: Workspace, bundled_copy: Path) -> Workspace:
    """A workspace holding the bundled corpus and its pre-annotated tasks, ready to push."""
    from annotate import corpus, tasks

    corpus.add(workspace, [bundled_copy])
    tasks.build(workspace, prelabel=True)
    return workspace
