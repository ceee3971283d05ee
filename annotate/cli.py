"""The ``annotate`` command: one thin command per library function (as in sqlite-utils).

Each command opens the workspace, calls one function, and prints its result: a readable summary,
or JSON on standard output with ``--json``. Errors the user can fix are one line on standard error
with an exit code from ``annotate.errors.ExitCode``; progress bars go to standard error too.

Each command imports its stage when it runs, never at the top of this module: the stages bring the
Label Studio SDK, numpy, datasets, ..., and ``annotate --help`` or ``annotate corpus stats`` must not wait
for them (tests/test_startup.py keeps it so). The defaults the help shows come from ``annotate.defaults``.
"""

from __future__ import annotations

import functools
import os
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from enum import Enum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, TypeVar, cast

import typer

from annotate import defaults
from annotate.errors import AnnotateError, ExitCode, Messages

if TYPE_CHECKING:
    from rich.console import Console
    from rich.progress import Progress
    from rich.table import Table

    from annotate import gold as gold_stage
    from annotate import imports as imports_stage
    from annotate import release as release_stage
    from annotate import schema as schema_stage
    from annotate import studio as studio_stage
    from annotate.agreement import format as agreement_format
    from annotate.workspace import Workspace

PIPELINE = """\
Build gold-standard span datasets about armed conflict with Label Studio.

The pipeline, one command per stage:

\b
  annotate init DIR             make a workspace (config, schema, corpus/)
  annotate schema config        the Label Studio labeling config derived from the schema
  annotate schema guidelines    the annotation guidelines (Markdown and HTML) derived from the schema
  annotate corpus add PATH...   ingest articles (txt, jsonl, json, csv, parquet, saved datasets)
  annotate prelabel text TEXT   what the rule-based pre-annotator finds in a text
  annotate prelabel score       its precision and recall against gold spans
  annotate tasks build          Label Studio tasks, with --prelabel for pre-annotations
  annotate studio up            start a local Label Studio for the workspace
  annotate push --project NAME  send the tasks to a Label Studio project (only what is missing);
                                --round R --sample K for a sample, --annotators-per-task N for overlap
  annotate status --project NAME  who annotated what, rounds, pre-annotations kept, who is awaited
  annotate pull --project NAME  fetch the annotations back, save the raw export, import it
  annotate import EXPORT.json   import a JSON export made in the Label Studio UI
  annotate agreement            inter-annotator agreement on the submitted annotations
  annotate gold                 settle one set of spans per article; conflicts listed
  annotate adjudicate push      send the articles in conflict to a review project
  annotate adjudicate pull      bring the adjudicator's decisions back as gold
  annotate publish --version V  the gold standard as a versioned Hugging Face dataset (releases/)
  annotate diff A B             what changed between two published versions
  annotate export --format F    training data (CoNLL, spaCy, JSONL) from gold or one annotator
  annotate train                a spaCy model trained on the gold, with its card (the model extra)
  annotate serve --model PATH   the model as a Label Studio ML backend (push --ml-backend URL connects it)

\b
Exit codes: 0 done; 1 bad input (the message names the file and the fix); 2 bad command line;
3 no workspace or a missing package; 4 --strict refused input.
"""

app = typer.Typer(help=PIPELINE, no_args_is_help=True, rich_markup_mode=None, add_completion=False)
schema_app = typer.Typer(help="The span schema and what is derived from it.", no_args_is_help=True)
corpus_app = typer.Typer(help="The article corpus: ingest and inspect.", no_args_is_help=True)
prelabel_app = typer.Typer(help="The rule-based pre-annotator.", no_args_is_help=True)
tasks_app = typer.Typer(help="Label Studio tasks built from the corpus.", no_args_is_help=True)
app.add_typer(schema_app, name="schema")
app.add_typer(corpus_app, name="corpus")
app.add_typer(prelabel_app, name="prelabel")
studio_app = typer.Typer(help="The local Label Studio server of the workspace.", no_args_is_help=True)
app.add_typer(tasks_app, name="tasks")
app.add_typer(studio_app, name="studio")
adjudicate_app = typer.Typer(
    help="Adjudication of gold conflicts through a Label Studio review project.", no_args_is_help=True
)
app.add_typer(adjudicate_app, name="adjudicate")


WorkspaceOption = Annotated[
    Path,
    typer.Option("--workspace", "-w", envvar="ANNOTATE_WORKSPACE", help="Workspace folder (default: the current one)."),
]
JsonOption = Annotated[bool, typer.Option("--json", help="Print the result as JSON on standard output.")]
UrlOption = Annotated[
    str | None,
    typer.Option(
        "--url", envvar=defaults.LABEL_STUDIO_URL_ENV, help="Label Studio URL (default: the workspace's local one)."
    ),
]
ApiKeyOption = Annotated[
    str | None,
    typer.Option(
        "--api-key",
        envvar=defaults.LABEL_STUDIO_API_KEY_ENV,
        show_default=False,
        help="Legacy token or personal access token (default: the local server's token). Never printed.",
    ),
]
ProjectOption = Annotated[str, typer.Option("--project", "-p", help="Title of the Label Studio project.")]
PrelabelWithOption = Annotated[
    str, typer.Option("--prelabel-with", help="The pre-annotator: rules, model:PATH or rules+model:PATH.")
]

F = TypeVar("F", bound=Callable[..., Any])


def one_line_errors(command: F) -> F:
    """Turn the library's errors into one line on standard error and a meaningful exit code."""

    @functools.wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except AnnotateError as exc:
            typer.echo(f"Error: {exc}", err=True)
            raise typer.Exit(int(exc.exit_code)) from None
        except KeyboardInterrupt:
            typer.echo("Interrupted; files being written were left as they were.", err=True)
            raise typer.Exit(130) from None
        except Exception as exc:
            if _raised_by(exc, "label_studio_sdk.core.api_error", "ApiError"):
                from annotate.studio import describe_api_error

                typer.echo(f"Error: {describe_api_error(exc)}", err=True)  # type: ignore[arg-type]
                raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
            if _raised_by(exc, "httpx", "HTTPError"):  # the server went away mid-way (refused, reset, timeout)
                typer.echo(f"Error: {Messages.STUDIO_CONNECTION_LOST.format(problem=type(exc).__name__)}", err=True)
                raise typer.Exit(int(ExitCode.ENVIRONMENT)) from None
            if isinstance(exc, OSError):
                typer.echo(f"Error: {exc.filename or ''}: {exc.strerror or exc}", err=True)
                raise typer.Exit(int(ExitCode.BAD_INPUT)) from None
            raise

    return wrapper  # type: ignore[return-value]


def _raised_by(exc: Exception, module: str, name: str) -> bool:
    """Whether ``exc`` is a ``module.name`` (or a subclass of it), without importing ``module``:
    a module that was never imported raised nothing."""
    loaded = sys.modules.get(module)
    return loaded is not None and isinstance(exc, getattr(loaded, name))


def open_workspace(path: Path) -> Workspace:
    """``annotate.workspace.open_workspace``, imported when a command runs (yaml and jsonlines are not free)."""
    from annotate import workspace

    return workspace.open_workspace(path)


@functools.cache
def console(stderr: bool = False) -> Console:
    """Rich's console for standard output (tables unwrapped in logs and pipes) or for standard error."""
    from rich.console import Console

    if stderr:
        return Console(stderr=True, highlight=False)
    return Console(highlight=False, width=None if sys.stdout.isatty() else 120)


def print_json(data: Any) -> None:
    from annotate.workspace import json_text

    sys.stdout.write(json_text(data))


def figure_table(title: str, columns: Sequence[str], names: int = 1, **options: Any) -> Table:
    """A table whose first ``names`` columns name things (left-aligned) and the rest hold figures."""
    from rich.table import Table

    table = Table(title=title, **options)
    for index, column in enumerate(columns):
        table.add_column(column, justify="left" if index < names else "right", no_wrap=True)
    return table


class _NoBar:
    """What ``progress_bar`` gives when standard error is surely no terminal (a pipe, a file, a test):
    rich's Progress would show nothing there, and importing it costs a command 40-60 ms of start-up."""

    task_ids = (0,)

    def advance(self, *_args: Any, **_kwargs: Any) -> None:
        pass

    update = reset = advance


