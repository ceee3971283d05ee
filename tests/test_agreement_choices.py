"""Agreement on document-level choices (Choices, Taxonomy): the generic alpha with a distance, MASI, and the
report's ``choices`` section.

Oracles, never our own code: published values (Krippendorff 2011; Passonneau 2006's definition of MASI),
nltk's ``masi_distance`` and ``AnnotationTask.alpha``, and the ``krippendorff`` package. On the LEOKA police
narratives (a real Label Studio Enterprise export with a document-level Taxonomy, MIT), the oracle reads the
raw export file itself, not through the annotate package.
"""

from __future__ import annotations

import json
import math
import random
from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path

import krippendorff
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from nltk.metrics.agreement import AnnotationTask
from nltk.metrics.distance import binary_distance
from nltk.metrics.distance import masi_distance as nltk_masi

from annotate import agreement
from annotate.agreement import choices as choice_module
from annotate.agreement import format as fmt
from annotate.agreement import stats
from annotate.agreement.stats import krippendorff_alpha_distance, masi_distance
from annotate.corpus import normalise_text
from annotate.workspace import open_workspace
from tests.records import write_records

N = None
REPO = Path(__file__).resolve().parent.parent
LEOKA = REPO / "tests" / "fixtures" / "thirdparty" / "leoka"

# =================================================================================================
# Published values
# =================================================================================================

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units, nominal alpha 0.743.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


def relabel(data: list[list], value) -> list[list]:
    return [[None if v is None else value(v) for v in row] for row in data]


NOT_EQUAL = lambda a, b: float(a != b)  # noqa: E731 (a distance function, as a caller would write it)


@pytest.mark.parametrize(
    ("data", "distance"),
    [
        (KRIPPENDORFF_2011, "nominal"),
        (KRIPPENDORFF_2011, NOT_EQUAL),
        (relabel(KRIPPENDORFF_2011, lambda v: f"category {v}"), "nominal"),
        (relabel(KRIPPENDORFF_2011, lambda v: frozenset({v})), "masi"),  # singletons: MASI is nominal on them
        (relabel(KRIPPENDORFF_2011, lambda v: frozenset({v})), nltk_masi),
    ],
)
def test_krippendorff_2011_nominal_example_with_any_hashable_values(data, distance):
    assert round(krippendorff_alpha_distance(data, distance), 3) == 0.743


def test_masi_distance_passonneau_2006():
    """MASI = 1 - J * M: M is 1 for identical sets, 2/3 when one holds the other, 1/3 when they share some, 0 when
    disjoint (Passonneau 2006). nltk used 0.67 and 0.33 until 3.9 ({A, B} against {A}: 0.665); since its fix
    (nltk#3361) the exact thirds, as here."""
    a, b, c = "ABC"
    assert masi_distance({a, b}, {a, b}) == 0
    assert masi_distance({a, b}, {a}) == pytest.approx(1 - 1 / 2 * 2 / 3)  # 0.667
    assert masi_distance({a, b}, {b, c}) == pytest.approx(1 - 1 / 3 * 1 / 3)  # 0.889
    assert masi_distance({a}, {b}) == 1
    assert masi_distance({1, 2}, {1, 2, 3, 4}) == pytest.approx(2 / 3)  # nltk's doctest
    for pair in [({a, b}, {a}), ({a, b}, {b, c}), ({a}, {b}), ({1, 2}, {1, 2, 3, 4})]:
        assert masi_distance(*pair) == pytest.approx(nltk_masi(*map(set, pair)), abs=1e-12)


def test_masi_distance_of_two_empty_sets_is_zero_where_nltk_divides_by_zero():
    assert masi_distance(set(), set()) == 0 and masi_distance(set(), {"A"}) == 1
    with pytest.raises(ZeroDivisionError):
        nltk_masi(set(), set())


sets = st.frozensets(st.sampled_from("abcdef"), min_size=1)


@given(sets, sets)
def test_masi_distance_equals_nltk(a, b):
    assert masi_distance(a, b) == pytest.approx(nltk_masi(set(a), set(b)), abs=1e-12)
    assert masi_distance(a, b) == masi_distance(b, a)


# =================================================================================================
# The generic alpha against nltk and the krippendorff package
# =================================================================================================


