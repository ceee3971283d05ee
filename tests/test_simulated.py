"""The SIMULATED Label Studio export in ``corpus/simulated/`` and the benchmark export generator.

The committed files must be what ``scripts/simulate_annotators.py`` writes now; every region must
fit its text and the schema; the tasks must be the corpus articles; and ``noise.jsonl`` must say
exactly how each annotation differs from the reference spans.
"""

from __future__ import annotations

import itertools
import json
import subprocess
import sys
from collections import Counter, defaultdict
from pathlib import Path

import pytest

from annotate import corpus
from annotate.schema import FROM_NAME, TO_NAME, load_schema
from annotate.tasks import article_task

from .conftest import BUNDLED, REPO

SIMULATED = REPO / "corpus" / "simulated"
EXPORT = SIMULATED / "label-studio-export.json"
NOISE = SIMULATED / "noise.jsonl"
REFERENCE = REPO / "corpus" / "reference" / "spans.jsonl"
SIMULATE = REPO / "scripts" / "simulate_annotators.py"
MAKE_EXPORT = REPO / "benchmarks" / "make_export.py"
NOISE_KINDS = {"miss", "label_swap", "extend", "shrink", "leading_the", "extra", "cancelled", "unassigned"}
TASK_FIELDS = [
    "id", "annotations", "file_upload", "drafts", "predictions", "data", "meta", "created_at", "updated_at",
    "allow_skip", "inner_id", "total_annotations", "cancelled_annotations", "total_predictions", "comment_count",
    "unresolved_comment_count", "last_comment_updated_at", "project", "updated_by", "comment_authors",
]  # fmt: skip
ANNOTATION_FIELDS = [
    "id", "completed_by", "result", "was_cancelled", "ground_truth", "created_at", "updated_at", "draft_created_at",
    "lead_time", "prediction", "result_count", "unique_id", "import_id", "last_action", "bulk_created", "task",
    "project", "updated_by", "parent_prediction", "parent_annotation", "last_created_by",
]  # fmt: skip


