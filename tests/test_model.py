"""The model in the loop: trained on the bundled gold, it loads, predicts valid aligned regions with scores,
beats an empty model on articles it never saw, and pre-annotates tasks, alone or beside the rules; on a schema
the rules know nothing of (LEOKA's), it pre-annotates too.

Training is real (spaCy's loop on CPU) but small: a narrow tok2vec and few epochs, trained once per module.
"""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from filelock import FileLock

from annotate import corpus, tasks
from annotate.gold import gold
from annotate.imports import import_export
from annotate.model import TrainSettings, TrainSummary, load_model, train
from annotate.model.evaluation import evaluate
from annotate.model.training import read_docs, train_pipeline, training_config
from annotate.prelabel.annotators import Suggestion
from annotate.schema import adopt_config, load_schema
from annotate.spans import Span
from annotate.workspace import init_workspace, open_workspace, read_jsonl

from .conftest import BUNDLED, REPO, SEED, SIMULATED_EXPORT
from .records import gold_record, span_at, write_records

pytest.importorskip("spacy")

REFERENCE = REPO / "corpus" / "reference" / "spans.jsonl"
LEOKA = REPO / "tests" / "fixtures" / "thirdparty" / "leoka"
LEOKA_ARTICLES = 20  # of its 130 narratives (about 1,900 characters each), the model is trained on the first 20
TINY = TrainSettings(seed=0, epochs=8, width=32, depth=1, folds=2, beam_width=4)


@pytest.fixture(scope="session")
def trained_once(tmp_path_factory, worker_id):
    """The bundled corpus, the simulated annotators' work imported, gold settled, and a small model trained:
    once for the session, by the first xdist worker that needs it (pytest-xdist's documented pattern)."""
    shared = tmp_path_factory.getbasetemp() if worker_id == "master" else tmp_path_factory.getbasetemp().parent
    root = shared / "model-bundled"
    with FileLock(str(shared / "model-bundled.lock")):
        if not (root / "summary.json").exists():
            workspace = init_workspace(root / "ws")
            corpus.add(workspace, [BUNDLED, SEED])
            import_export(workspace, SIMULATED_EXPORT)
            gold(workspace)
            summary = train(workspace, out=workspace.root / "models" / "tiny", settings=TINY)
            (root / "summary.json").write_text(json.dumps(summary.as_dict()), encoding="utf-8")
    return root


@pytest.fixture
def trained(trained_once, tmp_path):
    """A copy of the trained workspace for one test to write in, and the training's summary."""
    copy = tmp_path / "ws"
    shutil.copytree(trained_once / "ws", copy)
    summary = TrainSummary(**json.loads((trained_once / "summary.json").read_text(encoding="utf-8")))
    return open_workspace(copy), summary


def test_the_card_names_the_data_its_sha256_and_the_figures_per_label(trained):
    workspace, summary = trained
    folder = workspace.root / "models" / "tiny"
    meta = json.loads((folder / "meta.json").read_text(encoding="utf-8"))
    assert meta["model_version"] == summary.model_version and meta["model_version"].startswith("tiny@")
    assert meta["data"]["sha256"] == hashlib.sha256(workspace.gold_path.read_bytes()).hexdigest()
    complete = [record for record in workspace.read_gold() if not record["conflicts"]]
    assert meta["data"]["articles"] == {"all": len(complete)} and meta["data"]["held_back"] == 36 - len(complete)
    # the bundled gold has no overlapping spans: ner, scored by 2-fold cross-validation over every gold span
    assert meta["architecture"] == "ner" and meta["evaluation"]["method"] == "2-fold cross-validation over the gold"
    gold_spans = sum(len(record["spans"]) for record in complete)
    for kind in ("strict", "overlap"):
        micro = meta["evaluation"][kind]["micro"]
        assert micro["tp"] + micro["fn"] == gold_spans
    strict, overlap = meta["evaluation"]["strict"]["micro"], meta["evaluation"]["overlap"]["micro"]
    assert overlap["tp"] >= strict["tp"]  # an exact match overlaps
    card = (folder / "README.md").read_text(encoding="utf-8")
    assert meta["data"]["sha256"] in card and summary.model_version in card
    for label in ("actor", "weapon", "casualty", "location"):
        row = next(line for line in card.splitlines() if line.startswith(f"| {label} |"))
        assert len(row.split("|")) == 10  # label, 6 figures, gold spans
    assert (folder / "pipeline" / "config.cfg").exists()