def random_sets(seed: int, coders: int, units: int, options: str = "abcde", missing: float = 0.25) -> list[list]:
    rng = random.Random(seed)
    return [
        [
            None if rng.random() < missing else frozenset(rng.sample(options, rng.randint(1, min(3, len(options)))))
            for _ in range(units)
        ]
        for _ in range(coders)
    ]


def nltk_alpha(data: list[list], distance=nltk_masi) -> float:
    triples = [(coder, unit, value) for coder, row in enumerate(data) for unit, value in enumerate(row) if value]
    return AnnotationTask(triples, distance=distance).alpha()


@pytest.mark.parametrize("seed", range(8))
@pytest.mark.parametrize(("coders", "units"), [(2, 30), (3, 60), (5, 25)])
def test_alpha_with_masi_equals_nltk_annotation_task(seed, coders, units):
    data = random_sets(seed, coders, units)
    assert krippendorff_alpha_distance(data, "masi") == pytest.approx(nltk_alpha(data), abs=1e-9)
    # nltk's own function as the distance gives the same figure: the distance is all that differs
    assert krippendorff_alpha_distance(data, nltk_masi) == pytest.approx(nltk_alpha(data), abs=1e-9)


@pytest.mark.parametrize("seed", range(8))
def test_alpha_nominal_equals_the_krippendorff_package(seed):
    rng = np.random.default_rng(seed)
    numbers = rng.integers(0, 4, size=(4, 50)).astype(float)
    numbers[rng.random(numbers.shape) < 0.3] = np.nan
    labels = [[None if math.isnan(v) else f"option {int(v)}" for v in row] for row in numbers]
    expected = krippendorff.alpha(reliability_data=numbers, level_of_measurement="nominal")
    assert krippendorff_alpha_distance(labels, "nominal") == pytest.approx(expected, abs=1e-9)
    assert krippendorff_alpha_distance(labels, NOT_EQUAL) == pytest.approx(expected, abs=1e-9)


def test_the_expected_disagreement_summed_by_blocks_equals_the_whole_matrix(monkeypatch):
    data = random_sets(3, 4, 200, options="abcdefgh")
    whole = krippendorff_alpha_distance(data, "masi")
    monkeypatch.setattr(stats, "_BLOCK", 7)  # one row, or a few, at a time
    assert krippendorff_alpha_distance(data, "masi") == pytest.approx(whole, abs=1e-12)
    values = sorted({value for row in data for value in row if value}, key=sorted)
    counts = np.arange(len(values), dtype=float)
    dense = np.array([[nltk_masi(set(a), set(b)) for b in values] for a in values])
    assert stats.Distances(values, "masi").expected(counts) == pytest.approx(counts @ dense @ counts, rel=1e-12)


def test_alpha_with_a_distance_is_undefined_without_two_values_or_without_variation():
    assert math.isnan(krippendorff_alpha_distance([[frozenset("a"), None], [None, frozenset("b")]], "masi"))
    assert math.isnan(krippendorff_alpha_distance([[frozenset("a")] * 3, [frozenset("a")] * 3], "masi"))
    with pytest.raises(ValueError, match="distance must be one of"):
        krippendorff_alpha_distance(KRIPPENDORFF_2011, "jaccard")
    with pytest.raises(ValueError, match="coders x units"):
        krippendorff_alpha_distance([[1, 2], [3]], "nominal")


# =================================================================================================
# The report, on records written by hand
# =================================================================================================

CONTROLS_YAML = """controls:
  - name: Category
    kind: taxonomy
    options:
      - Killed: [Feloniously Killed, Accidentally Killed]
      - Assaulted
  - name: Weapons
    kind: multiple
    options: [gun, knife, vehicle]
  - name: Tone
    kind: single
    options: [neutral, alarmist]
"""
CATEGORY = ["Killed", "Killed / Feloniously Killed", "Killed / Accidentally Killed", "Assaulted"]
OPTIONS = {"Category": CATEGORY, "Weapons": ["gun", "knife", "vehicle"], "Tone": ["neutral", "alarmist"]}
KINDS = {"Category": "taxonomy", "Weapons": "multiple", "Tone": "single"}
ANNOTATORS = ["ann-01", "ann-02", "ann-03", "ann-04"]


def annotation(article: dict, annotator: str, choices: dict, **extra) -> dict:
    return {
        "article_id": article["id"],
        "annotator": annotator,
        "status": "submitted",
        "sha256": article["sha256"],
        "spans": [],
        "choices": choices,
        "created_at": "2026-11-20T10:00:00Z",
        "updated_at": "2026-11-20T10:00:00Z",
        **extra,
    }


