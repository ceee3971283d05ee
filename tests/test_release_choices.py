"""Releases of a schema with document-level controls: a column per control in both configs, loaded back
with the real ``datasets`` loader; the card names the controls, their options and their agreement."""

from __future__ import annotations

import json

import datasets
import pytest
import yaml

from annotate import release
from annotate.gold import gold
from annotate.release.dataset import choice_columns

from .choices import CATEGORY, CHOICE_SCHEMA, SETTING, SEVERITY, add_texts, choice_record, use_choice_schema
from .records import write_records

A, B = "ann-01", "ann-02"


pytestmark = pytest.mark.usefixtures("datasets_cache")


@pytest.fixture
def settled(workspace, tmp_path):
    """Three articles, two annotators; the second article's Severity is in conflict (Minor against Serious)."""
    schema = use_choice_schema(workspace)
    first, second, third = add_texts(workspace, tmp_path)
    fatal = {"Severity": ["Fatal"], "Setting": ["Traffic stop", "Ambush"],
             "text": ["Killed", "Killed / Feloniously Killed"]}  # fmt: skip
    write_records(
        workspace.annotations_path,
        [
            choice_record(first, A, fatal, [("Red Brigade", "armed group")]),
            choice_record(first, B, fatal, [("Red Brigade", "armed group")]),
            choice_record(second, A, {"Severity": ["Minor"], "Setting": ["Domestic call"], "text": ["Assaulted"]}),
            choice_record(second, B, {"Severity": ["Serious"], "Setting": ["Domestic call"], "text": ["Assaulted"]}),
            choice_record(third, A, {"text": ["Killed / Accidentally Killed"]}),
            choice_record(third, B, {"text": ["Killed / Accidentally Killed"]}),
        ],
    )
    gold(workspace)
    return workspace, schema, (first, second, third)


def rows_of(folder, config):
    loaded = datasets.load_dataset(str(folder), config)
    return loaded, {(row["article_id"], row.get("annotator")): row for split in loaded for row in loaded[split]}


def test_each_control_is_a_column_the_datasets_loader_gives_back(settled):
    workspace, schema, (first, second, third) = settled
    summary = release.publish(workspace, "1.0.0", include_conflicts=True)
    assert choice_columns(schema) == {"Severity": "Severity", "Setting": "Setting", "text": "choice_text"}
    gold_set, rows = rows_of(workspace.release_dir, "gold")
    features = gold_set[next(iter(gold_set))].features
    assert features["Severity"] == datasets.ClassLabel(names=SEVERITY)
    assert features["Setting"] == datasets.List(datasets.ClassLabel(names=SETTING))
    assert features["choice_text"] == datasets.List(datasets.ClassLabel(names=CATEGORY))
    assert features["text"] == datasets.Value("string")  # the article's text keeps its column
    assert list(features)[-1] == "split"

    def decoded(row, column):
        feature = features[column]
        if isinstance(feature, datasets.ClassLabel):
            return None if row[column] == -1 else feature.int2str(row[column])
        return [feature.feature.int2str(code) for code in row[column]]

    one, two, three = (rows[(article["id"], None)] for article in (first, second, third))
    assert [decoded(one, c) for c in ("Severity", "Setting", "choice_text")] == [
        "Fatal",
        ["Traffic stop", "Ambush"],
        ["Killed", "Killed / Feloniously Killed"],
    ]
    assert decoded(two, "Severity") is None and two["Severity"] == -1  # in conflict: nothing settled
    assert decoded(two, "Setting") == ["Domestic call"]
    assert (decoded(three, "Severity"), decoded(three, "choice_text")) == (None, ["Killed / Accidentally Killed"])
    annotations, by_annotator = rows_of(workspace.release_dir, "annotations")
    assert annotations[next(iter(annotations))].features["choice_text"] == features["choice_text"]
    assert by_annotator[(second["id"], A)]["Severity"] == SEVERITY.index("Minor")
    assert by_annotator[(second["id"], B)]["Severity"] == SEVERITY.index("Serious")
    assert summary.as_dict()["choices"]["Severity"] == {"Minor": 0, "Serious": 0, "Fatal": 1, "(none)": 2}
    manifest = json.loads((workspace.release_dir / "manifest.json").read_text())
    assert manifest["counts"]["choices"]["text"]["Assaulted"] == 1