def _stderr_may_be_a_terminal() -> bool:
    """False only when rich would surely find standard error no terminal (nor forced to be one)."""
    forced = os.environ.get("FORCE_COLOR") is not None or os.environ.get("TTY_COMPATIBLE") == "1"
    return forced or sys.stderr.isatty()


@contextmanager
def progress_bar(description: str, count_items: bool = True) -> Iterator[Progress]:
    """A rich progress bar on standard error, shown only when that is a terminal.

    ``count_items`` shows "done/total"; otherwise a percentage (for bytes read).
    """
    if not _stderr_may_be_a_terminal():
        yield cast("Progress", _NoBar())
        return
    from rich.progress import (
        BarColumn,
        MofNCompleteColumn,
        Progress,
        TaskProgressColumn,
        TextColumn,
        TimeRemainingColumn,
    )

    with Progress(
        TextColumn("{task.description}"),
        BarColumn(),
        MofNCompleteColumn() if count_items else TaskProgressColumn(),
        TimeRemainingColumn(),
        console=console(stderr=True),
        transient=True,
        disable=not console(stderr=True).is_terminal,
    ) as progress:
        progress.add_task(description, total=None)
        yield progress


# -- init -------------------------------------------------------------------------------------------


@app.command("init")
@one_line_errors
def init_command(
    directory: Annotated[Path, typer.Argument(help="Folder to make the workspace in (created if needed).")],
    name: Annotated[str, typer.Option(help="Dataset name used for releases.")] = "conflict-events",
) -> None:
    """Make a workspace: annotate.yaml, the default schema, an empty corpus/.

    Example:

    \b
        annotate init my-project && cd my-project && annotate corpus add ~/articles/
    """
    from annotate.workspace import init_workspace

    workspace = init_workspace(directory, name=name)
    typer.echo(f"Workspace ready at {workspace.root} (schema: {workspace.config['schema']}).")


# -- schema -----------------------------------------------------------------------------------------


@schema_app.command("check")
@one_line_errors
def schema_check(workspace: WorkspaceOption = Path(".")) -> None:
    """Check the workspace schema and the Label Studio config derived from it.

    Example:

    \b
        annotate schema check --workspace my-project
    """
    from annotate import schema as schema_stage
    from annotate.schema import load_schema

    ws = open_workspace(workspace)
    schema = load_schema(ws.schema_path, check_config="again")
    controls = f"; controls {', '.join(c.name for c in schema.controls)}" if schema.controls else ""
    typer.echo(f"{ws.relative(ws.schema_path)}: {schema.id}, labels {', '.join(schema.label_names)}{controls}: valid.")
    _warn_placeholders(ws.relative(ws.schema_path), schema_stage.definition_placeholders(schema))


def _warn_placeholders(path: str, placeholders: list[str]) -> None:
    if placeholders:
        typer.echo(
            f"WARNING: {path}: {len(placeholders)} without a definition yet ({', '.join(placeholders)}): "
            "write one for each (the guidelines and the dataset card show them).",
            err=True,
        )


SchemaNameOption = Annotated[
    str | None,
    typer.Option(
        "--name", help="Name of the schema (default: from the file or the project title); written to schemas/NAME.yaml."
    ),
]
OverwriteOption = Annotated[bool, typer.Option("--overwrite", help="Replace schemas/NAME.yaml if it exists.")]


