"""Load the workspace's published release back with ``datasets``, as a user of the dataset would.

    python scripts/load_release.py                 # releases/<name in annotate.yaml>, config "gold"

Prints the splits and their sizes, the label names of ``ner_tags``, the configs and one example, and
where the release and its card are.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import datasets

from annotate.workspace import open_workspace


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--workspace", type=Path, default=Path("."), help="workspace folder")
    parser.add_argument("--config", default="gold", help="gold or annotations")
    args = parser.parse_args(argv)
    workspace = open_workspace(args.workspace)
    folder = workspace.release_dir
    if not (folder / "README.md").is_file():
        where = workspace.relative(folder)
        print(f"Error: no release in {where}: run `annotate publish --version 1.0.0`.", file=sys.stderr)
        return 1
    datasets.disable_progress_bars()
    loaded = datasets.load_dataset(str(folder), args.config)
    manifest = json.loads((folder / "manifest.json").read_text(encoding="utf-8"))
    print(f"datasets.load_dataset({workspace.relative(folder)!r}, {args.config!r}) -> version {manifest['version']}")
    for split, rows in loaded.items():
        print(f"  {split:<10} {rows.num_rows:>5} rows")
    first = next(iter(loaded.values()))
    if "ner_tags" in first.features:
        print(f"  ner_tags   {', '.join(first.features['ner_tags'].feature.names)}")
        example = first[0]
        names = first.features["ner_tags"].feature.names
        tagged = zip(example["tokens"], example["ner_tags"], strict=True)
        shown = [f"{token}/{names[tag]}" for token, tag in tagged if tag > 0][:8]  # 0 is "O"; -1 misaligned
        print(f"  example    {example['title']!r}: {' '.join(shown)} ...")
    print(f"The release is in {workspace.relative(folder)}/ (card: README.md, manifest.json, CHANGELOG.md).")
    return 0


if __name__ == "__main__":
    sys.exit(main())
