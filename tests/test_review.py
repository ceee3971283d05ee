"""The review site (``annotate review``), opened in a real headless Chromium (Debian's, driven by Playwright).

The workspace is real: the bundled corpus with its pre-annotated tasks, the simulated Label Studio export
imported as three annotators, gold settled, one conflict adjudicated, two rounds, and two articles of our
own: one with emoji (astral characters: the offsets are Python code points, JavaScript counts UTF-16) and
one whose title and text hold markup (``<script>``) that must be shown, never run.

Every expectation is counted here from the stored files, not read back from the site's data.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

from annotate import corpus, tasks
from annotate.agreement import CLASSES, report
from annotate.gold import gold
from annotate.imports import import_export
from annotate.review import ProjectLink, review
from annotate.review.browser import CHROMIUM, CHROMIUM_ARGS
from annotate.review.data import classify, gather
from annotate.spans import Span
from annotate.workspace import init_workspace

from .conftest import BUNDLED, SIMULATED_EXPORT
from .records import annotation_record, write_records

EMOJI_TEXT = "Drone 🚀 strikes hit Odesa port 🇺🇦 overnight; two dock workers 👷 were wounded, officials in Odesa said."
LONE_TEXT = "Only one annotator read this one: a mortar shell hit the market in Goma."
SCRIPT_TITLE = "Markup <b>in</b> a title <script>window.__ran_title = 1</script>"
SCRIPT_TEXT = (
    'Militants posted <script>window.__ran = 1; document.title = "pwned"</script> on a site before a car bomb '
    'killed three soldiers <img src=x onerror="window.__ran_img = 1"> in Mogadishu.'
)


# -- the workspace and its site, built once ------------------------------------------------------------------


def _own_articles(folder: Path) -> Path:
    source = folder / "own.jsonl"
    rows = [
        {"title": "Drones 🚀 over Odesa", "text": EMOJI_TEXT},
        {"title": SCRIPT_TITLE, "text": SCRIPT_TEXT},
        {"title": "A lone reading", "text": LONE_TEXT},
    ]
    source.write_text("".join(json.dumps(row, ensure_ascii=False) + "\n" for row in rows), encoding="utf-8")
    return source


def _at(text: str, phrase: str, label: str, occurrence: int = 0) -> Span:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(phrase, start + 1)
    return Span(start, start + len(phrase), label)


def _own_records(articles: dict[str, dict]) -> list[dict]:
    emoji = next(a for a in articles.values() if a["text"] == EMOJI_TEXT)
    script = next(a for a in articles.values() if a["text"] == SCRIPT_TEXT)
    lone = next(a for a in articles.values() if a["text"] == LONE_TEXT)
    t = EMOJI_TEXT
    return [
        annotation_record(lone, "ann-02", [_at(LONE_TEXT, "mortar shell", "weapon"),
                                           _at(LONE_TEXT, "Goma", "location")]),
        annotation_record(emoji, "ann-01", [_at(t, "Drone", "weapon"), _at(t, "Odesa port", "location"),
                                            _at(t, "two dock workers", "casualty"), _at(t, "Odesa", "location", 1)]),
        annotation_record(emoji, "ann-02", [_at(t, "Drone", "weapon"), _at(t, "Odesa", "location"),
                                            _at(t, "dock workers", "actor")]),
        annotation_record(script, "ann-01", [_at(SCRIPT_TEXT, "<script>window.__ran = 1;", "actor"),
                                             _at(SCRIPT_TEXT, "car bomb", "weapon")]),
        annotation_record(script, "ann-03", [_at(SCRIPT_TEXT, "Militants", "actor"),
                                             _at(SCRIPT_TEXT, "three soldiers", "casualty")]),
    ]  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    root = tmp_path_factory.mktemp("review")
    articles_dir = root / "articles"
    shutil.copytree(BUNDLED, articles_dir)
    ws = init_workspace(root / "ws")
    corpus.add(ws, [articles_dir, _own_articles(root)])
    tasks.build(ws, prelabel=True)
    import_export(ws, SIMULATED_EXPORT)
    articles = {a["id"]: a for a in ws.read_articles()}
    records = list(ws.read_annotations()) + _own_records(articles)
    write_records(ws.annotations_path, records)
    gold(ws)
    # Two rounds (the shape ``push --round`` records), then an adjudicator settles the first open conflict.
    ids = sorted(articles)
    rounds = [
        {"round": "week-1", "project": "p", "seed": 1, "sample": 10, "articles": ids[:10], "created_at": "2026"},
        {"round": "week-2", "project": "p", "seed": 1, "sample": 5, "articles": ids[8:13], "created_at": "2026"},
    ]
    write_records(ws.rounds_path, rounds)
    in_conflict = next(record for record in ws.read_gold() if record["conflicts"])
    candidate = in_conflict["conflicts"][0]["candidates"][0]
    decided = [*in_conflict["spans"], candidate]
    decision = {
        "article_id": in_conflict["article_id"],
        "sha256": in_conflict["sha256"],
        "spans": [{key: span[key] for key in ("start", "end", "label", "text")} for span in decided],
        "adjudicator": "ann-04",
        "updated_at": "2026-11-30T10:00:00Z",
        "origin": {"project": 9, "task": 1, "annotation": 1},
    }
    write_records(ws.adjudications_path, [decision])
    gold(ws)
    summary = review(ws, root / "site")
    return ws, root / "site", summary


@pytest.fixture(scope="module")
def browser():
    if os.environ.get("CI"):  # CI installs the `test` extra: a browser test skipped there would hide a failure
        from playwright import sync_api
    else:
        sync_api = pytest.importorskip("playwright.sync_api", reason="the `test` extra's playwright drives the browser")
    if not CHROMIUM.exists():
        pytest.fail(f"{CHROMIUM} is missing: `apt-get install -y chromium` (.ci/run does it)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
        yield chromium
        chromium.close()


@pytest.fixture
def page(browser, site):
    page = browser.new_page(viewport={"width": 1200, "height": 900})
    errors: list[str] = []
    requests: list[str] = []
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: requests.append(request.url))
    page.goto((site[1] / "index.html").as_uri())
    page.wait_for_selector("body[data-ready]")
    yield page
    assert errors == []
    assert [url for url in requests if not url.startswith("file://")] == []  # no network
    page.close()


def open_article(page, article_id: str) -> None:
    page.evaluate("id => { location.hash = '#article=' + encodeURIComponent(id); }", article_id)
    page.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=article_id)


def listed(page) -> list[str]:
    return page.eval_on_selector_all("#list tbody tr", "rows => rows.map(row => row.dataset.id)")


# -- what the stored files say -------------------------------------------------------------------------------


def newest_submitted(ws) -> dict[str, dict[str, dict]]:
    """Article -> annotator -> newest submitted record (the rule of annotate.records)."""
    found: dict[str, dict[str, dict]] = defaultdict(dict)
    for record in ws.read_annotations():
        if record["status"] != "submitted":
            continue
        kept = found[record["article_id"]].get(record["annotator"])
        if kept is None or (record.get("updated_at") or "") >= (kept.get("updated_at") or ""):
            found[record["article_id"]][record["annotator"]] = record
    return found


def spans_of(record: dict) -> set[tuple[int, int, str]]:
    return {(s["start"], s["end"], s["label"]) for s in record["spans"]}


def kinds_seen(by_annotator: dict[str, dict]) -> set[tuple[str, str]]:
    """(label, class) of every span against every other annotator, pair by pair (CLASSES: strongest first)."""
    found = set()
    for name, record in by_annotator.items():
        for start, end, label in spans_of(record):
            for other, theirs in by_annotator.items():
                if other == name:
                    continue
                near = [(s, e, la) for s, e, la in spans_of(theirs) if s < end and start < e]
                if (start, end, label) in near:
                    kind = "matched"
                elif any((s, e) == (start, end) for s, e, _ in near):
                    kind = "label"
                elif any(la == label for _, _, la in near):
                    kind = "boundary"
                else:
                    kind = "label_and_boundary" if near else "miss"
                found.add((label, kind))
    return found


# -- without a browser ---------------------------------------------------------------------------------------


def test_the_span_classes_add_up_to_the_agreement_reports_counts(site):
    ws = site[0]
    figures = report(ws, resamples=0)
    data = gather(ws)
    totals: dict[tuple[str, str], dict[str, int]] = defaultdict(lambda: dict.fromkeys(CLASSES, 0))
    for article in data.articles():
        for lane in article["lanes"]:
            if lane["kind"] == "annotator":
                for _, _, label, seen in lane["spans"]:
                    for kind in seen.values():
                        totals[lane["name"], label][kind] += 1
    for row in figures["disagreements"]["per_annotator"]:
        for kind in CLASSES:
            assert sum(totals[row["annotator"], label][kind] for label in figures["labels"]) == row[kind]
    for label, counts in figures["disagreements"]["per_label"].items():
        for kind in CLASSES:
            assert sum(totals[name, label][kind] for name in data.annotators) == counts[kind], (label, kind)


def test_classify_names_each_kind():
    spans = {
        "a": [Span(0, 5, "actor"), Span(10, 15, "weapon"), Span(20, 25, "actor"), Span(30, 35, "actor"),
              Span(40, 45, "actor")],
        "b": [Span(0, 5, "actor"), Span(10, 15, "actor"), Span(20, 27, "actor"), Span(31, 36, "weapon")],
    }  # fmt: skip
    assert [seen["b"] for seen in classify(spans)["a"]] == [
        "matched", "label", "boundary", "label_and_boundary", "miss"
    ]  # fmt: skip


def test_the_command_writes_the_site_and_says_where(site, cli, tmp_path):
    ws = site[0]
    result = cli("review", "--out", tmp_path / "out", "--json", workspace=ws)
    assert result.exit_code == 0, result.output
    summary = json.loads(result.stdout)
    assert summary["articles"] == len(newest_submitted(ws)) == 39
    assert summary["annotators"] == 3
    assert (tmp_path / "out" / "index.html").exists() and summary["index"].endswith("index.html")
    written = "".join(path.read_text(encoding="utf-8") for path in (tmp_path / "out").rglob("*") if path.is_file())
    assert "@example" not in written and "@" not in re.sub(r"@media|@keyframes", "", written)  # pseudonyms only
    assert not re.search(r"""(src|href)=["']?(https?:)?//""", written)  # nothing fetched from elsewhere


