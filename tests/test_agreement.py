"""Inter-annotator agreement, held against published values and independent implementations.

Published: Krippendorff (2011) alpha at four levels; Fleiss' kappa (Wikipedia's example; Fleiss 1971);
Cohen (1960); Krippendorff's unitizing alpha examples as DKPro Statistics' tests carry them.
Independent code: the ``krippendorff`` package, ``sklearn`` and ``statsmodels`` kappas, a unitizing
alpha written straight from the formulas segment by segment, and brute-force span F1 and
disagreement counts. Properties (hypothesis): identical annotators agree perfectly; figures are
symmetric and do not depend on the order of spans, records or annotators.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
import random
import re

import krippendorff
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sklearn.metrics import cohen_kappa_score
from statsmodels.stats.inter_rater import fleiss_kappa as statsmodels_fleiss

from annotate import agreement
from annotate.agreement import (
    cohen_kappa,
    fleiss_kappa,
    krippendorff_alpha,
    span_f1,
    unitizing_alpha,
    unitizing_disagreements,
)
from annotate.spans import Span
from annotate.tokens import spans_to_token_labels, tokenize

LABELS = ["actor", "weapon", "casualty", "location"]
N = None

# =================================================================================================
# Published values
# =================================================================================================

# Krippendorff (2011), "Computing Krippendorff's Alpha-Reliability": 4 observers, 12 units.
KRIPPENDORFF_2011 = [
    [1, 2, 3, 3, 2, 1, 4, 1, 2, N, N, N],
    [1, 2, 3, 3, 2, 2, 4, 1, 2, 5, N, 3],
    [N, 3, 3, 3, 2, 3, 4, 2, 2, 5, 1, N],
    [1, 2, 3, 3, 2, 4, 4, 1, 2, 5, 1, N],
]


@pytest.mark.parametrize(
    ("level", "published"), [("nominal", 0.743), ("ordinal", 0.815), ("interval", 0.849), ("ratio", 0.797)]
)
def test_krippendorff_2011_published_values(level, published):
    assert round(krippendorff_alpha(KRIPPENDORFF_2011, level), 3) == published


def test_krippendorff_alpha_takes_nan_for_missing_in_a_float_array():
    data = np.array([[np.nan if v is None else v for v in row] for row in KRIPPENDORFF_2011], dtype=float)
    assert round(krippendorff_alpha(data, "nominal"), 3) == 0.743
    with pytest.raises(ValueError, match="level must be one of"):
        krippendorff_alpha(data, "cardinal")


def test_fleiss_kappa_wikipedia_example():
    table = [
        [0, 0, 0, 0, 14], [0, 2, 6, 4, 2], [0, 0, 3, 5, 6], [0, 3, 9, 2, 0], [2, 2, 8, 1, 1],
        [7, 7, 0, 0, 0], [3, 2, 6, 3, 0], [2, 5, 3, 2, 2], [6, 5, 2, 1, 0], [0, 2, 2, 3, 7],
    ]  # fmt: skip
    assert round(fleiss_kappa(table), 3) == 0.210


def test_fleiss_1971_example():
    """Fleiss (1971: 379), 30 subjects x 6 raters, as DKPro Statistics' Fleiss1971Test carries it."""
    ratings = [
        (4, 4, 4, 4, 4, 4), (2, 2, 2, 5, 5, 5), (2, 3, 3, 3, 3, 5), (5, 5, 5, 5, 5, 5), (2, 2, 2, 4, 4, 4),
        (1, 1, 3, 3, 3, 3), (3, 3, 3, 3, 5, 5), (1, 1, 3, 3, 3, 4), (1, 1, 4, 4, 4, 4), (5, 5, 5, 5, 5, 5),
        (1, 4, 4, 4, 4, 4), (1, 2, 4, 4, 4, 4), (2, 2, 2, 3, 3, 3), (1, 4, 4, 4, 4, 4), (2, 2, 4, 4, 4, 5),
        (3, 3, 3, 3, 3, 5), (1, 1, 1, 4, 5, 5), (1, 1, 1, 1, 1, 2), (2, 2, 4, 4, 4, 4), (1, 3, 3, 5, 5, 5),
        (5, 5, 5, 5, 5, 5), (2, 4, 4, 4, 4, 4), (2, 2, 4, 5, 5, 5), (1, 1, 4, 4, 4, 4), (1, 4, 4, 4, 4, 5),
        (2, 2, 2, 2, 2, 4), (1, 1, 1, 1, 5, 5), (2, 2, 4, 4, 4, 4), (1, 3, 3, 3, 3, 3), (5, 5, 5, 5, 5, 5),
    ]  # fmt: skip
    table = [[row.count(category) for category in range(1, 6)] for row in ratings]
    assert round(fleiss_kappa(table), 3) == 0.430


def test_fleiss_kappa_refuses_subjects_with_different_numbers_of_raters():
    with pytest.raises(ValueError, match="same number of raters"):
        fleiss_kappa([[1, 1], [2, 1]])


def expand(table: list[list[int]]) -> tuple[list[int], list[int]]:
    """Two raters' labels item by item from their confusion table."""
    a, b = [], []
    for row, counts in enumerate(table):
        for column, count in enumerate(counts):
            a += [row] * count
            b += [column] * count
    return a, b


def test_cohen_1960_example():
    """Cohen (1960: 45): 200 items, p_o = .70, p_e = .41, kappa = .492."""
    a, b = expand([[88, 14, 18], [10, 40, 10], [2, 6, 12]])
    assert round(cohen_kappa(a, b), 3) == 0.492
    assert np.mean(np.array(a) == np.array(b)) == pytest.approx(0.70)


# Krippendorff (2004: 254) as DKPro Statistics' Krippendorff2004Test lays it out: continuum [150, 450).
KRIPPENDORFF_2004 = [
    (0, 225, 295, "c"), (0, 370, 400, "c"), (1, 220, 300, "c"), (1, 355, 375, "c"), (1, 400, 420, "c"),
    (0, 180, 240, "k"), (0, 300, 350, "k"), (1, 180, 240, "k"), (1, 300, 350, "k"),
]  # fmt: skip


def test_unitizing_alpha_krippendorff_2004_example():
    figures = unitizing_disagreements(KRIPPENDORFF_2004, length=300, begin=150)
    assert figures["c"] == pytest.approx((0.0144, 0.0532), abs=0.0001)
    assert figures["k"] == pytest.approx((0.0, 0.0490), abs=0.0001)
    assert unitizing_alpha(KRIPPENDORFF_2004, 300, label="c", begin=150) == pytest.approx(0.7286, abs=0.0001)
    assert unitizing_alpha(KRIPPENDORFF_2004, 300, label="k", begin=150) == pytest.approx(1.0)
    # DKPro's overall: 1 - sum of D_o / sum of D_e over the labels; its test pins 0.8591 +- 0.0005.
    assert unitizing_alpha(KRIPPENDORFF_2004, 300, begin=150) == pytest.approx(0.8591, abs=0.0005)