def test_the_card_lists_the_controls_their_counts_and_agreement(settled, monkeypatch):
    workspace = settled[0]
    seen = {}
    measured = release.agreement_figures

    def with_choices(*args, **kwargs):
        figures = measured(*args, **kwargs)
        seen.update(figures)
        return figures

    monkeypatch.setattr(release, "agreement_figures", with_choices)
    release.publish(workspace, "1.0.0", include_conflicts=True)
    card = (workspace.release_dir / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["task_categories"] == ["token-classification", "text-classification"]
    assert front["task_ids"] == ["named-entity-recognition", "multi-class-classification", "multi-label-classification"]
    body = card.split("---\n", 2)[2]
    assert (
        "`choice_text` (a list of `ClassLabel`: any number of options of a tree" in body
        and "for the control `text`" in body
    )
    assert "### Severity (the whole text: choose one option)" in body
    assert "- Killed\n  - Feloniously Killed\n  - Accidentally Killed\n- Assaulted" in body
    assert "| Severity | Fatal | 1 |" in body and "| Severity | (none) | 2 |" in body
    assert "Document-level choices are settled by the same strategy" in body and "### Document-level choices" in body
    from annotate.agreement import format as agreement_format

    tables = agreement_format.choice_tables(seen)
    assert [table.title.split(" ")[0] for table in tables] == ["Severity", "Setting", "text"]
    for table in tables:  # the card shows what `annotate agreement` prints, through the one formatter
        assert f"**{table.title}**" in body
        assert "\n".join(agreement_format.markdown_table(table)) in body


def test_an_annotation_with_an_option_the_schema_lacks_is_left_out_of_the_annotations_config(settled):
    workspace, _, (first, _, _) = settled
    records = list(workspace.read_annotations())
    records.append(choice_record(first, "ann-03", {"Severity": ["Lethal"]}))
    write_records(workspace.annotations_path, records)
    summary = release.publish(workspace, "1.0.0", include_conflicts=True)
    assert summary.as_dict()["annotations"]["excluded"] == {"choices_not_in_schema": 1}
    _, rows = rows_of(workspace.release_dir, "annotations")
    assert len(rows) == 6


def test_gold_settled_without_the_controls_is_refused_in_one_line(settled, cli):
    workspace = settled[0]
    records = [json.loads(line) for line in workspace.gold_path.read_text().splitlines()]
    for record in records:
        record.pop("choices")
    write_records(workspace.gold_path, records)
    said = cli("publish", "--version", "1.0.0", "--include-conflicts", workspace=workspace)
    assert said.exit_code == 1
    assert said.stderr.startswith("Error: gold/gold.jsonl line ") and "was settled without the schema's control" in (
        said.stderr
    )
    assert not workspace.release_dir.exists()


# -- diff and changelog ------------------------------------------------------------------------------------


def test_diff_and_the_changelog_name_the_article_whose_settled_choice_changed(settled, cli):
    workspace, _, (_, second, _) = settled
    release.publish(workspace, "1.0.0", include_conflicts=True)
    records = list(workspace.read_annotations())
    for record in records:  # ann-02 now agrees: the second article's Severity is settled (nothing was)
        if (record["article_id"], record["annotator"]) == (second["id"], B):
            record["choices"]["Severity"] = ["Minor"]
    write_records(workspace.annotations_path, records)
    gold(workspace)
    summary = release.publish(workspace, "1.1.0", include_conflicts=True)
    result = cli("diff", "1.0.0", "1.1.0", "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    changes = json.loads(result.stdout)
    unchanged = {"status": "kept", "changed": 0, "articles": [], "options_added": [], "options_removed": []}
    assert changes["choices"] == {
        "Severity": {**unchanged, "changed": 1, "articles": [second["id"]]},
        "Setting": unchanged,
        "choice_text": unchanged,
    }
    assert summary.changes["choices"] == changes["choices"]
    assert changes["spans"]["added"] == changes["spans"]["removed"] == changes["articles"]["added"] == 0
    line = f"Choice column 'Severity': settled choice changed in 1 of the articles in both versions ({second['id']})."
    text = cli("diff", "1.0.0", "1.1.0", workspace=workspace).stdout.splitlines()
    assert line in text
    assert "Choice column 'Setting': settled choice changed in 0 of the articles in both versions." in text
    changelog = (workspace.release_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    entry = changelog.split("## 1.1.0\n")[1].split("## 1.0.0\n")[0]
    assert f"- {line}\n" in entry and entry.count("- Choice column") == 3
    assert "Choice column" not in changelog.split("## 1.0.0\n")[1]  # the first release has nothing to compare


SCHEMA_1_1 = (
    CHOICE_SCHEMA.replace("options: [Minor, Serious, Fatal]", "options: [Unhurt, Minor, Serious, Fatal]")
    .split("  - name: text\n")[0]
    .replace("controls:\n", "controls:\n  - name: Weapon\n    kind: single\n    options: [Firearm, Blade]\n")
)


def test_a_schema_change_compares_option_names_and_reports_columns_added_and_removed(settled, cli):
    workspace, _, (first, _, _) = settled
    release.publish(workspace, "1.0.0", include_conflicts=True)
    (workspace.root / "schemas" / "incidents.yaml").write_text(SCHEMA_1_1, encoding="utf-8")
    records = list(workspace.read_annotations())
    for record in records:  # "text" is no longer a control; Weapon is new (chosen for the first article)
        chosen = record["choices"]
        del chosen["text"]
        chosen["Weapon"] = ["Firearm"] if record["article_id"] == first["id"] else []
    write_records(workspace.annotations_path, records)
    gold(workspace)
    release.publish(workspace, "1.1.0", include_conflicts=True)
    changes = json.loads(cli("diff", "1.0.0", "1.1.0", "--json", workspace=workspace).stdout)
    # Fatal is class 2 in 1.0.0 and 3 in 1.1.0: the same name, so no change.
    unchanged = {"status": "kept", "changed": 0, "articles": [], "options_added": [], "options_removed": []}
    assert changes["choices"] == {
        "Weapon": {"status": "added"},
        "Severity": {**unchanged, "options_added": ["Unhurt"]},
        "Setting": unchanged,
        "choice_text": {"status": "removed"},
    }
    text = cli("diff", "1.0.0", "1.1.0", workspace=workspace).stdout
    assert "Choice column 'Weapon': new (not in 1.0.0).\n" in text
    assert "Choice column 'choice_text': removed (in 1.0.0, not in 1.1.0).\n" in text
    assert "in both versions; options added: Unhurt.\n" in text
    changelog = (workspace.release_dir / "CHANGELOG.md").read_text(encoding="utf-8")
    assert "- Choice column 'Weapon': new (not in 1.0.0).\n" in changelog