def test_a_known_project_links_each_article_to_its_task(site):
    ws = site[0]
    record = next(iter(ws.read_annotations()))  # an imported one: its origin is the export's task
    project = record["origin"]["project"]
    link = ProjectLink(project, f"http://studio.test/projects/{project}/data")
    articles = {article["id"]: article for article in gather(ws, link=link).articles()}
    assert articles[record["article_id"]]["link"] == (
        f"http://studio.test/projects/{project}/data?task={record['origin']['task']}"
    )


# -- in the browser --------------------------------------------------------------------------------------------


@pytest.mark.browser
def test_each_lane_highlights_the_stored_spans(page, site):
    ws = site[0]
    submitted = newest_submitted(ws)
    gold_spans = {record["article_id"]: record["spans"] for record in ws.read_gold()}
    predictions = {
        task["data"]["article_id"]: task["predictions"][0]["result"]
        for task in json.loads(ws.tasks_path.read_text(encoding="utf-8"))
    }
    for article_id, by_annotator in submitted.items():
        open_article(page, article_id)
        counts = page.evaluate(
            """() => {
                const found = {};
                for (const lane of document.querySelectorAll('#article .lane')) {
                    const marks = Array.from(lane.querySelectorAll('mark'), mark => mark.dataset.span);
                    found[lane.dataset.lane] = (found[lane.dataset.lane] || new Set());
                    marks.forEach(mark => found[lane.dataset.lane].add(mark));
                }
                return Object.fromEntries(Object.entries(found).map(([name, set]) => [name, set.size]));
            }"""
        )
        expected = {name: len(spans_of(record)) for name, record in by_annotator.items()}
        expected["gold"] = len(gold_spans[article_id])
        if predictions.get(article_id):
            expected["pre-annotation"] = len(predictions[article_id])
        if article_id == _adjudicated(ws):
            expected["adjudication"] = len(next(iter(ws.read_adjudications()))["spans"])
        assert counts == expected, article_id