def random_choices(rng: random.Random) -> dict:
    """Selections that agree more often than chance: a per-article favourite, kept with probability 0.7."""
    found = {}
    for name, options in OPTIONS.items():
        if name == "Tone":
            found[name] = [] if rng.random() < 0.1 else [rng.choice(options)]
        else:
            found[name] = [option for option in options if rng.random() < 0.35]
    return found


@pytest.fixture
def with_choices(cli, workspace, bundled_copy):
    """The bundled corpus, a schema with a taxonomy, a multiple and a single choice, and 2-4 annotators'
    random selections per article (some selecting nothing, some articles with one annotator)."""
    assert cli("corpus", "add", bundled_copy, workspace=workspace).exit_code == 0
    with workspace.schema_path.open("a", encoding="utf-8") as schema:
        schema.write(CONTROLS_YAML)
    rng = random.Random(5)
    records = []
    for article in workspace.read_articles():
        favourite = random_choices(rng)
        for annotator in rng.sample(ANNOTATORS, rng.choice([1, 2, 3, 3, 4])):
            mine = favourite if rng.random() < 0.7 else random_choices(rng)
            records.append(annotation(article, annotator, mine))
    write_records(workspace.annotations_path, records)
    return workspace


def compared_units(workspace) -> dict[str, dict[str, dict]]:
    """article -> annotator -> choices, for the submitted records of articles two or more annotators
    submitted, read straight from the file (the hand-written records have no superseded or broken ones)."""
    units: dict[str, dict[str, dict]] = defaultdict(dict)
    for line in workspace.annotations_path.read_text().splitlines():
        record = json.loads(line)
        if record["status"] == "submitted":
            units[record["article_id"]][record["annotator"]] = record["choices"]
    return {article: found for article, found in units.items() if len(found) >= 2}


def oracle_alpha(units: dict[str, dict[str, dict]], control: str, kind: str) -> float | None:
    """nltk's alpha over the non-empty selections: MASI for multiple choice and taxonomy, binary for single."""
    triples = [
        (annotator, article, frozenset(found[control]))
        for article, by_annotator in units.items()
        for annotator, found in by_annotator.items()
        if found[control]
    ]
    task = AnnotationTask(triples, distance=nltk_masi if kind != "single" else binary_distance)
    return task.alpha()


def oracle_presence(units: dict[str, dict[str, dict]], control: str, option: str) -> float | None:
    """The krippendorff package's nominal alpha of 1 selected / 0 not, annotators x articles; None if it refuses."""
    annotators = sorted({annotator for by_annotator in units.values() for annotator in by_annotator})
    data = np.full((len(annotators), len(units)), np.nan)
    for column, by_annotator in enumerate(units.values()):
        for annotator, found in by_annotator.items():
            data[annotators.index(annotator), column] = float(option in found[control])
    try:
        return krippendorff.alpha(reliability_data=data, level_of_measurement="nominal")
    except ValueError:  # one value in the whole domain: no variation
        return None


def assert_choices_equal_the_oracles(figures: dict, units: dict[str, dict[str, dict]], kinds: dict[str, str]) -> None:
    assert list(figures) == list(kinds)
    for control, kind in kinds.items():
        found = figures[control]
        assert found["kind"] == kind
        assert found["alpha"]["distance"] == ("nominal" if kind == "single" else "masi")
        assert found["alpha"]["value"] == pytest.approx(oracle_alpha(units, control, kind), abs=1e-9), control
        chosen = [article for article, by in units.items() if sum(bool(f[control]) for f in by.values()) >= 2]
        assert found["documents"] == len(chosen)
        for option, entry in found["per_option"].items():
            expected = oracle_presence(units, control, option)
            assert entry["documents"] == len(units)
            if expected is None:
                assert entry["value"] is None and entry["reason"], (control, option)
            else:
                assert entry["value"] == pytest.approx(expected, abs=1e-9), (control, option)


def test_choice_agreement_equals_nltk_and_the_krippendorff_package(cli, with_choices):
    result = cli("agreement", "--json", "--resamples", 200, workspace=with_choices)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    units = compared_units(with_choices)
    assert figures["documents"] == len(units)
    assert_choices_equal_the_oracles(figures["choices"], units, KINDS)
    assert list(figures["choices"]["Category"]["per_option"]) == CATEGORY
    for control in figures["choices"].values():
        interval = control["alpha"]["ci95"]
        assert interval["resamples"] == 200 and interval["low"] <= control["alpha"]["value"] <= interval["high"]


