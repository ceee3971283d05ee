"""Every user-facing message, in one place.

Each message names the object (file, record, field) and says what to do, so the CLI can print it as
one line and exit with a code that means something. Library code raises ``AnnotateError`` with one
of these templates; it never prints.
"""

from __future__ import annotations

from enum import IntEnum


class ExitCode(IntEnum):
    """Process exit codes of the ``annotate`` command (documented in the README)."""

    OK = 0
    BAD_INPUT = 1  # a file, record or schema is wrong: the message says which and how to fix it
    USAGE = 2  # the command line itself is wrong (typer/click's own code)
    ENVIRONMENT = 3  # no workspace here, a missing optional package
    STRICT = 4  # --strict refused input that would otherwise have been skipped


class Messages:
    """Message templates; fields in braces are filled by ``AnnotateError``."""

    # workspace
    NO_WORKSPACE = "No workspace at {root}: there is no {config}. Run `annotate init {root}` or pass --workspace DIR."
    WORKSPACE_EXISTS = "{root} is already a workspace ({config} exists); nothing was changed."
    CONFIG_BAD_KEY = "{path}: unknown key '{key}'. Known keys: {known}."
    CONFIG_BAD_VALUE = "{path}: '{key}' {problem}."

    # YAML files (schema, workspace config)
    YAML_SYNTAX = "{path} line {line}, column {column}: {problem}. Fix the YAML syntax there."
    YAML_DUPLICATE_KEY = "{path} line {line}: key '{key}' appears twice. Keep one."
    YAML_NOT_MAPPING = "{path}: expected a mapping of keys (name, version, labels, ...), found {found}."
    FILE_MISSING = "{path} does not exist. {fix}"

    # schema
    SCHEMA_MISSING_FIELD = "{path}: {field} is missing. {fix}"
    SCHEMA_BAD_FIELD = "{path}: {field} {problem}."
    SCHEMA_UNKNOWN_KEY = "{path}: {field} is not a known key. Known keys: {known}."
    SCHEMA_DUPLICATE_LABEL = "{path}: labels[{index}].name '{label}' is defined twice. Label names must be unique."
    SCHEMA_DUPLICATE_HOTKEY = (
        "{path}: labels[{index}].hotkey '{hotkey}' is already used by label '{other}'. Give each label its own hotkey."
    )
    SCHEMA_LABEL_CONFIG = "{path}: the Label Studio config derived from it is invalid: {problem}."
    SCHEMA_BAD_NAME = "'{name}' cannot name a schema: use lowercase letters, digits, '-', '_' or '.' (--name)."
    SCHEMA_EXISTS = "{path} exists already; nothing was changed. Pass --name NAME for another file, or --overwrite."
    CONFIG_UNUSABLE = "The labeling config of {source} cannot become a schema: {problem}."

    # corpus
    CORPUS_UNSUPPORTED = (
        "{path}: unsupported format '{suffix}'. Use .txt, .jsonl, .json, .csv, .parquet, "
        "or a folder saved with datasets' save_to_disk."
    )
    CORPUS_MISSING = "{path} does not exist. Check the path."
    CORPUS_STRICT = "--strict: {count} record(s) would be skipped (listed above); nothing was written."
    CORPUS_EMPTY = "The corpus {path} is empty. Add articles first: `annotate corpus add PATH`."
    RECORDS_DAMAGED = "{path} line {line}: {problem}. The file is damaged; {fix}."
    FIX_CORPUS = "restore it or re-run `annotate corpus add`"
    FIX_ANNOTATIONS = "restore it, or delete it and re-run `annotate import` (or `annotate pull`)"
    FIX_GOLD = "delete it and re-run `annotate gold`"
    FIX_ADJUDICATIONS = "delete it and re-run `annotate adjudicate pull`"
    FIX_ROUNDS = "restore it from a backup (it records which articles went out in which round)"
    FIX_ANY = "restore it from a backup"

    # gold files for scoring the pre-annotator
    GOLD_BAD_RECORD = "{path} line {line}: {problem}. {fix}"

    # Label Studio: the local server and connections
    STUDIO_NOT_INSTALLED = (
        "Label Studio is not installed. Install the studio extra: pip install 'annotate[studio]' "
        "(from a clone: pip install -e '.[studio]')."
    )
    STUDIO_NO_PORT = "No free TCP port on 127.0.0.1 for Label Studio. Stop something listening there."
    STUDIO_DIED = "Label Studio exited during start-up (code {code}). Its log is {log}."
    STUDIO_TIMEOUT = "Label Studio did not answer within {seconds} s; it was stopped. Its log is {log}."
    STUDIO_NO_URL = (
        "No Label Studio to talk to: start the local one with `annotate studio up`, or pass --url "
        "(or set LABEL_STUDIO_URL) and --api-key (or LABEL_STUDIO_API_KEY)."
    )
    STUDIO_NO_KEY = (
        "No API key for {url}: pass --api-key or set LABEL_STUDIO_API_KEY (a legacy token or a personal access token)."
    )
    STUDIO_KEY_REFUSED = (
        "{url} refused the API key. Check it in Label Studio (Account & Settings); a legacy token needs "
        "legacy tokens enabled for the organization, a personal access token works as it is."
    )
    STUDIO_UNREACHABLE = "Cannot reach Label Studio at {url}. Is it running? (`annotate studio status`)"
    STUDIO_API_ERROR = "Label Studio at {url} answered with HTTP {status}. See its log."
    STUDIO_CONNECTION_LOST = (
        "Lost the connection to Label Studio ({problem}). Start it again (`annotate studio up`) and re-run "
        "the command: push and pull finish what was left, without duplicates."
    )
    STUDIO_REQUEST_FAILED = "Label Studio refused the request (HTTP {status}): {said}."
    STUDIO_BAD_EXPORT = "Label Studio's export endpoint sent something other than a JSON list of tasks: {start!r}."
    PROJECT_MISSING = "There is no project '{title}' on {url}. Push to it first: `annotate push --project '{title}'`."
    PROJECT_AMBIGUOUS = "{url} has several projects titled '{title}' (ids {ids}). Rename all but one in Label Studio."
    PROJECT_CONFIG_DIFFERS = (
        "Project '{title}' has another labeling config than the schema: {differences}. "
        "Pass --update-config to replace it with the schema's, or push to another project."
    )
    TASKS_DAMAGED = (
        "{path}: not valid JSON at task {number} ({problem}). Rebuild it: `annotate tasks build --prelabel`."
    )
    TASKS_BAD_TASK = (
        "{path}: task {number} has no data.text, data.article_id and data.sha256, so it cannot be pushed "
        "idempotently. Rebuild the file: `annotate tasks build --prelabel`."
    )
    PUSH_BAD_ANNOTATORS = (
        "--annotators-per-task {value}: must be a whole number of at least 1 (how many annotators an "
        "overlapping task gets)."
    )
    PUSH_BAD_OVERLAP_SHARE = (
        "--overlap-share {value}: must be a whole percentage from 0 to 100 (the share of tasks that get "
        "--annotators-per-task annotators; the rest get one)."
    )
    ROUND_BAD_SAMPLE = "--sample {value}: must be at least 1 (how many articles the round sends out)."
    ROUND_WITHOUT_NAME = "--sample and --seed draw a round: name it with --round NAME."
    ROUND_NEEDS_SAMPLE = (
        "Round '{round}' of project '{project}' is new: say how many articles it takes with --sample K."
    )
    ROUND_DIFFERS = (
        "Round '{round}' of project '{project}' was drawn with --sample {sample} --seed {seed}, not {asked}. "
        "Re-run with its own values (or none) to finish it, or give the new round another name."
    )
    ROUND_TOO_FEW = (
        "Round '{round}': --sample {sample} asks for more articles than the {available} of {path} not yet sent "
        "to project '{project}'. Ask for {available} or fewer, or add articles and rebuild the tasks."
    )
    ROUND_NOT_IN_TASKS = (
        "{path} lacks {count} article(s) of round '{round}' (first: {first}), recorded in {rounds}. "
        "Rebuild the tasks from the corpus that round was drawn from: `annotate tasks build --prelabel`."
    )
    ROUND_BAD_BY = "--by {by}: a round is drawn by 'random' (stratified by source) or 'uncertainty'."
    ROUND_NO_SCORES = (
        "--by uncertainty needs the model's scores in {path}, and none of its tasks has one. Build them with a "
        "model first: `annotate tasks build --prelabel-with model:models/NAME`."
    )
    ROUND_OTHER_DRAW = (
        "Round '{round}' of project '{project}' was drawn by {recorded}, not {asked}. Re-run it without --by, or "
        "give the new round another name."
    )
    PRELABEL_NO_LABELS = (
        "The rule pre-annotator marks {rules}; schema {schema} has none of these labels, so it would pre-annotate "
        "nothing. Build the tasks without --prelabel."
    )
    TASKS_MISSING = "{path} does not exist. Build the tasks first: `annotate tasks build --prelabel`."

    # Label Studio exports
    EXPORT_MALFORMED = (
        "{path}: malformed JSON at byte {offset} (line {line}): {problem}. Nothing was imported; "
        "export the project again or repair the file there."
    )
    EXPORT_NOT_TASKS = (
        "{path}: expected a JSON list of Label Studio tasks, found a list of {found}. "
        "Export the project as JSON (not JSON_MIN or CSV). Nothing was imported."
    )

    IMPORT_EMPTY_ANNOTATOR = (
        "--annotator is empty: give the name or e-mail of the person whose export this is (it becomes a "
        "pseudonym; the name stays in annotations/annotators.json)."
    )

    # agreement
    AGREEMENT_NO_ANNOTATIONS = (
        "No annotations yet: {path} is missing or empty. Run `annotate import EXPORT.json` or `annotate pull` first."
    )

    # gold and adjudication
    GOLD_UNKNOWN_STRATEGY = "Unknown strategy '{strategy}'. Use one of: {known}."
    GOLD_BAD_MIN_SUPPORT = "--min-support must be a number of annotators, 1 or more (got {value})."
    GOLD_MIN_SUPPORT_UNANIMOUS = "--min-support goes with the majority or adjudicated strategy; unanimous takes all."
    GOLD_MISSING = "No gold standard yet: {path} is missing or empty. Settle it first: `annotate gold`."

    # releases
    RELEASE_BAD_VERSION = "Version '{version}' is not X.Y.Z (three whole numbers, e.g. 1.0.0). Nothing was written."
    RELEASE_EXISTS = (
        "Version {version} is already published in {path} (tag v{version}), from other inputs than these (corpus, "
        "annotations, gold, schema or options). Publish a new version; nothing was written."
    )
    RELEASE_BACKWARDS = (
        "Version {version} is lower than the latest release, {latest}, in {path}. Publish a higher version; "
        "nothing was written."
    )
    RELEASE_SCHEMA_CHANGED = (
        "The schema changed since {latest} ({what}): a schema change needs a new major or minor version "
        "(e.g. {suggest}), not {version}. Nothing was written."
    )
    RELEASE_DIRTY = (
        "{path} holds changes that are in no release commit ({example}). Discard them there (`git checkout -- . && "
        "git clean -fd`); nothing was written."
    )
    RELEASE_NOT_A_RELEASE = (
        "{path} exists but is not a release repository (no .git). Move it away; nothing was written."
    )
    RELEASE_NOTHING = (
        "Nothing to publish: all {held} gold article(s) have open conflicts. Settle them with "
        "`annotate adjudicate push`, or pass --include-conflicts."
    )
    RELEASE_GOLD_BAD = "{path} line {line}: {problem}. Re-run `annotate gold`."
    RELEASE_BAD_RATIOS = (
        "--ratios {ratios}: {problem}. Give three numbers for train, validation and test that add up to 1, "
        "e.g. 0.8,0.1,0.1."
    )
    RELEASE_CHECK_FAILED = (
        "The release failed its check: datasets.load_dataset(..., '{config}') gave {problem}. Nothing was "
        "published; the previous version is intact."
    )
    RELEASE_GIT_FAILED = "git {command} failed in {path}: {problem}. Nothing was published (is git installed?)."
    RELEASE_UNKNOWN_VERSION = "There is no release {version} in {path} (published: {known})."
    HUB_NO_TOKEN = (
        "--push-to-hub needs a Hugging Face write token in the HF_TOKEN environment variable "
        "(https://huggingface.co/settings/tokens). Nothing was written."
    )
    HUB_FAILED = (
        "Version {version} is published in {path}, but the upload to {repo_id} failed: {problem}. Upload that "
        "folder again: `hf upload {repo_id} {path} . --repo-type dataset` (then tag it v{version})."
    )

    # training-data exports
    TRAINING_UNKNOWN_FORMAT = "Unknown export format '{format}'. Known formats: {known}."
    TRAINING_UNKNOWN_SOURCE = (
        "No annotator '{source}' in the annotations. Export 'gold' or one of the annotators: {known}."
    )
    TRAINING_TAG_CLASH = (
        "Labels {labels} would share the CoNLL tag '{tag}' (CoNLL tags write a label's inner spaces as '_'). "
        "Rename one of them in the schema, or export jsonl or spacy."
    )
    GOLD_WITHOUT_CHOICES = (
        "{path} line {line}: article {article} was settled without the schema's control '{control}' (the schema "
        "changed since). Settle gold again: `annotate gold`."
    )

    # rounds
    ROUND_UNKNOWN = (
        "No round '{name}' is recorded in rounds/rounds.jsonl (rounds: {known}). Push one first: "
        "`annotate push --project NAME --round {name} --sample K`."
    )
    ROUND_NO_ANNOTATIONS = (
        "No annotations of the {articles} article(s) of round '{name}' yet. Pull the project first: "
        "`annotate pull --project NAME`."
    )

    # models (annotate train, tasks build --prelabel-with model:PATH, annotate serve)
    MODEL_MISSING = (
        "{path} is not a model folder (no meta.json and pipeline/). Train one: `annotate train --out {path}`."
    )
    MODEL_BAD_ARCHITECTURE = "Unknown architecture '{architecture}'. Use ner or spancat (or leave it to the data)."
    MODEL_BAD_SETTINGS = "--epochs must be 1 or more and --folds 2 or more (got {epochs} and {folds})."
    MODEL_NO_SPANS = "The {source} data has no spans to learn from. Annotate, settle gold (`annotate gold`) first."
    MODEL_TOO_FEW = (
        "Cross-validation needs 2 or more complete gold articles; there are {articles}. Settle more gold, or train on "
        "a release: `annotate train --from VERSION`."
    )
    MODEL_RELEASE_EMPTY = "Release {version} in {path} has no gold rows to train on."
    MODEL_OTHER_SCHEMA = (
        "Model {path} was trained for schema {trained}, the workspace's is {schema}; labels {missing} are not in it. "
        "Train again on this workspace's gold."
    )
    PRELABEL_UNKNOWN = "Unknown pre-annotator '{spec}'. Use rules, model:PATH or rules+model:PATH."

    # optional parts
    MISSING_PACKAGE = "The {package} package is not installed. Install it: pip install {package}"


class AnnotateError(Exception):
    """An error the user can fix; ``str()`` is the one line to print."""

    def __init__(self, template: str, exit_code: ExitCode = ExitCode.BAD_INPUT, **fields: object):
        self.exit_code = exit_code
        self.fields = fields
        super().__init__(template.format(**fields))
