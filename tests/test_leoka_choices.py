"""The stages after import on a real third-party project with a document-level taxonomy: LEOKA team 2
(tests/fixtures/thirdparty/PROVENANCE.md; 130 narratives, 3 annotators, a ``Category`` taxonomy).

The export is turned into annotation records by a small conversion here, not by ``annotate import``, so
these tests hold gold and the release to the taxonomy values exactly as Label Studio exported them. The
settled values are checked against a count made here from the export."""

from __future__ import annotations

import json
from collections import Counter, defaultdict

import datasets
import pytest

from annotate import corpus, release
from annotate.corpus import normalise_text
from annotate.gold import gold
from annotate.schema import OPTION_SEPARATOR, adopt_config, load_schema

from .conftest import REPO
from .records import write_records

LEOKA = REPO / "tests" / "fixtures" / "thirdparty" / "leoka"


pytestmark = pytest.mark.usefixtures("datasets_cache")


def as_records(tasks, articles):
    """Each annotation of the export as an ``annotations.jsonl`` record (pseudonyms for the e-mails)."""
    pseudonyms: dict[str, str] = {}
    records = []
    for task in tasks:
        raw = task["data"]["text"]
        article = articles[normalise_text(raw)]
        shift = raw.index(article["text"])
        for item in task["annotations"]:
            who = pseudonyms.setdefault(item["completed_by"]["email"], f"ann-{len(pseudonyms) + 1:02d}")
            spans, category = [], []
            for region in item["result"]:
                value = region["value"]
                if region["type"] == "labels":
                    start, end = value["start"] - shift, value["end"] - shift
                    spans.append({"start": start, "end": end, "label": value["labels"][0],
                                  "text": article["text"][start:end]})  # fmt: skip
                elif region["type"] == "taxonomy":
                    category += [OPTION_SEPARATOR.join(path) for path in value["taxonomy"]]
            records.append(
                {
                    "article_id": article["id"],
                    "annotator": who,
                    "status": "cancelled" if item["was_cancelled"] else "submitted",
                    "spans": sorted(spans, key=lambda s: (s["start"], s["end"], s["label"])),
                    "choices": {"Category": category},
                    "sha256": article["sha256"],
                    "created_at": item["created_at"],
                    "updated_at": item["updated_at"],
                    "lead_time": item["lead_time"],
                    "ground_truth": item["ground_truth"],
                    "origin": {"project": task["project"], "task": task["id"], "annotation": item["id"]},
                }
            )
    return records


@pytest.fixture
def leoka(workspace, tmp_path):
    adopt_config(workspace, (LEOKA / "config.xml").read_text(encoding="utf-8"), "leoka", "leoka/config.xml")
    workspace.config["schema"] = "schemas/leoka.yaml"
    tasks = json.loads((LEOKA / "LEOKA_team_2.json").read_text(encoding="utf-8"))
    source = tmp_path / "narratives.jsonl"
    source.write_text("".join(json.dumps({"text": t["data"]["text"]}) + "\n" for t in tasks), encoding="utf-8")
    corpus.add(workspace, [source])
    articles = {article["text"]: article for article in workspace.read_articles()}
    records = as_records(tasks, articles)
    return workspace, load_schema(workspace.schema_path), records


def newest_submitted(records):
    """article -> annotator -> the newest submitted record, counted here from the records."""
    found: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in records:
        if record["status"] != "submitted":
            continue
        earlier = found[record["article_id"]].get(record["annotator"])
        if earlier is None or record["updated_at"] >= earlier["updated_at"]:
            found[record["article_id"]][record["annotator"]] = record
    return found


def majority(options, selections):
    """Per option: in when more than half selected it, out when more than half did not, else undecided."""
    n = len(selections)
    counts = Counter(option for chosen in selections for option in set(chosen))
    value = [option for option in options if counts[option] > n / 2]
    undecided = [option for option in options if not counts[option] > n / 2 and not n - counts[option] > n / 2]
    return value, undecided


def test_majority_settles_the_taxonomy_as_counted_from_the_export(leoka):
    workspace, schema, records = leoka
    options = schema.control("Category").option_names
    for record in records:
        record["ground_truth"] = False  # every task has one: without them, the strategy settles
    write_records(workspace.annotations_path, records)
    summary = gold(workspace)
    expected = newest_submitted(records)
    settled_kinds = Counter()
    for record in workspace.read_gold():
        by_annotator = expected[record["article_id"]]
        assert record["annotators"] == sorted(by_annotator)
        value, undecided = majority(options, [r["choices"]["Category"] for r in by_annotator.values()])
        category = record["choices"]["Category"]
        assert category["value"] == value
        assert (category["settled"] is None) == bool(undecided)
        conflicts = [c for c in record["conflicts"] if c.get("control") == "Category"]
        assert [c["option"] for conflict in conflicts for c in conflict["candidates"]] == undecided
        settled_kinds[category["settled"]] += 1
    report = summary.as_dict()
    assert report["balanced"] and report["articles"]["settled"] == len(expected) == 129
    # three annotators of (nearly) every narrative: an odd count, so ties are rare; both kinds occur
    assert settled_kinds["majority"] > 0 and settled_kinds["unanimous"] > 0
    assert report["choices"]["Category"]["in_conflict"] == settled_kinds[None]
    assert report["choices"]["Category"]["values"]["Killed / Feloniously Killed"] == sum(
        "Killed / Feloniously Killed" in r["choices"]["Category"]["value"] for r in workspace.read_gold()
    )


def test_the_ground_truth_annotation_settles_the_taxonomy(leoka):
    workspace, _, records = leoka
    write_records(workspace.annotations_path, records)
    gold(workspace)
    truths = defaultdict(list)
    for record in records:
        if record["status"] == "submitted" and record["ground_truth"]:
            truths[record["article_id"]].append(record)
    for settled in workspace.read_gold():
        truth = max(truths[settled["article_id"]], key=lambda r: (r["updated_at"], r["annotator"]))
        assert settled["settled_by"] == "ground_truth" and settled["decided_by"] == truth["annotator"]
        assert settled["choices"]["Category"]["settled"] == "ground_truth"
        assert set(settled["choices"]["Category"]["value"]) == set(truth["choices"]["Category"])


def test_the_release_has_a_category_column_the_loader_gives_back(leoka):
    workspace, schema, records = leoka
    for record in records:
        record["ground_truth"] = False
    write_records(workspace.annotations_path, records)
    gold(workspace)
    release.publish(workspace, "1.0.0", include_conflicts=True)
    loaded = datasets.load_dataset(str(workspace.release_dir), "gold")
    names = schema.control("Category").option_names
    feature = loaded["train"].features["Category"]
    assert feature == datasets.List(datasets.ClassLabel(names=names))
    settled = {r["article_id"]: r["choices"]["Category"]["value"] for r in workspace.read_gold()}
    rows = [row for split in loaded for row in loaded[split]]
    assert len(rows) == len(settled)
    for row in rows:
        assert [names[code] for code in row["Category"]] == settled[row["article_id"]]