def _adjudicated(ws) -> str:
    return next(iter(ws.read_adjudications()))["article_id"]


def _select(page, name: str, shown: str) -> None:
    page.select_option(f"#f-{name}", label=shown)


@pytest.mark.browser
def test_each_filter_leaves_exactly_the_expected_articles(page, site):
    ws = site[0]
    submitted = newest_submitted(ws)
    compared = {article: records for article, records in submitted.items() if len(records) > 1}
    assert len(listed(page)) == len(submitted)
    labels = ["actor", "weapon", "casualty", "location"]
    for label in labels:
        _select(page, "label", label)
        expected = {
            a
            for a, records in submitted.items()
            if any(s["label"] == label for r in records.values() for s in r["spans"])
        }
        assert set(listed(page)) == expected and expected, label
        if label == "weapon":
            assert LONE_TEXT in {a["text"] for a in ws.read_articles() if a["id"] in expected - set(compared)}
    _select(page, "label", "any")
    names = {"matched": "matched", "label": "label", "boundary": "boundary", "label_and_boundary": "both"}
    for kind, shown in {**names, "miss": "miss"}.items():
        _select(page, "kind", shown)
        expected = {a for a, records in compared.items() if any(k == kind for _, k in kinds_seen(records))}
        assert set(listed(page)) == expected and expected, kind
    # Both at once: a span of that label seen that way.
    _select(page, "label", "casualty")
    _select(page, "kind", "boundary")
    expected = {a for a, records in compared.items() if ("casualty", "boundary") in kinds_seen(records)}
    assert set(listed(page)) == expected and expected
    _select(page, "label", "any")
    _select(page, "kind", "any")
    for name in ("ann-01", "ann-02", "ann-03"):
        _select(page, "annotator", name)
        assert set(listed(page)) == {a for a, records in submitted.items() if name in records}
    _select(page, "annotator", "any")
    for rounds in ws.read_rounds():
        _select(page, "round", rounds["round"])
        assert set(listed(page)) == set(rounds["articles"]) & set(submitted)
    _select(page, "round", "any")
    statuses = {"complete": set(), "in conflict": set(), "adjudicated": set()}
    for record in ws.read_gold():
        shown = "in conflict" if record["conflicts"] else "complete"
        statuses["adjudicated" if record["settled_by"] == "adjudicated" else shown].add(record["article_id"])
    assert statuses["adjudicated"] == {_adjudicated(ws)}
    for shown, expected in statuses.items():
        _select(page, "gold", shown)
        assert set(listed(page)) == expected and expected, shown
    _select(page, "gold", "any")


