"""Label Studio labeling configs (XML) <-> schemas: the one place that reads and writes them.

- ``label_config(schema)``: the config a schema stands for (spans, document-level controls, kept elements);
- ``schema_from_config(xml)``: the schema (as the YAML mapping ``schemas/*.yaml`` holds) of an existing
  project's config: its ``<Labels>`` on its ``<Text>`` become the labels, its document-level ``<Choices>``
  and ``<Taxonomy>`` the controls, and every other control is kept as XML, so that the config made back
  from the schema is the same labeling interface;
- ``interface_differences(a, b)``: how two configs differ as interfaces (controls, their names and
  targets, labels and their attributes, choice trees, objects), not as text: layout (``<View>`` styles,
  ``<Header>``) is not compared.

ElementTree, not the SDK's ``LabelInterface``, reads the trees: ``LabelInterface`` flattens a taxonomy's
nested choices into one list, and the tree is what a taxonomy is.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from typing import Any

from annotate.schema import (
    PLACEHOLDER_DEFINITION,
    Control,
    Option,
    Schema,
)

# Attributes the schema models itself; any other attribute of <Choices>/<Taxonomy> is kept.
_CONTROL_OWN = ("name", "toName", "choice")
_LABEL_OWN = ("value", "background", "hotkey", "hint")


class ConfigError(ValueError):
    """A labeling config this tool cannot make a schema of; the message says why."""


# -- schema -> config ------------------------------------------------------------------------------------


def label_config(schema: Schema) -> str:
    """The labeling config: a ``<Header>`` with the title, the ``<Labels>``, the ``<Text>``, then each
    document-level control and each kept element, in schema order."""
    view = ET.Element("View")
    ET.SubElement(view, "Header", value="$title")
    labels = ET.SubElement(view, "Labels", name=schema.span_control, toName=schema.text_name)
    labels.attrib.update(schema.span_attributes)
    for label in schema.labels:
        attributes = {"value": label.name, "background": label.color, "hotkey": label.hotkey}
        if label.definition != PLACEHOLDER_DEFINITION:
            attributes["hint"] = label.definition
        attributes = {key: value for key, value in attributes.items() if value} | dict(label.attributes)
        ET.SubElement(labels, "Label", attributes)
    text = ET.SubElement(view, "Text", name=schema.text_name, value=f"${schema.text_key}")
    text.attrib.update(schema.text_attributes)
    for control in schema.controls:
        view.append(_control_element(control, schema.text_name))
    for kept in schema.keep:
        view.append(ET.fromstring(kept))
    ET.indent(view)
    return ET.tostring(view, encoding="unicode")


def _control_element(control: Control, to_name: str) -> ET.Element:
    tag = "Taxonomy" if control.kind == "taxonomy" else "Choices"
    element = ET.Element(tag, name=control.name, toName=to_name)
    if tag == "Choices":
        element.set("choice", control.kind)
    for key, value in control.attributes:
        element.set(key, value)
    _add_choices(element, control.options)
    return element


def _add_choices(parent: ET.Element, options: tuple[Option, ...]) -> None:
    for option in options:
        _add_choices(ET.SubElement(parent, "Choice", value=option.value), option.children)


# -- config -> schema ------------------------------------------------------------------------------------


def schema_from_config(config: str, name: str, description: str = "") -> dict[str, Any]:
    """The schema of a labeling config, as the mapping a schema YAML file holds (version 1.0.0).

    Raises ``ConfigError`` when the config has no ``<Text>`` object or no ``<Labels>`` on it.
    """
    try:
        root = ET.fromstring(config)
    except ET.ParseError as exc:
        raise ConfigError(f"it is not well-formed XML ({exc})") from None
    parents = {child: parent for parent in root.iter() for child in parent}
    text = _text_object(root)
    labels = next((e for e in root.iter("Labels") if e.get("toName") == text.get("name")), None)
    if labels is None:
        raise ConfigError(f'it has no <Labels> control on its <Text name="{text.get("name")}">: no spans to take')
    controls, keep = [], []
    for element in root.iter():
        if element is labels or element is text or not _is_control(element) or _inside_control(element, parents):
            continue
        if _is_document_control(element, text.get("name")):
            controls.append(_control_entry(element))
        else:
            keep.append(_xml_of(element))
    schema: dict[str, Any] = {"name": name, "version": "1.0.0"}
    if description:
        schema["description"] = description
    schema["text"] = {"name": text.get("name"), "value": text.get("value", "").removeprefix("$")}
    schema["text"] |= _other_attributes(text, ("name", "value"))
    schema["spans"] = {"name": labels.get("name")} | _other_attributes(labels, ("name", "toName"))
    schema["labels"] = [_label_entry(label) for label in labels.iter("Label")]
    if controls:
        schema["controls"] = controls
    if keep:
        schema["keep"] = keep
    return schema


def _other_attributes(element: ET.Element, own: tuple[str, ...]) -> dict[str, Any]:
    attributes = {key: value for key, value in element.attrib.items() if key not in own}
    return {"attributes": attributes} if attributes else {}


def _is_control(element: ET.Element) -> bool:
    """A control or object of the interface (named; ``<Relations>`` is the one unnamed control)."""
    return bool(element.get("name")) or element.tag == "Relations"


def _text_object(root: ET.Element) -> ET.Element:
    texts = [element for element in root.iter("Text") if element.get("name") and element.get("value")]
    if not texts:
        raise ConfigError('it has no <Text name=... value="$..."> object: annotate works on text spans')
    return texts[0]


def _inside_control(element: ET.Element, parents: dict[ET.Element, ET.Element]) -> bool:
    """Whether ``element`` is a part of a control (a ``<Label>`` or ``<Choice>``), not a control itself."""
    parent = parents.get(element)
    while parent is not None:
        if parent.get("toName"):
            return True
        parent = parents.get(parent)
    return False


def _is_document_control(element: ET.Element, text_name: str | None) -> bool:
    """A ``<Choices>`` or ``<Taxonomy>`` that labels the whole text (not per region, not per token)."""
    if element.tag not in ("Choices", "Taxonomy") or element.get("toName") != text_name:
        return False
    if element.get("perRegion", "false").lower() == "true" or element.get("perItem", "false").lower() == "true":
        return False
    if element.tag == "Taxonomy" and (element.get("apiUrl") or element.get("userLabels")):
        return False  # options that come from elsewhere or grow while annotating: kept, not modelled
    return bool(element.findall("Choice")) and not element.get("value")


def _control_entry(element: ET.Element) -> dict[str, Any]:
    kind = "taxonomy" if element.tag == "Taxonomy" else element.get("choice", "single")
    if kind not in ("single", "multiple", "taxonomy"):
        kind = "single"
    entry: dict[str, Any] = {
        "name": element.get("name"),
        "kind": kind,
        "definition": element.get("hint") or PLACEHOLDER_DEFINITION,
        "options": _options(element),
    }
    return entry | _other_attributes(element, _CONTROL_OWN)


def _options(element: ET.Element) -> list[Any]:
    options: list[Any] = []
    for choice in element.findall("Choice"):
        value = choice.get("value") or choice.get("alias") or ""
        children = choice.findall("Choice")
        options.append({value: _options(choice)} if children else value)
    return options


def _label_entry(label: ET.Element) -> dict[str, Any]:
    entry: dict[str, Any] = {
        "name": label.get("value"),
        "definition": label.get("hint") or PLACEHOLDER_DEFINITION,
    }
    if label.get("background"):
        entry["color"] = label.get("background")
    if label.get("hotkey"):
        entry["hotkey"] = label.get("hotkey")
    return entry | _other_attributes(label, _LABEL_OWN)


def _xml_of(element: ET.Element) -> str:
    copy = ET.fromstring(ET.tostring(element, encoding="unicode"))
    copy.tail = None
    for part in copy.iter():
        part.tail = None if part is copy else (part.tail or "").strip() or None
        part.text = (part.text or "").strip() or None
    return ET.tostring(copy, encoding="unicode")


# -- comparing interfaces --------------------------------------------------------------------------------


def interface(config: str) -> dict[str, Any]:
    """A config as an interface: every control and object by name, with what a labeling depends on."""
    root = ET.fromstring(config)
    parents = {child: parent for parent in root.iter() for child in parent}
    found: dict[str, Any] = {}
    for element in root.iter():
        if not _is_control(element) or _inside_control(element, parents):
            continue
        name = element.get("name") or element.tag
        entry: dict[str, Any] = {"tag": element.tag, "attributes": _compared_attributes(element)}
        if element.tag.endswith("Labels") or element.tag == "Labels":
            entry["labels"] = {
                label.get("value"): {k: v for k, v in label.attrib.items() if k != "value"}
                for label in element.iter("Label")
            }
        if element.tag in ("Choices", "Taxonomy"):
            entry["options"] = _options(element)
        found[name] = entry
    return found


def _compared_attributes(element: ET.Element) -> dict[str, str]:
    attributes = dict(element.attrib)
    if element.tag == "Choices":
        attributes.setdefault("choice", "single")
    return attributes


def interface_differences(wanted: str, found: str) -> list[str]:
    """What differs between two configs as labeling interfaces, one sentence each ([] when the same)."""
    a, b = interface(wanted), interface(found)
    differences = [f"{_what(a[name])} '{name}' is not in the project" for name in a if name not in b]
    differences += [f"{_what(b[name])} '{name}' is not in the schema" for name in b if name not in a]
    for name in (name for name in a if name in b):
        differences += _entry_differences(name, a[name], b[name])
    return differences


def _entry_differences(name: str, a: dict[str, Any], b: dict[str, Any]) -> list[str]:
    if a["tag"] != b["tag"]:
        return [f"'{name}' is a <{a['tag']}> in the schema but a <{b['tag']}> in the project"]
    differences = []
    keys = sorted(
        k for k in a["attributes"].keys() | b["attributes"].keys() if a["attributes"].get(k) != b["attributes"].get(k)
    )
    if keys:
        differences.append(f"{_what(a)} '{name}' differs in {', '.join(keys)}")
    labels_a, labels_b = a.get("labels", {}), b.get("labels", {})
    differences += [f"label '{label}' is not in the project" for label in labels_a if label not in labels_b]
    differences += [f"label '{label}' is not in the schema" for label in labels_b if label not in labels_a]
    for label in (label for label in labels_a if label in labels_b):
        attrs_a, attrs_b = labels_a[label], labels_b[label]
        keys = sorted(k for k in attrs_a.keys() | attrs_b.keys() if attrs_a.get(k) != attrs_b.get(k))
        if keys:
            differences.append(f"label '{label}' differs in {', '.join(keys)}")
    if a.get("options") != b.get("options"):
        differences.append(f"the options of {_what(a)} '{name}' differ")
    return differences


def _what(entry: dict[str, Any]) -> str:
    return f"<{entry['tag']}>"