def test_unitizing_alpha_dkpro_example_with_a_negative_alpha():
    """r0: -11111111-  r1: --1-1-1---  (DKPro Statistics' UnitizingAgreementTest)."""
    units = [(0, 1, 9, "A"), (1, 2, 3, "A"), (1, 4, 5, "A"), (1, 6, 7, "A")]
    assert unitizing_disagreements(units, 10)["A"] == pytest.approx((0.9100, 0.5351), abs=0.0001)
    assert unitizing_alpha(units, 10) == pytest.approx(-0.7003, abs=0.0001)


def test_unitizing_alpha_one_unit_among_three_raters_is_zero_and_no_units_is_undefined():
    assert unitizing_alpha([(0, 0, 1, "X")], 20, raters=3) == pytest.approx(0.0)
    assert math.isnan(unitizing_alpha([], 20, raters=3))


def krippendorff_1995(stretch: float) -> tuple[list[tuple], int]:
    """Krippendorff (1995: 57), four pairs of observers on 24 positions, stretched (DKPro's test data)."""
    layout = {
        "A": [(2, 8, 0), (14, 6, 0), (4, 4, 1), (15, 2, 1)],
        "B": [(0, 18, 0), (0, 2, 1), (2, 1, 1), (3, 1, 1), (4, 1, 1), (5, 1, 1), (6, 3, 1), (9, 1, 1)],
        "C": [(2, 6, 0), (10, 2, 0), (14, 4, 0), (20, 2, 0), (0, 2, 1), (4, 4, 1), (10, 4, 1), (16, 2, 1), (20, 2, 1)],
        "D": [(0, 2, 0), (2, 8, 0), (10, 4, 0), (14, 6, 0), (20, 4, 0), (0, 4, 1), (4, 4, 1), (8, 7, 1), (15, 2, 1),
              (17, 7, 1)],
    }  # fmt: skip
    units = [
        (rater, int(offset * stretch), int(offset * stretch) + int(length * stretch), label)
        for label, rows in layout.items()
        for offset, length, rater in rows
    ]
    return units, int(24 * stretch)


def test_unitizing_alpha_krippendorff_1995_observed_disagreements():
    units, length = krippendorff_1995(1)
    figures = unitizing_disagreements(units, length)
    observed = {label: round(pair[0], 5) for label, pair in figures.items()}
    assert observed == {"A": 0.03125, "B": 2.26736, "C": 0.02778, "D": 0.38715}


def test_unitizing_alpha_krippendorff_1995_expected_disagreements_in_the_continuous_limit():
    """Published for a continuum; DKPro approaches it by stretching 24 positions 50,000 times and
    checks D_e to 0.005 and alpha to 0.02."""
    units, length = krippendorff_1995(50_000)
    figures = unitizing_disagreements(units, length)
    published = {"A": (0.06990, 0.553), "B": (1.17731, -0.926), "C": (0.08642, 0.679), "D": (0.41445, 0.066)}
    for label, (expected, alpha) in published.items():
        assert figures[label][1] == pytest.approx(expected, abs=0.005), label
        assert 1 - figures[label][0] / figures[label][1] == pytest.approx(alpha, abs=0.02), label


# =================================================================================================
# Independent implementations on random data
# =================================================================================================


@pytest.mark.filterwarnings("ignore:invalid value encountered:RuntimeWarning")  # the package's own 0/0
@settings(max_examples=60, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(1, 30),
    st.sampled_from(["nominal", "ordinal", "interval", "ratio"]),
    st.integers(0, 2**32 - 1),
)
def test_krippendorff_alpha_equals_the_krippendorff_package(coders, units, level, seed):
    rng = np.random.default_rng(seed)
    data = rng.integers(1, 6, size=(coders, units)).astype(float)
    data[rng.random(data.shape) < 0.25] = np.nan
    ours = krippendorff_alpha(data, level)
    try:
        theirs = krippendorff.alpha(reliability_data=data, level_of_measurement=level)
    except (ValueError, ZeroDivisionError):  # the package refuses what it cannot compute
        theirs = math.nan
    if math.isnan(theirs) or not np.isfinite(theirs):
        assert math.isnan(ours)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def test_krippendorff_alpha_counts_units_a_chunk_at_a_time(monkeypatch):
    rng = np.random.default_rng(7)
    data = rng.integers(0, 5, size=(3, 1000)).astype(float)
    data[rng.random(data.shape) < 0.2] = np.nan
    whole = krippendorff_alpha(data, "ordinal")
    monkeypatch.setattr(agreement.stats, "_CHUNK", 7)
    assert krippendorff_alpha(data, "ordinal") == pytest.approx(whole, abs=1e-12)
    assert whole == pytest.approx(krippendorff.alpha(reliability_data=data, level_of_measurement="ordinal"))


def test_krippendorff_alpha_of_labels_is_nominal():
    labels = [["actor", "weapon", None, "O"], ["actor", "actor", "O", "O"], [None, "weapon", "O", "O"]]
    numbered = [[{"actor": 0, "weapon": 1, "O": 2}.get(v) for v in row] for row in labels]
    assert krippendorff_alpha(labels) == pytest.approx(krippendorff_alpha(numbered))
    with pytest.raises(ValueError, match="ordinal alpha needs numbers"):
        krippendorff_alpha(labels, "ordinal")


@settings(max_examples=80, deadline=None)
@given(st.lists(st.tuples(st.sampled_from("abcd"), st.sampled_from("abcd")), min_size=1, max_size=60))
def test_cohen_kappa_equals_sklearn_and_is_symmetric(pairs):
    a, b = (list(column) for column in zip(*pairs, strict=True))
    ours = cohen_kappa(a, b)
    if math.isnan(ours):
        assert len(set(a) | set(b)) == 1
    else:
        assert ours == pytest.approx(cohen_kappa_score(a, b), abs=1e-9)
        assert cohen_kappa(b, a) == pytest.approx(ours, abs=1e-12)


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 8), st.integers(2, 5), st.integers(1, 25), st.integers(0, 2**32 - 1))
def test_fleiss_kappa_equals_statsmodels(raters, categories, subjects, seed):
    rng = np.random.default_rng(seed)
    table = np.stack([rng.multinomial(raters, np.ones(categories) / categories) for _ in range(subjects)])
    ours = fleiss_kappa(table)
    with np.errstate(invalid="ignore", divide="ignore"):
        theirs = statsmodels_fleiss(table)
    if math.isnan(ours):
        assert not np.isfinite(theirs)
    else:
        assert ours == pytest.approx(theirs, abs=1e-9)


