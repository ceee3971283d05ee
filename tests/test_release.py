"""Releases: `annotate publish` and `annotate diff`, checked with the real `datasets` loader and real git.

Gold comes from ``annotate.gold.gold`` over the simulated Label Studio export (imported with
``annotate.imports.import_export``); tests that need a particular change write gold records by hand.
Only the Hugging Face Hub is faked, at its HTTP boundary.
"""

from __future__ import annotations

import hashlib
import json
import subprocess
from collections import Counter
from pathlib import Path

import datasets
import numpy as np
import orjson
import pyarrow.parquet as pq
import pytest
import yaml

from annotate import agreement, corpus, gold, release
from annotate.errors import AnnotateError
from annotate.release import changes
from annotate.schema import load_schema
from annotate.spans import Span
from annotate.tokens import tokenize

from .conftest import SIMULATED_EXPORT
from .records import gold_record, span_at, write_records

pytestmark = pytest.mark.usefixtures("datasets_cache")


@pytest.fixture
def annotated(simulated):
    """The bundled corpus with the three simulated annotators' work imported, and gold settled by majority."""
    gold.gold(simulated)  # majority: 16 of the 36 articles complete, 20 with open conflicts
    return simulated


def add_articles(workspace, tmp_path, articles, name="more.jsonl"):
    """Hand-made articles into the corpus; returns them as stored (ids, sha256)."""
    path = tmp_path / name
    path.write_text("".join(json.dumps(a) + "\n" for a in articles), encoding="utf-8")
    corpus.add(workspace, [path])
    stored = {a["text"]: a for a in workspace.read_articles()}
    return [stored[a["text"]] for a in articles]


def load(release_dir, config):
    return datasets.load_dataset(str(release_dir), config)


def split_of(release_dir):
    gold = load(release_dir, "gold")
    return {row["article_id"]: row["split"] for split in gold for row in gold[split]}


def tree_digest(folder: Path) -> dict[str, str]:
    return {
        str(p.relative_to(folder)): hashlib.sha256(p.read_bytes()).hexdigest()
        for p in sorted(folder.rglob("*"))
        if p.is_file()
    }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


# -- the round trip through datasets -------------------------------------------------------------------


def test_load_dataset_gives_back_the_gold_rows_features_and_split_sizes(annotated):
    records = {r["article_id"]: r for r in annotated.read_gold()}
    complete = {aid for aid, r in records.items() if not r["conflicts"]}
    articles = {a["id"]: a for a in annotated.read_articles()}
    summary = release.publish(annotated, "1.0.0", include_conflicts=True)
    schema = load_schema(annotated.schema_path)
    gold = load(annotated.release_dir, "gold")
    assert sum(gold[s].num_rows for s in gold) == len(records) == summary.published
    assert gold["train"].features == release.features(schema)["gold"]
    assert gold["train"].features["ner_tags"].feature.names == schema.bio_tags
    assert gold["train"].features["spans"].feature["label"].names == schema.label_names
    misaligned = 0
    for split in gold:
        assert summary.articles_per_split[split] == gold[split].num_rows
        for row in gold[split]:
            assert row["split"] == split
            article, record = articles[row["article_id"]], records[row["article_id"]]
            assert row["text"] == article["text"] and row["title"] == article["title"]
            labels = gold[split].features["spans"].feature["label"].names
            got = [(s["start"], s["end"], labels[s["label"]], s["text"]) for s in row["spans"]]
            assert got == [(s["start"], s["end"], s["label"], s["text"]) for s in record["spans"]]
            tokens = list(zip(row["token_starts"], row["token_ends"], strict=True))
            assert tokens == tokenize(article["text"])
            assert row["tokens"] == [article["text"][a:b] for a, b in tokens]
            # Aligned spans come back exactly from the BIO tags; misaligned ones are -1 on their tokens.
            starts, ends = set(row["token_starts"]), set(row["token_ends"])
            aligned = [Span(s[0], s[1], s[2]) for s in got if s[0] in starts and s[1] in ends]
            bad = [Span(s[0], s[1], s[2]) for s in got if not (s[0] in starts and s[1] in ends)]
            misaligned += len(bad)
            assert release.ner_tags_to_spans(tokens, row["ner_tags"], schema.bio_tags) == sorted(aligned)
            for span in bad:
                touched = [i for i, (a, b) in enumerate(tokens) if a < span.end and span.start < b]
                assert touched and all(row["ner_tags"][i] == -1 for i in touched)
    assert misaligned == len(summary.misaligned) >= 1
    assert summary.published_with_conflicts == len(records) - len(complete)
    annotations = load(annotated.release_dir, "annotations")
    submitted = [r for r in annotated.read_annotations() if r["status"] == "submitted"]
    assert sum(annotations[s].num_rows for s in annotations) == len(submitted)
    assert {r["annotator"] for s in annotations for r in annotations[s]} == {r["annotator"] for r in submitted}


