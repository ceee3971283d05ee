"""``annotate.release.hf_compat`` held against the installed ``datasets``.

The adapter wraps non-public ``datasets`` pieces so that a release is written the way ``push_to_hub``
writes a dataset. These tests compare it with what ``datasets`` itself writes -- the Parquet file of
``Dataset.to_parquet`` (what ``push_to_hub`` uploads), the card YAML of ``push_to_hub`` -- and load the
result back. A failure after upgrading ``datasets`` means the adapter (and the version bound in
pyproject.toml) needs a look, nothing else.
"""

from __future__ import annotations

import fnmatch
import os
import subprocess
import sys

import datasets
import pyarrow as pa
import pyarrow.parquet
import pytest
from datasets import ClassLabel, Features, List, SplitInfo, Value
from huggingface_hub import DatasetCard, DatasetCardData

from annotate.release import hf_compat

FEATURES = Features(
    {
        "id": Value("string"),
        "spans": List({"start": Value("int32"), "end": Value("int32"), "label": ClassLabel(names=["actor", "weapon"])}),
        "ner_tags": List(ClassLabel(names=["O", "B-actor", "I-actor"])),
    }
)


def rows(count: int, first: int = 0) -> list[dict]:
    return [
        {
            "id": f"article-{n}",
            "spans": [{"start": n, "end": n + 5, "label": n % 2}],
            "ner_tags": [0, 1, 2, -1][: n % 4 + 1],  # -1: ClassLabel's "no label"
        }
        for n in range(first, first + count)
    ]


def data_path(config: str, split: str) -> str:
    return f"{config}/{split}-00000-of-00001.parquet"


def write_split(folder, config: str, split: str, records: list[dict]) -> dict[str, int]:
    path = folder / data_path(config, split)
    path.parent.mkdir(parents=True, exist_ok=True)
    writer = hf_compat.parquet_writer(path, FEATURES, batch_size=1000)
    for record in records:
        writer.write(record)
    examples, nbytes = writer.finalize()
    return {"num_examples": examples, "num_bytes": nbytes, "download_size": path.stat().st_size}


pytestmark = pytest.mark.usefixtures("datasets_cache")


def test_the_parquet_writer_writes_the_file_and_counts_the_bytes_push_to_hub_does(tmp_path):
    records = rows(120)
    size = write_split(tmp_path, "gold", "train", records)
    dataset = datasets.Dataset.from_list(records, features=FEATURES)
    dataset.to_parquet(tmp_path / "pushed.parquet")  # what push_to_hub uploads for one shard
    assert (tmp_path / data_path("gold", "train")).read_bytes() == (tmp_path / "pushed.parquet").read_bytes()
    # push_to_hub's split num_bytes is the dataset's Arrow size
    assert size["num_examples"] == len(records) and size["num_bytes"] == dataset._estimate_nbytes()


def test_tables_of_rows_are_written_and_counted_as_the_rows_one_by_one(tmp_path):
    """How a release writes: one Arrow table per batch of rows (``write_table``), not a row at a time."""
    records = rows(2500)
    one_by_one = write_split(tmp_path / "rows", "gold", "train", records)
    path = tmp_path / "tables" / data_path("gold", "train")
    path.parent.mkdir(parents=True)
    writer = hf_compat.parquet_writer(path, FEATURES, batch_size=1000)
    for first in range(0, len(records), 1000):
        batch = records[first : first + 1000]
        writer.write_table(pa.Table.from_pylist(batch, schema=FEATURES.arrow_schema))
    examples, nbytes = writer.finalize()
    assert path.read_bytes() == (tmp_path / "rows" / data_path("gold", "train")).read_bytes()
    assert (examples, nbytes) == (one_by_one["num_examples"], one_by_one["num_bytes"])