def reference_unitizing(units: list[tuple], length: int, raters: int) -> dict[str, tuple[float, float]]:
    """Krippendorff's alpha_U (2004, ch. 12) written from the formulas, section by section: each rater's
    continuum cut into units of the label and gaps; D_o sums delta^2 over all pairs of sections of two
    raters; D_e as published. Quadratic and slow: an oracle for small cases only."""
    figures = {}
    for label in sorted({unit[3] for unit in units}):
        sections = []  # per rater: [(start, end, is_unit)]
        for rater in range(raters):
            covered = sorted((s, e) for r, s, e, lab in units if r == rater and lab == label)
            merged: list[list[int]] = []
            for start, end in covered:
                if merged and start < merged[-1][1]:
                    merged[-1][1] = max(merged[-1][1], end)
                else:
                    merged.append([start, end])
            cuts, position = [], 0
            for start, end in merged:
                if start > position:
                    cuts.append((position, start, False))
                cuts.append((start, end, True))
                position = end
            if position < length:
                cuts.append((position, length, False))
            sections.append(cuts)

        def delta(one, other):
            (b1, e1, unit1), (b2, e2, unit2) = one, other
            if unit1 and unit2 and b1 < e2 and b2 < e1:
                return (b1 - b2) ** 2 + (e1 - e2) ** 2
            if unit1 and not unit2 and b2 <= b1 and e1 <= e2:
                return (e1 - b1) ** 2
            if unit2 and not unit1 and b1 <= b2 and e2 <= e1:
                return (e2 - b2) ** 2
            return 0

        observed = sum(
            delta(one, other)
            for i, j in itertools.permutations(range(raters), 2)
            for one in sections[i]
            for other in sections[j]
        ) / (raters * (raters - 1) * length**2)
        unit_lengths = [e - b for cuts in sections for b, e, unit in cuts if unit]
        gap_lengths = [e - b for cuts in sections for b, e, unit in cuts if not unit]
        count = len(unit_lengths)
        numerator = sum(
            (count - 1) * (2 * size**3 - 3 * size**2 + size) / 3
            + size**2 * sum(gap - size + 1 for gap in gap_lengths if gap >= size)
            for size in unit_lengths
        )
        denominator = raters * length * (raters * length - 1) - sum(size * (size - 1) for size in unit_lengths)
        figures[label] = (observed, 2 / length * numerator / denominator)
    return figures


@settings(max_examples=60, deadline=None)
@given(st.integers(2, 4), st.integers(5, 60), st.integers(0, 12), st.integers(0, 2**32 - 1))
def test_unitizing_disagreements_equal_the_formulas_section_by_section(raters, length, count, seed):
    rng = random.Random(seed)
    units = []
    for _ in range(count):
        start = rng.randrange(length)
        units.append((rng.randrange(raters), start, rng.randint(start + 1, min(length, start + 12)), rng.choice("XY")))
    ours = unitizing_disagreements(units, length, raters=raters)
    theirs = reference_unitizing(units, length, raters)
    assert ours.keys() == theirs.keys()
    for label in ours:
        assert ours[label] == pytest.approx(theirs[label], rel=1e-9, abs=1e-12)


# -- the report against brute force -----------------------------------------------------------------


def random_corpus(seed: int, articles: int = 12, annotators: int = 3, absent: float = 0.2):
    """Articles of random words and records of annotators who mostly agree: spans on word boundaries and
    off them, relabelled, stretched, dropped, added, repeated; some annotators absent from some articles."""
    rng = random.Random(seed)
    words = "government forces shelled Kharkiv , a drone strike killed three soldiers 🔥 in Ségou ( AK-47 ) .".split()
    corpus, records = [], []
    for index in range(articles):
        text = " ".join(rng.choice(words) for _ in range(rng.randint(3, 40)))
        sha256 = hashlib.sha256(text.encode()).hexdigest()
        corpus.append({"id": f"art-{index:03d}", "title": f"Article {index}", "text": text, "sha256": sha256})
        bounds = [(m.start(), m.end()) for m in re.finditer(r"\S+", text)]
        gold = []
        for _ in range(rng.randint(0, 6)):
            first = rng.randrange(len(bounds))
            last = min(len(bounds) - 1, first + rng.randint(0, 2))
            gold.append((bounds[first][0], bounds[last][1], rng.choice(LABELS)))
        for annotator in range(annotators):
            if rng.random() < absent:
                continue
            spans = []
            for start, end, label in gold:
                roll = rng.random()
                if roll < 0.15:
                    continue
                if roll < 0.3:
                    label = rng.choice(LABELS)
                elif roll < 0.45:
                    end = min(len(text), end + rng.randint(1, 4))
                elif roll < 0.5:
                    spans.append({"start": start, "end": end, "label": label})  # the same span twice
                spans.append({"start": start, "end": end, "label": label})
            if rng.random() < 0.4:
                start = rng.randrange(len(text))
                spans.append({"start": start, "end": rng.randint(start + 1, len(text)), "label": rng.choice(LABELS)})
            rng.shuffle(spans)
            records.append(
                {"article_id": f"art-{index:03d}", "annotator": f"ann-{annotator}", "status": "submitted",
                 "spans": spans, "sha256": sha256}
            )  # fmt: skip
    return corpus, records


def compute(corpus, records, resamples=0, seed=0, labels=LABELS):
    measures = agreement.measure(corpus, records, labels)
    return agreement.summarise(measures, agreement.bootstrap(measures, resamples, seed))


def units_of(corpus, records):
    """{article id: (text, {annotator: set of (start, end, label)})} for articles with two annotators."""
    texts = {article["id"]: article["text"] for article in corpus}
    by_article: dict = {}
    for record in records:
        spans = {(s["start"], s["end"], s["label"]) for s in record["spans"]}
        by_article.setdefault(record["article_id"], {})[record["annotator"]] = spans
    return {aid: (texts[aid], annotators) for aid, annotators in by_article.items() if len(annotators) >= 2}


def kuhn_matching(a: list[tuple], b: list[tuple]) -> int:
    """Maximum matching by augmenting paths (Kuhn), edges: same label and a shared character."""
    partner: dict[int, int] = {}

    def augment(i: int, seen: set[int]) -> bool:
        for j, other in enumerate(b):
            if j not in seen and a[i][2] == other[2] and a[i][0] < other[1] and other[0] < a[i][1]:
                seen.add(j)
                if j not in partner or augment(partner[j], seen):
                    partner[j] = i
                    return True
        return False

    return sum(augment(i, set()) for i in range(len(a)))


@pytest.mark.parametrize("seed", range(6))
def test_span_f1_equals_brute_force_counts(seed):
    corpus, records = random_corpus(seed)
    figures = compute(corpus, records)
    strict: dict = {}
    overlap: dict = {}
    for _, annotators in units_of(corpus, records).values():
        for a, b in itertools.combinations(sorted(annotators), 2):
            spans_a, spans_b = annotators[a], annotators[b]
            for label in LABELS:
                mine = {s for s in spans_a if s[2] == label}, {s for s in spans_b if s[2] == label}
                for key in ((a, b), label, "all"):
                    tally = strict.setdefault(key, [0, 0])
                    tally[0] += len(mine[0] & mine[1])
                    tally[1] += len(mine[0]) + len(mine[1])
                    overlap.setdefault(key, [0])[0] += kuhn_matching(sorted(mine[0]), sorted(mine[1]))
    for kind, tallies in (("strict", strict), ("overlap", {k: [v[0], strict[k][1]] for k, v in overlap.items()})):
        report = figures["span_f1"][kind]
        assert report["micro"]["value"] == pytest.approx(2 * tallies["all"][0] / tallies["all"][1])
        for label in LABELS:
            matches, sizes = tallies[label]
            assert report["per_label"][label]["value"] == (pytest.approx(2 * matches / sizes) if sizes else None)
        for pair in report["pairs"]:
            matches, sizes = tallies[(pair["a"], pair["b"])]
            assert (pair["matches"], pair["spans"]) == (matches, sizes)