def test_articles_with_open_conflicts_are_held_back_by_default_and_listed(annotated, tmp_path, cli):
    records = list(annotated.read_gold())
    # Settle half the conflicted articles (drop their conflicts) so both kinds are present.
    for record in records[::2]:
        record["conflicts"] = []
    write_records(annotated.gold_path, records)
    held = sorted(r["article_id"] for r in records if r["conflicts"])
    result = cli("publish", "--version", "1.0.0", "--json", workspace=annotated)
    assert result.exit_code == 0, result.stderr
    report = json.loads(result.stdout)
    assert sorted(report["held_back"]["articles"]) == held
    assert report["published"] + report["held_back"]["count"] == report["gold_records"] == len(records)
    gold = load(annotated.release_dir, "gold")
    published = {row["article_id"] for s in gold for row in gold[s]}
    assert published.isdisjoint(held) and len(published) == report["published"]
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    assert manifest["conflicts"]["policy"] == "held back" and sorted(manifest["conflicts"]["held_back"]) == held
    # The held-back articles are where annotators disagreed: the card also gives the whole project's figure.
    whole = agreement.report(annotated)["span_f1"]["strict"]["micro"]["value"]
    assert manifest["agreement"]["all_annotated_articles"]["strict_f1"]["value"] == whole
    assert manifest["agreement"]["all_annotated_articles"]["documents"] == 36
    card = (annotated.release_dir / "README.md").read_text()
    assert f"over all 36 annotated articles, held-back ones included, strict span F1 is {whole:.3f} [" in card
    text = cli("publish", "--version", "1.0.1", workspace=annotated).stdout
    assert f"Held back {len(held)} article(s) with open conflicts" in text and "annotate adjudicate push" in text


def test_nothing_to_publish_when_every_article_has_conflicts(annotated, cli):
    gold.gold(annotated, strategy="adjudicated")  # nothing adjudicated yet: every article awaits it
    assert all(r["conflicts"] for r in annotated.read_gold())
    result = cli("publish", "--version", "1.0.0", workspace=annotated)
    assert result.exit_code == 1
    assert result.stderr.count("\n") == 1 and "--include-conflicts" in result.stderr
    assert not annotated.release_dir.exists()


# -- card and manifest ---------------------------------------------------------------------------------


def test_card_yaml_is_generated_from_what_was_written(annotated):
    config_path = annotated.root / "annotate.yaml"
    config = yaml.safe_load(config_path.read_text())
    config.update(license="cc-by-sa-4.0", language=["en", "fr"])
    config_path.write_text(yaml.safe_dump(config))
    from annotate.workspace import open_workspace

    workspace = open_workspace(annotated.root)
    release.publish(workspace, "1.0.0", include_conflicts=True)
    card = (workspace.release_dir / "README.md").read_text(encoding="utf-8")
    front = yaml.safe_load(card.split("---\n")[1])
    assert front["license"] == "cc-by-sa-4.0" and front["language"] == ["en", "fr"]
    assert front["task_categories"] == ["token-classification"]
    assert front["task_ids"] == ["named-entity-recognition"]
    infos = {info["config_name"]: info for info in front["dataset_info"]}
    configs = {c["config_name"]: c for c in front["configs"]}
    assert set(infos) == set(configs) == {"gold", "annotations"} and configs["gold"].get("default") is True
    schema = load_schema(workspace.schema_path)
    for name in ("gold", "annotations"):
        loaded = load(workspace.release_dir, name)
        assert {s["name"]: s["num_examples"] for s in infos[name]["splits"]} == {s: loaded[s].num_rows for s in loaded}
        assert datasets.Features._from_yaml_list(infos[name]["features"]) == release.features(schema)[name]
        for entry in configs[name]["data_files"]:
            assert (workspace.release_dir / entry["path"]).is_file()
        parquet_bytes = sum((workspace.release_dir / e["path"]).stat().st_size for e in configs[name]["data_files"])
        assert infos[name]["download_size"] == parquet_bytes
    # The body: label guide, agreement with intervals, settling, counts, misaligned spans, changelog.
    body = card.split("---\n", 2)[2]
    for label in schema.labels:
        assert f"### {label.name}" in body and label.definition in body
    assert "## Inter-annotator agreement" in body and "| all | 0." in body and "[0." in body
    assert "Spans by how they were settled: unanimous" in body
    assert "Culiacán" in body  # the misaligned span of the bundled corpus, named
    assert "### 1.0.0" in body and "First release" in body