@pytest.mark.browser
def test_the_search_box_finds_titles_at_once_and_texts_when_read(page, site):
    ws = site[0]
    articles = list(ws.read_articles())
    page.fill("#f-search", "odesa")
    expected = {a["id"] for a in articles if "odesa" in (a["title"] + " " + a["text"]).lower()}
    page.wait_for_function("() => document.getElementById('search-state').textContent === ''")
    assert set(listed(page)) == expected and len(expected) > 1
    # A word of one article's text only, not of any title.
    words = defaultdict(set)
    for article in articles:
        for word in re.findall(r"[a-z]{6,}", article["text"].lower()):
            words[word].add(article["id"])
    titles = " ".join(article["title"].lower() for article in articles)
    word, (owner,) = next((w, ids) for w, ids in sorted(words.items()) if len(ids) == 1 and w not in titles)
    page.fill("#f-search", word)
    page.wait_for_function("() => document.getElementById('search-state').textContent === ''")
    assert listed(page) == [owner]


@pytest.mark.browser
def test_j_and_k_move_through_the_listed_articles(page):
    order = listed(page)
    page.keyboard.press("j")
    page.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=order[0])
    page.keyboard.press("j")
    page.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=order[1])
    page.keyboard.press("j")
    page.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=order[2])
    page.keyboard.press("k")
    page.wait_for_function("id => document.getElementById('article').dataset.id === id", arg=order[1])
    assert page.evaluate("location.hash") == f"#article={order[1]}"


@pytest.mark.browser
def test_the_list_goes_from_the_lowest_agreement_up(page, site):
    figures = report(site[0], resamples=0, lowest=100)
    lowest = [row["article_id"] for row in figures["disagreements"]["lowest_articles"]]
    assert listed(page)[: len(lowest)] == lowest