def test_an_empty_selection_is_missing_for_alpha_but_counts_as_not_selected_per_option(cli, workspace, bundled_copy):
    """Three articles, three annotators. Category alpha sees only the non-empty selections; per option, every
    annotation counts. Worked by hand: presence of Assaulted is (1,1,0), (0,0,0), (1,1,1) -> alpha 0.6."""
    assert cli("corpus", "add", bundled_copy, workspace=workspace).exit_code == 0
    with workspace.schema_path.open("a", encoding="utf-8") as schema:
        schema.write(CONTROLS_YAML)
    articles = list(workspace.read_articles())[:3]
    rows = [
        (["Assaulted"], ["Assaulted"], []),
        (["Killed"], ["Killed"], ["Killed / Feloniously Killed"]),
        (["Assaulted"], ["Assaulted"], ["Assaulted"]),
    ]
    records = [
        annotation(article, annotator, {"Category": chosen, "Weapons": [], "Tone": ["neutral"]})
        for article, row in zip(articles, rows, strict=True)
        for annotator, chosen in zip(ANNOTATORS, row, strict=False)
    ]
    write_records(workspace.annotations_path, records)
    figures = agreement.report(workspace, resamples=0)["choices"]
    category = figures["Category"]
    assert category["documents"] == 3
    # Presence of Assaulted, 9 values: n0 = 4, n1 = 5; only article 1 disagrees: 2 * 2 * 1 / 2 = 2.
    assert category["per_option"]["Assaulted"]["value"] == pytest.approx(1 - 8 * 2 / (2 * 4 * 5))
    # The empty selection of article 1 is missing: {A}, {A} | {K}, {K}, {KF} | {A}, {A}, {A}.
    data = [[frozenset(r[i]) if r[i] else None for r in rows] for i in range(3)]
    assert category["alpha"]["value"] == pytest.approx(nltk_alpha(data), abs=1e-12)
    weapons, tone = figures["Weapons"], figures["Tone"]
    assert weapons["documents"] == 0
    assert weapons["alpha"] == {
        "value": None,
        "reason": "no article has selections in this control from two annotators",
        "distance": "masi",
        "ci95": {"low": None, "high": None, "reason": "the bootstrap is off (resamples = 0)"},
    }
    assert weapons["per_option"]["gun"] == {
        "value": None,
        "reason": "nobody selected this option on the compared articles",
        "documents": 3,
    }
    assert tone["alpha"]["value"] is None and "same selection on every article" in tone["alpha"]["reason"]
    assert tone["per_option"]["neutral"]["reason"].startswith("everyone selected this option")


def test_records_left_out_of_the_span_agreement_are_left_out_of_the_choices_too(with_choices):
    records = [json.loads(line) for line in with_choices.annotations_path.read_text().splitlines()]
    before = agreement.report(with_choices, resamples=0)
    for record in records[::4]:
        record["sha256"] = "0" * 64  # another text: text_changed
    write_records(with_choices.annotations_path, records)
    after = agreement.report(with_choices, resamples=0)
    assert after["records"]["excluded"]["text_changed"] == len(records[::4])
    kept = [record for record in records if record["sha256"] != "0" * 64]
    write_records(with_choices.annotations_path, kept)
    assert after["choices"] == agreement.report(with_choices, resamples=0)["choices"] != before["choices"]


def test_choices_do_not_depend_on_batches_or_on_the_order_of_records_and_articles(with_choices):
    from annotate.schema import load_schema

    schema = load_schema(with_choices.schema_path)
    records = [json.loads(line) for line in with_choices.annotations_path.read_text().splitlines()]
    articles = list(with_choices.read_articles())

    def choices_of(articles, records, batch):
        measures = agreement.measure(articles, records, schema.label_names, batch, controls=schema.controls)
        return agreement.summarise(measures, agreement.bootstrap(measures, 0))["choices"]

    whole = choices_of(articles, records, 4096)
    random.Random(1).shuffle(records)
    random.Random(2).shuffle(articles)
    shuffled = choices_of(articles, records, 3)
    for name, figures in whole.items():
        assert shuffled[name]["documents"] == figures["documents"]
        assert shuffled[name]["alpha"]["value"] == pytest.approx(figures["alpha"]["value"], abs=1e-12)
        for option, entry in figures["per_option"].items():
            assert shuffled[name]["per_option"][option]["value"] == pytest.approx(entry["value"], abs=1e-12)


