"""Ingesting articles: every format, stable ids, duplicates, bad input, strict mode, flat memory."""

from __future__ import annotations

import csv
import hashlib
import json
import tracemalloc
import unicodedata

import pytest

from annotate import corpus
from annotate.errors import AnnotateError, ExitCode
from annotate.workspace import init_workspace

from .conftest import SEED

SEED_BODY = SEED.read_text(encoding="utf-8").split("\n", 1)[1].strip()
SEED_TITLE = SEED.read_text(encoding="utf-8").split("\n", 1)[0]


def stored(workspace):
    return list(workspace.read_articles())


def expected_id(text: str) -> str:
    """Computed here independently of the code under test: sha256 of the UTF-8 text, 16 hex digits."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()[:16]


def write_jsonl(path, records):
    path.write_text("".join(json.dumps(r, ensure_ascii=False) + "\n" for r in records), encoding="utf-8")
    return path


# -- formats ----------------------------------------------------------------------------------------


def test_txt_seed_first_line_is_title_rest_is_text(workspace):
    summary = corpus.add(workspace, [SEED])
    assert (summary.records, summary.added, summary.skipped) == (1, 1, 0)
    [article] = stored(workspace)
    assert article["title"] == SEED_TITLE
    assert article["text"] == SEED_BODY
    assert article["id"] == expected_id(SEED_BODY)
    assert article["sha256"] == hashlib.sha256(SEED_BODY.encode()).hexdigest()
    assert set(article) == {"id", "title", "text", "source", "url", "published", "sha256"}


def test_folder_of_txt_files_is_read_recursively_in_a_stable_order(workspace, tmp_path):
    folder = tmp_path / "in"
    (folder / "sub").mkdir(parents=True)
    (folder / "b.txt").write_text("Title B\nBody of b.", encoding="utf-8")
    (folder / "sub" / "a.txt").write_text("Title A\nBody of a.", encoding="utf-8")
    (folder / "notes.md").write_text("not an article", encoding="utf-8")
    summary = corpus.add(workspace, [folder])
    assert summary.files == 2 and summary.added == 2
    assert [a["title"] for a in stored(workspace)] == ["Title B", "Title A"]


def test_jsonl_with_optional_fields_and_own_id(workspace, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl",
        [
            {
                "id": "wire-77",
                "title": "Shelling in Kharkiv",
                "text": "Artillery hit Kharkiv.",
                "url": "https://x.test/1",
                "source": "Wire",
                "published": "2024-02-07",
            },
            {"title": "Second", "text": "Rockets hit Odesa."},
        ],
    )
    corpus.add(workspace, [path])
    first, second = stored(workspace)
    assert first["source_id"] == "wire-77"
    assert first["id"] == expected_id("Artillery hit Kharkiv.")
    assert (first["url"], first["source"], first["published"]) == ("https://x.test/1", "Wire", "2024-02-07")
    assert second["url"] is None and "source_id" not in second


def test_json_array_and_single_object(workspace, tmp_path):
    array = tmp_path / "many.json"
    array.write_text(json.dumps([{"text": "One."}, {"text": "Two.", "title": "T"}]), encoding="utf-8")
    single = tmp_path / "one.json"
    single.write_text(json.dumps({"text": "Three.", "title": "Solo"}), encoding="utf-8")
    summary = corpus.add(workspace, [array, single])
    assert summary.added == 3
    assert [a["text"] for a in stored(workspace)] == ["One.", "Two.", "Three."]


def test_label_studio_task_file_reads_the_text_under_data(workspace, tmp_path):
    path = tmp_path / "tasks.json"
    path.write_text(json.dumps([{"id": 9, "data": {"text": "Mortar fire hit Djibo.", "title": "Djibo"}}]))
    corpus.add(workspace, [path])
    assert stored(workspace)[0]["title"] == "Djibo"


def test_csv_with_quoted_newlines_and_named_fields(workspace, tmp_path):
    path = tmp_path / "a.csv"
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["headline", "body", "url"])
        writer.writerow(["Raid", "Line one.\nLine two, with a comma.", "https://x.test/r"])
        writer.writerow(["Strike", "Drone hit Sana’a.", ""])
    summary = corpus.add(workspace, [path], names=corpus.FieldNames(text="body", title="headline"))
    assert summary.added == 2
    first, second = stored(workspace)
    assert first["text"] == "Line one.\nLine two, with a comma." and first["title"] == "Raid"
    assert second["text"] == "Drone hit Sana’a." and second["url"] is None


def test_parquet(workspace, tmp_path):
    import datetime as dt

    import pyarrow as pa
    import pyarrow.parquet as pq

    path = tmp_path / "a.parquet"
    table = pa.table(
        {
            "text": ["Gunmen attacked a convoy.", "A car bomb exploded."],
            "title": ["Convoy", "Bomb"],
            "published": [dt.datetime(2024, 1, 2, 3, 4), None],
        }
    )
    pq.write_table(table, path, row_group_size=1)
    corpus.add(workspace, [path])
    first, second = stored(workspace)
    assert first["published"] == "2024-01-02T03:04:00"
    assert second["title"] == "Bomb" and second["published"] is None


def test_saved_dataset_and_dataset_dict_with_field_names(workspace, tmp_path):
    import datasets

    single = tmp_path / "single"
    datasets.Dataset.from_dict({"body": ["Shelling in Donetsk."], "headline": ["Donetsk"]}).save_to_disk(str(single))
    splits = tmp_path / "splits"
    datasets.DatasetDict(
        {
            "train": datasets.Dataset.from_dict({"body": ["Raid in Jenin."], "headline": ["Jenin"]}),
            "test": datasets.Dataset.from_dict({"body": ["Mine blast in Ağdam."], "headline": ["Ağdam"]}),
        }
    ).save_to_disk(str(splits))
    summary = corpus.add(workspace, [single, splits], names=corpus.FieldNames(text="body", title="headline"))
    assert summary.added == 3
    assert sorted(a["title"] for a in stored(workspace)) == ["Ağdam", "Donetsk", "Jenin"]


def test_every_bundled_article_ingests_cleanly(workspace, bundled_copy):
    summary = corpus.add(workspace, [bundled_copy])
    assert summary.skipped == 0 and summary.duplicates == 0
    assert summary.added == len(list(bundled_copy.glob("*.txt"))) >= 31
    articles = stored(workspace)
    assert any(any(ord(c) > 0xFFFF for c in a["text"]) for a in articles)
    assert any(any(ord(c) > 127 and c.isalpha() for c in a["title"] + a["text"]) for a in articles)


# -- ids --------------------------------------------------------------------------------------------


def test_same_text_gets_the_same_id_in_any_format_position_or_workspace(tmp_path):
    text = "Two soldiers were killed by a roadside bomb in Helmand."
    one = init_workspace(tmp_path / "one")
    two = init_workspace(tmp_path / "two")
    write_jsonl(tmp_path / "first.jsonl", [{"text": "Something else first."}, {"text": text}])
    (tmp_path / "a.txt").write_text(f"A title\n{text}\n", encoding="utf-8")
    corpus.add(one, [tmp_path / "first.jsonl"])
    corpus.add(two, [tmp_path / "a.txt"])
    id_one = [a["id"] for a in stored(one) if a["text"] == text]
    id_two = [a["id"] for a in stored(two)]
    assert id_one == id_two == [expected_id(text)]


def test_line_endings_and_unicode_normalisation_do_not_change_the_id(workspace, tmp_path):
    composed = "Shelling hit Dağlıca and Bogotá."
    decomposed = unicodedata.normalize("NFD", composed)
    assert decomposed != composed
    write_jsonl(tmp_path / "a.jsonl", [{"text": composed + "\r\n"}, {"text": "  " + decomposed}])
    summary = corpus.add(workspace, [tmp_path / "a.jsonl"])
    assert (summary.added, summary.duplicates) == (1, 1)
    assert stored(workspace)[0]["id"] == expected_id(composed)


# -- duplicates and idempotence -----------------------------------------------------------------------


def test_duplicates_within_a_batch_and_across_runs_are_stored_once_and_counted(workspace, tmp_path):
    path = write_jsonl(
        tmp_path / "a.jsonl", [{"text": "Same."}, {"text": "Same.", "title": "again"}, {"text": "Other."}]
    )
    first = corpus.add(workspace, [path])
    assert (first.records, first.added, first.duplicates, first.corpus_size) == (3, 2, 1, 2)
    before = workspace.articles_path.read_bytes()
    second = corpus.add(workspace, [path])
    assert (second.added, second.duplicates, second.corpus_size) == (0, 3, 2)
    assert workspace.articles_path.read_bytes() == before


def test_a_later_add_appends_and_keeps_what_was_there(workspace, tmp_path):
    corpus.add(workspace, [write_jsonl(tmp_path / "a.jsonl", [{"text": "First."}])])
    corpus.add(workspace, [write_jsonl(tmp_path / "b.jsonl", [{"text": "Second."}])])
    assert [a["text"] for a in stored(workspace)] == ["First.", "Second."]


# -- bad input ----------------------------------------------------------------------------------------


def collect_skips(workspace, paths, **kwargs):
    skipped = []
    summary = corpus.add(workspace, paths, on_skip=skipped.append, **kwargs)
    return summary, [str(s) for s in skipped]


def test_bad_jsonl_lines_are_skipped_named_and_counted(workspace, tmp_path):
    path = tmp_path / "bad.jsonl"
    path.write_bytes(
        b'{"text": "Good one."}\n'
        b'{"text": ""}\n'
        b'{"text": "broken\n'
        b'{"title": "no text"}\n'
        b'{"text": 42}\n'
        b'{"text": "caf\xe9 latin-1"}\n'
        b"[1, 2]\n"
        b"\n"
        b'{"text": "Good two."}\n'
    )
    summary, messages = collect_skips(workspace, [path])
    assert (summary.records, summary.added, summary.skipped) == (8, 2, 6)
    assert summary.added + summary.skipped + summary.duplicates == summary.records
    name = str(path)
    assert messages == [
        f"{name} line 2: empty text; fill it in or drop the record",
        f"{name} line 3: malformed JSON (unexpected control character in string at column 17); fix or remove the line",
        f"{name} line 4: no 'text' field (fields: title); name it with --text-field",
        f"{name} line 5: 'text' is int, not text",
        f"{name} line 6: undecodable bytes (not UTF-8, at column 14); re-save as UTF-8",
        f"{name} line 7: expected an object with a 'text' field, found list",
    ]
    assert summary.skipped_by_reason == {
        "empty text": 1,
        "malformed JSON": 1,
        "no 'text' field": 1,
        "'text' is int, not text": 1,
        "undecodable bytes": 1,
        "expected an object with a 'text' field, found list": 1,
    }


def test_undecodable_and_empty_txt_files(workspace, tmp_path):
    (tmp_path / "latin1.txt").write_bytes("Title\nCaf\xe9 bombing".encode("latin-1"))
    (tmp_path / "empty.txt").write_bytes(b"")
    (tmp_path / "title-only.txt").write_text("Only a title\n", encoding="utf-8")
    summary, messages = collect_skips(workspace, [tmp_path])
    assert summary.added == 0 and summary.skipped == 3
    assert messages == [
        f"{tmp_path / 'empty.txt'}: empty text (a .txt article is a title line followed by the body)",
        f"{tmp_path / 'latin1.txt'}: undecodable bytes (not UTF-8, at byte 9); re-save the file as UTF-8",
        f"{tmp_path / 'title-only.txt'}: empty text (a .txt article is a title line followed by the body)",
    ]


def test_undecodable_csv_row_is_skipped_and_the_rest_read(workspace, tmp_path):
    path = tmp_path / "a.csv"
    path.write_bytes(b"title,text\nA,Good text.\nB,Bad \xff text.\nC,Also good.\n")
    summary, messages = collect_skips(workspace, [path])
    assert summary.added == 2
    assert messages == [f"{path} row 3: undecodable bytes (not UTF-8); re-save the file as UTF-8"]


def test_malformed_json_array_names_the_position_and_keeps_earlier_records(workspace, tmp_path):
    path = tmp_path / "a.json"
    path.write_text('[{"text": "Fine."}, {"text": oops}]', encoding="utf-8")
    summary, messages = collect_skips(workspace, [path])
    assert summary.added == 1 and summary.skipped == 1
    assert messages[0].startswith(f"{path} after record 1: malformed JSON near byte ")
    assert messages[0].endswith("the rest of the file was not read")


def test_strict_refuses_everything_and_writes_nothing(workspace, tmp_path):
    corpus.add(workspace, [write_jsonl(tmp_path / "ok.jsonl", [{"text": "Already here."}])])
    before = workspace.articles_path.read_bytes()
    path = write_jsonl(tmp_path / "mixed.jsonl", [{"text": "New and fine."}, {"text": "   "}])
    with pytest.raises(AnnotateError) as caught:
        corpus.add(workspace, [path], strict=True)
    assert caught.value.exit_code == ExitCode.STRICT
    assert "1 record(s) would be skipped" in str(caught.value)
    assert workspace.articles_path.read_bytes() == before
    assert not list(workspace.corpus_dir.glob("*.tmp"))


def test_missing_path_and_unsupported_format_are_refused(workspace, tmp_path):
    with pytest.raises(AnnotateError, match="does not exist"):
        corpus.add(workspace, [tmp_path / "nope.jsonl"])
    (tmp_path / "a.docx").write_bytes(b"PK")
    with pytest.raises(AnnotateError, match=r"a.docx: unsupported format '.docx'"):
        corpus.add(workspace, [tmp_path / "a.docx"])
    assert not workspace.articles_path.exists()


# -- streaming ----------------------------------------------------------------------------------------


def _peak_bytes_ingesting(tmp_path, workspace, count: int) -> tuple[int, int]:
    path = tmp_path / f"big-{count}.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for number in range(count):
            handle.write(
                json.dumps({"title": f"Report {number}", "text": f"Report {number}. " + "Shelling. " * 500}) + "\n"
            )
    tracemalloc.start()
    corpus.add(workspace, [path])
    _, peak = tracemalloc.get_traced_memory()
    tracemalloc.stop()
    return path.stat().st_size, peak


def test_memory_stays_flat_as_the_input_grows(tmp_path):
    small_size, small_peak = _peak_bytes_ingesting(tmp_path, init_workspace(tmp_path / "s"), 500)
    large_size, large_peak = _peak_bytes_ingesting(tmp_path, init_workspace(tmp_path / "l"), 5000)
    assert large_size > 9 * small_size
    # Texts are never held: only one hash per article is kept, so the growth per article is a few hundred
    # bytes whatever the length of the text (each is ~5 KB here), and the peak a small fraction of the input.
    growth_per_article = (large_peak - small_peak) / 4500
    assert growth_per_article < 500
    assert large_peak < large_size / 10


# -- stats --------------------------------------------------------------------------------------------


def test_stats_counts_lengths_sources_and_near_duplicates(workspace, tmp_path):
    write_jsonl(
        tmp_path / "a.jsonl",
        [
            {"text": "Rockets hit the port.", "source": "Wire A"},
            {"text": "ROCKETS hit the port!", "source": "Wire B"},
            {"text": "A drone 🚨 was downed over the sea near the coast.", "url": "https://x.test"},
        ],
    )
    corpus.add(workspace, [tmp_path / "a.jsonl"], source="Local")
    figures = corpus.stats(workspace)
    assert figures["articles"] == 3
    emoji_text = "A drone 🚨 was downed over the sea near the coast."
    assert figures["characters"]["min"] == 21 and figures["characters"]["max"] == len(emoji_text)
    assert figures["words"]["total"] == 4 + 4 + 11
    assert figures["sources"] == {"Wire A": 1, "Wire B": 1, "Local": 1}
    assert figures["near_duplicates"] == 1
    assert figures["duplicate_ids"] == 0
    assert figures["with_characters_outside_bmp"] == 1
    assert figures["with_url"] == 1


def test_stats_of_an_empty_corpus_says_how_to_fill_it(workspace):
    with pytest.raises(AnnotateError, match=r"is empty\. Add articles first"):
        corpus.stats(workspace)