def test_manifest_hashes_verify(annotated):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    folder = annotated.release_dir
    manifest = json.loads((folder / "manifest.json").read_text())
    assert manifest["version"] == "1.0.0"
    from annotate import __version__

    assert manifest["tool"] == {"name": "annotate", "version": __version__}
    schema = load_schema(annotated.schema_path)
    assert manifest["schema"] == {
        "name": schema.name,
        "version": schema.version,
        "sha256": sha256(annotated.schema_path),
    }
    assert manifest["corpus"]["sha256"] == sha256(annotated.articles_path)
    exports = sorted(annotated.exports_dir.iterdir())
    assert [(e["name"], e["sha256"]) for e in manifest["exports"]["files"]] == [(p.name, sha256(p)) for p in exports]
    written = [*(str(p.relative_to(folder)) for p in folder.rglob("*.parquet")), "splits.jsonl"]
    assert sorted(manifest["data_files"]) == sorted(written)
    for name, digest in manifest["data_files"].items():
        assert sha256(folder / name) == digest
    assert len(manifest["splits"]["salt"]) == 32
    counts = manifest["counts"]
    assert sum(counts["articles_per_split"].values()) == counts["articles"]
    assert counts["spans"]["total"] == sum(len(r["spans"]) for r in annotated.read_gold())


# -- versions and git ----------------------------------------------------------------------------------


def test_release_is_a_git_repository_with_one_tagged_commit_per_version(annotated):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    release.publish(annotated, "1.0.1", include_conflicts=True)
    folder = annotated.release_dir
    log = subprocess.run(
        ["git", "-C", folder, "log", "--format=%an <%ae>|%cn <%ce>|%s"], capture_output=True, text=True
    )
    assert log.stdout.splitlines() == [
        "annotate <annotate@localhost>|annotate <annotate@localhost>|Release v1.0.1",
        "annotate <annotate@localhost>|annotate <annotate@localhost>|Release v1.0.0",
    ]
    assert release.versions(folder) == ["1.0.0", "1.0.1"]
    status = subprocess.run(["git", "-C", folder, "status", "--porcelain"], capture_output=True, text=True)
    assert status.stdout == ""
    assert not [p for p in annotated.releases_dir.iterdir() if p.name.startswith(".")]  # no build left behind


@pytest.mark.parametrize(
    ("version", "message"),
    [
        ("1.0.0", "Error: Version 1.0.0 is already published in"),  # with other ratios: other inputs
        ("0.9.9", "Error: Version 0.9.9 is lower than the latest release, 1.0.0, in"),
        ("1.0", "Error: Version '1.0' is not X.Y.Z"),
    ],
)
def test_a_version_that_exists_goes_backwards_or_is_malformed_is_refused(annotated, cli, version, message):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    before = tree_digest(annotated.releases_dir)
    result = cli("publish", "--version", version, "--include-conflicts", "--ratios", "0.7,0.2,0.1", workspace=annotated)
    assert result.exit_code in (1, 2)
    assert result.stderr.startswith(message) and result.stderr.count("\n") == 1
    assert tree_digest(annotated.releases_dir) == before


def test_the_same_version_from_the_same_inputs_again_writes_nothing_and_succeeds(annotated, cli):
    """A re-run of a pipeline that changed nothing must not fail; any changed input is refused."""
    release.publish(annotated, "1.0.0", include_conflicts=True)
    before = tree_digest(annotated.releases_dir)
    again = cli("publish", "--version", "1.0.0", "--include-conflicts", "--json", workspace=annotated)
    assert again.exit_code == 0, again.stderr
    assert json.loads(again.stdout)["unchanged"] is True
    assert tree_digest(annotated.releases_dir) == before
    with annotated.annotations_path.open("a", encoding="utf-8") as out:
        out.write("\n")  # the annotations file is an input: any change to it is another release
    changed = cli("publish", "--version", "1.0.0", "--include-conflicts", workspace=annotated)
    assert changed.exit_code == 1 and "from other inputs than these" in changed.stderr


