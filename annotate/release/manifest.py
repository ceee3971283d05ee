"""``manifest.json``: what a version holds (the hash of every data file, the counts, the split salt,
the agreement figures) and what it was made from (``release_inputs``: the same inputs make the same
release, so re-running a pipeline that changed nothing is not refused)."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

from annotate import __version__
from annotate.agreement.report import value_and_interval
from annotate.release.dataset import CONFIGS
from annotate.release.splits import SPLITS, SPLITS_FILE
from annotate.release.summary import ReleaseSummary
from annotate.schema import Schema
from annotate.workspace import Workspace, file_sha256

MANIFEST = "manifest.json"


def release_inputs(
    workspace: Workspace, schema_sha256: str, ratios: Sequence[float], include_conflicts: bool
) -> dict[str, Any]:
    """What a version is made from: the same inputs make the same release (re-running a pipeline that
    changed nothing must not fail on "version exists")."""
    files = {"corpus": workspace.articles_path, "annotations": workspace.annotations_path, "gold": workspace.gold_path}
    return {
        "schema_sha256": schema_sha256,
        **{f"{name}_sha256": file_sha256(path) if path.exists() else None for name, path in files.items()},
        "tool_version": __version__,
        "ratios": list(ratios),
        "include_conflicts": include_conflicts,
    }


def input_digests(workspace: Workspace, inputs: dict[str, Any]) -> dict[Path, str]:
    """The sha256 ``release_inputs`` took, by path, for whatever else needs them (the saved agreement report's
    check): each file is hashed once per publish."""
    taken = {
        workspace.schema_path: inputs["schema_sha256"],
        workspace.articles_path: inputs["corpus_sha256"],
        workspace.annotations_path: inputs["annotations_sha256"],
        workspace.gold_path: inputs["gold_sha256"],
    }
    return {path: digest for path, digest in taken.items() if digest is not None}


def build_manifest(
    workspace: Workspace,
    folder: Path,
    schema: Schema,
    summary: ReleaseSummary,
    salt: str,
    ratios: Sequence[float],
    figures: dict[str, Any],
    inputs: dict[str, Any],
) -> dict[str, Any]:
    """The manifest; the schema, corpus and gold hashes are the ones ``release_inputs`` took (no second pass)."""
    exports = sorted(workspace.exports_dir.glob("*.json")) if workspace.exports_dir.exists() else []
    data_files = sorted(
        str(path.relative_to(folder)) for config in CONFIGS for path in (folder / config).glob("*.parquet")
    )
    span, unitizing, token = figures["span_f1"], figures["unitizing_alpha"], figures["token"]
    return {
        "name": workspace.config["name"],
        "version": summary.version,
        "schema": {
            "name": schema.name,
            "version": schema.version,
            "sha256": inputs["schema_sha256"],
        },
        "corpus": {"path": workspace.relative(workspace.articles_path), "sha256": inputs["corpus_sha256"]},
        "gold": {"path": workspace.relative(workspace.gold_path), "sha256": inputs["gold_sha256"]},
        "exports": {
            "note": "annotation records do not name the export they came from: every export kept in exports/ is listed",
            "files": [{"name": path.name, "sha256": file_sha256(path)} for path in exports],
        },
        "data_files": {name: file_sha256(folder / name) for name in [*data_files, SPLITS_FILE]},
        "tool": {"name": "annotate", "version": __version__},
        "splits": {
            "salt": salt,
            "ratios": dict(zip(SPLITS, ratios, strict=True)),
            "assignments": SPLITS_FILE,
            **{key: value for key, value in summary.as_dict()["splits"].items()},
        },
        "counts": {
            "gold_records": summary.gold_records,
            "articles": summary.published,
            "articles_per_split": summary.as_dict()["articles_per_split"],
            "spans": summary.as_dict()["spans"],
            "spans_settled": dict(summary.settled),
            "annotations": summary.as_dict()["annotations"],
            "misaligned_spans": summary.as_dict()["misaligned"]["by_reason"],
            **({"choices": summary.as_dict()["choices"]} if summary.choices else {}),
        },
        "conflicts": {
            "policy": "included (settled spans only)" if summary.include_conflicts else "held back",
            "articles_with_open_conflicts": len(summary.held_back) + summary.published_with_conflicts,
            "held_back": summary.held_back,
            "published": summary.published_with_conflicts,
        },
        "agreement": {
            **({"all_annotated_articles": figures["all_annotated"]} if "all_annotated" in figures else {}),
            "documents": figures["documents"],
            "strict_f1": value_and_interval(span["strict"]["micro"], span["strict"]["ci95"]),
            "overlap_f1": value_and_interval(span["overlap"]["micro"], span["overlap"]["ci95"]),
            "unitizing_alpha": value_and_interval(unitizing["overall"], unitizing["ci95"]),
            "krippendorff_alpha": value_and_interval(token["krippendorff_alpha"], token["krippendorff_alpha"]["ci95"]),
            **({"choices": figures["choices"]} if figures.get("choices") else {}),
        },
        "inputs": inputs,
    }
