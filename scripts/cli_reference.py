"""Write docs/cli.md, the CLI reference: every command's ``--help``, exactly as ``annotate`` prints it.

    python scripts/cli_reference.py            # rewrite docs/cli.md
    python scripts/cli_reference.py --check    # exit 1 if docs/cli.md is not what it would write

A developer's tool beside the package, not part of it. It walks the typer app (``annotate.cli:app``):
the top level, each group (``schema``, ``corpus``, ``studio``, ``adjudicate``, ...) and each command,
in alphabetical order, and renders each one's help through typer's test runner at a fixed width, with
colour off and the connection variables unset, so the page is the same on every machine.
``tests/test_docs.py`` fails when the committed page differs from what this writes.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterator
from pathlib import Path

import typer
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parent.parent
CLI_MD = REPO / "docs" / "cli.md"
WIDTH = 80
STALE = "docs/cli.md is stale: run python scripts/cli_reference.py"
# What the help must not depend on: the terminal, colour, and variables whose values options read.
ENVIRONMENT = {
    "COLUMNS": str(WIDTH),
    "NO_COLOR": "1",
    "TERM": "dumb",
    "ANNOTATE_WORKSPACE": None,
    "LABEL_STUDIO_URL": None,
    "LABEL_STUDIO_API_KEY": None,
    "HF_TOKEN": None,
}
PREAMBLE = """\
# CLI reference

Every command's `--help`, as `annotate` prints it. This page is generated from the typer app
(`annotate.cli:app`) by `python scripts/cli_reference.py`: do not edit it by hand. `tests/test_docs.py`
fails when it is stale. The stages behind the commands are described in the [documentation](index.md).
"""


def command_paths() -> Iterator[tuple[str, ...]]:
    """Every command of the app as the words that name it: () for `annotate` itself, then groups and
    their commands depth first, each level in alphabetical order."""
    from annotate.cli import app

    stack: list[tuple[tuple[str, ...], object]] = [((), typer.main.get_command(app))]
    while stack:
        path, command = stack.pop()
        yield path
        subcommands = getattr(command, "commands", {})  # a group (typer vendors its own click)
        stack.extend(((*path, name), subcommands[name]) for name in sorted(subcommands, reverse=True))


def help_text(path: tuple[str, ...]) -> str:
    """The `--help` of one command, rendered as on an 80-column terminal without colour."""
    from annotate.cli import app

    result = CliRunner().invoke(
        app, [*path, "--help"], prog_name="annotate", env=ENVIRONMENT, color=False, terminal_width=WIDTH
    )
    if result.exit_code != 0:
        raise RuntimeError(f"`annotate {' '.join(path)} --help` exited {result.exit_code}: {result.output}")
    return result.stdout.rstrip() + "\n"


def title(path: tuple[str, ...]) -> str:
    return " ".join(("annotate", *path))


def anchor(path: tuple[str, ...]) -> str:
    """The anchor GitHub gives the heading `title(path)`."""
    return "-".join(("annotate", *path))


def reference() -> str:
    """The whole of docs/cli.md: a contents list, then one section per command with its help."""
    paths = list(command_paths())
    contents = "".join(f"{'  ' * max(len(path) - 1, 0)}- [{title(path)}](#{anchor(path)})\n" for path in paths)
    sections = "".join(f"\n## {title(path)}\n\n```text\n{help_text(path)}```\n" for path in paths)
    return f"{PREAMBLE}\n{contents}{sections}"


def check(path: Path = CLI_MD) -> str | None:
    """None when the page at `path` is what `reference()` writes; else the sentence saying how to fix it."""
    written = path.read_text(encoding="utf-8") if path.is_file() else ""
    return None if written == reference() else STALE


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--check", action="store_true", help="only say whether docs/cli.md is current")
    args = parser.parse_args(argv)
    if args.check:
        problem = check()
        if problem:
            print(f"Error: {problem}", file=sys.stderr)
        return 1 if problem else 0
    CLI_MD.parent.mkdir(exist_ok=True)
    CLI_MD.write_text(reference(), encoding="utf-8")
    print(f"wrote {CLI_MD.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