def test_a_schema_change_needs_a_new_major_or_minor_version(annotated, cli):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    schema_file = annotated.schema_path
    schema_file.write_text(schema_file.read_text().replace("version: 1.0.0", "version: 1.0.1"), encoding="utf-8")
    before = tree_digest(annotated.releases_dir)
    result = cli("publish", "--version", "1.0.1", "--include-conflicts", workspace=annotated)
    assert result.exit_code == 1
    assert "The schema changed since 1.0.0 (version 1.0.0 -> 1.0.1; sha256 " in result.stderr
    assert "(e.g. 1.1.0)" in result.stderr and tree_digest(annotated.releases_dir) == before
    assert cli("publish", "--version", "1.1.0", "--include-conflicts", workspace=annotated).exit_code == 0


def test_a_failed_check_leaves_the_previous_version_intact(annotated, monkeypatch):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    before = tree_digest(annotated.releases_dir)

    def failing_check(folder, schema, sizes, samples=None):
        assert (folder / "README.md").exists()  # the new version was fully built before the check
        raise AnnotateError(release.Messages.RELEASE_CHECK_FAILED, config="gold", problem="split sizes (simulated)")

    monkeypatch.setattr(release, "check_release", failing_check)
    with pytest.raises(AnnotateError, match="previous version is intact"):
        release.publish(annotated, "1.1.0", include_conflicts=True)
    assert tree_digest(annotated.releases_dir) == before
    assert release.versions(annotated.release_dir) == ["1.0.0"]


def test_the_check_compares_what_was_loaded_with_what_was_written(annotated):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    schema = load_schema(annotated.schema_path)
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    sizes = {
        name: {split: {"num_examples": count} for split, count in counts.items()}
        for name, counts in (
            ("gold", manifest["counts"]["articles_per_split"]),
            ("annotations", manifest["counts"]["annotations"]["per_split"]),
        )
    }
    release.check_release(annotated.release_dir, schema, sizes)  # the real sizes pass
    sizes["gold"]["train"]["num_examples"] += 1
    with pytest.raises(AnnotateError, match="gave split sizes"):
        release.check_release(annotated.release_dir, schema, sizes)


def test_the_check_compares_the_first_rows_loaded_with_the_rows_written(annotated):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    schema = load_schema(annotated.schema_path)
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    sizes = {"gold": {split: {"num_examples": n} for split, n in manifest["counts"]["articles_per_split"].items()}}
    path = annotated.release_dir / "gold" / "train-00000-of-00001.parquet"
    table = pq.read_table(path)
    written = {"gold": {"train": table.slice(0, 3).to_pylist()}}
    release.check_release(annotated.release_dir, schema, sizes, samples=written)  # what was written passes
    # The file on disk loses a character of its second text (features and row count unchanged).
    texts = table.column("text").to_pylist()
    texts[1] = texts[1][:-1]
    changed = table.set_column(table.schema.get_field_index("text"), table.schema.field("text"), [texts])
    pq.write_table(changed, path)
    with pytest.raises(AnnotateError, match="other rows than were written at the start of train"):
        release.check_release(annotated.release_dir, schema, sizes, samples=written)


# -- splits --------------------------------------------------------------------------------------------


def independent_split(salt, article_id, ratios):
    """The documented rule, written again: the first 8 bytes of sha256("salt:id") as a fraction of 2**64."""
    point = int(hashlib.sha256(f"{salt}:{article_id}".encode()).hexdigest()[:16], 16) / 2**64
    return "train" if point < ratios[0] else "validation" if point < ratios[0] + ratios[1] else "test"