def token_table(corpus, records):
    """The reliability data of the token view: annotators x tokens of all compared articles, None missing."""
    units = units_of(corpus, records)
    names = sorted({name for _, annotators in units.values() for name in annotators})
    rows: dict = {name: [] for name in names}
    for text, annotators in units.values():
        tokens = tokenize(text)
        for name in names:
            if name in annotators:
                spans = sorted(Span(*span) for span in annotators[name])
                spans = sorted(spans, key=lambda s: (s.start, -s.end, LABELS.index(s.label)))
                rows[name] += spans_to_token_labels(tokens, spans)
            else:
                rows[name] += [None] * len(tokens)
    return names, rows, units


@pytest.mark.parametrize("seed", range(6))
def test_token_figures_equal_krippendorff_sklearn_and_statsmodels(seed):
    corpus, records = random_corpus(seed, articles=15, annotators=4)
    figures = compute(corpus, records)["token"]
    names, rows, _ = token_table(corpus, records)
    codes = {label: index for index, label in enumerate([*LABELS, "O"])}
    data = np.array([[np.nan if v is None else codes[v] for v in rows[name]] for name in names])
    assert figures["tokens"] == data.shape[1]
    expected = krippendorff.alpha(reliability_data=data, level_of_measurement="nominal", value_domain=range(5))
    assert figures["krippendorff_alpha"]["value"] == pytest.approx(expected, abs=1e-9)
    labelled = ((data >= 0) & (data < 4)).any(axis=0)
    expected = krippendorff.alpha(reliability_data=data[:, labelled], level_of_measurement="nominal",
                                  value_domain=range(5))  # fmt: skip
    assert figures["krippendorff_alpha_labelled"]["value"] == pytest.approx(expected, abs=1e-9)
    for pair in figures["cohen_kappa"]["pairs"]:
        a, b = data[names.index(pair["a"])], data[names.index(pair["b"])]
        both = ~np.isnan(a) & ~np.isnan(b)
        assert pair["tokens"] == both.sum()
        assert pair["value"] == pytest.approx(cohen_kappa_score(a[both], b[both]), abs=1e-9)
    fleiss = figures["fleiss_kappa"]
    raters_per_token = (~np.isnan(data)).sum(axis=0)
    chosen = raters_per_token == fleiss["raters"]
    table = np.stack([(data[:, chosen] == code).sum(axis=0) for code in range(5)], axis=1)
    assert fleiss["tokens"] == chosen.sum()
    assert fleiss["value"] == pytest.approx(statsmodels_fleiss(table), abs=1e-9)


@pytest.mark.parametrize("seed", range(6))
def test_pooled_unitizing_alpha_is_the_ratio_of_summed_disagreements_over_articles(seed):
    """Pooling: each article is its own continuum with its own annotators; the corpus figure is
    1 - sum of observed / sum of expected disagreement, each weighted back by m (m - 1) L^2."""
    corpus, records = random_corpus(seed)
    figures = compute(corpus, records)["unitizing_alpha"]
    observed = dict.fromkeys(LABELS, 0.0)
    expected = dict.fromkeys(LABELS, 0.0)
    for text, annotators in units_of(corpus, records).values():
        names = sorted(annotators)
        units = [(names.index(name), *span) for name in names for span in annotators[name]]
        weight = len(names) * (len(names) - 1) * len(text) ** 2
        for label, (d_o, d_e) in reference_unitizing(units, len(text), len(names)).items():
            observed[label] += weight * d_o
            expected[label] += weight * d_e
    total = sum(expected.values())
    assert figures["overall"]["value"] == pytest.approx(1 - sum(observed.values()) / total, rel=1e-9)
    for label in LABELS:
        value = figures["per_label"][label]["value"]
        assert value == (pytest.approx(1 - observed[label] / expected[label], rel=1e-9) if expected[label] else None)


def test_a_corpus_of_one_article_gives_that_articles_unitizing_alpha_and_copies_change_nothing():
    corpus, records = random_corpus(3, articles=1, absent=0.0)
    figures = compute(corpus, records)["unitizing_alpha"]
    text, annotators = units_of(corpus, records)[corpus[0]["id"]]
    units = [(name, *span) for name, spans in annotators.items() for span in spans]
    assert figures["overall"]["value"] == pytest.approx(unitizing_alpha(units, len(text)), rel=1e-12)
    copies = [dict(article, id=f"{article['id']}-{n}") for n in range(3) for article in corpus]
    copied = [dict(record, article_id=f"{record['article_id']}-{n}") for n in range(3) for record in records]
    assert compute(copies, copied)["unitizing_alpha"]["overall"]["value"] == pytest.approx(
        figures["overall"]["value"], rel=1e-12
    )


def classify(span: tuple, others: set[tuple]) -> str:
    start, end, label = span
    if span in others:
        return "matched"
    if any((s, e) == (start, end) for s, e, _ in others):
        return "label"
    overlapping = [(s, e, lab) for s, e, lab in others if s < end and start < e]
    if any(lab == label for _, _, lab in overlapping):
        return "boundary"
    return "label_and_boundary" if overlapping else "miss"


@pytest.mark.parametrize("seed", range(6))
def test_disagreements_equal_brute_force_classification(seed):
    corpus, records = random_corpus(seed, annotators=4)
    figures = compute(corpus, records)["disagreements"]
    counts: dict = {}
    confusion = np.zeros((4, 5), dtype=int)
    for _, annotators in units_of(corpus, records).values():
        for name, other in itertools.permutations(sorted(annotators), 2):
            for span in annotators[name]:
                klass = classify(span, annotators[other])
                counts[(name, span[2], klass)] = counts.get((name, span[2], klass), 0) + 1
                same_extent = [lab for s, e, lab in annotators[other] if (s, e) == span[:2]]
                for label in same_extent:
                    confusion[LABELS.index(span[2]), LABELS.index(label)] += 1
                if not same_extent:
                    confusion[LABELS.index(span[2]), 4] += 1
    for klass in agreement.CLASSES:
        assert figures[klass] == sum(v for (_, _, c), v in counts.items() if c == klass), klass
        for label in LABELS:
            assert figures["per_label"][label][klass] == sum(
                v for (_, lab, c), v in counts.items() if c == klass and lab == label
            )
        for row in figures["per_annotator"]:
            assert row[klass] == sum(v for (n, _, c), v in counts.items() if c == klass and n == row["annotator"])
    assert figures["confusion"]["matrix"] == confusion.tolist()
    assert figures["judgements"] == sum(counts.values())


# =================================================================================================
# Hand-counted cases
# =================================================================================================