def run(script: Path, *args: object) -> str:
    done = subprocess.run(
        [sys.executable, str(script), *map(str, args)], capture_output=True, text=True, cwd=REPO, timeout=300
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


@pytest.fixture(scope="module")
def export() -> list[dict]:
    return json.loads(EXPORT.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def noise() -> list[dict]:
    return [json.loads(line) for line in NOISE.read_text(encoding="utf-8").splitlines()]


@pytest.fixture(scope="module")
def reference() -> dict[str, set[tuple[int, int, str]]]:
    records = [json.loads(line) for line in REFERENCE.read_text(encoding="utf-8").splitlines() if line.strip()]
    return {r["article_id"]: {(s["start"], s["end"], s["label"]) for s in r["spans"]} for r in records}


def email(annotation: dict) -> str:
    return annotation["completed_by"]["email"]


def spans_of(annotation: dict) -> set[tuple[int, int, str]]:
    return {(r["value"]["start"], r["value"]["end"], r["value"]["labels"][0]) for r in annotation["result"]}


def check_regions(tasks: list[dict], labels: list[str]) -> int:
    """Every region fits its text and the schema; returns how many there were."""
    interface = load_schema(REPO / "schemas" / "conflict-spans.yaml").label_interface()
    count = 0
    for task in tasks:
        text = task["data"]["text"]
        for annotation in task["annotations"]:
            assert interface.validate_annotation(annotation), annotation["id"]
            ids = [region["id"] for region in annotation["result"]]
            assert len(set(ids)) == len(ids) == annotation["result_count"]
            for region in annotation["result"]:
                value = region["value"]
                assert (region["from_name"], region["to_name"], region["type"]) == (FROM_NAME, TO_NAME, "labels")
                assert 0 <= value["start"] < value["end"] <= len(text)
                assert value["text"] == text[value["start"] : value["end"]]
                assert value["text"] == value["text"].strip(), value
                assert len(value["labels"]) == 1 and value["labels"][0] in labels
                count += 1
    return count


# -- the committed sample ---------------------------------------------------------------------------


def test_the_committed_files_are_what_the_script_writes_now(tmp_path):
    run(SIMULATE, "--out", tmp_path)
    assert (tmp_path / EXPORT.name).read_bytes() == EXPORT.read_bytes()
    assert (tmp_path / NOISE.name).read_bytes() == NOISE.read_bytes()


def test_another_seed_draws_other_noise_and_int_users_keep_the_rest(tmp_path, export):
    run(SIMULATE, "--out", tmp_path, "--seed", 7, "--completed-by", "int")
    other = json.loads((tmp_path / EXPORT.name).read_text(encoding="utf-8"))
    assert [task["data"] for task in other] == [task["data"] for task in export]
    assert [[spans_of(a) for a in t["annotations"]] for t in other] != [
        [spans_of(a) for a in t["annotations"]] for t in export
    ]
    assert {a["completed_by"] for t in other for a in t["annotations"]} == {2, 3, 4}


def test_the_export_has_label_studio_fields_in_their_order(export):
    for task in export:
        assert list(task) == TASK_FIELDS
        assert task["inner_id"] == task["id"]
        assert task["total_annotations"] + task["cancelled_annotations"] == len(task["annotations"])
        for annotation in task["annotations"]:
            assert list(annotation) == ANNOTATION_FIELDS
            assert annotation["task"] == task["id"]
            assert set(annotation["completed_by"]) == {"id", "email", "first_name", "last_name"}
            assert annotation["updated_by"] == annotation["completed_by"]["id"]
            assert annotation["created_at"].endswith("Z") and annotation["created_at"] > task["created_at"]
            assert 5 < annotation["lead_time"] < 3600
    annotation_ids = [a["id"] for t in export for a in t["annotations"]]
    assert len(set(annotation_ids)) == len(annotation_ids)


def test_every_region_fits_its_text_and_the_schema(export):
    labels = load_schema(REPO / "schemas" / "conflict-spans.yaml").label_names
    assert check_regions(export, labels) > 1000


def test_the_tasks_are_the_corpus_articles(export, workspace):
    corpus.add(workspace, [REPO / "seeds", BUNDLED])
    articles = list(workspace.read_articles())
    assert [task["data"] for task in export] == [article_task(article)["data"] for article in articles]
    assert [task["id"] for task in export] == list(range(1, len(articles) + 1))
    for task in export:
        assert task["data"]["sha256"] == corpus.text_sha256(task["data"]["text"])
        assert task["data"]["article_id"] == corpus.article_id(task["data"]["sha256"])
    emoji = [t for t in export if any(ord(c) > 0xFFFF for c in t["data"]["text"])]
    assert len(emoji) == 3


def test_one_cancelled_annotation_and_one_task_left_to_two_annotators(export):
    assert Counter(len(task["annotations"]) for task in export) == {3: len(export) - 1, 2: 1}
    cancelled = [a for t in export for a in t["annotations"] if a["was_cancelled"]]
    assert len(cancelled) == 1
    assert cancelled[0]["result"] == [] and cancelled[0]["result_count"] == 0
    assert sum(task["cancelled_annotations"] for task in export) == 1
    for task in export:
        people = [email(a) for a in task["annotations"]]
        assert len(set(people)) == len(people)
    assert {email(a) for t in export for a in t["annotations"]} == {f"annotator{n}@example.org" for n in (1, 2, 3)}


def test_every_kind_of_noise_was_applied(noise):
    kinds = Counter(record["kind"] for record in noise)
    assert set(kinds) == NOISE_KINDS
    assert kinds["cancelled"] == kinds["unassigned"] == 1


def test_the_noise_turns_the_reference_into_each_annotation(export, noise, reference):
    by_annotation = defaultdict(list)
    for record in noise:
        by_annotation[record["annotation_id"]].append(record)
    for task in export:
        text, truth = task["data"]["text"], reference[task["data"]["article_id"]]
        for annotation in task["annotations"]:
            records = by_annotation.pop(annotation["id"], [])
            assert all(r["article_id"] == task["data"]["article_id"] for r in records)
            assert all(r["annotator"] == email(annotation) for r in records)
            if annotation["was_cancelled"]:
                assert [r["kind"] for r in records] == ["cancelled"]
                continue
            spans = set(truth)
            for record in records:
                before, after = record["before"], record["after"]
                for span in filter(None, (before, after)):
                    assert span["text"] == text[span["start"] : span["end"]]
                if before is not None:
                    spans.remove((before["start"], before["end"], before["label"]))
                if after is not None:
                    spans.add((after["start"], after["end"], after["label"]))
            assert spans == spans_of(annotation)
            kinds = Counter(r["kind"] for r in records)
            assert len(annotation["result"]) == len(truth) - kinds["miss"] + kinds["extra"]
    # what is left: the one annotator who was never given a task
    assert [r["kind"] for r in by_annotation.pop(None)] == ["unassigned"]
    assert not by_annotation
    (unassigned,) = [r for r in noise if r["kind"] == "unassigned"]
    (short,) = [t for t in export if len(t["annotations"]) == 2]
    assert unassigned["task_id"] == short["id"]
    assert unassigned["annotator"] not in {email(a) for a in short["annotations"]}


def test_each_annotator_errs_in_its_own_way(noise):
    kinds = Counter((record["annotator"].split("@")[0], record["kind"]) for record in noise)
    boundary = {name: sum(kinds[name, k] for k in ("extend", "shrink", "leading_the")) for name in ("annotator1",
                "annotator2", "annotator3")}  # fmt: skip
    assert kinds["annotator3", "miss"] > 2 * max(kinds["annotator1", "miss"], kinds["annotator2", "miss"])
    assert boundary["annotator2"] > 2 * max(boundary["annotator1"], boundary["annotator3"])
    total = Counter(record["annotator"] for record in noise)
    assert total["annotator1@example.org"] == min(total.values())


def strict_f1(left: dict[str, set], right: dict[str, set]) -> float:
    shared = set(left) & set(right)
    found = sum(len(left[a] & right[a]) for a in shared)
    return 2 * found / sum(len(left[a]) + len(right[a]) for a in shared)


def test_agreement_between_the_simulated_annotators_is_plausible(export, reference):
    spans = defaultdict(dict)
    for task in export:
        for annotation in task["annotations"]:
            if not annotation["was_cancelled"]:
                spans[email(annotation)][task["data"]["article_id"]] = spans_of(annotation)
    for left, right in itertools.combinations(sorted(spans), 2):
        assert 0.65 <= strict_f1(spans[left], spans[right]) <= 0.85, (left, right)
    for person in spans:
        assert 0.75 <= strict_f1(spans[person], reference) < 1


# -- the benchmark generator ------------------------------------------------------------------------


def test_make_export_writes_the_tasks_and_annotations_asked_for(tmp_path):
    out = tmp_path / "small.json"
    printed = run(MAKE_EXPORT, "--tasks", 50, "--annotators", 2, "--completed-by", "int", out)
    assert "50 tasks, 100 annotations" in printed
    raw = out.read_text(encoding="utf-8")
    assert "\n" not in raw  # Label Studio writes its export on one line
    tasks = json.loads(raw)
    assert len(tasks) == 50
    assert all(len(task["annotations"]) == 2 for task in tasks)
    assert {a["completed_by"] for t in tasks for a in t["annotations"]} == {2, 3}
    labels = load_schema(REPO / "schemas" / "conflict-spans.yaml").label_names
    assert check_regions(tasks, labels) > 50 * 2 * 5
    for task in tasks:
        assert list(task) == TASK_FIELDS
        assert 600 <= len(task["data"]["text"]) <= 1200
        assert task["data"]["article_id"] == corpus.text_sha256(task["data"]["text"])[:16]
    assert len({task["data"]["article_id"] for task in tasks}) == 50
    assert any(any(not c.isascii() for c in task["data"]["text"]) for task in tasks)


def test_make_export_is_reproducible_and_takes_user_objects(tmp_path):
    first, second = tmp_path / "a.json", tmp_path / "b.json"
    run(MAKE_EXPORT, "--tasks", 20, "--annotators", 3, "--seed", 3, first)
    run(MAKE_EXPORT, "--tasks", 20, "--annotators", 3, "--seed", 3, second)
    assert first.read_bytes() == second.read_bytes()
    tasks = json.loads(first.read_text(encoding="utf-8"))
    assert len(tasks) == 20 and sum(len(task["annotations"]) for task in tasks) == 60
    assert {a["completed_by"]["email"] for t in tasks for a in t["annotations"]} == {
        f"annotator{n}@example.org" for n in (1, 2, 3)
    }


def load_script(name: str):
    import importlib.util

    spec = importlib.util.spec_from_file_location(name, REPO / "scripts" / f"{name}.py")
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


def test_posting_the_simulated_annotations_then_pulling_gives_the_records_of_the_file(
    label_studio, pushed_workspace, tmp_path
):
    """The whole loop's middle: the simulated work posted as three users comes back as the same records
    that importing the file directly gives (same annotators, statuses, spans, lead times)."""
    from annotate import imports, pull, push
    from annotate.workspace import init_workspace

    posting = load_script("post_simulated_annotations")
    push.push(pushed_workspace, label_studio.studio, "simulated-loop")
    first = posting.post(label_studio.studio, "simulated-loop")
    assert (first.posted, first.already_there, first.tasks_missing) == (107, 0, 0)
    again = posting.post(label_studio.studio, "simulated-loop")
    assert (again.posted, again.already_there) == (0, 107)  # the skipped one included
    pulled = pull.pull(pushed_workspace, label_studio.studio, "simulated-loop")
    assert pulled.imported.balanced and pulled.imported.as_dict()["annotations"]["imported"] == 107

    direct = init_workspace(tmp_path / "direct")
    corpus.add(direct, [BUNDLED.parent.parent / "seeds", BUNDLED])
    imports.import_export(direct, EXPORT)

    def records(workspace):
        return sorted(
            (r["article_id"], r["annotator"], r["status"], r["lead_time"], json.dumps(r["spans"]))
            for r in workspace.read_annotations()
        )

    assert records(pushed_workspace) == records(direct)