def reference_spans() -> dict[str, list[Span]]:
    return {
        r["article_id"]: [Span(s["start"], s["end"], s["label"]) for s in r["spans"]] for r in read_jsonl(REFERENCE)
    }


def test_the_model_predicts_valid_aligned_scored_regions_and_beats_an_empty_model(trained):
    workspace, _ = trained
    model = load_model(workspace.root / "models" / "tiny")
    trained_on = {record["article_id"] for record in workspace.read_gold() if not record["conflicts"]}
    reference = reference_spans()
    unseen = [a for a in workspace.read_articles() if a["id"] in reference and a["id"] not in trained_on]
    assert len(unseen) == 20
    predicted = model.predict([article["text"] for article in unseen])
    schema = load_schema(workspace.schema_path)
    interface = schema.label_interface()
    regions = 0
    for article, found in zip(unseen, predicted, strict=True):
        text = article["text"]
        suggestions = [Suggestion(scored.span, scored.score) for scored in found]
        prediction, refused = tasks.checked_prediction(
            article["id"], text, suggestions, schema, interface, model.version
        )
        assert refused == []
        for region, span in zip(prediction["result"], found, strict=True):
            assert interface.validate_prediction({"result": [region]})
            assert region["value"]["text"] == text[span.start : span.end] == text[span.start : span.end].strip()
            assert 0.0 <= region["score"] <= 1.0
            regions += 1
    assert regions > 20
    pairs = [([s.span for s in found], reference[a["id"]]) for a, found in zip(unseen, predicted, strict=True)]
    empty = evaluate([([], spans) for _, spans in pairs], model.labels)
    figures = evaluate(pairs, model.labels)
    for kind in ("strict", "overlap"):
        assert empty[kind]["micro"]["f1"] == 0.0
        assert figures[kind]["micro"]["f1"] > 0.2, figures[kind]["micro"]
    assert figures["overlap"]["micro"]["precision"] > 0.3


def test_the_same_seed_trains_the_same_weights_another_seed_others(trained):
    workspace, _ = trained
    from spacy.tokens import DocBin

    from annotate.model.data import gold_data

    docs = read_docs(gold_data(workspace).splits["all"])[:4]
    data = DocBin(store_user_data=True, docs=docs).to_bytes()
    tiny = TrainSettings(seed=3, epochs=2, width=32, depth=1, beam_width=2)

    def weights(settings: TrainSettings) -> bytes:
        nlp = train_pipeline(training_config("ner", settings), data)
        return nlp.get_pipe("ner").to_bytes(exclude=["vocab"]) + nlp.get_pipe("tok2vec").to_bytes(exclude=["vocab"])

    first = weights(tiny)
    assert weights(tiny) == first
    assert weights(TrainSettings(seed=4, epochs=2, width=32, depth=1, beam_width=2)) != first


def read_tasks(workspace):
    return json.loads(workspace.tasks_path.read_text(encoding="utf-8"))