def test_span_f1_strict_and_overlap_by_hand():
    a = [(0, 5, "actor"), (10, 15, "weapon"), (20, 25, "location")]
    b = [(0, 5, "actor"), (10, 15, "actor"), (21, 25, "location")]
    assert span_f1(a, b) == pytest.approx(2 * 1 / 6)
    assert span_f1(a, b, overlap=True) == pytest.approx(2 * 2 / 6)
    assert math.isnan(span_f1([], []))
    assert span_f1(a, []) == 0.0


def test_overlap_matching_is_maximum_where_greedy_first_come_is_not():
    """Greedy, taking for each span of A the first overlapping span of B by start, pairs [0,10) with
    [5,12) and leaves [9,20) with nothing: 1 match. The maximum matching pairs [0,10)-[7,8) and
    [9,20)-[5,12): 2 matches, F1 1.0 instead of 0.5."""
    a = [(0, 10, "actor"), (9, 20, "actor")]
    b = [(5, 12, "actor"), (7, 8, "actor")]
    assert span_f1(a, b, overlap=True) == 1.0
    corpus = [{"id": "x", "title": "", "text": "a" * 25, "sha256": "s"}]
    records = [
        {"article_id": "x", "annotator": name, "status": "submitted", "sha256": "s",
         "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans]}
        for name, spans in (("a", a), ("b", b))
    ]  # fmt: skip
    figures = compute(corpus, records)["span_f1"]["overlap"]
    assert figures["micro"] == {"value": 1.0, "matches": 2, "spans": 4}


def test_maximum_matching_is_the_edges_when_no_node_has_two_and_scipys_when_one_does():
    """Edges that share no row and no column are the one maximum matching (taken as they are, without
    scipy); once a node has two edges the matching is Hopcroft-Karp's, and maximum."""
    from annotate.agreement.stats import maximum_matching

    assert maximum_matching(np.array([7, 1, 3]), np.array([0, 5, 2])).tolist() == [1, 3, 7]
    assert maximum_matching(np.array([7, 1, 3]), np.array([0, 5, 2]), size=8).tolist() == [1, 3, 7]
    # Row 0 reaches columns 0 and 1, row 1 only column 0: both are matched, not row 0 alone.
    assert maximum_matching(np.array([0, 0, 1]), np.array([0, 1, 0])).tolist() == [0, 1]
    # Two rows reaching one column: one of them.
    assert len(maximum_matching(np.array([4, 6]), np.array([3, 3]))) == 1


def record(article_id, annotator, spans, sha256="s", status="submitted", **extra):
    return {
        "article_id": article_id,
        "annotator": annotator,
        "status": status,
        "sha256": sha256,
        "spans": [{"start": s, "end": e, "label": lab} for s, e, lab in spans],
        **extra,
    }


def test_the_pooled_f1_sums_over_every_pair_and_article():
    corpus = [{"id": i, "title": "", "text": "x" * 50, "sha256": "s"} for i in ("p", "q")]
    records = [
        record("p", "a", [(0, 5, "actor"), (10, 15, "weapon")]),
        record("p", "b", [(0, 5, "actor")]),
        record("p", "c", [(0, 5, "actor"), (10, 15, "weapon"), (20, 30, "location")]),
        record("q", "a", [(1, 2, "casualty")]),
        record("q", "b", [(1, 2, "casualty")]),
    ]
    figures = compute(corpus, records)["span_f1"]["strict"]
    # p: a-b 1 match of 2+1; a-c 2 of 2+3; b-c 1 of 1+3. q: a-b 1 of 1+1.
    assert figures["micro"] == {"value": pytest.approx(2 * 5 / 14), "matches": 5, "spans": 14}
    pairs = {(p["a"], p["b"]): (p["matches"], p["spans"], p["articles"]) for p in figures["pairs"]}
    assert pairs == {("a", "b"): (2, 5, 2), ("a", "c"): (2, 5, 1), ("b", "c"): (1, 4, 1)}
    assert figures["per_label"]["location"] == {"value": 0.0, "matches": 0, "spans": 2}


def test_each_disagreement_is_classified_and_the_confusion_matrix_counts_same_extents():
    a = [(0, 5, "actor"), (10, 15, "weapon"), (20, 25, "location"), (30, 35, "casualty"), (40, 45, "actor")]
    b = [(0, 5, "actor"), (10, 15, "actor"), (20, 24, "location"), (31, 36, "actor")]
    corpus = [{"id": "x", "title": "", "text": "y" * 50, "sha256": "s"}]
    figures = compute(corpus, [record("x", "a", a), record("x", "b", b)])["disagreements"]
    assert {k: figures[k] for k in agreement.CLASSES} == {
        "matched": 2, "label": 2, "boundary": 2, "label_and_boundary": 2, "miss": 1,
    }  # fmt: skip
    assert figures["judgements"] == 9
    rows = {row["annotator"]: {k: row[k] for k in agreement.CLASSES} for row in figures["per_annotator"]}
    assert rows["a"] == {"matched": 1, "label": 1, "boundary": 1, "label_and_boundary": 1, "miss": 1}
    assert rows["b"] == {"matched": 1, "label": 1, "boundary": 1, "label_and_boundary": 1, "miss": 0}
    assert figures["confusion"]["columns"] == [*LABELS, "(none)"]
    assert figures["confusion"]["matrix"] == [
        [2, 1, 0, 0, 2],  # actor: matched twice (both orders), once as weapon; [40,45) and [31,36) alone
        [1, 0, 0, 0, 0],  # weapon
        [0, 0, 0, 0, 1],  # casualty [30,35)
        [0, 0, 0, 0, 2],  # location [20,25) and [20,24)
    ]


def test_overlapping_spans_of_one_label_from_one_annotator_merge_for_unitizing_alpha():
    merged = unitizing_disagreements([(0, 2, 8, "X"), (0, 5, 12, "X"), (1, 2, 12, "X")], 20)
    assert merged == unitizing_disagreements([(0, 2, 12, "X"), (1, 2, 12, "X")], 20)
    assert merged["X"][0] == 0.0


# =================================================================================================
# Properties
# =================================================================================================

SPANS = st.lists(
    st.tuples(st.integers(0, 30), st.integers(1, 8), st.sampled_from(LABELS)).map(lambda t: (t[0], t[0] + t[1], t[2])),
    max_size=8,
)


@settings(max_examples=60, deadline=None)
@given(st.lists(SPANS, min_size=1, max_size=4), st.integers(2, 4))
def test_identical_annotators_agree_perfectly(articles, annotators):
    corpus = [{"id": f"d{i}", "title": "", "text": "w " * 20, "sha256": "s"} for i in range(len(articles))]
    records = [record(f"d{i}", f"ann-{k}", spans) for i, spans in enumerate(articles) for k in range(annotators)]
    figures = compute(corpus, records)
    for kind in ("strict", "overlap"):
        assert figures["span_f1"][kind]["micro"]["value"] in (1.0, None)
    for key in ("krippendorff_alpha", "krippendorff_alpha_labelled", "fleiss_kappa"):
        assert figures["token"][key]["value"] in (pytest.approx(1.0), None)
    assert figures["unitizing_alpha"]["overall"]["value"] in (pytest.approx(1.0), None)
    assert all(p["value"] in (pytest.approx(1.0), None) for p in figures["token"]["cohen_kappa"]["pairs"])
    if any(articles):
        assert figures["span_f1"]["strict"]["micro"]["value"] == 1.0
        assert figures["unitizing_alpha"]["overall"]["value"] == pytest.approx(1.0)
    assert figures["disagreements"]["miss"] == 0


@settings(max_examples=60, deadline=None)
@given(SPANS, SPANS)
def test_span_f1_is_symmetric(a, b):
    for overlap in (False, True):
        first, second = span_f1(a, b, overlap), span_f1(b, a, overlap)
        assert (math.isnan(first) and math.isnan(second)) or first == second


def assert_same_figures(first: object, second: object, where: str = "report") -> None:
    """Equal reports, floats to 1e-9 (sums taken in another order may differ in the last bits)."""
    if isinstance(first, dict):
        assert isinstance(second, dict) and first.keys() == second.keys(), where
        for key in first:
            assert_same_figures(first[key], second[key], f"{where}.{key}")
    elif isinstance(first, list):
        assert isinstance(second, list) and len(first) == len(second), where
        for index, (one, other) in enumerate(zip(first, second, strict=True)):
            assert_same_figures(one, other, f"{where}[{index}]")
    elif isinstance(first, float):
        assert second == pytest.approx(first, rel=1e-9, abs=1e-12), where
    else:
        assert first == second, where


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1), st.randoms(use_true_random=False))
def test_the_report_does_not_depend_on_the_order_of_spans_records_or_articles(seed, rng):
    corpus, records = random_corpus(seed, articles=6)
    shuffled_records = [dict(r, spans=rng.sample(r["spans"], len(r["spans"]))) for r in records]
    rng.shuffle(shuffled_records)
    shuffled_corpus = rng.sample(corpus, len(corpus))
    first, second = compute(corpus, records, 50, 1), compute(shuffled_corpus, shuffled_records, 50, 1)
    # Articles are read in corpus order, so a bootstrap draw names other articles: intervals may move.
    for figures in (first, second):
        for kind in ("strict", "overlap"):
            figures["span_f1"][kind].pop("ci95")
        figures["unitizing_alpha"].pop("ci95")
        figures["token"]["krippendorff_alpha"].pop("ci95")
        figures["token"]["krippendorff_alpha_labelled"].pop("ci95")
        figures["disagreements"]["lowest_articles"].sort(key=lambda row: row["article_id"])
    assert_same_figures(first, second)


