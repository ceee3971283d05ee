"""The span schema: ``schemas/*.yaml`` -> ``Schema``, and everything derived from it.

From one file come the Label Studio labeling config (checked with the SDK's ``LabelInterface``),
the BIO tag names (``O``, then ``B-``/``I-`` per label in schema order), the ``ClassLabel``
features of the published dataset and the annotation guidelines (Markdown, and HTML made from
that Markdown: the project's instructions in Label Studio and ``guidelines/``). Validation is ours
because a schema file is people's text: each mistake must name the file and the field, which no generic validator does.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotate.errors import AnnotateError, Messages
from annotate.workspace import Workspace, atomic_write, read_yaml

if TYPE_CHECKING:
    import datasets
    from label_studio_sdk.label_interface import LabelInterface

# Names in the labeling config that tasks, predictions and imports refer to.
FROM_NAME = "label"
TO_NAME = "text"

SCHEMA_KEYS = ("name", "version", "description", "labels")
LABEL_KEYS = ("name", "definition", "ace_role", "notes", "examples", "color", "hotkey")
EXAMPLE_KEYS = ("positive", "negative")

_HEX_COLOUR = re.compile(r"#(?:[0-9a-fA-F]{3}|[0-9a-fA-F]{6})")
# A label becomes an XML attribute, a BIO tag in a whitespace-separated CoNLL column and a ClassLabel
# name: letters, digits, '_', '.', '-' only, starting with a letter.
_LABEL_NAME = re.compile(r"[A-Za-z][A-Za-z0-9_.-]*")
_SCHEMA_NAME = re.compile(r"[a-z0-9][a-z0-9_.-]*")
_VERSION = re.compile(r"\d+\.\d+\.\d+")
_HOTKEY = re.compile(r"[a-z0-9]")


@dataclass(frozen=True)
class Label:
    name: str
    definition: str
    color: str
    hotkey: str
    ace_role: str = ""
    notes: tuple[str, ...] = ()
    positive_examples: tuple[str, ...] = ()
    negative_examples: tuple[str, ...] = ()


@dataclass(frozen=True)
class Schema:
    name: str
    version: str
    labels: tuple[Label, ...]
    description: str = ""

    @property
    def label_names(self) -> list[str]:
        return [label.name for label in self.labels]

    @property
    def bio_tags(self) -> list[str]:
        """``O``, then ``B-label``, ``I-label`` for each label in schema order."""
        return ["O"] + [f"{prefix}-{name}" for name in self.label_names for prefix in ("B", "I")]

    @property
    def id(self) -> str:
        """Name and version, e.g. ``conflict-spans-1.0.0``: what a derived artefact was made from."""
        return f"{self.name}-{self.version}"

    def label_config(self) -> str:
        """The Label Studio labeling config (XML) for span annotation of ``$text``."""
        view = ET.Element("View")
        ET.SubElement(view, "Header", value="$title")
        labels = ET.SubElement(view, "Labels", name=FROM_NAME, toName=TO_NAME)
        for label in self.labels:
            ET.SubElement(
                labels, "Label", value=label.name, background=label.color, hotkey=label.hotkey, hint=label.definition
            )
        ET.SubElement(view, "Text", name=TO_NAME, value="$text")
        ET.indent(view)
        return ET.tostring(view, encoding="unicode")

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


def load_schema(path: Path | str) -> Schema:
    """Read and check a schema file; any mistake raises ``AnnotateError`` naming file and field."""
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
    schema = Schema(name=name, version=version, labels=labels, description=str(raw.get("description") or ""))
    try:
        schema.label_interface()
    except Exception as exc:  # the SDK raises its own validation error types
        raise AnnotateError(Messages.SCHEMA_LABEL_CONFIG, path=path, problem=str(exc)) from None
    return schema


def _parse_label(path: Path, index: int, raw: Any) -> Label:
    where = f"labels[{index}]"
    if not isinstance(raw, dict):
        _bad(path, where, "must be a mapping with name, definition, color and hotkey")
    _refuse_unknown_keys(path, raw, LABEL_KEYS, prefix=f"{where}.")
    name = _required_text(path, raw, "name", "Every label needs a name.", where)
    if name in ("O", "o"):
        _bad(path, f"{where}.name", "'O' is reserved for 'outside' in BIO tags; choose another name")
    if not _LABEL_NAME.fullmatch(name):
        _bad(
            path,
            f"{where}.name",
            f"'{name}' may hold only letters, digits, '_', '.' and '-', starting with a letter "
            "(it becomes an XML attribute and a BIO tag)",
        )
    where = f"labels[{index}] ({name})"
    definition = _required_text(path, raw, "definition", "Write a one-line definition of the label.", where)
    color = _required_text(path, raw, "color", "Give a colour like '#1f77b4'.", where)
    if not _HEX_COLOUR.fullmatch(color):
        _bad(path, f"{where}.color", f"'{color}' is not a hex colour like '#1f77b4'")
    hotkey = str(_required(path, raw, "hotkey", "Give a one-key shortcut, e.g. 'hotkey: a'.", where))
    if not _HOTKEY.fullmatch(hotkey):
        _bad(path, f"{where}.hotkey", f"'{hotkey}' must be one lowercase letter or digit")
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
    )


def _refuse_duplicates(path: Path, labels: tuple[Label, ...]) -> None:
    names: dict[str, int] = {}
    hotkeys: dict[str, str] = {}
    for index, label in enumerate(labels):
        if label.name.lower() in names:
            raise AnnotateError(Messages.SCHEMA_DUPLICATE_LABEL, path=path, index=index, label=label.name)
        names[label.name.lower()] = index
        if label.hotkey in hotkeys:
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
    return "\n".join(lines + label_guide_markdown(schema, level=2)) + "\n"


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