def test_splits_are_stable_across_versions_even_when_ratios_change(annotated, tmp_path, cli):
    release.publish(annotated, "1.0.0", ratios=(0.8, 0.1, 0.1), include_conflicts=True)
    salt = json.loads((annotated.release_dir / "manifest.json").read_text())["splits"]["salt"]
    first = split_of(annotated.release_dir)
    assert first == {aid: independent_split(salt, aid, (0.8, 0.1, 0.1)) for aid in first}
    new = add_articles(
        annotated,
        tmp_path,
        [
            {"title": f"Report {n}", "text": f"Militants fired {n} rockets at Kandahar airport on day {n}."}
            for n in range(40)
        ],
    )
    added_gold = [gold_record(a, [span_at(a["text"], "Kandahar", "location")]) for a in new]
    write_records(annotated.gold_path, [*annotated.read_gold(), *added_gold])
    result = cli("publish", "--version", "1.1.0", "--ratios", "0.4,0.3,0.3", "--include-conflicts", workspace=annotated)
    assert result.exit_code == 0, result.stderr
    gold = load(annotated.release_dir, "gold")
    second = {row["article_id"]: row["split"] for s in gold for row in gold[s]}
    assert {aid: second[aid] for aid in first} == first
    assert {a["id"]: second[a["id"]] for a in new} == {
        a["id"]: independent_split(salt, a["id"], (0.4, 0.3, 0.3)) for a in new
    }
    assert len({second[a["id"]] for a in new}) == 3
    changes = json.loads(cli("diff", "1.0.0", "1.1.0", "--json", workspace=annotated).stdout)
    assert changes["split_moves"]["count"] == 0 and changes["articles"]["added"] == 40


def test_near_duplicate_articles_share_a_split(workspace, tmp_path):
    texts = [f"Gunmen killed {n} villagers in Kunduz province, officials said." for n in range(30)]
    variants = [t.upper().replace(",", " ;") for t in texts]  # same near-duplicate key, another id
    stored = add_articles(workspace, tmp_path, [{"title": "r", "text": t} for t in texts + variants])
    write_records(
        workspace.gold_path,
        [gold_record(a, [span_at(a["text"], "GUNMEN" if a["text"].isupper() else "Gunmen", "actor")]) for a in stored],
    )
    release.publish(workspace, "1.0.0", ratios=(0.34, 0.33, 0.33))
    gold = load(workspace.release_dir, "gold")
    split_of = {row["article_id"]: row["split"] for s in gold for row in gold[s]}
    for original, variant in zip(stored[:30], stored[30:], strict=True):
        assert split_of[original["id"]] == split_of[variant["id"]]
    salt = json.loads((workspace.release_dir / "manifest.json").read_text())["splits"]["salt"]
    # The group follows its first member in corpus order, whatever the variant's own hash says.
    differs = [
        v
        for o, v in zip(stored[:30], stored[30:], strict=True)
        if independent_split(salt, v["id"], (0.34, 0.33, 0.33)) != split_of[o["id"]]
    ]
    assert differs
    # Across versions: a near-duplicate added later joins its group's split from the earlier version.
    later = [{"title": "r", "text": t.lower().replace(".", " !")} for t in texts]
    added = add_articles(workspace, tmp_path, later, name="later.jsonl")
    write_records(workspace.gold_path, [*workspace.read_gold(), *(gold_record(a, []) for a in added)])
    summary = release.publish(workspace, "1.1.0", ratios=(0.34, 0.33, 0.33))
    gold = load(workspace.release_dir, "gold")
    now = {row["article_id"]: row["split"] for s in gold for row in gold[s]}
    assert all(now[a["id"]] == split_of[o["id"]] for o, a in zip(stored[:30], added, strict=True))
    assert summary.splits.joined_group == 30 and summary.splits.kept == 60


def test_ratios_are_checked(cli, annotated):
    for ratios, problem in (
        ("0.8,0.1", "2 number(s), not 3"),
        ("0.8,0.3,0.1", "they add up to 1.2"),
        ("a,b,c", "not numbers"),
    ):
        result = cli("publish", "--version", "1.0.0", "--ratios", ratios, workspace=annotated)
        assert result.exit_code == 1 and problem in result.stderr, result.stderr


# -- diff and changelog -----------------------------------------------------------------------------------


def test_a_first_versions_changes_count_what_its_gold_rows_hold(annotated):
    summary = release.publish(annotated, "1.0.0", include_conflicts=True)
    folder = annotated.release_dir
    rows = list(changes._gold_rows(folder, changes._version_columns(folder)))  # the general reading, row by row
    assert summary.changes["articles"]["added_ids"] == [row.article_id for row in rows]
    assert summary.changes["articles"]["added"] == len(rows) == summary.published
    assert summary.changes["spans"]["in_added_articles"] == sum(len(row.spans) for row in rows) > 0