@pytest.mark.browser
def test_an_article_with_emoji_highlights_the_right_characters(page, site):
    ws = site[0]
    article = next(a for a in ws.read_articles() if a["text"] == EMOJI_TEXT)
    open_article(page, article["id"])
    for name, record in newest_submitted(ws)[article["id"]].items():
        shown = page.eval_on_selector_all(
            f'#article .lane[data-lane="{name}"] mark',
            "marks => marks.map(mark => [mark.dataset.label, mark.textContent])",
        )
        stored = [(s["label"], EMOJI_TEXT[s["start"] : s["end"]]) for s in record["spans"]]
        assert sorted(map(tuple, shown)) == sorted(stored)
    text = page.eval_on_selector('#article .lane[data-lane="ann-01"] .lane-text', "box => box.textContent")
    assert text == EMOJI_TEXT


@pytest.mark.browser
def test_markup_in_an_article_is_shown_not_run(page, site):
    ws = site[0]
    article = next(a for a in ws.read_articles() if a["text"] == SCRIPT_TEXT)
    open_article(page, article["id"])
    assert page.evaluate("[window.__ran, window.__ran_img, window.__ran_title]") == [None, None, None]
    assert page.title() != "pwned"
    assert page.eval_on_selector("#article h2", "h => h.textContent") == article["title"]
    assert page.eval_on_selector_all("#article script, #article img, #article b", "found => found.length") == 0
    lane = page.eval_on_selector('#article .lane[data-lane="ann-01"] .lane-text', "box => box.textContent")
    assert lane == SCRIPT_TEXT
    marks = page.eval_on_selector_all('#article .lane[data-lane="ann-01"] mark', "m => m.map(x => x.textContent)")
    assert "<script>window.__ran = 1;" in marks
    page.goto((site[1] / "index.html").as_uri())
    page.fill("#f-search", "markup")
    cell = page.eval_on_selector("#list tbody tr a", "a => a.textContent")
    assert cell == article["title"]
    assert page.evaluate("window.__ran_title") is None


