"""Schemas made from other people's Label Studio configs, and the configs made back from them.

The configs are Label Studio's own text templates (as the package ships them) and two published
projects' configs (tests/fixtures/thirdparty/PROVENANCE.md): a schema made from each is written, loaded
and checked, and the config it gives back is the same labeling interface, so `push` to the project finds
no difference.
"""

from __future__ import annotations

import json
import uuid
from pathlib import Path

import pytest
import yaml

from annotate.labelconfig import ConfigError, interface_differences, schema_from_config
from annotate.schema import PLACEHOLDER_DEFINITION, load_schema

FIXTURES = Path(__file__).parent / "fixtures"
TEMPLATES = FIXTURES / "label-studio-templates"
THIRD_PARTY = FIXTURES / "thirdparty"
WITH_SPANS = ("named-entity-recognition", "question-answering", "relation-extraction")
WITHOUT_SPANS = (
    "content-moderation",
    "machine-translation",
    "taxonomy",
    "text-classification",
    "text-summarization",
)
PROJECT_CONFIGS = {"leoka": THIRD_PARTY / "leoka" / "config.xml", "aymurai": THIRD_PARTY / "aymurai" / "config.xml"}


def _schema_of(config: str, tmp_path: Path, name: str = "project"):
    path = tmp_path / f"{name}.yaml"
    path.write_text(yaml.safe_dump(schema_from_config(config, name), sort_keys=False, allow_unicode=True))
    return load_schema(path)


@pytest.mark.parametrize("template", WITH_SPANS)
def test_a_label_studio_template_with_spans_comes_back_as_the_same_interface(template, tmp_path):
    config = (TEMPLATES / f"{template}.xml").read_text(encoding="utf-8")
    schema = _schema_of(config, tmp_path)
    assert interface_differences(schema.label_config(), config) == []
    assert interface_differences(config, schema.label_config()) == []


@pytest.mark.parametrize("template", WITHOUT_SPANS)
def test_a_template_without_spans_is_refused_with_the_reason(template):
    with pytest.raises(ConfigError, match="no <Labels> control on its <Text"):
        schema_from_config((TEMPLATES / f"{template}.xml").read_text(encoding="utf-8"), "x")


def test_the_question_answering_template_keeps_its_second_text_and_its_label_names(tmp_path):
    schema = _schema_of((TEMPLATES / "question-answering.xml").read_text(encoding="utf-8"), tmp_path)
    assert (schema.span_control, schema.text_name, schema.text_key) == ("answer", "text", "text")
    assert schema.label_names == ["Answer"]
    assert schema.keep == ('<Text name="question" value="$question" />',)
    assert dict(schema.text_attributes) == {"granularity": "word"}


@pytest.mark.parametrize("project", sorted(PROJECT_CONFIGS))
def test_a_published_project_config_comes_back_as_the_same_interface(project, tmp_path):
    config = PROJECT_CONFIGS[project].read_text(encoding="utf-8")
    schema = _schema_of(config, tmp_path, project)
    assert interface_differences(schema.label_config(), config) == []
    assert interface_differences(config, schema.label_config()) == []
    schema.label_interface()  # the SDK validates it


def test_the_leoka_taxonomy_is_a_control_with_its_tree(tmp_path):
    schema = _schema_of(PROJECT_CONFIGS["leoka"].read_text(encoding="utf-8"), tmp_path, "leoka")
    category = schema.control("Category")
    assert category is not None and category.kind == "taxonomy"
    assert "Killed / Feloniously Killed" in category.option_names
    top = [option.value for option in category.options]
    assert all(" / " not in name for name in top)
    assert all(name in category.option_names for name in top)
    assert schema.keep == ()
    assert all(label.definition == PLACEHOLDER_DEFINITION for label in schema.labels)


def test_aymurai_per_region_choices_and_text_areas_are_kept_not_modelled(tmp_path):
    schema = _schema_of(PROJECT_CONFIGS["aymurai"].read_text(encoding="utf-8"), tmp_path, "aymurai")
    assert schema.controls == ()  # every <Choices> there is per region
    kept = " ".join(schema.keep)
    assert 'perRegion="true"' in kept and "<TextArea" in kept and "<Filter" in kept
    assert "RELACION_Y_TIPO_ENTRE_ACUSADO/A_Y_DENUNCIANTE" in schema.label_names
    assert {label.color for label in schema.labels} >= {"orange", "Magenta"}


