"""The schema file, its checks, and what is derived from it."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest
import yaml

from annotate.errors import AnnotateError
from annotate.schema import load_schema
from annotate.workspace import default_schema_text

from .conftest import REPO

SCHEMA = REPO / "schemas" / "conflict-spans.yaml"


def test_bundled_schema_has_the_four_ace_labels_in_order():
    schema = load_schema(SCHEMA)
    assert schema.name == "conflict-spans"
    assert schema.version == "1.0.0"
    assert schema.label_names == ["actor", "weapon", "casualty", "location"]
    for label in schema.labels:
        assert label.definition and label.notes and label.positive_examples and label.negative_examples


def test_bio_tags_are_o_then_b_i_per_label_in_schema_order():
    assert load_schema(SCHEMA).bio_tags == [
        "O",
        "B-actor",
        "I-actor",
        "B-weapon",
        "I-weapon",
        "B-casualty",
        "I-casualty",
        "B-location",
        "I-location",
    ]


def test_label_config_is_valid_for_label_studio_and_carries_every_label():
    from label_studio_sdk.label_interface import LabelInterface

    schema = load_schema(SCHEMA)
    config = schema.label_config()
    interface = LabelInterface(config)
    interface.validate()
    root = ET.fromstring(config)
    labels = root.find("Labels")
    assert labels.get("name") == "label" and labels.get("toName") == "text"
    assert [(tag.get("value"), tag.get("background"), tag.get("hotkey")) for tag in labels] == [
        (label.name, label.color, label.hotkey) for label in schema.labels
    ]
    assert root.find("Text").get("value") == "$text"


def test_class_label_features_follow_the_schema():
    schema = load_schema(SCHEMA)
    assert schema.span_label_feature().names == schema.label_names
    assert schema.ner_tag_feature().names == schema.bio_tags
    assert schema.ner_tag_feature().str2int("B-casualty") == 5


def test_packaged_default_schema_is_the_repository_schema():
    assert default_schema_text() == SCHEMA.read_text(encoding="utf-8")


def test_definition_with_xml_special_characters_is_escaped_in_the_config(tmp_path):
    raw = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    raw["labels"][0]["definition"] = 'Attacker <e.g. "gunmen" & co>'
    path = tmp_path / "s.yaml"
    path.write_text(yaml.safe_dump(raw), encoding="utf-8")
    config = load_schema(path).label_config()
    assert ET.fromstring(config).find("Labels")[0].get("hint") == 'Attacker <e.g. "gunmen" & co>'


def _broken(tmp_path: Path, edit) -> Path:
    raw = yaml.safe_load(SCHEMA.read_text(encoding="utf-8"))
    edit(raw)
    path = tmp_path / "broken.yaml"
    path.write_text(yaml.safe_dump(raw, sort_keys=False), encoding="utf-8")
    return path


def _set(index, key, value):
    def edit(raw):
        raw["labels"][index][key] = value

    return edit


BROKEN = {
    "duplicate label": (
        lambda raw: raw["labels"].append({**raw["labels"][0], "hotkey": "x"}),
        "labels[4].name 'actor' is defined twice",
    ),
    "duplicate label differing in case": (
        lambda raw: raw["labels"].append({**raw["labels"][1], "name": "Weapon", "hotkey": "x"}),
        "labels[4].name 'Weapon' is defined twice",
    ),
    "missing definition": (
        lambda raw: raw["labels"][2].pop("definition"),
        "labels[2] (casualty).definition is missing",
    ),
    "empty definition": (_set(2, "definition", "  "), "labels[2] (casualty).definition is missing"),
    "bad colour name": (_set(1, "color", "light red"), "labels[1] (weapon).color 'light red' is not a colour like"),
    "bad colour digits": (_set(1, "color", "#12345g"), "labels[1] (weapon).color '#12345g' is not a colour like"),
    "label named O": (_set(0, "name", "O"), "labels[0].name 'O' is reserved"),
    "label breaking XML": (_set(3, "name", 'loc"ation'), "labels[3].name 'loc\"ation' must not hold tabs"),
    "label with angle bracket": (_set(3, "name", "loc<ation>"), "labels[3].name 'loc<ation>' must not hold"),
    "label with a tab": (_set(3, "name", "place\tname"), "labels[3].name 'place\tname' must not hold"),
    "label with an ampersand": (_set(3, "name", "A&B"), "labels[3].name 'A&B' must not hold"),
    "unknown top-level key": (lambda raw: raw.update(colour="x"), "colour is not a known key"),
    "unknown label key": (_set(0, "colour", "#ffffff"), "labels[0].colour is not a known key"),
    "unknown examples key": (
        _set(0, "examples", {"good": ["x"]}),
        "labels[0] (actor).examples.good is not a known key",
    ),
    "duplicate hotkey": (_set(1, "hotkey", "a"), "labels[1].hotkey 'a' is already used by label 'actor'"),
    "bad hotkey": (_set(1, "hotkey", "ctrl w"), "labels[1] (weapon).hotkey 'ctrl w' must be a key like"),
    "bad version": (lambda raw: raw.update(version="1.0"), "version '1.0' is not a version like 1.0.0"),
    "no labels": (lambda raw: raw.update(labels=[]), "labels must be a non-empty list"),
    "missing name": (lambda raw: raw.pop("name"), "name is missing"),
    "notes not a list": (_set(0, "notes", "one note"), "labels[0] (actor).notes must be a list of texts"),
}


@pytest.mark.parametrize("case", sorted(BROKEN))
def test_broken_schema_names_the_file_and_the_field(tmp_path, case):
    edit, expected = BROKEN[case]
    path = _broken(tmp_path, edit)
    with pytest.raises(AnnotateError) as caught:
        load_schema(path)
    message = str(caught.value)
    assert message.startswith(f"{path}: ") or message.startswith(f"{path} line")
    assert expected in message
    assert "\n" not in message


def test_yaml_syntax_error_gives_line_and_column(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("name: x\nversion: 1.0.0\nlabels: [\n  - name: actor\n", encoding="utf-8")
    with pytest.raises(AnnotateError) as caught:
        load_schema(path)
    assert str(caught.value).startswith(f"{path} line ")
    assert "Fix the YAML syntax" in str(caught.value)


def test_a_key_written_twice_is_refused_not_silently_overwritten(tmp_path):
    text = SCHEMA.read_text(encoding="utf-8").replace("    hotkey: w\n", "    hotkey: w\n    hotkey: q\n")
    path = tmp_path / "twice.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(AnnotateError) as caught:
        load_schema(path)
    assert "key 'hotkey' appears twice" in str(caught.value)


def test_cli_schema_config_prints_the_config(cli, workspace):
    result = cli("schema", "config", workspace=workspace)
    assert result.exit_code == 0
    assert result.stdout.strip() == load_schema(workspace.schema_path).label_config().strip()


def test_cli_schema_check_reports_a_broken_schema_in_one_line(cli, workspace):
    workspace.schema_path.write_text(
        workspace.schema_path.read_text(encoding="utf-8").replace('"#1f77b4"', '"dark blue"'), encoding="utf-8"
    )
    result = cli("schema", "check", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.strip().count("\n") == 0
    assert "labels[1] (weapon).color 'dark blue' is not a colour like" in result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_cli_schema_tags_json(cli, workspace):
    import json

    result = cli("schema", "tags", "--json", workspace=workspace)
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["schema"] == "conflict-spans-1.0.0"
    assert data["bio_tags"][:3] == ["O", "B-actor", "I-actor"]