def test_span_counts_of_a_first_version_count_a_repeated_span_once():
    # rows of (article row, start, end, label): row 0 holds one span twice, row 1 two spans out of order
    keys = np.array([[0, 5, 9, 1], [0, 5, 9, 1], [1, 7, 8, 0], [1, 2, 3, 0]])
    assert not changes._strictly_increasing(keys)
    assert changes._distinct_per_row(keys, 3).tolist() == [1, 2, 0]
    assert changes._strictly_increasing(np.array([[0, 1, 2, 0], [0, 1, 2, 1], [0, 3, 4, 0], [2, 0, 1, 0]]))


def test_diff_counts_a_hand_made_change(annotated, tmp_path, cli):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    records = list(annotated.read_gold())
    relabelled, deleted = records[0], records[1]
    old_label = relabelled["spans"][0]["label"]
    relabelled["spans"][0]["label"] = next(label for label in ("actor", "weapon") if label != old_label)
    del deleted["spans"][0]
    (new_article,) = add_articles(
        annotated, tmp_path, [{"title": "New", "text": "A drone strike hit a convoy near Mosul, killing two fighters."}]
    )
    spans = [span_at(new_article["text"], "drone", "weapon"), span_at(new_article["text"], "Mosul", "location")]
    write_records(annotated.gold_path, [*records, gold_record(new_article, spans)])
    release.publish(annotated, "1.1.0", include_conflicts=True)
    result = cli("diff", "1.0.0", "1.1.0", "--json", workspace=annotated)
    assert result.exit_code == 0
    changes = json.loads(result.stdout)
    assert changes["articles"] == {
        "added": 1,
        "removed": 0,
        "kept": len(records),
        "added_ids": [new_article["id"]],
        "removed_ids": [],
    }
    assert changes["spans"] == {
        "added": 0,
        "removed": 1,
        "relabelled": 1,
        "in_added_articles": 2,
        "in_removed_articles": 0,
    }
    assert changes["split_moves"]["count"] == 0
    assert "choices" not in changes  # a schema without controls: the report of before controls existed
    assert changes["agreement"]["before"]["strict_f1"]["value"] is not None
    changelog = (annotated.release_dir / "CHANGELOG.md").read_text()
    assert changelog.index("## 1.1.0") < changelog.index("## 1.0.0")
    assert "articles added 1, removed 0" in changelog and "removed 1, relabelled 1" in changelog
    text = cli("diff", "1.0.0", "1.1.0", workspace=annotated).stdout
    assert "articles added 1, removed 0" in text and "split moves 0" in text
    unknown = cli("diff", "1.0.0", "2.0.0", workspace=annotated)
    assert unknown.exit_code == 1 and "There is no release 2.0.0" in unknown.stderr


# -- misaligned spans and the BIO round trip ---------------------------------------------------------------


def test_a_span_off_token_boundaries_is_kept_reported_and_minus_one(workspace, tmp_path, cli):
    (article,) = add_articles(
        workspace, tmp_path, [{"title": "t", "text": "Gunmen attacked Kabulistan villages at dawn."}]
    )
    text = article["text"]
    spans = [span_at(text, "Gunmen", "actor"), span_at(text, "Kabul", "location"), span_at(text, "dawn", "casualty")]
    write_records(workspace.gold_path, [gold_record(article, spans)])
    result = cli("publish", "--version", "1.0.0", "--json", workspace=workspace)
    assert result.exit_code == 0
    assert (
        f"misaligned: article {article['id']} span “Kabul” (16-21, location): not on token boundaries" in result.stderr
    )
    report = json.loads(result.stdout)
    assert report["misaligned"]["count"] == 1 and report["misaligned"]["spans"][0]["text"] == "Kabul"
    gold = load(workspace.release_dir, "gold")
    row = next(row for split in gold for row in gold[split])
    names = gold[row["split"]].features["ner_tags"].feature.names
    assert [(s["start"], s["end"]) for s in row["spans"]] == [(0, 6), (16, 21), (39, 43)]  # not shifted
    tags = [names[t] if t >= 0 else -1 for t in row["ner_tags"]]
    assert tags == ["B-actor", "O", -1, "O", "O", "B-casualty", "O"]
    manifest = json.loads((workspace.release_dir / "manifest.json").read_text())
    assert manifest["counts"]["misaligned_spans"] == {"not on token boundaries": 1}
    assert "“Kabul” (16-21)" in (workspace.release_dir / "README.md").read_text()