def test_the_choice_bootstrap_is_seeded_and_resamples_the_same_articles_as_the_spans(with_choices, monkeypatch):
    first = agreement.report(with_choices, resamples=300, seed=4)
    again = agreement.report(with_choices, resamples=300, seed=4)
    assert first == again
    other = agreement.report(with_choices, resamples=300, seed=5)
    assert other["choices"]["Category"]["alpha"]["ci95"] != first["choices"]["Category"]["alpha"]["ci95"]
    # Adding the controls changes no other figure: the span bootstrap draws the same articles as before.
    schema = with_choices.schema_path.read_text()
    with_choices.schema_path.write_text(schema.replace(CONTROLS_YAML, ""))
    without = agreement.report(with_choices, resamples=300, seed=4)
    assert "choices" not in without
    assert json.dumps(without) == json.dumps({key: value for key, value in first.items() if key != "choices"})
    with_choices.schema_path.write_text(schema)
    monkeypatch.setattr(choice_module, "BOOTSTRAP_MAX_SELECTIONS", 3)
    capped = agreement.report(with_choices, resamples=50)["choices"]
    assert capped["Category"]["alpha"]["ci95"] == {"low": None, "high": None, "reason": choice_module.TOO_MANY}
    assert capped["Tone"]["alpha"]["ci95"]["resamples"] == 50  # two distinct selections: still resampled