def test_the_card_yaml_is_what_push_to_hub_writes(tmp_path):
    get_updated_card = getattr(datasets.arrow_dataset, "_get_updated_dataset_card", None)
    if get_updated_card is None:
        pytest.fail(f"datasets {datasets.__version__} has no _get_updated_dataset_card to compare the card with")
    from fsspec.implementations.dirfs import DirFileSystem
    from fsspec.implementations.local import LocalFileSystem

    sizes = {"gold": {"train": write_split(tmp_path, "gold", "train", rows(30))}}
    sizes["gold"]["test"] = write_split(tmp_path, "gold", "test", rows(7, first=30))
    card_data = DatasetCardData()
    hf_compat.describe_configs(card_data, {"gold": FEATURES}, sizes, data_path, default="gold")
    ours = card_data.to_dict()

    empty_repo = tmp_path / "repo"
    empty_repo.mkdir()
    pushed, _ = get_updated_card(
        fs=DirFileSystem(path=str(empty_repo), fs=LocalFileSystem()),
        config_name="gold",
        splits_info=[
            SplitInfo(name=split, num_bytes=size["num_bytes"], num_examples=size["num_examples"])
            for split, size in sizes["gold"].items()
        ],
        features=FEATURES,
        data_dir="gold",
        set_default=True,
        uploaded_sizes=[v["download_size"] for v in sizes["gold"].values()],
        deleted_sizes=[0 for _ in sizes["gold"]],
        remove_other_splits=False,
    )
    theirs = pushed.data.to_dict()
    assert ours["dataset_info"] == theirs["dataset_info"]
    (our_config,), (their_config,) = ours["configs"], theirs["configs"]
    assert our_config.keys() == their_config.keys()
    assert (our_config["config_name"], our_config["default"]) == (their_config["config_name"], their_config["default"])
    # push_to_hub names a glob of shards; a release names its one file, which the glob must match.
    ours_files, theirs_files = our_config["data_files"], their_config["data_files"]
    assert [f["split"] for f in ours_files] == [f["split"] for f in theirs_files]
    for mine, pattern in zip(ours_files, theirs_files, strict=True):
        assert fnmatch.fnmatch(mine["path"], pattern["path"])


def test_load_dataset_reads_the_configs_splits_and_default_back(tmp_path):
    folder = tmp_path / "release"
    written = {"gold": {"train": rows(20), "validation": rows(3, first=20)}, "annotations": {"train": rows(5)}}
    sizes = {
        config: {split: write_split(folder, config, split, records) for split, records in splits.items()}
        for config, splits in written.items()
    }
    card_data = DatasetCardData()
    hf_compat.describe_configs(card_data, dict.fromkeys(written, FEATURES), sizes, data_path, default="gold")
    DatasetCard(f"---\n{card_data.to_yaml()}\n---\n").save(folder / "README.md")

    assert datasets.get_dataset_default_config_name(str(folder)) == "gold"
    for config, splits in written.items():
        info = datasets.load_dataset_builder(str(folder), config).info
        assert {name: split.num_bytes for name, split in info.splits.items()} == {
            split: size["num_bytes"] for split, size in sizes[config].items()
        }
        assert info.download_size == sum(size["download_size"] for size in sizes[config].values())
        loaded = datasets.load_dataset(str(folder), config, cache_dir=str(tmp_path / "cache"))
        assert {split: loaded[split].to_list() for split in loaded} == splits
        assert all(loaded[split].features == FEATURES for split in loaded)


MAKE_A_BUILDER = """
import sys
import datasets
from annotate.release import hf_compat
guard = hf_compat.without_scipy_io() if sys.argv[2] == "guarded" else __import__("contextlib").nullcontext()
with guard:
    datasets.load_dataset_builder(sys.argv[1], cache_dir=sys.argv[1] + "/cache")
print("scipy.io" in sys.modules, sys.modules.get("scipy.io", "absent") is None)
"""


@pytest.mark.parametrize(("guard", "imported"), [("guarded", "False False"), ("not guarded", "True False")])
def test_a_builder_made_without_scipy_io_does_not_import_it(tmp_path, guard, imported):
    pytest.importorskip("scipy")  # not installed: datasets has nothing to import, and nothing is to test
    pa.parquet.write_table(pa.table({"id": ["a", "b"]}), tmp_path / "train.parquet")
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    command = [sys.executable, "-c", MAKE_A_BUILDER, str(tmp_path), guard]
    done = subprocess.run(command, env=env, capture_output=True, text=True, check=True)
    assert done.stdout.split("\n")[0] == imported  # and no None is left behind in sys.modules