# -- the Hub (faked at its HTTP boundary) and what must never be published ---------------------------------


class FakeHub:
    """An httpx2 transport answering the Hub API calls `upload_folder` and friends make, recording them."""

    def __init__(self):
        import httpx2

        self.httpx = httpx2
        self.requests = []

    def __call__(self, request):
        self.requests.append(request)
        path, ok = request.url.path, self.httpx.Response
        if path == "/api/repos/create":
            return ok(200, json={"url": "https://huggingface.co/datasets/org/conflict"})
        if path == "/api/validate-yaml":
            return ok(200, json={})
        if "/preupload/" in path:
            files = json.loads(request.content)["files"]
            return ok(
                200,
                json={"files": [{"path": f["path"], "uploadMode": "regular", "shouldIgnore": False} for f in files]},
            )
        if "/commit/" in path:
            return ok(
                200,
                json={
                    "commitUrl": "https://huggingface.co/datasets/org/conflict/commit/" + "c" * 40,
                    "commitOid": "c" * 40,
                },
            )
        if "/tag/" in path:
            return ok(200, json={})
        return ok(404, json={"error": f"not faked: {path}"})


@pytest.fixture
def fake_hub():
    import httpx2
    import huggingface_hub

    hub = FakeHub()
    huggingface_hub.set_client_factory(lambda: httpx2.Client(transport=httpx2.MockTransport(hub)))
    yield hub
    huggingface_hub.set_client_factory(huggingface_hub.utils._http.default_client_factory)


def test_push_to_hub_creates_the_repo_commits_the_folder_and_tags_it(annotated, cli, fake_hub, monkeypatch):
    token = "hf_" + "s3cr3t" * 6
    monkeypatch.setenv("HF_TOKEN", token)
    result = cli(
        "publish", "--version", "1.0.0", "--include-conflicts", "--push-to-hub", "org/conflict", workspace=annotated
    )
    assert result.exit_code == 0, result.stderr
    assert "tagged v1.0.0" in result.stdout
    authorized = [(r.method, r.url.path) for r in fake_hub.requests if "authorization" in r.headers]
    assert authorized[0] == ("POST", "/api/repos/create")
    assert ("POST", "/api/datasets/org/conflict/commit/main") in authorized
    assert authorized[-1] == ("POST", f"/api/datasets/org/conflict/tag/{'c' * 40}")
    create = next(r for r in fake_hub.requests if r.url.path == "/api/repos/create")
    assert json.loads(create.content) == {"name": "conflict", "organization": "org", "type": "dataset"}
    tag = next(r for r in fake_hub.requests if "/tag/" in r.url.path)
    assert json.loads(tag.content) == {"tag": "v1.0.0"}
    commit = next(r for r in fake_hub.requests if "/commit/" in r.url.path)
    lines = [json.loads(line) for line in commit.content.decode().splitlines()]
    committed = sorted(line["value"]["path"] for line in lines if line["key"] == "file")
    on_disk = sorted(
        str(p.relative_to(annotated.release_dir))
        for p in annotated.release_dir.rglob("*")
        if p.is_file() and ".git" not in p.parts
    )
    assert committed == on_disk and not any(".git" in p for p in committed)
    for request in fake_hub.requests:
        assert token not in str(request.url) and token.encode() not in request.content
        header = request.headers.get("authorization")
        assert header in (None, f"Bearer {token}")
    assert token not in result.stdout + result.stderr


def test_push_to_hub_without_a_token_is_refused_before_anything_is_written(annotated, cli, fake_hub):
    result = cli("publish", "--version", "1.0.0", "--include-conflicts", "--push-to-hub", "org/x", workspace=annotated)
    assert result.exit_code == 3 and "HF_TOKEN" in result.stderr and result.stderr.count("\n") == 1
    assert not annotated.release_dir.exists() and fake_hub.requests == []