def spans_of(task) -> list[tuple[int, int, str]]:
    return [(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in task["predictions"][0]["result"]]


def test_tasks_carry_the_models_version_and_a_score_per_region_and_rules_plus_model_keeps_the_rules(trained, cli):
    workspace, summary = trained
    built = tasks.build(workspace, prelabel="model:models/tiny")
    assert built.model_version == summary.model_version and built.regions > 0
    for task in read_tasks(workspace):
        [prediction] = task["predictions"]
        assert prediction["model_version"] == summary.model_version
        if prediction["result"]:
            assert prediction["score"] == min(region["score"] for region in prediction["result"])
    tasks.build(workspace, prelabel=True)
    by_rules = {task["data"]["article_id"]: spans_of(task) for task in read_tasks(workspace)}
    both = tasks.build(workspace, prelabel="rules+model:models/tiny")
    assert both.model_version == f"{tasks.model_version(load_schema(workspace.schema_path))}+{summary.model_version}"
    added = 0
    for task in read_tasks(workspace):
        rules_values = by_rules[task["data"]["article_id"]]
        assert set(rules_values) <= set(spans_of(task))  # every rule span kept
        model_regions = [r for r in task["predictions"][0]["result"] if "score" in r]
        added += len(model_regions)
        for region in model_regions:  # a model span overlaps no rule span
            start, end = region["value"]["start"], region["value"]["end"]
            assert all(end <= s or e <= start for s, e, _ in rules_values)
    assert added > 0
    # the pre-annotators compared on the same reference spans
    scores = {}
    for spec in ("rules", "model:models/tiny", "rules+model:models/tiny"):
        result = cli("prelabel", "score", REFERENCE, "--prelabel-with", spec, "--json", workspace=workspace)
        assert result.exit_code == 0, result.stderr
        figures = json.loads(result.stdout)
        assert figures["prelabel"] == spec and figures["articles"] == 36
        scores[spec] = figures
    assert scores["model:models/tiny"]["model_version"] == summary.model_version
    assert scores["rules+model:models/tiny"]["micro"]["tp"] >= scores["rules"]["micro"]["tp"]


def test_unknown_pre_annotators_and_missing_models_are_one_line(trained, cli):
    workspace, _ = trained
    result = cli("tasks", "build", "--prelabel-with", "magic", workspace=workspace)
    assert result.exit_code == 1
    assert result.stderr.strip() == "Error: Unknown pre-annotator 'magic'. Use rules, model:PATH or rules+model:PATH."
    result = cli("prelabel", "score", "--prelabel-with", "model:models/none", workspace=workspace)
    assert result.exit_code == 1 and "models/none is not a model folder" in result.stderr


def test_train_without_gold_says_to_settle_it(cli, workspace):
    result = cli("train", workspace=workspace)
    assert result.exit_code == 1
    assert "No gold standard yet" in result.stderr and "annotate gold" in result.stderr


def test_overlapping_gold_spans_train_a_spancat_model_with_scores(workspace, tmp_path):
    texts = [
        "Two drones hit Kyiv's Podil district. Three civilians were killed by Russian forces.",
        "Gunmen attacked a market in Mosul's old city. Four traders were wounded by gunfire.",
        "A car bomb exploded in Kabul's Shar-e Naw district, killing two police officers.",
    ]
    path = tmp_path / "articles.jsonl"
    path.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts), encoding="utf-8")
    corpus.add(workspace, [path])
    articles = list(workspace.read_articles())
    records = []
    for article in articles:
        text = article["text"]
        city = text.split(" in ")[-1].split("'")[0] if " in " in text else "Kyiv"
        place = text[text.index(city) :].split(",")[0].split(".")[0]
        records.append(gold_record(article, [span_at(text, city, "location"), span_at(text, place, "location")]))
    write_records(workspace.gold_path, records)
    summary = train(workspace, settings=TrainSettings(epochs=3, width=32, depth=1, folds=3))
    assert summary.architecture == "spancat" and summary.path == "models/conflict-events-spancat"
    model = load_model(workspace.root / summary.path)
    assert "spancat" in model.nlp.pipe_names
    for found in model.predict(texts):
        assert all(0.0 <= span.score <= 1.0 for span in found)


