"""The span schema: ``schemas/*.yaml`` -> ``Schema``, and everything derived from it.

From one file come the Label Studio labeling config (checked with the SDK's ``LabelInterface``),
the BIO tag names (``O``, then ``B-``/``I-`` per label in schema order), the ``ClassLabel``
features of the published dataset and the annotation guidelines (Markdown, and HTML made from
that Markdown: the project's instructions in Label Studio and ``guidelines/``). Validation is ours
because a schema file is people's text: each mistake must name the file and the field, which no generic validator does.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml

from annotate.errors import AnnotateError, Messages
from annotate.workspace import Workspace, atomic_write, read_yaml

if TYPE_CHECKING:
    import datasets
    from label_studio_sdk.label_interface import LabelInterface

# The names a schema's labeling config uses unless the schema says otherwise (``text:``, ``spans:``): the
# ``<Labels>`` control (regions' from_name), the ``<Text>`` object (to_name) and the task's data key.
FROM_NAME = "label"
TO_NAME = "text"
TEXT_KEY = "text"

SCHEMA_KEYS = ("name", "version", "description", "text", "spans", "labels", "controls", "keep")
LABEL_KEYS = ("name", "definition", "ace_role", "notes", "examples", "color", "hotkey", "aliases", "attributes")
EXAMPLE_KEYS = ("positive", "negative")
TEXT_KEYS = ("name", "value", "attributes")
SPANS_KEYS = ("name", "attributes")
CONTROL_KEYS = ("name", "kind", "definition", "options", "attributes")
CONTROL_KINDS = ("single", "multiple", "taxonomy")
OPTION_SEPARATOR = " / "  # a taxonomy option is its path, joined: "Killed / Feloniously Killed"
# What `schema from-config` writes for a label or control whose config gives no hint: `schema check` warns.
PLACEHOLDER_DEFINITION = "(no definition yet: write one)"

# A colour as Label Studio takes it: hex, a CSS colour name, rgb()/rgba()/hsl().
_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3,4}|[0-9a-fA-F]{6}|[0-9a-fA-F]{8})|[A-Za-z]+|(?:rgba?|hsla?)\([0-9.,%\s]+\)")
# A label is an XML attribute value, a ClassLabel name and a BIO tag (``B-<label>``): any text without line
# breaks, tabs, white space at its ends or the characters XML and HTML escape (CoNLL exports join inner spaces).
_LABEL_NAME = re.compile(r'[^\s"<>&](?:[^\t\n\r"<>&]*[^\s"<>&])?')
_SCHEMA_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_XML_NAME = re.compile(r"[A-Za-z_][A-Za-z0-9_.-]*")
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_HOTKEY = re.compile(r"[^\s]+")


@dataclass(frozen=True)
class Label:
    name: str
    definition: str
    color: str = ""  # empty: Label Studio picks one
    hotkey: str = ""  # empty: none
    ace_role: str = ""
    notes: tuple[str, ...] = ()
    positive_examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()
    aliases: tuple[str, ...] = ()  # older names of the label: an import maps them to this one
    attributes: tuple[tuple[str, str], ...] = ()  # the config's other attributes of the <Label> (maxUsage, ...)


@dataclass(frozen=True)
class Option:
    """One choice of a document-level control; a taxonomy node has children."""

    value: str
    children: tuple[Option, ...] = ()


@dataclass(frozen=True)
class Control:
    """A document-level control: ``Choices`` (``single`` or ``multiple``) or ``Taxonomy``.

    ``name`` is its name in the labeling config (the regions' ``from_name``); ``attributes`` are the
    config's other attributes of the tag (``showInline``, ``required``, ...), kept as they came.
    """

    name: str
    kind: str
    options: tuple[Option, ...]
    definition: str = ""
    attributes: tuple[tuple[str, str], ...] = ()

    @cached_property
    def option_names(self) -> list[str]:
        """Every option, flat: a taxonomy node as its path joined with ``OPTION_SEPARATOR``, parent
        before children. The order records, release columns and reports use."""
        return list(_option_paths(self.options, ()))

    @cached_property
    def option_set(self) -> frozenset[str]:
        """``option_names`` as a set, for checking selections."""
        return frozenset(self.option_names)

    @property
    def multiple(self) -> bool:
        """Whether an annotation may hold more than one option (multiple choice, taxonomy)."""
        return self.kind != "single"


def _option_paths(options: tuple[Option, ...], parents: tuple[str, ...]) -> Iterator[str]:
    for option in options:
        path = (*parents, option.value)
        yield OPTION_SEPARATOR.join(path)
        yield from _option_paths(option.children, path)


@dataclass(frozen=True)
class Schema:
    name: str
    version: str
    labels: tuple[Label, ...]
    description: str = ""
    controls: tuple[Control, ...] = ()
    text_name: str = TO_NAME  # the <Text> object's name: regions' to_name
    text_key: str = TEXT_KEY  # the task data key that holds the article text ($text)
    span_control: str = FROM_NAME  # the <Labels> control's name: span regions' from_name
    keep: tuple[str, ...] = ()  # XML of config elements the schema does not model, kept as they are
    text_attributes: tuple[tuple[str, str], ...] = ()  # the <Text>'s other attributes, kept as they came
    span_attributes: tuple[tuple[str, str], ...] = ()  # the <Labels>' other attributes, kept as they came

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @cached_property
    def labels_by_name(self) -> dict[str, str]:
        """Every name a span may carry -> the schema's label: each label's own name, and its ``aliases``."""
        names = {alias: label.name for label in self.labels for alias in label.aliases}
        return names | {label.name: label.name for label in self.labels}

    def control(self, name: str) -> Control | None:
        return next((control for control in self.controls if control.name == name), None)

    @property
    def bio_tags(self) -> list[str]:
        """``O``, then ``B-label``, ``I-label`` for each label in schema order."""
        return ["O"] + [f"{prefix}-{name}" for name in self.label_names for prefix in ("B", "I")]

    @property
    def id(self) -> str:
        """Name and version, e.g. ``conflict-spans-1.0.0``: what a derived artefact was made from."""
        return f"{self.name}-{self.version}"

    def label_config(self) -> str:
        """The Label Studio labeling config (XML): ``annotate.labelconfig.label_config``."""
        from annotate.labelconfig import label_config

        return label_config(self)

    def label_interface(self) -> LabelInterface:
        """The SDK's view of ``label_config()``, already validated."""
        return checked_label_interface(self.label_config())

    def span_label_feature(self) -> datasets.ClassLabel:
        import datasets

        return datasets.ClassLabel(names=self.label_names)

    def ner_tag_feature(self) -> datasets.ClassLabel:
        import datasets

        return datasets.ClassLabel(names=self.bio_tags)


def checked_label_interface(config: str) -> LabelInterface:
    from label_studio_sdk.label_interface import LabelInterface

    interface = LabelInterface(config)
    interface.validate()
    return interface


def check_label_config(config: str, use_cache: bool = True) -> None:
    """Have the SDK validate a derived labeling config, once per config text and SDK version.

    The check is a pure function of those two, and importing the SDK's ``LabelInterface`` alone costs
    about 0.8 s (it brings boto3 and the cloud clients): every command loads the schema, so a config
    already found valid is remembered by an empty marker file named after its sha256 in the user's
    cache (``$ANNOTATE_CACHE_DIR``, else ``$XDG_CACHE_HOME/annotate``, else ``~/.cache/annotate``).
    Only valid configs are remembered; an unwritable cache just means checking every time.
    """
    marker = _validated_marker(config)
    if use_cache and marker is not None and marker.exists():
        return
    checked_label_interface(config)
    if marker is not None:
        try:
            marker.parent.mkdir(parents=True, exist_ok=True)
            marker.touch()
        except OSError:
            pass


def _validated_marker(config: str) -> Path | None:
    import hashlib
    import os
    from importlib import metadata

    try:
        sdk = metadata.version("label-studio-sdk")
    except metadata.PackageNotFoundError:
        return None
    root = os.environ.get("ANNOTATE_CACHE_DIR") or Path(
        os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache", "annotate"
    )
    digest = hashlib.sha256(config.encode("utf-8")).hexdigest()
    return Path(root, "valid-label-configs", f"sdk-{sdk}", digest)


def load_schema(path: Path | str, check_config: str = "cached") -> Schema:
    """Read and check a schema file; any mistake raises ``AnnotateError`` naming file and field.

    ``check_config`` says how the derived labeling config is checked by the SDK: ``"cached"``, once per
    config text (``check_label_config``); ``"again"``, every time (``annotate schema check``); ``"no"``,
    not here, by whoever sends it (push: the server checks the config it is sent)."""
    path = Path(path)
    raw = read_yaml(path)
    if not isinstance(raw, dict):
        raise AnnotateError(Messages.YAML_NOT_MAPPING, path=path, found=type(raw).__name__)
    _refuse_unknown_keys(path, raw, SCHEMA_KEYS, prefix="")
    name = _required_text(path, raw, "name", "Give the schema a name, e.g. 'name: conflict-spans'.")
    if not _SCHEMA_NAME.fullmatch(name):
        _bad(path, "name", f"'{name}' must be lowercase letters, digits, '-', '_' or '.'")
    version = str(_required(path, raw, "version", "Add 'version: 1.0.0'."))
    if not _VERSION.fullmatch(version):
        _bad(path, "version", f"'{version}' is not a version like 1.0.0")
    labels_raw = _required(path, raw, "labels", "List the labels under 'labels:'.")
    if not isinstance(labels_raw, list) or not labels_raw:
        _bad(path, "labels", "must be a non-empty list of labels")
    labels = tuple(_parse_label(path, index, item) for index, item in enumerate(labels_raw))
    _refuse_duplicates(path, labels)
    text_name, text_key, text_attributes = _parse_text(path, raw.get("text"))
    span_control, span_attributes = _parse_spans(path, raw.get("spans"))
    controls = _parse_controls(path, raw.get("controls"))
    _refuse_name_clashes(path, labels, controls)
    schema = Schema(
        name=name,
        version=version,
        labels=labels,
        description=str(raw.get("description") or ""),
        controls=controls,
        text_name=text_name,
        text_key=text_key,
        span_control=span_control,
        keep=_text_list(path, raw.get("keep"), "keep"),
        text_attributes=text_attributes,
        span_attributes=span_attributes,
    )
    if check_config != "no":
        try:
            check_label_config(schema.label_config(), use_cache=check_config != "again")
        except Exception as exc:  # the SDK and the XML parser raise their own error types
            raise AnnotateError(Messages.SCHEMA_LABEL_CONFIG, path=path, problem=str(exc)) from None
    return schema


def definition_placeholders(schema: Schema) -> list[str]:
    """The labels and controls whose definition is still ``schema from-config``'s placeholder."""
    found = [f"label '{label.name}'" for label in schema.labels if label.definition == PLACEHOLDER_DEFINITION]
    return found + [f"control '{c.name}'" for c in schema.controls if c.definition == PLACEHOLDER_DEFINITION]


def _parse_label(path: Path, index: int, raw: Any) -> Label:
    where = f"labels[{index}]"
    if not isinstance(raw, dict):
        _bad(path, where, "must be a mapping with name, definition, color and hotkey")
    _refuse_unknown_keys(path, raw, LABEL_KEYS, prefix=f"{where}.")
    name = _required_text(path, raw, "name", "Every label needs a name.", where)
    if name in ("O", "o"):
        _bad(path, f"{where}.name", "'O' is reserved for 'outside' in BIO tags; choose another name")
    if not _LABEL_NAME.fullmatch(name):
        problem = 'must not hold tabs, line breaks or the characters " < > &, nor start or end with a space'
        _bad(path, f"{where}.name", f"'{name}' {problem}")
    where = f"labels[{index}] ({name})"
    definition = _required_text(path, raw, "definition", "Write a one-line definition of the label.", where)
    color = _optional_text(path, raw, "color", where)
    if color and not _COLOUR.fullmatch(color):
        _bad(path, f"{where}.color", f"'{color}' is not a colour like '#1f77b4' or 'orange'")
    hotkey = _optional_text(path, raw, "hotkey", where)
    if hotkey and not _HOTKEY.fullmatch(hotkey):
        _bad(path, f"{where}.hotkey", f"'{hotkey}' must be a key like 'a', '1' or 'shift+a'")
    examples = raw.get("examples") or {}
    if not isinstance(examples, dict):
        _bad(path, f"{where}.examples", "must be a mapping with 'positive' and 'negative' lists")
    _refuse_unknown_keys(path, examples, EXAMPLE_KEYS, prefix=f"{where}.examples.")
    return Label(
        name=name,
        definition=definition,
        color=color,
        hotkey=hotkey,
        ace_role=str(raw.get("ace_role") or ""),
        notes=_text_list(path, raw.get("notes"), f"{where}.notes"),
        positive_examples=_text_list(path, examples.get("positive"), f"{where}.examples.positive"),
        negative_examples=_text_list(path, examples.get("negative"), f"{where}.examples.negative"),
        aliases=_text_list(path, raw.get("aliases"), f"{where}.aliases"),
        attributes=_attributes(path, raw.get("attributes"), f"{where}.attributes"),
    )


def _parse_text(path: Path, raw: Any) -> tuple[str, str, tuple[tuple[str, str], ...]]:
    if raw is None:
        return TO_NAME, TEXT_KEY, ()
    if not isinstance(raw, dict):
        _bad(path, "text", "must be a mapping like {name: text, value: text}")
    _refuse_unknown_keys(path, raw, TEXT_KEYS, prefix="text.")
    value = str(raw.get("value", TEXT_KEY)).removeprefix("$")
    name = _xml_name(path, "text.name", raw.get("name", TO_NAME))
    return name, _xml_name(path, "text.value", value), _attributes(path, raw.get("attributes"), "text.attributes")


def _parse_spans(path: Path, raw: Any) -> tuple[str, tuple[tuple[str, str], ...]]:
    """``spans: label`` or ``spans: {name: label, attributes: {showInline: 'true'}}``."""
    if raw is None or isinstance(raw, str):
        return _xml_name(path, "spans", raw or FROM_NAME), ()
    if not isinstance(raw, dict):
        _bad(path, "spans", "must be the <Labels> control's name, or a mapping {name, attributes}")
    _refuse_unknown_keys(path, raw, SPANS_KEYS, prefix="spans.")
    name = _xml_name(path, "spans.name", raw.get("name", FROM_NAME))
    return name, _attributes(path, raw.get("attributes"), "spans.attributes")


def _attributes(path: Path, raw: Any, field: str) -> tuple[tuple[str, str], ...]:
    if raw is None:
        return ()
    if not isinstance(raw, dict) or not all(isinstance(key, str) for key in raw):
        _bad(path, field, "must be a mapping of config attributes, e.g. {showInline: 'true'}")
    return tuple((key, str(value)) for key, value in raw.items())


def _parse_controls(path: Path, raw: Any) -> tuple[Control, ...]:
    if raw is None:
        return ()
    if not isinstance(raw, list):
        _bad(path, "controls", "must be a list of controls (name, kind, options)")
    return tuple(_parse_control(path, index, item) for index, item in enumerate(raw))


def _parse_control(path: Path, index: int, raw: Any) -> Control:
    where = f"controls[{index}]"
    if not isinstance(raw, dict):
        _bad(path, where, "must be a mapping with name, kind and options")
    _refuse_unknown_keys(path, raw, CONTROL_KEYS, prefix=f"{where}.")
    name = _xml_name(path, f"{where}.name", _required(path, raw, "name", "Give the control's name.", where))
    where = f"controls[{index}] ({name})"
    kind = _required_text(path, raw, "kind", f"Say which kind: {', '.join(CONTROL_KINDS)}.", where)
    if kind not in CONTROL_KINDS:
        _bad(path, f"{where}.kind", f"'{kind}' is not one of {', '.join(CONTROL_KINDS)}")
    options = _parse_options(path, _required(path, raw, "options", "List its options.", where), f"{where}.options")
    if kind != "taxonomy" and any(option.children for option in options):
        _bad(path, f"{where}.options", "may have nested options only in a taxonomy")
    control = Control(
        name=name,
        kind=kind,
        options=options,
        definition=str(raw.get("definition") or ""),
        attributes=_attributes(path, raw.get("attributes"), f"{where}.attributes"),
    )
    seen = control.option_names
    if len(set(seen)) != len(seen):
        twice = sorted({option for option in seen if seen.count(option) > 1})
        _bad(path, f"{where}.options", f"list {', '.join(map(repr, twice))} twice")
    return control


def _parse_options(path: Path, raw: Any, where: str) -> tuple[Option, ...]:
    """A list whose items are option texts, or one-key mappings ``{option: [children]}`` in a taxonomy."""
    if not isinstance(raw, list) or not raw:
        _bad(path, where, "must be a non-empty list of options")
    options = []
    for index, item in enumerate(raw):
        if isinstance(item, dict) and len(item) == 1:
            ((value, children),) = item.items()
            options.append(
                Option(
                    _option_text(path, value, f"{where}[{index}]"),
                    _parse_options(path, children, f"{where}[{index}].{value}"),
                )
            )
        else:
            options.append(Option(_option_text(path, item, f"{where}[{index}]")))
    return tuple(options)


def _option_text(path: Path, value: Any, where: str) -> str:
    if isinstance(value, bool) or not isinstance(value, str | int | float) or not str(value).strip():
        _bad(path, where, "must be an option's text, or a mapping {option: [its children]}")
    text = str(value)
    if OPTION_SEPARATOR in text or text != text.strip():
        _bad(path, where, f"{text!r} must not contain {OPTION_SEPARATOR!r} (it joins a taxonomy path) nor edge spaces")
    return text


def _refuse_name_clashes(path: Path, labels: tuple[Label, ...], controls: tuple[Control, ...]) -> None:
    names = [control.name for control in controls]
    for index, name in enumerate(names):
        if name in names[:index]:
            _bad(path, f"controls[{index}].name", f"'{name}' is used by another control")
    aliases = [alias for label in labels for alias in label.aliases]
    for label in labels:
        if label.name in aliases:
            _bad(path, f"labels ({label.name})", "is also listed as another label's alias")


def _xml_name(path: Path, field: str, value: Any) -> str:
    if not isinstance(value, str) or not _XML_NAME.fullmatch(value):
        _bad(path, field, f"{value!r} must be a name like 'text' (letters, digits, '_', '.', '-')")
    return value


def _refuse_duplicates(path: Path, labels: tuple[Label, ...]) -> None:
    names: dict[str, int] = {}
    hotkeys: dict[str, str] = {}
    for index, label in enumerate(labels):
        if label.name.lower() in names:
            raise AnnotateError(Messages.SCHEMA_DUPLICATE_LABEL, path=path, index=index, label=label.name)
        names[label.name.lower()] = index
        if label.hotkey and label.hotkey in hotkeys:
            raise AnnotateError(
                Messages.SCHEMA_DUPLICATE_HOTKEY,
                path=path,
                index=index,
                hotkey=label.hotkey,
                other=hotkeys[label.hotkey],
            )
        hotkeys[label.hotkey] = label.name


def _refuse_unknown_keys(path: Path, raw: dict[str, Any], known: tuple[str, ...], prefix: str) -> None:
    for key in raw:
        if key not in known:
            raise AnnotateError(Messages.SCHEMA_UNKNOWN_KEY, path=path, field=f"{prefix}{key}", known=", ".join(known))


def _required(path: Path, raw: dict[str, Any], key: str, fix: str, where: str = "") -> Any:
    value = raw.get(key)
    if value is None or (isinstance(value, str) and not value.strip()):
        field = f"{where}.{key}" if where else key
        raise AnnotateError(Messages.SCHEMA_MISSING_FIELD, path=path, field=field, fix=fix)
    return value


def _optional_text(path: Path, raw: dict[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if value is None:
        return ""
    if isinstance(value, bool) or not isinstance(value, str | int):
        _bad(path, f"{where}.{key}", "must be text")
    return str(value).strip()


def _required_text(path: Path, raw: dict[str, Any], key: str, fix: str, where: str = "") -> str:
    value = _required(path, raw, key, fix, where)
    if not isinstance(value, str) or not value.strip():
        _bad(path, f"{where}.{key}" if where else key, "must be text")
    return value.strip()


def _text_list(path: Path, value: Any, field: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        _bad(path, field, "must be a list of texts")
    return tuple(value)


def _bad(path: Path, field: str, problem: str) -> None:
    raise AnnotateError(Messages.SCHEMA_BAD_FIELD, path=path, field=field, problem=problem)


# -- guidelines --------------------------------------------------------------------------------------------

_MARKDOWN_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")


def _md(text: str) -> str:
    """People's text as literal Markdown: characters Markdown would read as markup are escaped."""
    return _MARKDOWN_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def guidelines_markdown(schema: Schema) -> str:
    """The annotation guidelines, from the schema alone: per label its definition, key, colour, notes
    and examples. One text, rendered to HTML for Label Studio's instructions and ``guidelines.html``."""
    lines = [f"# Annotation guidelines: {schema.name} {schema.version}", ""]
    if schema.description:
        lines += [_md(schema.description), ""]
    lines += [
        "Select a label (click it or press its key), then the words it covers.",
        "",
        "| label | key | colour | definition |",
        "|---|---|---|---|",
    ]
    lines += [
        f"| {label.name} | `{label.hotkey}` | `{label.color}` | {_md(label.definition)} |" for label in schema.labels
    ]
    return "\n".join(lines + label_guide_markdown(schema, level=2) + control_guide_markdown(schema, level=2)) + "\n"


_KIND_TEXT = {
    "single": "choose one option",
    "multiple": "choose every option that applies",
    "taxonomy": "choose every option that applies, from the tree",
}


def control_guide_markdown(schema: Schema, level: int) -> list[str]:
    """Each document-level control's section, as Markdown lines: what to choose and its options."""
    lines: list[str] = []
    for control in schema.controls:
        lines += ["", f"{'#' * level} {_md(control.name)} (the whole text: {_KIND_TEXT[control.kind]})", ""]
        if control.definition:
            lines += [f"**Definition.** {_md(control.definition)}", ""]
        lines += _option_lines(control.options, 0)
    return lines


def _option_lines(options: tuple[Option, ...], depth: int) -> list[str]:
    lines = []
    for option in options:
        lines.append(f"{'  ' * depth}- {_md(option.value)}")
        lines += _option_lines(option.children, depth + 1)
    return lines


def label_guide_markdown(schema: Schema, level: int, keys: bool = True) -> list[str]:
    """Each label's section, as Markdown lines: definition, (key and colour,) ACE 2005 role, notes and
    examples. The annotators' guidelines and the dataset card's label guide both show it; the card
    leaves out ``keys`` (how to annotate), which matter only in Label Studio."""
    lines: list[str] = []
    for label in schema.labels:
        lines += ["", f"{'#' * level} {label.name}", "", f"**Definition.** {_md(label.definition)}", ""]
        facts = [f"**Key:** `{label.hotkey}`", f"**Colour:** `{label.color}`"] if keys else []
        if label.ace_role:
            facts.append(f"**ACE 2005 role:** {_md(label.ace_role)}")
        if facts:
            lines += [" · ".join(facts)]
        for heading, items in (
            ("Notes", label.notes),
            ("Mark, for example", label.positive_examples),
            ("Do not mark", label.negative_examples),
        ):
            if items:
                lines += ["", f"**{heading}**", ""] + [f"- {_md(item)}" for item in items]
    return lines


def guidelines_html(schema: Schema) -> str:
    """The guidelines as an HTML fragment (what Label Studio shows before annotating), made from
    ``guidelines_markdown`` by markdown-it-py; raw HTML in the schema's text is escaped, not passed on."""
    from markdown_it import MarkdownIt

    return MarkdownIt("commonmark", {"html": False}).enable("table").render(guidelines_markdown(schema))


def guidelines_page(schema: Schema) -> str:
    """``guidelines_html`` as a stand-alone page for the team."""
    return (
        '<!DOCTYPE html>\n<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f"<title>Annotation guidelines: {schema.name} {schema.version}</title>\n"
        "<style>body{font-family:sans-serif;max-width:50em;margin:2em auto;line-height:1.5}"
        "table{border-collapse:collapse}th,td{border:1px solid #ccc;padding:.2em .5em;text-align:left}</style>\n"
        f"</head>\n<body>\n{guidelines_html(schema)}</body>\n</html>\n"
    )


# -- a schema from an existing project ------------------------------------------------------------------


@dataclass
class AdoptedSchema:
    """What ``adopt_config`` wrote: the schema file, its id, and what `schema check` will warn about."""

    path: str
    schema: str
    labels: list[str]
    controls: list[str]
    kept: int  # config elements the schema does not model, kept as XML
    placeholders: list[str]

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def schema_name(title: str) -> str:
    """A schema name made from a file stem or a project title: lowercase, runs of other characters as '-'."""
    name = re.sub(r"[^a-z0-9_.]+", "-", title.lower()).strip("-.")
    return name or "project"


def adopt_config(workspace: Workspace, config: str, name: str, source: str, overwrite: bool = False) -> AdoptedSchema:
    """Write ``schemas/<name>.yaml`` from a Label Studio labeling config and make it the workspace's schema.

    ``source`` names where the config came from (a file, a project), for messages. A schema file that
    exists is refused unless ``overwrite``; the file written is loaded back and checked before the
    workspace's ``annotate.yaml`` points at it.
    """
    from annotate.labelconfig import ConfigError, schema_from_config

    if not _SCHEMA_NAME.fullmatch(name):
        raise AnnotateError(Messages.SCHEMA_BAD_NAME, name=name)
    try:
        raw = schema_from_config(config, name, description=f"Made from the Label Studio config of {source}.")
    except ConfigError as exc:
        raise AnnotateError(Messages.CONFIG_UNUSABLE, source=source, problem=str(exc)) from None
    target = workspace.root / "schemas" / f"{name}.yaml"
    if target.exists() and not overwrite:
        raise AnnotateError(Messages.SCHEMA_EXISTS, path=workspace.relative(target))
    with atomic_write(target) as out:
        out.write(f"# made by `annotate schema` from the labeling config of {source}; edit the definitions\n")
        yaml.safe_dump(raw, out, sort_keys=False, allow_unicode=True, width=120)
    schema = load_schema(target)
    workspace.set_config("schema", workspace.relative(target))
    return AdoptedSchema(
        path=workspace.relative(target),
        schema=schema.id,
        labels=schema.label_names,
        controls=[control.name for control in schema.controls],
        kept=len(schema.keep),
        placeholders=definition_placeholders(schema),
    )


def write_guidelines(workspace: Workspace, out_dir: Path | None = None) -> list[Path]:
    """Write ``guidelines.md`` and ``guidelines.html`` (default: the workspace's ``guidelines/``)."""
    schema = load_schema(workspace.schema_path)
    out_dir = Path(out_dir) if out_dir is not None else workspace.guidelines_dir
    written = []
    for name, text in (("guidelines.md", guidelines_markdown(schema)), ("guidelines.html", guidelines_page(schema))):
        with atomic_write(out_dir / name) as out:
            out.write(text)
        written.append(out_dir / name)
    return written