def test_nothing_published_holds_an_email_a_user_id_or_a_token(annotated, monkeypatch, fake_hub):
    token = "hf_" + "t0k3n" * 8
    monkeypatch.setenv("HF_TOKEN", token)
    release.publish(annotated, "1.0.0", include_conflicts=True, push_to_hub="org/conflict")
    release.publish(annotated, "1.0.1", include_conflicts=True)
    export = json.loads(SIMULATED_EXPORT.read_text())
    people = [a["completed_by"] for task in export for a in task["annotations"]]
    emails = set(json.loads((annotated.annotations_dir / "annotators.json").read_text()).keys())
    forbidden = {e.split(":", 1)[1] for e in emails if e.startswith("email:")}
    forbidden |= {p["first_name"] for p in people} | {p["last_name"] for p in people} | {token, "completed_by", "user:"}
    folder = annotated.release_dir
    texts = []
    for path in folder.rglob("*"):
        if path.is_file() and ".git" not in path.parts:
            if path.suffix == ".parquet":
                texts.append(orjson.dumps(pq.read_table(path).to_pylist()).decode())
            else:
                texts.append(path.read_text(encoding="utf-8"))
    history = subprocess.run(
        ["git", "-C", folder, "log", "-p", "--all", "--format=fuller"], capture_output=True, text=True
    )
    texts.append(history.stdout)
    tags = subprocess.run(
        ["git", "-C", folder, "for-each-ref", "--format=%(taggername) %(taggeremail)", "refs/tags"],
        capture_output=True,
        text=True,
    )
    assert set(tags.stdout.split("\n")[:-1]) == {"annotate <annotate@localhost>"}
    blob = "\n".join(texts)
    assert not [word for word in forbidden if word in blob]
    # Annotators are pseudonyms only, and no column could carry a user id.
    annotations = load(folder, "annotations")
    assert {row["annotator"] for s in annotations for row in annotations[s]} == {"ann-01", "ann-02", "ann-03"}
    assert set(annotations["train"].column_names) == {"id", "article_id", "annotator", "spans", "split"}
    assert Counter(r.url.path for r in fake_hub.requests)["/api/repos/create"] == 1


def test_the_cli_reports_a_publish_in_one_paragraph(annotated, cli):
    result = cli("publish", "--version", "1.0.0", "--include-conflicts", workspace=annotated)
    assert result.exit_code == 0
    assert result.stdout.startswith("Published releases/conflict-events v1.0.0: 36 of 36 gold articles (train ")


def test_the_first_salt_comes_from_the_dataset_name_so_splits_are_the_same_everywhere(annotated):
    release.publish(annotated, "1.0.0", include_conflicts=True)
    manifest = json.loads((annotated.release_dir / "manifest.json").read_text())
    expected = hashlib.sha256(b"annotate splits:conflict-events").hexdigest()[:32]
    assert manifest["splits"]["salt"] == expected


def test_a_split_left_empty_by_a_small_corpus_is_reported(annotated, cli):
    ratios = (0.9, 0.05, 0.05)
    published = [r["article_id"] for r in annotated.read_gold() if not r["conflicts"]]
    salt = release.split_salt("conflict-events")
    landed = {independent_split(salt, article_id, ratios) for article_id in published}
    empty = [split for split in ("validation", "test") if split not in landed]
    assert empty, "the bundled articles should leave a split empty at these ratios"
    result = cli("publish", "--version", "1.0.0", "--ratios", "0.9,0.05,0.05", "--json", workspace=annotated)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["empty_splits"] == empty
    card = (annotated.release_dir / "README.md").read_text()
    assert f"**No article fell in the {' or '.join(empty)} split** at these ratios (0.9, 0.05, 0.05)" in card
    shown = cli("publish", "--version", "1.0.1", "--ratios", "0.9,0.05,0.05", workspace=annotated)
    assert f"WARNING: no article fell in the {empty[0]} split at ratios 0.9,0.05,0.05" in shown.stdout


def test_gold_settled_on_another_text_or_a_missing_article_is_refused(annotated, cli):
    records = list(annotated.read_gold())
    complete = next(number for number, record in enumerate(records) if not record["conflicts"])
    records[complete]["sha256"] = "0" * 64
    write_records(annotated.gold_path, records)
    result = cli("publish", "--version", "1.0.0", workspace=annotated)
    article = records[complete]["article_id"]
    assert (result.exit_code, result.stderr) == (
        1,
        f"Error: gold/gold.jsonl line {complete + 1}: article {article} was settled on another text than the "
        "corpus's (its sha256 differs). Re-run `annotate gold`.\n",
    )
    records[complete] = {**records[complete], "article_id": "f" * 16}
    write_records(annotated.gold_path, records)
    missing = cli("publish", "--version", "1.0.0", workspace=annotated)
    assert missing.exit_code == 1 and f"article {'f' * 16} is not in the corpus" in missing.stderr
    assert not annotated.release_dir.exists()