@schema_app.command("from-config")
@one_line_errors
def schema_from_config(
    config: Annotated[Path, typer.Argument(help="A Label Studio labeling config (XML).", show_default=False)],
    name: SchemaNameOption = None,
    overwrite: OverwriteOption = False,
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Make the workspace's schema from a Label Studio labeling config (XML).

    Its <Labels> become the labels (colours, hotkeys and hints kept), its document-level <Choices> and
    <Taxonomy> the controls; any other control is kept as it is, so `schema config` gives the same
    interface back. Labels without a hint get a placeholder definition that `schema check` warns about.

    Example:

    \b
        annotate schema from-config labeling-config.xml --name police-narratives
    """
    from annotate import schema as schema_stage

    ws = open_workspace(workspace)
    if not config.is_file():
        raise AnnotateError(Messages.FILE_MISSING, path=config, fix="Give the path of a labeling config (XML).")
    text = config.read_text(encoding="utf-8")
    adopted = schema_stage.adopt_config(ws, text, name or schema_stage.schema_name(config.stem), str(config), overwrite)
    _print_adopted(adopted, as_json)


@schema_app.command("from-project")
@one_line_errors
def schema_from_project(
    project: ProjectOption,
    name: SchemaNameOption = None,
    overwrite: OverwriteOption = False,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Make the workspace's schema from a live Label Studio project's labeling config.

    As `schema from-config`, with the config read from the server; `push` to that project then
    finds no difference.

    Example:

    \b
        annotate schema from-project --project "Police narratives" --url http://localhost:8080
    """
    from annotate import schema as schema_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio = studio_stage.connect(ws, url, api_key)
    found = studio.project(project)
    adopted = schema_stage.adopt_config(
        ws, found.label_config or "", name or schema_stage.schema_name(project), f"project '{project}'", overwrite
    )
    _print_adopted(adopted, as_json)


def _print_adopted(adopted: schema_stage.AdoptedSchema, as_json: bool) -> None:
    if as_json:
        print_json(adopted.as_dict())
    else:
        controls = f", controls {', '.join(adopted.controls)}" if adopted.controls else ""
        kept = f", {adopted.kept} other control(s) kept as they are" if adopted.kept else ""
        typer.echo(
            f"Wrote {adopted.path} ({adopted.schema}: labels {', '.join(adopted.labels)}{controls}{kept}); "
            "it is now the workspace's schema."
        )
    _warn_placeholders(adopted.path, adopted.placeholders)


@schema_app.command("config")
@one_line_errors
def schema_config(workspace: WorkspaceOption = Path(".")) -> None:
    """Print the Label Studio labeling config (XML) derived from the schema.

    Example:

    \b
        annotate schema config > labeling-config.xml
    """
    from annotate.schema import load_schema

    ws = open_workspace(workspace)
    sys.stdout.write(load_schema(ws.schema_path).label_config() + "\n")


@schema_app.command("tags")
@one_line_errors
def schema_tags(workspace: WorkspaceOption = Path("."), as_json: JsonOption = False) -> None:
    """Print the BIO tag names (O, then B-/I- per label in schema order).

    Example:

    \b
        annotate schema tags --json
    """
    from annotate.schema import load_schema

    ws = open_workspace(workspace)
    schema = load_schema(ws.schema_path)
    if as_json:
        print_json({"schema": schema.id, "labels": schema.label_names, "bio_tags": schema.bio_tags})
    else:
        sys.stdout.write("\n".join(schema.bio_tags) + "\n")


@schema_app.command("guidelines")
@one_line_errors
def schema_guidelines(
    workspace: WorkspaceOption = Path("."),
    out_dir: Annotated[
        Path | None, typer.Option("--out", help="Folder to write into (default: the workspace's guidelines/).")
    ] = None,
) -> None:
    """Write guidelines.md and guidelines.html: each label's definition, notes, examples, key and colour.

    The same text is the Label Studio project's instructions, set by `annotate push`.

    Example:

    \b
        annotate schema guidelines --out docs/
    """
    from annotate import schema as schema_stage

    ws = open_workspace(workspace)
    for path in schema_stage.write_guidelines(ws, out_dir):
        typer.echo(f"Wrote {ws.relative(path)}")


# -- corpus -----------------------------------------------------------------------------------------


@corpus_app.command("add")
@one_line_errors
def corpus_add(
    paths: Annotated[
        list[Path], typer.Argument(help="Files or folders of .txt/.jsonl/.json/.csv/.parquet, or saved datasets.")
    ],
    workspace: WorkspaceOption = Path("."),
    text_field: Annotated[str, typer.Option(help="Field that holds the article text.")] = "text",
    title_field: Annotated[str, typer.Option(help="Field that holds the title.")] = "title",
    source: Annotated[str | None, typer.Option(help="Source to record for articles that name none.")] = None,
    strict: Annotated[bool, typer.Option(help="Refuse everything if any record would be skipped.")] = False,
    as_json: JsonOption = False,
) -> None:
    """Ingest articles into corpus/articles.jsonl; the same text is stored once.

    Example:

    \b
        annotate corpus add seeds/ corpus/bundled/ news.jsonl --text-field body --title-field headline
    """
    from annotate import corpus as corpus_stage

    ws = open_workspace(workspace)
    with progress_bar("Reading articles", count_items=False) as bar:
        summary = corpus_stage.add(
            ws,
            paths,
            names=corpus_stage.FieldNames(text=text_field, title=title_field),
            source=source,
            strict=strict,
            on_skip=lambda skipped: typer.echo(f"skipped: {skipped}", err=True),
            progress=_per_file_progress(bar),
        )
    if as_json:
        print_json(summary.as_dict())
        return
    typer.echo(
        f"Read {summary.records} record(s) from {summary.files} file(s): {summary.added} added, "
        f"{summary.duplicates} duplicate(s) skipped, {summary.skipped} skipped with a problem. "
        f"The corpus holds {summary.corpus_size} article(s): {ws.relative(ws.articles_path)}"
    )


def _per_file_progress(bar: Progress) -> Callable[[Path, int, int], None]:
    """A progress callback that starts the bar afresh for each file, so each shows its own count."""
    task = bar.task_ids[0]
    current: list[Path] = []

    def on_progress(path: Path, amount: int, total: int) -> None:
        if current != [path]:
            current[:] = [path]
            bar.reset(task, total=total, description=f"Reading {path.name}")
        bar.advance(task, amount)

    return on_progress


@corpus_app.command("stats")
@one_line_errors
def corpus_stats(workspace: WorkspaceOption = Path("."), as_json: JsonOption = False) -> None:
    """Counts, length distribution, sources and duplicates of the corpus.

    Example:

    \b
        annotate corpus stats --json
    """
    from annotate import corpus as corpus_stage

    ws = open_workspace(workspace)
    figures = corpus_stage.stats(ws)
    if as_json:
        print_json(figures)
        return
    table = figure_table(
        f"Corpus: {figures['articles']} articles", ("length", "min", "median", "mean", "p90", "max", "total")
    )
    for unit in ("characters", "words"):
        table.add_row(
            unit, *(str(figures[unit][column]) for column in ("min", "median", "mean", "p90", "max", "total"))
        )
    console().print(table)
    sources = ", ".join(f"{name} {count}" for name, count in figures["sources"].items())
    typer.echo(f"Sources: {sources}")
    typer.echo(
        f"With url: {figures['with_url']}; with a date: {figures['with_published']}; "
        f"with characters outside the BMP (emoji): {figures['with_characters_outside_bmp']}"
    )
    typer.echo(f"Duplicate ids: {figures['duplicate_ids']}; near-duplicate texts: {figures['near_duplicates']}")


# -- prelabel ---------------------------------------------------------------------------------------


@prelabel_app.command("text")
@one_line_errors
def prelabel_text(
    text: Annotated[str, typer.Argument(help="The text to pre-annotate.")],
    as_json: JsonOption = False,
) -> None:
    """Show the spans the rule-based pre-annotator finds in TEXT.

    Example:

    \b
        annotate prelabel text "A drone strike killed three soldiers in Kharkiv."
    """
    from annotate import prelabel as prelabel_stage

    spans = prelabel_stage.prelabel(text)
    if as_json:
        print_json([{"start": s.start, "end": s.end, "label": s.label, "text": s.text_in(text)} for s in spans])
        return
    for span in spans:
        typer.echo(f"{span.start:>6} {span.end:>6}  {span.label:<10} {span.text_in(text)}")


@prelabel_app.command("score")
@one_line_errors
def prelabel_score(
    gold: Annotated[
        Path | None, typer.Argument(help="Gold spans (JSONL); default corpus/reference/spans.jsonl.")
    ] = None,
    prelabel_with: PrelabelWithOption = "rules",
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Precision and recall of a pre-annotator against gold spans, per label.

    Run it once per pre-annotator (rules, model:PATH, rules+model:PATH) to compare them on the same gold.

    Example:

    \b
        annotate prelabel score corpus/reference/spans.jsonl --json
        annotate prelabel score --prelabel-with model:models/conflict-ner
    """
    from annotate import prelabel as prelabel_stage
    from annotate.agreement.format import figure_text

    ws = open_workspace(workspace)
    figures = prelabel_stage.score(ws, gold or ws.reference_spans_path, prelabel_with)
    if as_json:
        print_json(figures)
        return
    table = figure_table(
        f"Pre-annotator {figures['model_version']} on {figures['articles']} gold article(s), strict match",
        ("label", "precision", "recall", "F1", "tp", "fp", "fn"),
    )
    rows = [*figures["per_label"].items(), ("all (micro)", figures["micro"])]
    for label, row in rows:
        table.add_row(label, *(figure_text(row[key]) for key in ("precision", "recall", "f1", "tp", "fp", "fn")))
    console().print(table)


# -- tasks ------------------------------------------------------------------------------------------


@tasks_app.command("build")
@one_line_errors
def tasks_build(
    workspace: WorkspaceOption = Path("."),
    out_path: Annotated[Path | None, typer.Option("--out", help="Where to write (default tasks/tasks.json).")] = None,
    prelabel: Annotated[bool, typer.Option("--prelabel", help="Attach rule-based pre-annotations.")] = False,
    prelabel_with: Annotated[
        str | None,
        typer.Option(
            "--prelabel-with",
            help="Pre-annotate with: rules, model:PATH (a model of `annotate train`) or rules+model:PATH.",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Write a Label Studio import file with one task per corpus article.

    With --prelabel (the rules) or --prelabel-with, each task carries a prediction whose model_version names
    the pre-annotator; a model's regions carry its score.

    Example:

    \b
        annotate tasks build --prelabel --out tasks/batch-1.json
        annotate tasks build --prelabel-with model:models/conflict-ner
    """
    from annotate import tasks as tasks_stage

    ws = open_workspace(workspace)
    prelabel = prelabel_with or prelabel
    with progress_bar("Building tasks") as bar:
        task = bar.task_ids[0]
        summary = tasks_stage.build(
            ws,
            out=out_path,
            prelabel=prelabel,
            on_refused=lambda refused: typer.echo(f"warning: {refused}", err=True),
            progress=lambda done, total: bar.update(task, completed=done, total=total),
        )
    if as_json:
        print_json(summary.as_dict())
        return
    message = f"Wrote {summary.tasks} task(s) to {summary.out}"
    if prelabel:
        per_label = ", ".join(f"{label} {count}" for label, count in summary.regions_per_label.items())
        message += f" with {summary.regions} pre-annotated span(s) ({per_label}; model_version {summary.model_version})"
        if summary.refused_regions:
            message += f"; {summary.refused_regions} span(s) failed validation and were left out"
    typer.echo(message + ".")
    typer.echo("Import it in Label Studio: Project > Import > Upload Files.")


# -- Label Studio -----------------------------------------------------------------------------------


def _print_status(status: studio_stage.ServerStatus, as_json: bool) -> None:
    from annotate import studio as studio_stage

    if as_json:
        print_json(status.as_dict())
    elif status.running:
        verb = "started" if status.started else "running"
        typer.echo(f"Label Studio {verb} at {status.url} (pid {status.pid}; data in {status.data_dir}).")
        typer.echo(f"Log in as {studio_stage.ADMIN_EMAIL}; the password is in {status.credentials_file}.")
    elif status.stopped:
        typer.echo(f"Label Studio stopped; its data stay in {status.data_dir} (start it again: annotate studio up).")
    else:
        typer.echo(f"Label Studio is not running (data in {status.data_dir}). Start it: annotate studio up")


@studio_app.command("up")
@one_line_errors
def studio_up(
    workspace: WorkspaceOption = Path("."),
    port: Annotated[int, typer.Option(help="Port on 127.0.0.1 (another free one if taken).")] = 8080,
    as_json: JsonOption = False,
) -> None:
    """Start the workspace's Label Studio on 127.0.0.1 and wait until it answers.

    The first start makes an admin with a generated password and API token, kept in
    .studio/credentials.json (readable by you only). Data stay in .studio/data.

    Example:

    \b
        annotate studio up && annotate push --project conflict-events
    """
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio_stage.require_label_studio()
    if not studio_stage.status(ws).running:
        typer.echo("Starting Label Studio (the first start takes about a minute)...", err=True)
    _print_status(studio_stage.up(ws, port=port), as_json)


@studio_app.command("down")
@one_line_errors
def studio_down(workspace: WorkspaceOption = Path("."), as_json: JsonOption = False) -> None:
    """Stop the workspace's Label Studio; its data stay.

    Example:

    \b
        annotate studio down
    """
    from annotate import studio as studio_stage

    _print_status(studio_stage.down(open_workspace(workspace)), as_json)


@studio_app.command("status")
@one_line_errors
def studio_status(workspace: WorkspaceOption = Path("."), as_json: JsonOption = False) -> None:
    """Say whether the workspace's Label Studio is running, and where.

    Example:

    \b
        annotate studio status --json
    """
    from annotate import studio as studio_stage

    status = studio_stage.status(open_workspace(workspace))
    _print_status(status, as_json)
    if not status.running:
        raise typer.Exit(int(ExitCode.ENVIRONMENT))


@app.command("push")
@one_line_errors
def push_command(
    project: ProjectOption,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    batch_bytes: Annotated[
        int, typer.Option(min=1, help="Bytes of task JSON per import request at most (a bigger task goes alone).")
    ] = defaults.PUSH_BATCH_BYTES,
    batch_size: Annotated[
        int | None, typer.Option(min=1, help="Tasks per import request at most (default: as many as fit the bytes).")
    ] = None,
    update_config: Annotated[
        bool, typer.Option("--update-config", help="Replace a project's labeling config that differs from the schema.")
    ] = False,
    annotators_per_task: Annotated[
        int | None,
        typer.Option("--annotators-per-task", help="Annotators per overlapping task (default: as the project has it)."),
    ] = None,
    overlap_share: Annotated[
        int | None,
        typer.Option("--overlap-share", help="Percentage of tasks that get that many annotators; the rest get one."),
    ] = None,
    round_name: Annotated[
        str | None, typer.Option("--round", help="Push only this round's sample of articles, recorded in rounds/.")
    ] = None,
    sample: Annotated[
        int | None, typer.Option(help="Articles in a new round: drawn from those not yet pushed.")
    ] = None,
    seed: Annotated[int | None, typer.Option(help="Seed of a new round's draw (default 0).")] = None,
    ml_backend: Annotated[
        str | None,
        typer.Option(
            "--ml-backend", help="URL of an ML backend (annotate serve) to connect: suggestions as a task opens."
        ),
    ] = None,
    by: Annotated[
        str | None,
        typer.Option(
            "--by",
            help="How a new round is drawn: random (stratified by source; the default) or uncertainty (the "
            "articles whose least sure model suggestion scores lowest).",
        ),
    ] = None,
    as_json: JsonOption = False,
) -> None:
    """Push tasks/tasks.json (with pre-annotations) to a project; only articles not there yet.

    Creates the project with the schema's labeling config if it does not exist, sets its overlap and
    its instructions (the schema's guidelines) and says what it changed. What was sent is kept in
    tasks/pushed/ and checked against the project's task count, so a push with nothing new lists no
    tasks. Safe to re-run: a push that was interrupted is finished, nothing is imported twice; a round
    pushed again adds nothing.

    Example:

    \b
        annotate push --project "conflict-events" --round pilot --sample 12 --annotators-per-task 3 --overlap-share 50
        annotate push --project "conflict-events" --ml-backend http://127.0.0.1:9090
        annotate push --project "conflict-events" --round r2 --sample 12 --by uncertainty
    """
    from annotate import push as push_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    push_stage.overlap_request(annotators_per_task, overlap_share)  # bad values stop us before any connection
    push_stage.check_round_request(round_name, sample, seed, by)
    studio = studio_stage.connect(ws, url, api_key, check=False)  # the key is checked by push's first request
    with progress_bar("Pushing tasks") as bar:
        task = bar.task_ids[0]
        summary = push_stage.push(
            ws,
            studio,
            project,
            batch_size,
            update_config,
            progress=lambda done: bar.advance(task, done),
            annotators_per_task=annotators_per_task,
            overlap_share=overlap_share,
            round_name=round_name,
            sample=sample,
            seed=seed,
            batch_bytes=batch_bytes,
            ml_backend=ml_backend,
            by=by,
        )
    for article in summary.changed_since_push:
        typer.echo(f"changed: article {article} was pushed with another text; not pushed again", err=True)
    if as_json:
        print_json(summary.as_dict())
        return
    state = "created" if summary.created else "config updated" if summary.config_updated else "existing"
    typer.echo(
        f"Project '{project}' ({state}): pushed {summary.pushed} task(s) in {summary.batches} batch(es); "
        f"{summary.already_there} already there; {len(summary.changed_since_push)} changed since pushed."
    )
    if summary.round:
        drawn = "drawn and recorded" if summary.round["new"] else "as recorded"
        drawn += ", the least certain" if summary.round["by"] == push_stage.UNCERTAINTY else ""
        typer.echo(
            f"Round '{summary.round['name']}' ({drawn}: {summary.round['sample']} article(s), seed "
            f"{summary.round['seed']}); {summary.outside_round} task(s) of the file are not in it."
        )
    if summary.ml_backend:
        backend = summary.ml_backend
        state = "connected" if backend["created"] else "already connected"
        typer.echo(
            f"ML backend {backend['url']} {state} (model {backend['model_version']}): opened tasks get its suggestions."
        )
    for name, change in summary.changed.items():
        typer.echo(f"Changed {name.replace('_', '-')}: {change['old']} -> {change['new']}.")
    if summary.instructions_updated:
        typer.echo("Instructions set to the schema's guidelines (shown before annotating).")
    shown = "shown" if summary.instructions_shown else "not shown"
    typer.echo(f"The project now asks {_overlap_words(summary.overlap)}; instructions {shown}.")
    typer.echo(f"Open {summary.url}")


def _overlap_words(overlap: dict[str, int]) -> str:
    """What a project's overlap settings ask, in words: "3 annotators for 50% of the tasks, one for the rest"."""
    annotators, share = overlap["annotators_per_task"], overlap["overlap_share"]
    if annotators == 1 or share == 0:
        return "one annotator per task"
    if share == 100:
        return f"{annotators} annotators for every task"
    return f"{annotators} annotators for {share}% of the tasks, one for the rest"


@app.command("status")
@one_line_errors
def status_command(
    project: ProjectOption,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    show_emails: Annotated[
        bool, typer.Option("--show-emails", help="Name annotators by e-mail instead of their pseudonym.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """How a project's annotation is going: annotators, rounds, pre-annotations kept, articles awaited.

    Read from the server; annotators are the pseudonyms (ann-NN) of imported records unless
    --show-emails is given.

    Example:

    \b
        annotate status --project "conflict-events" --json
    """
    from annotate import status as status_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio = studio_stage.connect(ws, url, api_key)
    with progress_bar("Reading tasks") as bar:
        task = bar.task_ids[0]
        figures = status_stage.status(
            ws, studio, project, show_emails, progress=lambda done, total: bar.update(task, completed=done, total=total)
        )
    if as_json:
        print_json(figures)
    else:
        _print_status_report(figures)


def _print_status_report(figures: dict[str, Any]) -> None:
    from annotate.agreement.format import figure_text

    typer.echo(
        f"Project '{figures['project']}': {figures['tasks']} task(s), {figures['open_tasks']} still needing "
        f"annotations; it asks {_overlap_words(figures['overlap'])}."
    )
    if not figures["annotators"]:
        typer.echo("No annotations yet.")
    people = figure_table(
        "Annotators", ("annotator", "submitted", "skipped", "remaining", "median lead time (s)", "spans per article")
    )
    for row in figures["annotators"]:
        people.add_row(
            row["annotator"], str(row["submitted"]), str(row["skipped"]), str(row["remaining"]),
            figure_text(row["median_lead_time"]), figure_text(row["spans_per_article"]),
        )  # fmt: skip
    if figures["annotators"]:
        console().print(people)
    rounds = figure_table("Rounds", ("round", "articles", "recorded", "complete", "in progress", "untouched"))
    for row in figures["rounds"]:
        recorded = "" if row["recorded"] is None else str(row["recorded"])
        rounds.add_row(
            row["round"] or "(no round)", str(row["articles"]), recorded,
            str(row["complete"]), str(row["in_progress"]), str(row["untouched"]),
        )  # fmt: skip
    console().print(rounds)
    accepted = figures["pre_annotations"]
    if accepted["all"]["predicted"]:
        table = figure_table(
            f"Pre-annotations: predicted spans in submitted annotations ({accepted['tasks']} tasks)",
            ("label", "predicted", "kept", "changed", "deleted", "acceptance"),
        )
        for label, row in [*accepted["per_label"].items(), ("all", accepted["all"])]:
            table.add_row(
                label, *(figure_text(row[key]) for key in ("predicted", "kept", "changed", "deleted", "acceptance"))
            )
        console().print(table)
        versions = figure_table(
            "Pre-annotations per pre-annotator (model_version)",
            ("model_version", "tasks", "predicted", "kept", "changed", "deleted", "acceptance"),
        )
        for version, entry in accepted.get("per_version", {}).items():
            row = entry["all"]
            versions.add_row(
                version,
                str(entry["tasks"]),
                *(figure_text(row[key]) for key in ("predicted", "kept", "changed", "deleted", "acceptance")),
            )
        console().print(versions)
    waiting = figures["waiting"]
    typer.echo(f"Articles waiting for their last annotator(s): {waiting['count']} (listed with --json).")
    for reason, count in figures["left_out"].items():
        typer.echo(f"Left out ({reason}): {count}")


@app.command("pull")
@one_line_errors
def pull_command(
    project: ProjectOption,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    batch_size: Annotated[int, typer.Option(min=1, help="Task ids per export request.")] = defaults.PULL_BATCH_SIZE,
    full: Annotated[
        bool, typer.Option("--full", help="Pull every task, not only those changed since the last pull.")
    ] = False,
    as_json: JsonOption = False,
) -> None:
    """Fetch the tasks of a project that changed since the last pull, with their annotations; save the raw
    export and import it.

    The first pull (or --full) fetches every task. Later pulls fetch only new tasks and tasks whose
    updated_at moved (an annotation created, changed or deleted); annotations and tasks deleted on the
    server are reported and stay in the store, as a full pull leaves them.

    Example:

    \b
        annotate pull --project "conflict-events" --json > pull-report.json
    """
    from annotate import pull as pull_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio = studio_stage.connect(ws, url, api_key)
    with progress_bar("Pulling tasks") as bar:
        task = bar.task_ids[0]
        result = pull_stage.pull(
            ws,
            studio,
            project,
            batch_size,
            progress=lambda done, total: bar.update(task, completed=done, total=total),
            full=full,
        )
    extra = {"project": project, "tasks_in_project": result.tasks, **result.pull_figures()}
    _report_import(result.imported, as_json, extra)
    if not as_json:
        how = f"full: {result.full_because}" if result.full_because else "incremental"
        typer.echo(f"Pulled {result.pulled} of {result.tasks} tasks ({how}).")
        deleted = result.deleted_tasks, result.deleted_annotations
        if any(deleted):
            typer.echo(
                f"Deleted on the server since the last pull: {len(deleted[0])} tasks, {len(deleted[1])} annotations "
                "(their records stay in the store)."
            )
        typer.echo(f"Raw export kept as {result.export}." if result.export else "Nothing changed; no export written.")


@app.command("import")
@one_line_errors
def import_command(
    export: Annotated[Path, typer.Argument(help="A Label Studio JSON export (Export > JSON in the UI).")],
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
    annotator: Annotated[
        str | None,
        typer.Option(
            "--annotator",
            help="Whose work the file is: every annotation and draft goes to this person (a name or e-mail; "
            "pseudonymised), whatever completed_by says. For teams that export one file per annotator.",
        ),
    ] = None,
) -> None:
    """Import a Label Studio JSON export into annotations/annotations.jsonl, checking every span.

    Spans are checked against the text and repaired where a person would agree (offsets in UTF-16
    units, value.text that differs only in white space, whitespace at span edges, a label's alias, a
    region without a label left out; each repair reported); the choices of the schema's document-level
    controls are kept on the record, regions of other controls kept as they are. What cannot be
    repaired goes to annotations/quarantine.jsonl with a reason. Re-importing the same export changes
    nothing. Label Studio 0.x exports (completions) are read too.

    Example:

    \b
        annotate import ~/Downloads/project-1-at-2026-11-25.json --json
        annotate import alice.json --annotator alice
    """
    from annotate import imports as imports_stage

    ws = open_workspace(workspace)
    with progress_bar("Importing", count_items=False) as bar:
        task = bar.task_ids[0]
        bar.update(task, total=export.stat().st_size if export.is_file() else None)
        summary = imports_stage.import_export(
            ws, export, progress=lambda read: bar.advance(task, read), annotator=annotator
        )
    _report_import(summary, as_json)


def _report_import(summary: imports_stage.ImportSummary, as_json: bool, extra: dict[str, Any] | None = None) -> None:
    """Every repair, superseded and quarantined record on stderr; the reconciliation on stdout."""
    from annotate import imports as imports_stage

    for line in summary.repairs:
        typer.echo(f"repaired: {line}", err=True)
    for line in summary.superseded:
        typer.echo(f"superseded: {line}", err=True)
    for line in summary.quarantined:
        typer.echo(f"quarantined: {line}", err=True)
    if summary.unlisted:
        typer.echo(
            f"... and {summary.unlisted} more, counted below (all quarantined are in the quarantine file)", err=True
        )
    report = {**(extra or {}), **summary.as_dict()}
    if as_json:
        print_json(report)
        return
    columns = ("read", *imports_stage.OUTCOMES, "quarantined", "ids_only")
    headers = ("records", *(column.replace("_", " ") for column in columns))
    table = figure_table(f"Import of {summary.export}", headers, title_justify="left")
    for kind in imports_stage.KINDS:
        table.add_row(kind, *(str(report[kind].get(key, 0)) for key in columns))
    console().print(table)
    if summary.format != imports_stage.LABEL_STUDIO:
        typer.echo(f"Format: {summary.format} (its completions were read as annotations).")
    if summary.attributed_to:
        typer.echo(f"Every annotation and draft is attributed to {summary.attributed_to} (--annotator).")
    spans, regions = report["spans"], report["regions"]
    repaired = ", ".join(f"{count} {kind}" for kind, count in spans["repaired"].items()) or "none"
    dropped = ", ".join(f"{count} {kind}" for kind, count in regions["dropped"].items() if count) or "none"
    typer.echo(
        f"Tasks {summary.tasks_read} ({summary.tasks_without_annotations} without annotations, "
        f"{summary.articles_added} new to the corpus); cancelled {summary.cancelled}; ground truth "
        f"{summary.ground_truth}; spans read {spans['read']}, stored {spans['stored']}, dropped {spans['dropped']}, "
        f"superseded {spans['superseded']}, quarantined {spans['quarantined']}; repairs: {repaired}."
    )
    typer.echo(
        f"Regions read {regions['read']}: spans {regions['spans']}, choices {regions['choices']}, other "
        f"{regions['other']}, dropped {dropped}, superseded {regions['superseded']}, quarantined "
        f"{regions['quarantined']}."
    )
    for control, count in regions["other_by_control"].items():
        typer.echo(f"  kept in 'other' (not in the schema): {control}: {count}")
    for reason, count in report["annotations"]["quarantined_by_reason"].items():
        typer.echo(f"  quarantined ({reason}): {count}")
    typer.echo("The figures add up." if summary.balanced else "WARNING: the figures do not add up; please report this.")


# -- agreement --------------------------------------------------------------------------------------


@app.command("agreement")
@one_line_errors
def agreement_command(
    workspace: WorkspaceOption = Path("."),
    as_json: Annotated[bool, typer.Option("--json", help="Print the whole report as JSON instead of tables.")] = False,
    out_path: Annotated[Path | None, typer.Option("--out", help="Also write the JSON report to this file.")] = None,
    png: Annotated[
        str | None,
        typer.Option(
            "--png", help="Draw the pair heatmap and the confusion matrix: into a FOLDER/ or as PREFIX-*.png."
        ),
    ] = None,
    resamples: Annotated[
        int, typer.Option(min=0, help="Bootstrap resamples of articles for the 95% intervals (0: none).")
    ] = defaults.AGREEMENT_RESAMPLES,
    seed: Annotated[int, typer.Option(help="Seed of the bootstrap's random generator.")] = defaults.AGREEMENT_SEED,
    round_name: Annotated[
        str | None, typer.Option("--round", help="Only the articles that went out in this round (push --round).")
    ] = None,
) -> None:
    """Inter-annotator agreement: span F1, kappas, alphas, alpha_U, with 95% intervals and disagreements.

    With document-level controls in the schema, each one's Krippendorff's alpha (MASI distance for a
    multiple choice or taxonomy, nominal for a single choice) and each option's. When no article has two
    annotators it says so in one line and exits 0 (--json: every figure null, with the reason).
    The report is kept in annotations/agreement.json with the sha256 of the annotations, corpus and schema
    it came from; run again (or by publish) with those unchanged, it is read back, not computed again.

    Example:

    \b
        annotate agreement --png figures/ --out agreement.json
        annotate agreement --json --resamples 2000 --seed 7
        annotate agreement --round week-1
    """
    # OpenBLAS's worker threads sleep as soon as a matrix product is done, rather than spin for 2^28 cycles
    # (its default) waiting for the next: the bootstrap's few products left a core spinning, 0.2 s of CPU of a
    # 10,000-article report for no shorter a run. The same threads share the work as before, so the same bits
    # come out (the thread count would change them). Read when numpy loads (after this line); a value set wins.
    os.environ.setdefault("OPENBLAS_THREAD_TIMEOUT", "4")
    from annotate import agreement as agreement_stage
    from annotate.workspace import json_text

    ws = open_workspace(workspace)
    figures = agreement_stage.saved_report(ws, resamples=resamples, seed=seed, round_name=round_name)
    if out_path is not None:
        out_path.parent.mkdir(parents=True, exist_ok=True)
        out_path.write_text(json_text(figures), encoding="utf-8")
    drawn = agreement_stage.draw_png(figures, png) if png is not None else []
    if as_json:
        print_json(figures)
    else:
        _print_agreement(figures)
    for path in [*([out_path] if out_path else []), *drawn]:
        typer.echo(f"Wrote {path}", err=as_json)


def _print_agreement(figures: dict) -> None:
    from annotate.agreement import format as agreement_format

    if not figures["documents"]:
        typer.echo(agreement_format.no_pairs_text(figures))
        return
    records = figures["records"]
    excluded = ", ".join(f"{reason} {count}" for reason, count in records["excluded"].items() if count) or "none"
    typer.echo(
        (f"Round '{figures['round']}': " if figures.get("round") else "")
        + f"{figures['documents']} article(s) with two or more annotators; "
        f"annotators: {agreement_format.annotators_text(figures)}. "
        f"Records read {records['read']}, left out: {excluded}; "
        f"articles with one annotator: {records['articles_with_one_annotator']}."
    )
    _print_table(agreement_format.span_table(figures))
    _print_table(agreement_format.pair_table(figures))
    typer.echo(agreement_format.token_text(figures["token"]))
    for table in agreement_format.choice_tables(figures):
        _print_table(table)
    disagreements = figures["disagreements"]
    _print_table(agreement_format.judgement_table(disagreements))
    _print_table(agreement_format.confusion_table(disagreements))
    if disagreements["lowest_articles"]:
        _print_table(agreement_format.lowest_table(disagreements))


def _print_table(table: agreement_format.Table) -> None:
    shown = figure_table(table.title, table.columns, names=table.names, caption=table.caption)
    for column in shown.columns[table.names :]:  # a narrow terminal wraps the figures, never squeezes the names away
        column.no_wrap = False
    for row in table.rows:
        shown.add_row(*row)
    console().print(shown)


# -- review -----------------------------------------------------------------------------------------


@app.command("review")
@one_line_errors
def review_command(
    workspace: WorkspaceOption = Path("."),
    out: Annotated[
        Path | None, typer.Option("--out", help="Folder of the site (default: review/ in the workspace).")
    ] = None,
    round_name: Annotated[
        str | None, typer.Option("--round", help="Only the articles that went out in this round (push --round).")
    ] = None,
    project: Annotated[
        str | None,
        typer.Option("--project", "-p", help="Label Studio project whose tasks the articles link to (needs a server)."),
    ] = None,
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Write a static review site: agreement overview, articles by lowest agreement, each annotator's spans.

    Open its index.html in a browser, from disk, offline: charts of the agreement report, the articles
    filterable by label, disagreement kind, annotator, round and gold status, and each article with
    every annotator's spans in aligned lanes beside gold, the adjudication and the pre-annotation.
    With --project, each article links to its task in Label Studio.

    Example:

    \b
        annotate review
        annotate review --out site/ --round week-1 --project "conflict-events" --json
    """
    from annotate import review as review_stage

    ws = open_workspace(workspace)
    link = None
    if project is not None:
        from annotate import studio as studio_stage

        studio = studio_stage.connect(ws, url, api_key)
        found = studio.project(project)
        link = review_stage.ProjectLink(found.id, studio.project_url(found.id))
    with progress_bar("Writing the review site") as bar:
        task = bar.task_ids[0]
        summary = review_stage.review(ws, out, round_name, link, progress=lambda n: bar.advance(task, n))
    if as_json:
        print_json(summary.as_dict())
    else:
        typer.echo(
            f"Wrote the review of {summary.articles} article(s) by {summary.annotators} annotator(s) "
            f"({summary.spans} spans, {summary.conflicts} open conflict(s)); open {summary.index}"
        )


# -- gold and adjudication --------------------------------------------------------------------------

StrategyOption = Annotated[
    str, typer.Option(help="majority, unanimous or adjudicated (complete only once adjudicated).")
]
MinSupportOption = Annotated[
    int | None,
    typer.Option(help="Annotators a span needs to be gold (default: more than half of the article's annotators)."),
]
ReviewProjectOption = Annotated[
    str | None, typer.Option("--project", "-p", help="Review project title (default: <workspace name>-review).")
]


@app.command("gold")
@one_line_errors
def gold_command(
    workspace: WorkspaceOption = Path("."),
    strategy: StrategyOption = "majority",
    min_support: MinSupportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Settle one set of spans per article into gold/gold.jsonl; what cannot be settled is a conflict.

    Adjudications (annotate adjudicate pull) and ground_truth annotations override the strategy.

    Example:

    \b
        annotate gold --strategy majority --min-support 2 --json
    """
    from annotate import gold as gold_stage

    ws = open_workspace(workspace)
    with progress_bar("Settling gold") as bar:
        task = bar.task_ids[0]
        summary = gold_stage.gold(ws, strategy, min_support, progress=lambda done: bar.advance(task, done))
    _report_gold(summary, as_json)


def _report_gold(summary: gold_stage.GoldSummary, as_json: bool, to_stderr: bool = False) -> None:
    """Everything left out or overridden on stderr, one line each; the figures on stdout (or JSON)."""
    for line in summary.text_changed:
        typer.echo(f"text changed: {line}: annotated on another text; left out", err=True)
    for line in summary.problems:
        typer.echo(f"left out: {line}", err=True)
    for article in summary.ground_truth:
        typer.echo(f"ground truth: article {article} settled by its ground_truth annotation", err=True)
    for article in summary.ground_truth_overruled:
        typer.echo(f"ground truth: article {article}: the adjudication settles it, not its ground truth", err=True)
    for line in summary.adjudications_ignored:
        typer.echo(f"adjudication ignored: {line}", err=True)
    if as_json:
        print_json(summary.as_dict())
        return
    figures = summary.as_dict()
    articles, candidates = figures["articles"], figures["candidates"]
    echo = functools.partial(typer.echo, err=to_stderr)
    settled_by = ", ".join(f"{kind} {count}" for kind, count in articles["settled_by"].items())
    echo(
        f"Gold ({summary.strategy}) for {articles['settled']} article(s) in {summary.path}: "
        f"{articles['complete']} complete, {articles['with_conflicts']} with open conflicts "
        f"({summary.conflicts} conflict(s)); settled by {settled_by or 'none'}."
    )
    per_label = ", ".join(f"{label} {count}" for label, count in figures["spans_per_label"].items())
    per_kind = ", ".join(f"{kind} {count}" for kind, count in figures["spans_per_settled"].items() if count)
    echo(f"Spans {figures['spans']}: {per_label}; settled {per_kind or 'none'}.")
    for name, counts in figures.get("choices", {}).items():
        settled = ", ".join(f"{kind} {count}" for kind, count in counts["settled"].items() if count)
        chosen = ", ".join(f"{option} {count}" for option, count in counts["values"].items())
        echo(
            f"Choice {name}: settled {settled or 'none'}; in conflict {counts['in_conflict']}; "
            f"articles per option: {chosen}."
        )
    echo(
        f"Candidates {candidates['total']} = gold {candidates['gold']} + rejected {candidates['rejected']} "
        f"+ in conflicts {candidates['in_conflicts']} + overridden {candidates['overridden']}. "
        f"Records read {figures['records']['read']}, used {figures['records']['used']}, cancelled "
        f"{figures['records']['cancelled']}, text changed {figures['records']['text_changed']}."
    )
    for name, counts in summary.per_round.items():
        echo(
            f"  round {name}: {counts['articles']} article(s), {counts['complete']} complete, "
            f"{counts['with_conflicts']} with open conflicts"
        )
    echo("The figures add up." if summary.balanced else "WARNING: the figures do not add up; please report this.")


@adjudicate_app.command("push")
@one_line_errors
def adjudicate_push_command(
    project: ReviewProjectOption = None,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    as_json: JsonOption = False,
) -> None:
    """Send the articles with open conflicts in gold/gold.jsonl to a review project; only those not there.

    Each task shows every annotator's spans as a separate prediction (named by pseudonym) and the
    spans already settled as the prediction "settled".

    Example:

    \b
        annotate gold && annotate adjudicate push --project conflict-events-review
    """
    from annotate import adjudicate as adjudicate_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio = studio_stage.connect(ws, url, api_key)
    with progress_bar("Pushing articles in conflict") as bar:
        task = bar.task_ids[0]
        summary = adjudicate_stage.adjudicate_push(ws, studio, project, progress=lambda done: bar.advance(task, done))
    for article in summary.changed_since_push:
        typer.echo(f"changed: article {article} is in the review project with another text; not pushed", err=True)
    if as_json:
        print_json(summary.as_dict())
        return
    state = "created" if summary.created else "existing"
    typer.echo(
        f"Review project '{summary.project}' ({state}): {summary.articles_in_conflict} article(s) in conflict; "
        f"pushed {summary.pushed} with {summary.predictions} prediction(s); {summary.already_there} already there."
    )
    typer.echo(f"Open {summary.url}")


@adjudicate_app.command("pull")
@one_line_errors
def adjudicate_pull_command(
    project: ReviewProjectOption = None,
    workspace: WorkspaceOption = Path("."),
    url: UrlOption = None,
    api_key: ApiKeyOption = None,
    strategy: Annotated[
        str | None, typer.Option(help="Strategy to re-settle gold with (default: the one gold was settled with).")
    ] = None,
    min_support: MinSupportOption = None,
    as_json: JsonOption = False,
) -> None:
    """Bring the review project's decisions back into gold/adjudications.jsonl and settle gold again.

    Example:

    \b
        annotate adjudicate pull --project conflict-events-review --json
    """
    from annotate import adjudicate as adjudicate_stage
    from annotate import studio as studio_stage

    ws = open_workspace(workspace)
    studio = studio_stage.connect(ws, url, api_key)
    summary = adjudicate_stage.adjudicate_pull(ws, studio, project, strategy, min_support)
    for line in summary.repairs:
        typer.echo(f"repaired: {line}", err=True)
    for line in summary.refused:
        typer.echo(f"refused: {line}", err=True)
    if as_json:
        print_json(summary.as_dict())
        _report_gold(summary.gold, as_json=False, to_stderr=True)
        return
    typer.echo(
        f"Review project '{summary.project}': {summary.tasks} task(s), {summary.decisions_read} annotation(s); "
        f"decisions new {summary.new}, updated {summary.updated}, unchanged {summary.unchanged}, superseded "
        f"{summary.superseded}; skipped {summary.skipped}; refused {len(summary.refused)}. "
        f"Raw export kept as {summary.export}."
    )
    changed = ", ".join(summary.gold_changed) or "none"
    typer.echo(f"Gold changed for {len(summary.gold_changed)} article(s): {changed}.")
    _report_gold(summary.gold, as_json=False)


# -- releases -------------------------------------------------------------------------------------


@app.command("publish")
@one_line_errors
def publish_command(
    version: Annotated[str, typer.Option("--version", help="The new version, X.Y.Z (higher than the last).")],
    ratios: Annotated[
        str, typer.Option(help="Train, validation and test shares for articles never published before.")
    ] = ",".join(str(r) for r in defaults.RELEASE_RATIOS),
    include_conflicts: Annotated[
        bool, typer.Option("--include-conflicts", help="Publish articles with open conflicts (settled spans only).")
    ] = False,
    push_to_hub: Annotated[
        str | None,
        typer.Option(
            "--push-to-hub", metavar="REPO_ID", help="Also upload to this Hub dataset repo (token: HF_TOKEN)."
        ),
    ] = None,
    with_review: Annotated[
        bool, typer.Option("--with-review", help="Include the review overview in review/; the card links it.")
    ] = False,
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Publish the gold standard as version X.Y.Z of releases/<name>/, a Hugging Face dataset repository.

    Writes Parquet per config (gold, annotations) and split, the dataset card, manifest.json and
    CHANGELOG.md, checks them with datasets.load_dataset, and commits them with a tag vX.Y.Z.

    Example:

    \b
        annotate publish --version 1.0.0 --ratios 0.8,0.1,0.1
        annotate publish --version 1.0.1 --with-review
        HF_TOKEN=... annotate publish --version 1.1.0 --push-to-hub my-org/conflict-events
    """
    # Arrow's buffers from the C library's malloc, which gives freed memory back, rather than pyarrow's default
    # pool (mimalloc), which keeps it: about 20 MB less at the peak of a publish of 30,000 articles. Read once,
    # when pyarrow loads (after this line), so it is set here, for this process only; a value set already wins.
    os.environ.setdefault("ARROW_DEFAULT_MEMORY_POOL", "system")
    from annotate import release as release_stage

    ws = open_workspace(workspace)
    shares = release_stage.parse_ratios(ratios)
    with progress_bar("Writing gold rows") as bar:
        summary = release_stage.publish(
            ws,
            version,
            shares,
            include_conflicts,
            push_to_hub,
            progress=lambda n: bar.advance(bar.task_ids[0], n),
            with_review=with_review,
        )
    for span in summary.misaligned:
        typer.echo(
            f"misaligned: article {span.article_id} span “{span.text}” ({span.start}-{span.end}, {span.label}): "
            f"{span.reason}; kept in spans, -1 in ner_tags",
            err=True,
        )
    if as_json:
        print_json(summary.as_dict())
        return
    if summary.unchanged:
        typer.echo(
            f"{summary.path} v{summary.version} is already published from exactly these inputs (corpus, annotations, "
            f"gold, schema, options): {summary.published} articles; nothing was written."
        )
        _print_pushed(summary)
        return
    report = summary.as_dict()
    splits = ", ".join(f"{split} {count}" for split, count in report["articles_per_split"].items())
    held = report["held_back"]["count"]
    typer.echo(
        f"Published {report['path']} v{summary.version}: {summary.published} of {summary.gold_records} gold "
        f"articles ({splits}), {report['spans']['total']} spans, "
        f"{sum(report['annotations']['per_split'].values())} annotations; misaligned spans "
        f"{report['misaligned']['count']}; split moves {report['changes']['split_moves']['count']}."
    )
    for split in summary.empty_splits:
        typer.echo(f"WARNING: no article fell in the {split} split at ratios {ratios}; it is left out of this version.")
    if held:
        typer.echo(
            f"Held back {held} article(s) with open conflicts: {', '.join(report['held_back']['articles'][:10])}"
            f"{f' and {held - 10} more' if held > 10 else ''}. Settle them with `annotate adjudicate push`, or pass "
            "--include-conflicts."
        )
    elif summary.include_conflicts:
        typer.echo(f"Published {summary.published_with_conflicts} article(s) with open conflicts, settled spans only.")
    _print_pushed(summary)


def _print_pushed(summary: release_stage.ReleaseSummary) -> None:
    if summary.pushed:
        typer.echo(f"Uploaded to {summary.pushed['url']} and tagged {summary.pushed['tag']}.")


@app.command("diff")
@one_line_errors
def diff_command(
    a: Annotated[str, typer.Argument(help="The older version, X.Y.Z.")],
    b: Annotated[str, typer.Argument(help="The newer version, X.Y.Z.")],
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """What changed between two published versions: articles, spans, choices, split moves, agreement.

    Document-level choices are compared by option name, per control column, in the articles of both
    versions (one line each); a column only one version has is reported as new or removed.

    Example:

    \b
        annotate diff 1.0.0 1.1.0 --json
    """
    from annotate import release as release_stage
    from annotate.agreement import format as agreement_format

    ws = open_workspace(workspace)
    changes = release_stage.diff(ws, a, b)
    if as_json:
        print_json(changes)
        return
    articles, spans, moves = changes["articles"], changes["spans"], changes["split_moves"]
    typer.echo(
        f"{changes['from']} -> {changes['to']}: articles added {articles['added']}, removed {articles['removed']}, "
        f"kept {articles['kept']}; spans added {spans['added']}, removed {spans['removed']}, relabelled "
        f"{spans['relabelled']} (in added articles {spans['in_added_articles']}, in removed articles "
        f"{spans['in_removed_articles']}); split moves {moves['count']}."
    )
    for column, entry in changes.get("choices", {}).items():
        typer.echo(release_stage.choice_change_text(column, entry, changes["from"], changes["to"]))
    for name in ("before", "after"):
        typer.echo(f"Agreement {name}: {agreement_format.headline_text(changes['agreement'][name])}.")


# -- training-data exports --------------------------------------------------------------------------

ExportFormat = Enum("ExportFormat", {name: name for name in defaults.EXPORT_FORMATS}, type=str)  # type: ignore[misc]


@app.command("export")
@one_line_errors
def export_command(
    format: Annotated[ExportFormat, typer.Option("--format", "-f", help="conll, spacy (a DocBin) or jsonl.")],
    source: Annotated[
        str, typer.Option("--source", help="'gold', or one annotator's pseudonym (e.g. ann-02).")
    ] = defaults.EXPORT_GOLD,
    out_path: Annotated[
        Path | None, typer.Option("--out", help="File to write (default: training/<source>.<format>).")
    ] = None,
    include_conflicts: Annotated[
        bool, typer.Option(help="Also write gold articles with open conflicts (their settled spans only).")
    ] = False,
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Training data from the gold standard or one annotator: CoNLL-2003, spaCy DocBin or span JSONL.

    A span that starts or ends inside a token cuts the token there (reported with its text); where
    spans overlap, BIO views keep one and report the others (span JSONL keeps them all).

    Example:

    \b
        annotate export --format conll
        annotate export --format jsonl --source ann-02 --out ann-02.jsonl --json
    """
    from annotate import exports as exports_stage

    ws = open_workspace(workspace)
    summary = exports_stage.export(ws, format.value, source, out_path, include_conflicts)
    report = summary.as_dict()
    for line in summary.cut_tokens:
        typer.echo(f"cut token: {line}", err=True)
    for line in summary.left_out_of_bio:
        typer.echo(f"not in BIO: {line}", err=True)
    if summary.unlisted:
        typer.echo(f"... and {summary.unlisted} more, counted below", err=True)
    if as_json:
        print_json(report)
        return
    labels = ", ".join(f"{count} {label}" for label, count in sorted(summary.spans.items())) or "no spans"
    typer.echo(
        f"Wrote {summary.path}: {summary.articles} articles, {summary.tokens} tokens, {labels}; "
        f"{len(summary.cut_tokens)} token(s) cut at span edges, {len(summary.left_out_of_bio)} overlapping "
        f"span(s) left out of BIO."
    )
    if summary.conll_labels:
        renamed = ", ".join(f"'{label}' as {tag}" for label, tag in summary.conll_labels.items())
        typer.echo(f"  CoNLL tags write a label's inner spaces as '_': {renamed}.")
    skipped = {
        "held back with open conflicts (--include-conflicts to write them)": summary.held_back,
        "skipped, text changed since annotation": summary.text_changed,
        "skipped, not in the corpus": summary.not_in_corpus,
    }
    for what, count in skipped.items():
        if count:
            typer.echo(f"  {count} article(s) {what}")
    for reason, count in summary.records_left_out.items():
        typer.echo(f"  {count} annotation record(s) of {summary.source} left out: {reason.replace('_', ' ')}")


# -- model ------------------------------------------------------------------------------------------


@app.command("train")
@one_line_errors
def train_command(
    source: Annotated[
        str, typer.Option("--from", help="'gold', or a published release version (its test split scores it).")
    ] = "gold",
    out_path: Annotated[
        Path | None,
        typer.Option("--out", help="Model folder, in the workspace (default: models/<workspace name>-<architecture>)."),
    ] = None,
    seed: Annotated[int, typer.Option(help="Seed of spaCy's generators: same data and seed, same model.")] = (
        defaults.TRAIN_SEED
    ),
    epochs: Annotated[int, typer.Option(help="Passes over the training articles.")] = defaults.TRAIN_EPOCHS,
    folds: Annotated[int, typer.Option(help="k of the cross-validation over the gold.")] = defaults.TRAIN_FOLDS,
    architecture: Annotated[
        str | None, typer.Option(help="ner or spancat (default: spancat when gold spans overlap, else ner).")
    ] = None,
    workspace: WorkspaceOption = Path("."),
    as_json: JsonOption = False,
) -> None:
    """Train a spaCy model on the gold (or a release) and write it with its model card.

    Scored by k-fold cross-validation over the gold, or on a release's test split; the card
    (models/NAME/README.md, meta.json) gives strict and overlap P/R/F1 per label and the data's sha256.
    Needs the model extra: pip install 'annotate[model]'.

    Example:

    \b
        annotate train --out models/conflict-ner --seed 0
        annotate tasks build --prelabel-with model:models/conflict-ner
    """
    from annotate import model as model_stage

    ws = open_workspace(workspace)
    settings = model_stage.TrainSettings(seed=seed, epochs=epochs, folds=folds, architecture=architecture)
    summary = model_stage.train(ws, source, out_path, settings, progress=lambda line: typer.echo(line, err=True))
    if as_json:
        print_json(summary.as_dict())
        return
    figures = summary.evaluation
    labels = ", ".join(summary.labels)
    typer.echo(f"Wrote {summary.path}: {summary.architecture} model {summary.model_version} ({labels}).")
    if "strict" in figures:
        from annotate.agreement.format import figure_text

        strict, overlap = figures["strict"]["micro"], figures["overlap"]["micro"]
        typer.echo(
            f"{figures['method']}: F1 strict {figure_text(strict['f1'])}, overlap {figure_text(overlap['f1'])} "
            f"({figures['articles']} article(s)); per label in {summary.path}/README.md."
        )
    else:
        typer.echo(f"Not evaluated: {figures['method']}.")


@app.command("serve")
@one_line_errors
def serve_command(
    model: Annotated[Path, typer.Option("--model", help="A model folder written by annotate train.")],
    host: Annotated[str, typer.Option(help="Address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="Port (0: any free one).")] = defaults.SERVE_PORT,
    workspace: WorkspaceOption = Path("."),
) -> None:
    """Serve a model as a Label Studio ML backend (/health, /setup, /predict) until interrupted.

    Connect it to a project with `annotate push --project NAME --ml-backend URL`: Label Studio then asks it
    for suggestions when a task without predictions is opened.

    Example:

    \b
        annotate serve --model models/conflict-ner --port 9090
    """
    from annotate.model import backend as backend_stage

    server = backend_stage.make_server(open_workspace(workspace), model, host, port)
    typer.echo(f"Serving {server.backend.annotator.version} at {backend_stage.server_url(server)} (Ctrl-C stops it).")
    try:
        server.serve_forever()
    finally:
        server.server_close()


if __name__ == "__main__":  # pragma: no cover
    app()