def test_publish_with_review_puts_the_overview_in_the_release_and_the_card_links_it(site, cli, datasets_cache):
    ws = site[0]
    result = cli("publish", "--version", "1.0.0", "--with-review", "--json", workspace=ws)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["review"] == "review/index.html"
    release = ws.release_dir
    page = (release / "review" / "index.html").read_text(encoding="utf-8")
    assert page.count("<svg") >= 6 and "<script" not in page and 'id="articles"' not in page
    assert "](review/index.html)" in (release / "README.md").read_text(encoding="utf-8")
    committed = subprocess.run(
        ["git", "-C", str(release), "ls-tree", "-r", "--name-only", "v1.0.0"],
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    assert {"review/index.html", "review/review.css"} <= set(committed)


# -- a third-party project with a document-level taxonomy (LEOKA team 2: tests/fixtures/thirdparty/) ---------


@pytest.fixture(scope="module")
def leoka_site(tmp_path_factory):
    from annotate.schema import adopt_config

    from .test_leoka_choices import LEOKA, as_records

    root = tmp_path_factory.mktemp("leoka-review")
    ws = init_workspace(root / "ws")
    adopt_config(ws, (LEOKA / "config.xml").read_text(encoding="utf-8"), "leoka", "leoka/config.xml")
    ws.set_config("schema", "schemas/leoka.yaml")
    ws.config["schema"] = "schemas/leoka.yaml"
    exported = json.loads((LEOKA / "LEOKA_team_2.json").read_text(encoding="utf-8"))
    source = root / "narratives.jsonl"
    source.write_text("".join(json.dumps({"text": t["data"]["text"]}) + "\n" for t in exported), encoding="utf-8")
    corpus.add(ws, [source])
    write_records(ws.annotations_path, as_records(exported, {a["text"]: a for a in ws.read_articles()}))
    gold(ws)
    review(ws, root / "site")
    return ws, root / "site"


@pytest.mark.browser
def test_document_level_choices_are_charted_and_shown_beside_gold(browser, leoka_site):
    ws, folder = leoka_site
    page = browser.new_page()
    page.goto((folder / "index.html").as_uri())
    page.wait_for_selector("body[data-ready]")
    titles = page.eval_on_selector_all("#overview svg > title", "found => found.map(t => t.textContent)")
    assert "Category: Krippendorff's alpha (document level)" in titles
    assert (
        page.eval_on_selector_all("#overview h3", "h => h.map(x => x.textContent)").count(
            "Category (taxonomy): Krippendorff's alpha"
        )
        == 1
    )
    settled = {record["article_id"]: record["choices"]["Category"]["value"] for record in ws.read_gold()}
    shown = 0
    for article_id, by_annotator in list(newest_submitted(ws).items())[:15]:
        if len(by_annotator) < 2:
            continue
        open_article(page, article_id)
        rows = page.eval_on_selector_all(
            "#article table.choices tr", "rows => rows.slice(1).map(r => [...r.cells].map(c => c.textContent))"
        )
        expected = [[name, "; ".join(record["choices"]["Category"])] for name, record in sorted(by_annotator.items())]
        assert rows == [*expected, ["gold", "; ".join(settled[article_id])]], article_id
        shown += 1
    assert shown > 5
    page.close()


def test_a_round_reviews_its_articles_only(site, cli, tmp_path):
    ws = site[0]
    week = next(record for record in ws.read_rounds() if record["round"] == "week-2")
    result = cli("review", "--round", "week-2", "--out", tmp_path / "week-2", "--json", workspace=ws)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["articles"] == len(set(week["articles"]) & set(newest_submitted(ws)))
    meta = (tmp_path / "week-2" / "data" / "meta.js").read_text(encoding="utf-8")
    assert '"round":"week-2"' in meta
    unknown = cli("review", "--round", "week-9", "--out", tmp_path / "nine", workspace=ws)
    assert unknown.exit_code == 1 and "week-9" in unknown.output and not (tmp_path / "nine").exists()


@pytest.mark.browser
def test_with_a_project_each_article_opens_its_task_in_label_studio(pushed_workspace, label_studio, cli, browser):
    from annotate import push

    ws = pushed_workspace
    pushed = push.push(ws, label_studio.studio, "review-links")
    tasks_by_article = {
        task.data["article_id"]: task.id for task in label_studio.studio.tasks(pushed.project_id, include="id,data")
    }
    articles = list(ws.read_articles())[:3]
    records = []
    for article in articles:
        for name in ("ann-01", "ann-02"):
            record = annotation_record(article, name, [])
            record["origin"] = {"project": pushed.project_id, "task": tasks_by_article[article["id"]], "annotation": 1}
            records.append(record)
    write_records(ws.annotations_path, records)
    result = cli("review", "--project", "review-links", *label_studio.connection_args(), "--json", workspace=ws)
    assert result.exit_code == 0, result.output
    page = browser.new_page()
    page.goto((ws.root / "review" / "index.html").as_uri())
    page.wait_for_selector("body[data-ready]")
    for article in articles:
        open_article(page, article["id"])
        href = page.eval_on_selector("#studio-link", "a => a.href")
        assert href == f"{label_studio.url}/projects/{pushed.project_id}/data?task={tasks_by_article[article['id']]}"
    page.close()


def test_a_labels_interval_is_the_reports_when_every_span_has_that_label(workspace, bundled_copy):
    corpus.add(workspace, [bundled_copy])
    import_export(workspace, SIMULATED_EXPORT)
    records = list(workspace.read_annotations())
    for record in records:
        record["spans"] = sorted({(s["start"], s["end"]): {**s, "label": "actor"} for s in record["spans"]}.values(),
                                 key=lambda s: (s["start"], s["end"]))  # fmt: skip
    write_records(workspace.annotations_path, records)
    data = gather(workspace)
    span, unitizing = data.overview["span_f1"], data.overview["unitizing_alpha"]
    assert data.label_intervals["actor"]["strict_f1"] == span["strict"]["ci95"]
    assert data.label_intervals["actor"]["unitizing_alpha"] == unitizing["ci95"]
    assert span["strict"]["ci95"]["low"] < span["strict"]["micro"]["value"] < span["strict"]["ci95"]["high"]
    assert data.label_intervals["weapon"]["strict_f1"]["low"] is None  # nobody used it: no interval


def test_one_annotator_only_gives_a_site_without_figures(workspace, bundled_copy, tmp_path):
    corpus.add(workspace, [bundled_copy])
    import_export(workspace, SIMULATED_EXPORT)
    write_records(workspace.annotations_path, [r for r in workspace.read_annotations() if r["annotator"] == "ann-01"])
    summary = review(workspace, tmp_path / "site")
    assert summary.articles == 36 and summary.annotators == 1
    assert "n/a" in (tmp_path / "site" / "index.html").read_text(encoding="utf-8")