def test_on_a_schema_without_rules_the_model_pre_annotates(workspace, cli):
    """LEOKA's project, brought from elsewhere: the rules mark nothing of its labels, a model trained on its
    gold pre-annotates its tasks, every region valid for its config."""
    adopt_config(workspace, (LEOKA / "config.xml").read_text(encoding="utf-8"), "leoka", "leoka/config.xml")
    workspace.config["schema"] = "schemas/leoka.yaml"
    report = import_export(workspace, LEOKA / "LEOKA_team_2.json")
    assert report.balanced
    gold(workspace)
    write_records(workspace.gold_path, list(workspace.read_gold())[:LEOKA_ARTICLES])  # a small model, quickly
    result = cli("tasks", "build", "--prelabel", workspace=workspace)
    assert result.exit_code == 1 and "has none of these labels" in result.stderr
    settings = TrainSettings(epochs=3, width=32, depth=1, folds=2, beam_width=2)
    summary = train(workspace, out=workspace.root / "models" / "leoka", settings=settings)
    schema = load_schema(workspace.schema_path)
    assert set(summary.labels) <= set(schema.label_names) and "Firearm" in summary.labels
    result = cli("tasks", "build", "--prelabel-with", "model:models/leoka", "--json", workspace=workspace)
    assert result.exit_code == 0, result.stderr
    built = json.loads(result.stdout)
    assert built["regions"] > 0 and built["refused_regions"] == 0
    interface = schema.label_interface()
    for task in read_tasks(workspace):
        prediction = task["predictions"][0]
        assert prediction["model_version"] == summary.model_version
        assert interface.validate_prediction(prediction)


def test_trained_from_a_release_it_is_scored_on_the_releases_test_split(trained, datasets_cache, cli):
    from annotate import release
    from annotate.release.splits import read_splits_file

    workspace, _ = trained
    release.publish(workspace, "1.0.0", include_conflicts=True)  # all 36 articles: every split has some
    result = cli(
        "train", "--from", "1.0.0", "--out", "models/from-release", "--epochs", "2", "--json", workspace=workspace
    )
    assert result.exit_code == 0, result.stderr
    summary = json.loads(result.stdout)
    assert summary["path"] == "models/from-release"  # in the workspace, wherever the command runs
    assert (workspace.root / "models" / "from-release" / "meta.json").exists()
    splits = list(read_splits_file(workspace.release_dir).values())
    test_articles = splits.count("test")
    assert summary["data"]["source"] == summary["data"]["version"] == "1.0.0" and test_articles > 0
    assert summary["data"]["articles"]["test"] == summary["evaluation"]["articles"] == test_articles
    assert summary["evaluation"]["method"] == "the release's test split"
    assert set(summary["data"]["docbin_sha256"]) == set(summary["data"]["articles"])
    result = cli("train", "--from", "9.9.9", workspace=workspace)
    assert result.exit_code == 1 and "There is no release 9.9.9" in result.stderr


@pytest.fixture
def backend(trained):
    """``annotate serve``'s server for the trained model, on a free loopback port, in a thread."""
    import threading

    from annotate.model.backend import make_server, server_url

    workspace, summary = trained
    server = make_server(workspace, "models/tiny", port=0)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield workspace, summary, server_url(server)
    server.shutdown()
    server.server_close()
    thread.join()


def test_the_ml_backend_answers_label_studios_health_setup_and_predict(backend):
    import httpx

    workspace, summary, url = backend
    assert httpx.get(f"{url}/health").json() == {
        "status": "UP",
        "model_class": "annotate",
        "model_version": summary.model_version,
    }
    assert httpx.post(f"{url}/setup", json={"project": "1.1", "schema": "<View/>"}).json() == {
        "model_version": summary.model_version
    }
    articles = list(workspace.read_articles())[:3]
    tasks_in = [{"id": n, "data": {"text": a["text"], "article_id": a["id"]}} for n, a in enumerate(articles)]
    answer = httpx.post(f"{url}/predict", json={"tasks": tasks_in}, timeout=60).json()
    interface = load_schema(workspace.schema_path).label_interface()
    assert len(answer["results"]) == 3
    expected = [
        found for found in load_model(workspace.root / "models" / "tiny").predict([a["text"] for a in articles])
    ]
    for prediction, found in zip(answer["results"], expected, strict=True):
        assert prediction["model_version"] == summary.model_version
        assert interface.validate_prediction(prediction)
        assert [(r["value"]["start"], r["value"]["end"], r["score"]) for r in prediction["result"]] == [
            (s.start, s.end, s.score) for s in found
        ]
    assert httpx.post(f"{url}/predict", content=b"not json").status_code == 400