@pytest.mark.parametrize(
    ("change", "said"),
    [
        (lambda c: c.replace('value="PER" background="red"', 'value="PER" background="blue"'), "label 'PER' differs"),
        (lambda c: c.replace('<Label value="MISC" background="green"/>', ""), "label 'MISC' is not in the project"),
        (lambda c: c.replace('name="label"', 'name="entities"'), "<Labels> 'label' is not in the project"),
        (
            lambda c: c.replace("</View>", '<Choices name="topic" toName="text"><Choice value="a"/></Choices></View>'),
            "<Choices> 'topic' is not in the schema",
        ),
    ],
)
def test_a_difference_in_the_interface_is_named(change, said, tmp_path):
    config = (TEMPLATES / "named-entity-recognition.xml").read_text(encoding="utf-8")
    schema = _schema_of(config, tmp_path)
    differences = interface_differences(schema.label_config(), change(config))
    assert any(said in difference for difference in differences), differences


def test_a_changed_taxonomy_tree_is_a_difference(tmp_path):
    config = PROJECT_CONFIGS["leoka"].read_text(encoding="utf-8")
    schema = _schema_of(config, tmp_path, "leoka")
    moved = config.replace('<Choice value="Killed">', '<Choice value="Slain">', 1)
    assert moved != config
    assert "the options of <Taxonomy> 'Category' differ" in interface_differences(schema.label_config(), moved)


def test_layout_alone_is_no_difference(tmp_path):
    config = (TEMPLATES / "named-entity-recognition.xml").read_text(encoding="utf-8")
    schema = _schema_of(config, tmp_path)
    styled = config.replace("<View>", '<View style="display: flex"><Header value="Read it"/>', 1)
    assert interface_differences(schema.label_config(), styled) == []


# -- the CLI ---------------------------------------------------------------------------------------------


def test_schema_from_config_writes_the_schema_makes_it_the_workspace_s_and_warns_of_placeholders(cli, workspace):
    config = PROJECT_CONFIGS["leoka"]
    result = cli("schema", "from-config", str(config), "--name", "leoka", "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert report["path"] == "schemas/leoka.yaml" and report["controls"] == ["Category"]
    assert "WARNING: schemas/leoka.yaml:" in result.stderr and "without a definition yet" in result.stderr
    assert yaml.safe_load((workspace.root / "annotate.yaml").read_text())["schema"] == "schemas/leoka.yaml"
    assert (workspace.root / "annotate.yaml").read_text().startswith("# annotate workspace")  # comments kept
    check = cli("schema", "check", workspace=workspace)
    assert check.exit_code == 0 and "controls Category" in check.stdout
    assert f"{len(report['placeholders'])} without a definition yet" in check.stderr
    shown = cli("schema", "config", workspace=workspace)
    assert interface_differences(shown.stdout, config.read_text(encoding="utf-8")) == []
    again = cli("schema", "from-config", str(config), "--name", "leoka", workspace=workspace)
    assert again.exit_code == 1 and again.stderr.count("\n") == 1
    assert "schemas/leoka.yaml exists already" in again.stderr
    assert (
        cli("schema", "from-config", str(config), "--name", "leoka", "--overwrite", workspace=workspace).exit_code == 0
    )


def test_schema_from_config_refuses_a_config_without_spans_in_one_line(cli, workspace):
    result = cli("schema", "from-config", str(TEMPLATES / "text-classification.xml"), workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "Traceback" not in result.stderr
    assert "cannot become a schema: it has no <Labels> control" in result.stderr
    assert yaml.safe_load((workspace.root / "annotate.yaml").read_text())["schema"] == "schemas/conflict-spans.yaml"


def test_schema_from_project_then_push_finds_no_difference(cli, workspace, label_studio):
    from annotate import push
    from annotate.schema import load_schema
    from annotate.workspace import open_workspace

    title = f"Police narratives {uuid.uuid4().hex[:8]}"
    config = PROJECT_CONFIGS["leoka"].read_text(encoding="utf-8")
    label_studio.client.projects.create(title=title, label_config=config)
    result = cli("schema", "from-project", "--project", title, *label_studio.connection_args(), workspace=workspace)
    assert result.exit_code == 0, result.stderr
    assert f"schemas/{title.lower().replace(' ', '-')}.yaml" in result.stdout
    schema = load_schema(open_workspace(workspace.root).schema_path)
    setup = push.ensure_project(label_studio.studio, title, schema)
    assert (setup.created, setup.config_updated) == (False, False)
    assert push.config_differences(setup.project.label_config, schema) == []