@settings(max_examples=25, deadline=None)
@given(st.integers(0, 2**32 - 1))
def test_renaming_annotators_only_renames_them_in_the_report(seed):
    corpus, records = random_corpus(seed, articles=6)
    renamed = [dict(r, annotator={"ann-0": "zed", "ann-1": "amy", "ann-2": "kim"}[r["annotator"]]) for r in records]
    first, second = compute(corpus, records), compute(corpus, renamed)
    for key in ("strict", "overlap"):
        assert first["span_f1"][key]["micro"] == second["span_f1"][key]["micro"]
        assert first["span_f1"][key]["per_label"] == second["span_f1"][key]["per_label"]
        values = sorted(p["value"] or -1 for p in first["span_f1"][key]["pairs"])
        assert values == sorted(p["value"] or -1 for p in second["span_f1"][key]["pairs"])
    assert first["token"]["krippendorff_alpha"] == second["token"]["krippendorff_alpha"]
    assert first["unitizing_alpha"] == second["unitizing_alpha"]


# =================================================================================================
# Degenerate input, exclusions, the bootstrap
# =================================================================================================


def test_one_annotator_gives_nulls_with_a_reason_not_a_crash():
    corpus = [{"id": "x", "title": "", "text": "some words here", "sha256": "s"}]
    figures = compute(corpus, [record("x", "a", [(0, 4, "actor")])], resamples=100)
    assert figures["documents"] == 0
    assert figures["records"]["articles_with_one_annotator"] == 1
    for figure in (
        figures["span_f1"]["strict"]["micro"],
        figures["span_f1"]["overlap"]["per_label"]["actor"],
        figures["token"]["krippendorff_alpha"],
        figures["token"]["fleiss_kappa"],
        figures["unitizing_alpha"]["overall"],
    ):
        assert figure["value"] is None and figure["reason"] == agreement.NO_UNITS
    assert figures["span_f1"]["strict"]["ci95"] == {
        "low": None, "high": None, "reason": "a bootstrap over articles needs at least two articles",
    }  # fmt: skip
    assert figures["token"]["cohen_kappa"]["pairs"] == [] and figures["span_f1"]["strict"]["pairs"] == []
    assert figures["disagreements"]["lowest_articles"] == []


def test_annotators_who_marked_nothing_give_nulls_with_reasons():
    corpus = [{"id": i, "title": "", "text": "some words here", "sha256": "s"} for i in "xy"]
    records = [record(i, name, []) for i in "xy" for name in "ab"]
    figures = compute(corpus, records, resamples=20)
    assert figures["documents"] == 2
    strict = figures["span_f1"]["strict"]
    assert strict["micro"] == {
        "value": None, "reason": "nobody marked a span on the compared articles", "matches": 0, "spans": 0,
    }  # fmt: skip
    assert strict["pairs"][0]["reason"] == "neither annotator marked a span on the articles both submitted"
    alpha = figures["token"]["krippendorff_alpha"]
    assert alpha["value"] is None and "no disagreement is expected by chance" in alpha["reason"]
    assert figures["token"]["krippendorff_alpha_labelled"]["reason"] == "no token was labelled by anyone"
    assert figures["token"]["cohen_kappa"]["pairs"][0]["value"] is None
    assert figures["unitizing_alpha"]["overall"]["value"] is None
    assert strict["ci95"]["reason"] == "the figure is undefined in every resample"


def test_a_label_nobody_used_is_null_with_a_reason():
    corpus = [{"id": "x", "title": "", "text": "some words here", "sha256": "s"}]
    figures = compute(corpus, [record("x", "a", [(0, 4, "actor")]), record("x", "b", [(0, 4, "actor")])])
    for table in (figures["span_f1"]["strict"]["per_label"], figures["unitizing_alpha"]["per_label"]):
        assert table["weapon"]["value"] is None
        assert table["weapon"]["reason"] == "nobody used this label on the compared articles"
    assert figures["span_f1"]["strict"]["per_label"]["actor"]["value"] == 1.0


