"""Agreement and gold reported per round (the rounds `annotate push --round` records)."""

from __future__ import annotations

import json

import pytest

from annotate import agreement, corpus, gold
from annotate.errors import AnnotateError
from annotate.imports import import_export
from annotate.workspace import init_workspace

from .conftest import SIMULATED_EXPORT
from .records import write_records


@pytest.fixture
def rounds_workspace(simulated):
    """The bundled corpus and simulated annotations, with two rounds recorded by hand."""
    workspace = simulated
    ids = [article["id"] for article in workspace.read_articles()]
    write_records(
        workspace.rounds_path,
        [
            {"round": "week-1", "project": "p", "seed": 1, "sample": 10, "articles": ids[:10], "created_at": "t"},
            {"round": "week-2", "project": "p", "seed": 1, "sample": 5, "articles": ids[10:15], "created_at": "t"},
            {"round": "empty", "project": "q", "seed": 1, "sample": 1, "articles": ["0" * 16], "created_at": "t"},
        ],
    )
    return workspace


def test_agreement_of_a_round_is_that_of_its_articles_alone(rounds_workspace, tmp_path):
    """Held against a second workspace that holds only the round's articles and their annotations."""
    week_1 = rounds_workspace.round_articles("week-1")
    alone = init_workspace(tmp_path / "alone")
    source = tmp_path / "week-1.jsonl"
    source.write_text(
        "".join(json.dumps(a) + "\n" for a in rounds_workspace.read_articles() if a["id"] in week_1), encoding="utf-8"
    )
    corpus.add(alone, [source])
    tasks = [t for t in json.loads(SIMULATED_EXPORT.read_text()) if t["data"]["article_id"] in week_1]
    export = tmp_path / "week-1-export.json"
    export.write_text(json.dumps(tasks), encoding="utf-8")
    import_export(alone, export)

    by_round = agreement.report(rounds_workspace, resamples=200, round_name="week-1")
    expected = agreement.report(alone, resamples=200)
    assert by_round.pop("round") == "week-1"
    assert by_round == expected and by_round["documents"] == 10
    assert agreement.report(rounds_workspace, resamples=0)["documents"] == 36


def test_gold_counts_each_rounds_articles(rounds_workspace):
    summary = gold.gold(rounds_workspace)
    records = {r["article_id"]: r for r in rounds_workspace.read_gold()}
    for name in ("week-1", "week-2"):
        ids = rounds_workspace.round_articles(name)
        conflicted = sum(bool(records[i]["conflicts"]) for i in ids)
        assert summary.per_round[name] == {
            "articles": len(ids),
            "complete": len(ids) - conflicted,
            "with_conflicts": conflicted,
        }
    assert "empty" not in summary.per_round  # its article has no annotation, so no gold record


def test_an_unknown_round_or_one_without_annotations_is_one_line(rounds_workspace, cli):
    unknown = cli("agreement", "--round", "week-9", workspace=rounds_workspace)
    assert (unknown.exit_code, unknown.stderr) == (
        1,
        "Error: No round 'week-9' is recorded in rounds/rounds.jsonl (rounds: empty, week-1, week-2). "
        "Push one first: `annotate push --project NAME --round week-9 --sample K`.\n",
    )
    empty = cli("agreement", "--round", "empty", workspace=rounds_workspace)
    assert empty.exit_code == 1 and "No annotations of the 1 article(s) of round 'empty' yet" in empty.stderr
    review = cli("review", "--round", "empty", workspace=rounds_workspace)  # the same reading, the same line
    assert (review.exit_code, review.stderr) == (empty.exit_code, empty.stderr)
    with pytest.raises(AnnotateError):
        rounds_workspace.round_articles("week-9")


def test_the_cli_prints_the_round(rounds_workspace, cli):
    result = cli("agreement", "--round", "week-2", "--resamples", "0", workspace=rounds_workspace)
    assert result.exit_code == 0 and result.stdout.startswith("Round 'week-2': 5 article(s) with two or more")
    settled = cli("gold", workspace=rounds_workspace)
    assert "  round week-2: 5 article(s), " in settled.stdout


def test_a_damaged_round_record_is_one_line(rounds_workspace, cli):
    lines = rounds_workspace.rounds_path.read_text().splitlines()
    lines[1] = json.dumps({"round": "week-2", "project": "p"})  # valid JSON, its articles lost
    rounds_workspace.rounds_path.write_text("\n".join(lines) + "\n")
    result = cli("agreement", "--round", "week-1", workspace=rounds_workspace)
    assert result.exit_code == 1
    assert result.stderr.startswith(f"Error: {rounds_workspace.rounds_path} line 2: a round needs a 'round' and a")
    assert result.stderr.count("\n") == 1
