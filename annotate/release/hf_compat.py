"""The non-public parts of ``datasets`` the release relies on, behind one small adapter.

Why they are used at all: a release is written the way ``datasets``' own ``push_to_hub`` writes a
dataset, so that ``load_dataset`` and the Hub read it exactly as they read a pushed one -- and
``datasets`` has no public API for either half. ``datasets.arrow_writer.ParquetWriter`` writes a
Parquet file with ``datasets``' own settings and counts the Arrow bytes ``dataset_info`` reports;
``datasets.info.DatasetInfosDict`` and ``datasets.utils.metadata.MetadataConfigs`` write the card's
``dataset_info`` and ``configs`` YAML keys; ``without_scipy_io`` keeps a builder's streaming patches from
importing scipy (``datasets.utils.patching``). None of them is documented, so any ``datasets`` release may
change them: they are used here and nowhere else, pyproject.toml bounds the ``datasets`` version, and
tests/test_hf_compat.py holds this module against the installed ``datasets`` (against what its
``push_to_hub`` writes), so a change breaks one test file instead of every release.

Everything else the release takes from ``datasets`` and ``huggingface_hub`` (``Features``,
``DatasetInfo``, ``load_dataset``, ``DatasetCard``, ``HfApi``) is public API.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# {config: {split: {"num_examples": rows, "num_bytes": Arrow bytes, "download_size": Parquet file bytes}}}
Sizes = dict[str, dict[str, dict[str, int]]]


def parquet_writer(path: Path, features: Any, batch_size: int) -> Any:
    """``datasets``' Parquet writer of one file: ``write(row)`` each row, or ``write_table(table)`` each
    batch of ``batch_size`` rows as one Arrow table (the same file and counts), then ``finalize()`` gives
    ``(rows, Arrow bytes)``, the figures ``dataset_info`` reports for a split."""
    from datasets.arrow_writer import ParquetWriter

    return ParquetWriter(features=features, path=str(path), writer_batch_size=batch_size)


@contextlib.contextmanager
def without_scipy_io() -> Iterator[None]:
    """``scipy.io`` seen as not installed until exit, unless something imported it already.

    Why: every ``datasets`` builder, when made (``load_dataset_builder``), patches its module for streaming,
    and one of the patches (``scipy.io.loadmat``, for MATLAB files) imports ``scipy.io`` when scipy is
    installed -- 10 MB and 0.15 s that a Parquet release never uses. ``datasets`` skips the patch of a module
    it cannot import (``utils.patching.patch_submodule``); a ``None`` in ``sys.modules`` is such a module.
    """
    if "scipy.io" in sys.modules:
        yield
        return
    sys.modules["scipy.io"] = None  # type: ignore[assignment]
    try:
        yield
    finally:
        if sys.modules.get("scipy.io", 0) is None:
            del sys.modules["scipy.io"]


def describe_configs(
    card_data: Any, features: dict[str, Any], sizes: Sizes, data_path: Callable[[str, str], str], default: str
) -> None:
    """Put ``dataset_info`` and ``configs`` into a ``DatasetCardData`` as ``push_to_hub`` does: per config
    (in the order of ``sizes``) its features, each split's rows and bytes and its data file
    (``data_path(config, split)``); ``default`` is the config ``load_dataset`` takes when none is named."""
    from datasets import DatasetInfo, SplitDict, SplitInfo
    from datasets.info import DatasetInfosDict
    from datasets.utils.metadata import MetadataConfigs

    infos, configs = {}, {}
    for name in sizes:
        splits = SplitDict()
        for split, size in sizes[name].items():
            splits.add(SplitInfo(name=split, num_bytes=size["num_bytes"], num_examples=size["num_examples"]))
        download = sum(size["download_size"] for size in sizes[name].values())
        dataset = sum(size["num_bytes"] for size in sizes[name].values())
        infos[name] = DatasetInfo(
            config_name=name,
            features=features[name],
            splits=splits,
            download_size=download,
            dataset_size=dataset,
        )
        configs[name] = {"data_files": [{"split": split, "path": data_path(name, split)} for split in sizes[name]]}
    configs[default]["default"] = True
    DatasetInfosDict(infos).to_dataset_card_data(card_data)
    MetadataConfigs(configs).to_dataset_card_data(card_data)