def test_the_round_option_limits_the_choices_to_the_rounds_articles(cli, with_choices):
    units = compared_units(with_choices)
    chosen = sorted(units)[: len(units) // 2]
    with_choices.rounds_path.parent.mkdir(parents=True, exist_ok=True)
    with_choices.rounds_path.write_text(json.dumps({"round": "week-1", "project": "p", "articles": chosen}) + "\n")
    figures = json.loads(cli("agreement", "--json", "--round", "week-1", workspace=with_choices).stdout)
    assert_choices_equal_the_oracles(figures["choices"], {article: units[article] for article in chosen}, KINDS)


def test_the_terminal_shows_each_control_through_the_one_formatter(cli, with_choices):
    result = cli("agreement", "--seed", 2, "--resamples", 100, workspace=with_choices)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(cli("agreement", "--json", "--seed", 2, "--resamples", 100, workspace=with_choices).stdout)
    tables = fmt.choice_tables(figures)
    assert [table.title for table in tables] == [
        "Category (taxonomy): Krippendorff's alpha",
        "Weapons (multiple): Krippendorff's alpha",
        "Tone (single): Krippendorff's alpha",
    ]
    category = figures["choices"]["Category"]
    alpha = category["alpha"]
    assert tables[0].rows[0] == (
        "all (MASI distance)",
        str(category["documents"]),
        f"{alpha['value']:.3f} [{alpha['ci95']['low']:.3f}, {alpha['ci95']['high']:.3f}]",
    )
    assert [row[0] for row in tables[0].rows[1:]] == CATEGORY
    assert tables[2].rows[0][0] == "all (nominal)"
    for table in tables:
        assert table.title in result.stdout
        for row in table.rows:
            assert row[0] in result.stdout and row[2].split(" ")[0] in result.stdout
    assert fmt.markdown_table(tables[0])[2].startswith(f"| all (MASI distance) | {category['documents']} | ")
    assert fmt.choice_tables({key: value for key, value in figures.items() if key != "choices"}) == []


def test_one_annotator_gives_null_choice_figures_and_the_one_line(cli, with_choices):
    records = [json.loads(line) for line in with_choices.annotations_path.read_text().splitlines()]
    write_records(with_choices.annotations_path, [record for record in records if record["annotator"] == "ann-01"])
    result = cli("agreement", workspace=with_choices)
    assert result.exit_code == 0 and len(result.stdout.splitlines()) == 1
    assert result.stdout.startswith("No agreement to measure: no article has submitted annotations from two annotators")
    figures = json.loads(cli("agreement", "--json", workspace=with_choices).stdout)["choices"]
    for control in figures.values():
        assert control["documents"] == 0
        assert control["alpha"]["value"] is None and control["alpha"]["reason"] == agreement.NO_UNITS
        assert {entry["reason"] for entry in control["per_option"].values()} == {agreement.NO_UNITS}
        assert {entry["documents"] for entry in control["per_option"].values()} == {0}


# =================================================================================================
# A real export: LEOKA police narratives, a document-level Taxonomy "Category" (3 and 4 annotators)
# =================================================================================================


def newest_submitted(export: list[dict]) -> dict[str, dict[int, dict]]:
    """text -> annotator id -> the newest submitted annotation, read from the raw export: tasks with the same
    text are one article, and of two annotations by one annotator the one updated last counts."""
    found: dict[str, dict[int, dict]] = defaultdict(dict)
    for task in export:
        text = task["data"]["text"]
        for item in task["annotations"]:
            if item["was_cancelled"]:
                continue
            annotator = item["completed_by"]["id"]
            earlier = found[text].get(annotator)
            if earlier is None or stamp(item["updated_at"]) >= stamp(earlier["updated_at"]):
                found[text][annotator] = item
    return found


def stamp(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


def taxonomy(item: dict) -> set[str]:
    return {
        " / ".join(path)
        for region in item["result"]
        if region["type"] == "taxonomy" and region["from_name"] == "Category"
        for path in region["value"]["taxonomy"]
    }


def leoka_workspace(cli, workspace, export: list[dict], tmp_path: Path):
    """The export's texts as the corpus, the schema from its config, and one record per annotation (as an
    import writes them: spans and the taxonomy under ``choices``), written here without the importer."""
    lines = [json.dumps({"text": text}) for text in dict.fromkeys(task["data"]["text"] for task in export)]
    texts = tmp_path / "leoka.jsonl"
    texts.write_text("\n".join(lines) + "\n")
    assert cli("corpus", "add", texts, workspace=workspace).exit_code == 0
    assert cli("schema", "from-config", LEOKA / "config.xml", "--name", "leoka", workspace=workspace).exit_code == 0
    workspace = open_workspace(workspace.root)  # annotate.yaml now names the new schema
    articles = {article["text"]: article for article in workspace.read_articles()}
    order = {option: index for index, option in enumerate(leoka_options())}
    records = []
    for task in export:
        article = articles[normalise_text(task["data"]["text"])]
        for item in task["annotations"]:
            spans = [
                {"start": r["value"]["start"], "end": r["value"]["end"], "label": r["value"]["labels"][0]}
                for r in item["result"]
                if r["type"] == "labels" and r["value"]["end"] <= len(article["text"])
            ]
            records.append(
                annotation(
                    article,
                    f"annotator-{item['completed_by']['id']}",
                    {"Category": sorted(taxonomy(item), key=order.__getitem__)},
                    status="cancelled" if item["was_cancelled"] else "submitted",
                    spans=sorted(spans, key=lambda s: (s["start"], s["end"], s["label"])),
                    created_at=item["created_at"],
                    updated_at=item["updated_at"],
                )
            )
    write_records(workspace.annotations_path, records)
    return workspace


def leoka_options() -> list[str]:
    """The taxonomy's options from config.xml, parents before children (read with the standard library)."""
    import xml.etree.ElementTree as ET

    def walk(node, parents: tuple[str, ...]) -> Iterable[str]:
        for choice in node.findall("Choice"):
            path = (*parents, choice.get("value"))
            yield " / ".join(path)
            yield from walk(choice, path)

    return list(walk(ET.parse(LEOKA / "config.xml").getroot().find("Taxonomy"), ()))


@pytest.mark.parametrize("name", ["LEOKA_team_2.json", "LEOKA_team_11.json"])
def test_leoka_taxonomy_agreement_equals_nltk_and_krippendorff_from_the_raw_export(cli, workspace, tmp_path, name):
    export = json.loads((LEOKA / name).read_text(encoding="utf-8"))
    figures = agreement.report(leoka_workspace(cli, workspace, export, tmp_path), resamples=200, seed=0)
    units = {
        text: {annotator: {"Category": taxonomy(item)} for annotator, item in by_annotator.items()}
        for text, by_annotator in newest_submitted(export).items()
        if len(by_annotator) >= 2
    }
    assert figures["documents"] == len(units)
    assert figures["records"]["excluded"]["text_changed"] == figures["records"]["excluded"]["malformed"] == 0
    assert_choices_equal_the_oracles(figures["choices"], units, {"Category": "taxonomy"})
    category = figures["choices"]["Category"]
    assert list(category["per_option"]) == leoka_options()
    assert category["alpha"]["ci95"]["defined"] == 200