def test_records_that_cannot_be_compared_are_left_out_and_counted():
    corpus = [
        {"id": "x", "title": "", "text": "some words here", "sha256": "s"},
        {"id": "y", "title": "", "text": "other words", "sha256": "t"},
    ]
    records = [
        record("x", "a", [(0, 4, "actor")]),
        record("x", "b", [(0, 4, "actor")], updated_at="2024-01-01"),
        record("x", "b", [(5, 10, "weapon")], updated_at="2024-02-01"),  # supersedes the one above
        record("x", "c", [(0, 4, "actor")], status="cancelled"),
        record("x", "d", [(0, 4, "actor")], status="draft"),
        record("x", "e", [(0, 4, "actor")], sha256="old"),
        record("x", "f", [(0, 99, "actor")]),
        record("x", "g", [(0, 4, "tank")]),
        {"article_id": "x", "annotator": "h", "status": "submitted", "sha256": "s", "spans": [{"start": "0"}]},
        record("nowhere", "a", [(0, 4, "actor")]),
        record("y", "a", [(0, 5, "actor")], sha256="t"),
    ]
    figures = compute(corpus, records)
    assert figures["records"] == {
        "read": 11,
        "compared": 2,
        "excluded": {
            "cancelled": 1, "not_submitted": 1, "malformed": 1, "unknown_label": 1, "superseded": 1,
            "not_in_corpus": 1, "text_changed": 1, "offsets_outside_text": 1,
        },
        "articles_with_one_annotator": 1,
    }  # fmt: skip
    assert figures["span_f1"]["strict"]["micro"]["value"] == 0.0  # b's later record: (5, 10, weapon)


def test_a_repeated_span_counts_once():
    corpus = [{"id": "x", "title": "", "text": "some words here", "sha256": "s"}]
    records = [record("x", "a", [(0, 4, "actor"), (0, 4, "actor")]), record("x", "b", [(0, 4, "actor")])]
    assert compute(corpus, records)["span_f1"]["strict"]["micro"] == {"value": 1.0, "matches": 1, "spans": 2}


def test_the_bootstrap_is_seeded_and_brackets_the_figure():
    corpus, records = random_corpus(11, articles=40, absent=0.0)
    first, again, other = (compute(corpus, records, 300, seed) for seed in (5, 5, 6))
    interval = first["span_f1"]["strict"]["ci95"]
    assert interval == again["span_f1"]["strict"]["ci95"] != other["span_f1"]["strict"]["ci95"]
    assert interval["resamples"] == 300 and interval["seed"] == 5
    for figure, ci in (
        (first["span_f1"]["strict"]["micro"], interval),
        (first["span_f1"]["overlap"]["micro"], first["span_f1"]["overlap"]["ci95"]),
        (first["token"]["krippendorff_alpha"], first["token"]["krippendorff_alpha"]["ci95"]),
        (first["unitizing_alpha"]["overall"], first["unitizing_alpha"]["ci95"]),
    ):
        assert ci["low"] < figure["value"] < ci["high"]
    assert compute(corpus, records, 0)["span_f1"]["strict"]["ci95"]["reason"] == "the bootstrap is off (resamples = 0)"


def test_the_bootstrap_resamples_whole_articles():
    """An article's spans move together: with two articles, one perfect and one with no match, every
    resample holds 0, 1 or 2 copies of each, so the F1 takes only the values those mixtures give."""
    corpus = [{"id": i, "title": "", "text": "x" * 20, "sha256": "s"} for i in "pq"]
    records = [
        record("p", "a", [(0, 2, "actor"), (3, 5, "actor")]),
        record("p", "b", [(0, 2, "actor"), (3, 5, "actor")]),
        record("q", "a", [(0, 2, "weapon")]),
        record("q", "b", [(9, 12, "weapon")]),
    ]
    measures = agreement.measure(corpus, records, LABELS)
    columns = measures.columns
    assert columns["strict"].tolist() == [2.0, 0.0] and columns["sizes"].tolist() == [4.0, 2.0]  # matches, spans
    interval = agreement.bootstrap(measures, 400, 3)["span_f1.strict"]
    assert interval["low"] == 0.0 and interval["high"] == 1.0  # {q, q} and {p, p}


# =================================================================================================
# The command
# =================================================================================================


@pytest.fixture
def annotated(cli, workspace, bundled_copy):
    """A workspace with three bundled articles and three annotators' records, one of them cancelled."""
    for path in sorted(bundled_copy.glob("*.txt"))[3:]:
        path.unlink()
    assert cli("corpus", "add", bundled_copy, workspace=workspace).exit_code == 0
    articles = list(workspace.read_articles())
    lines = []
    for number, article in enumerate(articles):
        words = [(m.start(), m.end()) for m in re.finditer(r"\w+", article["text"])]
        spans = [(*words[i], LABELS[i % 4]) for i in range(0, 40, 5)]
        for name, kept in (("ann-01", spans), ("ann-02", spans[:-2]), ("ann-03", spans[1:])):
            status = "cancelled" if (number, name) == (2, "ann-03") else "submitted"
            lines.append(json.dumps(record(article["id"], name, kept, sha256=article["sha256"], status=status)))
    workspace.annotations_path.parent.mkdir(parents=True, exist_ok=True)
    workspace.annotations_path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return workspace


def test_agreement_json_has_the_documented_keys(cli, annotated):
    result = cli("agreement", "--json", "--resamples", 50, workspace=annotated)
    assert result.exit_code == 0, result.stderr
    figures = json.loads(result.stdout)
    assert figures["documents"] == 3
    assert [a["name"] for a in figures["annotators"]] == ["ann-01", "ann-02", "ann-03"]
    assert figures["records"]["excluded"]["cancelled"] == 1
    for kind in ("strict", "overlap"):
        assert set(figures["span_f1"][kind]) == {"micro", "per_label", "pairs", "ci95"}
        assert set(figures["span_f1"][kind]["per_label"]) == set(LABELS)
        assert figures["span_f1"][kind]["ci95"]["resamples"] == 50
    assert len(figures["span_f1"]["strict"]["pairs"]) == 3
    assert {"cohen_kappa", "fleiss_kappa", "krippendorff_alpha", "krippendorff_alpha_labelled"} <= set(figures["token"])
    assert set(figures["unitizing_alpha"]) == {"overall", "per_label", "ci95"}
    assert {"matched", "miss", "confusion", "per_annotator", "lowest_articles"} <= set(figures["disagreements"])
    # ann-02 left out the last two spans, ann-03 the first: every pair agrees on what both marked.
    assert figures["disagreements"]["label"] == figures["disagreements"]["boundary"] == 0
    assert figures["span_f1"]["strict"]["micro"]["value"] == figures["span_f1"]["overlap"]["micro"]["value"]


def test_agreement_prints_tables_and_writes_json_and_pictures(cli, annotated, tmp_path):
    out = tmp_path / "reports" / "agreement.json"
    result = cli("agreement", "--out", out, "--png", f"{tmp_path / 'figures'}/", "--seed", 3, workspace=annotated)
    assert result.exit_code == 0, result.stderr
    assert "Span agreement" in result.stdout and "Articles with the lowest agreement" in result.stdout
    strict = json.loads(out.read_text())["span_f1"]["strict"]
    assert f"{strict['micro']['value']:.3f}" in result.stdout
    assert strict["ci95"]["seed"] == 3
    for name in ("agreement-pairs.png", "agreement-confusion.png"):
        assert (tmp_path / "figures" / name).read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert f"Wrote {out}" in result.stdout
    prefixed = cli("agreement", "--json", "--resamples", 0, "--png", tmp_path / "run1", workspace=annotated)
    assert prefixed.exit_code == 0
    assert (tmp_path / "run1-pairs.png").is_file() and (tmp_path / "run1-confusion.png").is_file()
    assert prefixed.stderr.splitlines() == [
        f"Wrote {tmp_path / 'run1-pairs.png'}",
        f"Wrote {tmp_path / 'run1-confusion.png'}",
    ]
    assert json.loads(prefixed.stdout)["span_f1"]["strict"]["ci95"]["reason"] == "the bootstrap is off (resamples = 0)"