def test_a_task_opened_in_label_studio_gets_the_backends_suggestions(backend, label_studio, cli):
    workspace, summary, url = backend
    tasks.build(workspace)  # no pre-annotations in the file: the suggestions come from the backend

    def push(*options: str) -> dict:
        result = cli(
            "push", "--project", "model-backend", *options, "--json", *label_studio.connection_args(),
            workspace=workspace,
        )  # fmt: skip
        assert result.exit_code == 0, result.stderr
        return json.loads(result.stdout)

    pushed = push()
    client = label_studio.client
    first = next(iter(client.tasks.list(project=pushed["project_id"])))
    assert pushed["ml_backend"] is None and not client.predictions.list(task=first.id)
    connected = push("--ml-backend", url)  # nothing left to import: it connects the backend
    assert connected["pushed"] == 0 and connected["ml_backend"]["created"]
    assert connected["ml_backend"]["model_version"] == summary.model_version
    opened = client.tasks.get(first.id)  # what the browser does when an annotator opens the task
    [prediction] = client.predictions.list(task=opened.id)
    assert prediction.model_version == summary.model_version and prediction.result
    interface = load_schema(workspace.schema_path).label_interface()
    assert interface.validate_prediction({"result": prediction.result})
    text = opened.data["text"]
    for region in prediction.result:
        assert region["value"]["text"] == text[region["value"]["start"] : region["value"]["end"]]
        assert 0.0 <= region["score"] <= 1.0
    assert push("--ml-backend", url)["ml_backend"]["created"] is False  # connected once
    # an annotator keeps every suggestion but the first, which is deleted: status counts them per model version
    annotator = label_studio.annotators[0]
    kept = [{k: v for k, v in region.items() if k != "score"} for region in prediction.result[1:]]
    client.annotations.create(id=opened.id, result=kept, completed_by=annotator.id, lead_time=3.0)
    result = cli("status", "--project", "model-backend", "--json", *label_studio.connection_args(), workspace=workspace)
    assert result.exit_code == 0, result.stderr
    accepted = json.loads(result.stdout)["pre_annotations"]
    row = accepted["per_version"][summary.model_version]
    assert row["tasks"] >= 1
    assert row["all"]["kept"] == len(kept) and row["all"]["deleted"] == 1 and row["all"]["changed"] == 0


def test_least_certain_takes_the_lowest_scores_first_and_unscored_articles_last():
    from annotate.push import least_certain

    scores = {"a": 0.9, "b": 0.2, "c": None, "d": 0.2, "e": 0.5}
    drawn = least_certain(scores, 4, seed=0)
    assert set(drawn[:2]) == {"b", "d"} and drawn[2:] == ["e", "a"]
    assert least_certain(scores, 5, seed=0)[-1] == "c"
    ties = {str(n): 0.5 for n in range(20)}
    assert least_certain(ties, 5, seed=0) == least_certain(ties, 5, seed=0) != least_certain(ties, 5, seed=1)


def test_a_round_by_uncertainty_takes_the_articles_whose_least_sure_suggestion_scores_lowest(trained):
    from annotate.errors import AnnotateError
    from annotate.push import ensure_round

    workspace, _ = trained
    tasks.build(workspace, prelabel=True)
    with pytest.raises(AnnotateError, match="needs the model's scores"):
        ensure_round(workspace, "next", "r2", 5, 0, {}, "uncertainty")
    tasks.build(workspace, prelabel="model:models/tiny")
    lowest = {}
    for task in read_tasks(workspace):
        regions = task["predictions"][0]["result"]
        lowest[task["data"]["article_id"]] = min((r["score"] for r in regions), default=None)
    already = {next(iter(lowest)): "sha"}  # one article is in the project already: never drawn again
    record, new = ensure_round(workspace, "next", "r2", 5, 0, already, "uncertainty")
    assert new and record["by"] == "uncertainty" and len(record["articles"]) == 5
    assert not set(record["articles"]) & set(already)
    scored = sorted(score for article, score in lowest.items() if score is not None and article not in already)
    assert sorted(lowest[article] for article in record["articles"]) == scored[:5]
    again, new = ensure_round(workspace, "next", "r2", None, None, already, "uncertainty")
    assert not new and again["articles"] == record["articles"]
    with pytest.raises(AnnotateError, match="was drawn by uncertainty, not random"):
        ensure_round(workspace, "next", "r2", None, None, already, "random")