def test_agreement_without_annotations_says_how_to_get_them(cli, workspace):
    result = cli("agreement", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr == (
        "Error: No annotations yet: annotations/annotations.jsonl is missing or empty. "
        "Run `annotate import EXPORT.json` or `annotate pull` first.\n"
    )
    workspace.annotations_path.parent.mkdir()
    workspace.annotations_path.write_text("", encoding="utf-8")
    assert cli("agreement", workspace=workspace).exit_code == 1


def figures_in(report: object) -> list[dict]:
    """Every figure (a dict with a ``value``) anywhere in a report."""
    if isinstance(report, list):
        return [found for item in report for found in figures_in(item)]
    if not isinstance(report, dict):
        return []
    return ([report] if "value" in report else []) + [found for item in report.values() for found in figures_in(item)]


def test_agreement_with_one_annotator_says_so_in_one_line_and_exits_0(cli, annotated):
    lines = annotated.annotations_path.read_text().splitlines()
    annotated.annotations_path.write_text("\n".join(line for line in lines if '"ann-01"' in line) + "\n")
    result = cli("agreement", workspace=annotated)
    assert result.exit_code == 0, result.stderr
    assert result.stdout == (
        "No agreement to measure: no article has submitted annotations from two annotators "
        "(annotators: ann-01; articles with one: 3). Import the other annotators' work (`annotate import "
        "EXPORT.json`; for a file of one person's work add `--annotator NAME`) and run `annotate agreement` again.\n"
    )
    figures = json.loads(cli("agreement", "--json", workspace=annotated).stdout)
    assert figures["documents"] == 0 and figures["records"]["articles_with_one_annotator"] == 3
    found = figures_in(figures)
    assert len(found) == 2 * (1 + len(LABELS)) + 3 + (1 + len(LABELS))  # span F1 x2, token figures, alpha_U
    assert all(figure["value"] is None and figure["reason"] == agreement.NO_UNITS for figure in found)
    assert {figures["span_f1"]["strict"]["ci95"]["reason"]} == {"a bootstrap over articles needs at least two articles"}


def test_agreement_of_a_round_without_pairs_names_the_round_and_what_was_left_out(cli, annotated):
    lines = [json.loads(line) for line in annotated.annotations_path.read_text().splitlines()]
    for line in lines:
        if line["annotator"] != "ann-01":
            line["sha256"] = "0" * 64  # annotated another text: left out as text_changed
    annotated.annotations_path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    from annotate.agreement import format as fmt

    figures = agreement.report(annotated, resamples=0)
    assert fmt.no_pairs_text({**figures, "round": "week-1"}).startswith(
        "Round 'week-1': No agreement to measure: no article has submitted annotations from two annotators "
        "(annotators: ann-01, ann-02, ann-03; articles with one: 3; records left out: cancelled 1, text_changed 5). "
    )


def test_a_narrow_terminal_wraps_the_figures_and_keeps_the_names(cli, annotated):
    """Without intervals each headline cell reads "0.667 (no interval: the bootstrap is off ...)": in 80
    columns the figures wrap, and the label column keeps its names (it used to be squeezed to nothing)."""
    result = cli("agreement", "--resamples", 0, workspace=annotated)
    assert result.exit_code == 0, result.stderr
    assert "is off (resamples = 0))" in result.stdout
    table = result.stdout.split("Span agreement", 1)[1].split("└", 1)[0]
    rows = [line.split("│")[1].strip() for line in table.splitlines() if line.startswith("│")]
    assert [name for name in rows if name] == ["all", *LABELS]  # the wrapped lines have no name


def test_agreement_refuses_a_negative_number_of_resamples(cli, annotated):
    result = cli("agreement", "--resamples", -1, workspace=annotated)
    assert result.exit_code == 2


# =================================================================================================
# The one formatter (terminal and dataset card)
# =================================================================================================


def test_figures_and_intervals_read_the_same_everywhere():
    from annotate.agreement.format import figure_text, interval_text, with_interval

    assert figure_text(0.75) == "0.750" and figure_text(12) == "12" and figure_text(None) == "n/a"
    assert figure_text({"value": 0.12345, "matches": 3}) == "0.123"
    assert figure_text({"value": None, "reason": "nobody marked a span"}) == "n/a"
    assert interval_text({"low": 0.1, "high": 0.25, "resamples": 9}) == "[0.100, 0.250]"
    assert interval_text({"low": None, "high": None, "reason": "the bootstrap is off"}) == (
        "(no interval: the bootstrap is off)"
    )
    assert with_interval({"value": 0.5}, {"low": 0.4, "high": 0.6}) == "0.500 [0.400, 0.600]"


def test_the_report_tables_carry_the_reports_figures(cli, annotated):
    from annotate.agreement import format as fmt

    figures = json.loads(cli("agreement", "--json", "--resamples", 50, workspace=annotated).stdout)
    strict, unitizing = figures["span_f1"]["strict"], figures["unitizing_alpha"]
    table = fmt.span_table(figures)
    assert [row[0] for row in table.rows] == ["all", *LABELS]
    low, high = strict["ci95"]["low"], strict["ci95"]["high"]
    assert table.rows[0][1] == f"{strict['micro']['value']:.3f} [{low:.3f}, {high:.3f}]"
    assert table.rows[1][3] == f"{unitizing['per_label']['actor']['value']:.3f}"
    markdown = fmt.markdown_table(table)
    assert markdown[0] == "| label | strict span F1 | overlap span F1 | Krippendorff's alpha_U |"
    assert markdown[1] == "|---|---|---|---|" and markdown[2].startswith(f"| all | {table.rows[0][1]} |")
    pairs = fmt.pair_table(figures)
    assert [row[:2] for row in pairs.rows] == [("ann-01", "ann-02"), ("ann-01", "ann-03"), ("ann-02", "ann-03")]
    judged = fmt.judgement_table(figures["disagreements"])
    assert judged.rows[-1][5:] == tuple(str(figures["disagreements"][c]) for c in agreement.CLASSES)
    headline = agreement.headline(figures)
    assert fmt.headline_text(headline) == (
        f"strict span F1 is {fmt.with_interval(strict['micro'], strict['ci95'])} "
        f"and alpha_U {fmt.with_interval(unitizing['overall'], unitizing['ci95'])}"
    )
    assert fmt.headline_figures(headline) == f"{strict['micro']['value']:.3f} / {unitizing['overall']['value']:.3f}"
