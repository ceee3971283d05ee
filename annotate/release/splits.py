"""Splits: which of train, validation and test each published article is in, for good.

Splits come from a salted hash of the article id; ``splits.jsonl`` keeps every assignment ever made
(and ``manifest.json`` the salt), so an article keeps its split in every later version and a group
of near-duplicate articles shares one.
"""

from __future__ import annotations

import hashlib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

from annotate import defaults
from annotate.errors import AnnotateError, Messages
from annotate.workspace import jsonl_writer, read_jsonl

SPLITS = ("train", "validation", "test")
DEFAULT_RATIOS = defaults.RELEASE_RATIOS
SPLITS_FILE = "splits.jsonl"


def parse_ratios(text: str) -> tuple[float, float, float]:
    """``"0.8,0.1,0.1"`` -> a checked (train, validation, test) triple."""
    try:
        values = tuple(float(part) for part in text.split(","))
    except ValueError:
        raise AnnotateError(Messages.RELEASE_BAD_RATIOS, ratios=text, problem="not numbers") from None
    return check_ratios(values, text)


def check_ratios(values: Sequence[float], shown: str | None = None) -> tuple[float, float, float]:
    shown = shown or ",".join(str(v) for v in values)
    if len(values) != 3:
        raise AnnotateError(Messages.RELEASE_BAD_RATIOS, ratios=shown, problem=f"{len(values)} number(s), not 3")
    if any(not 0 <= value <= 1 for value in values):
        raise AnnotateError(Messages.RELEASE_BAD_RATIOS, ratios=shown, problem="each must be between 0 and 1")
    if abs(sum(values) - 1) > 1e-9:
        raise AnnotateError(Messages.RELEASE_BAD_RATIOS, ratios=shown, problem=f"they add up to {sum(values):g}")
    if values[0] == 0:
        raise AnnotateError(Messages.RELEASE_BAD_RATIOS, ratios=shown, problem="the train split cannot be empty")
    return (float(values[0]), float(values[1]), float(values[2]))


def split_salt(name: str) -> str:
    """The salt of a dataset's first release, from its name: the same corpus gives the same splits on
    every machine, and two datasets sharing articles split them independently. Later versions reuse the
    salt recorded in the manifest."""
    return hashlib.sha256(f"annotate splits:{name}".encode()).hexdigest()[:32]


def hashed_split(salt: str, article_id: str, ratios: Sequence[float]) -> str:
    """The split a salted SHA-256 of the article id falls in: a uniform point in [0, 1) cut by the ratios."""
    point = int.from_bytes(hashlib.sha256(f"{salt}:{article_id}".encode()).digest()[:8], "big") / 2**64
    bound = 0.0
    for split, ratio in zip(SPLITS, ratios, strict=True):
        bound += ratio
        if point < bound:
            return split
    return next(split for split, ratio in zip(reversed(SPLITS), reversed(ratios), strict=True) if ratio > 0)


@dataclass
class SplitAssignment:
    splits: dict[str, str]  # article id -> split, for every article published now
    kept: int = 0  # articles that kept the split an earlier version gave them
    new: int = 0
    joined_group: int = 0  # new articles that took the split of a near-duplicate
    groups_across_splits: list[str] = field(default_factory=list)  # near-duplicate keys already split apart


def assign_splits(
    ids: Sequence[str], group_of: dict[str, str], previous: dict[str, str], salt: str, ratios: Sequence[float]
) -> SplitAssignment:
    """Splits for ``ids`` (in corpus order): an earlier assignment is kept; a near-duplicate group follows
    its earliest-assigned member (an earlier version's first, then corpus order); else the salted hash."""
    group_split: dict[str, str] = {}
    across: set[str] = set()
    for article_id in previous:
        group = group_of.get(article_id)
        if group is None:
            continue
        if group_split.setdefault(group, previous[article_id]) != previous[article_id]:
            across.add(group)
    result = SplitAssignment(splits={})
    for article_id in ids:
        group = group_of[article_id]
        if article_id in previous:
            split = previous[article_id]
            result.kept += 1
        elif group in group_split:
            split = group_split[group]
            result.new += 1
            result.joined_group += 1
        else:
            split = hashed_split(salt, article_id, ratios)
            result.new += 1
        group_split.setdefault(group, split)
        result.splits[article_id] = split
    result.groups_across_splits = sorted(across)
    return result


# -- splits.jsonl: every assignment ever made ------------------------------------------------------


def read_splits_file(release_dir: Path) -> dict[str, str]:
    """Article id -> split, as every earlier version assigned them (empty before the first)."""
    path = release_dir / SPLITS_FILE
    if not path.exists():
        return {}
    return {record["article_id"]: record["split"] for record in read_jsonl(path)}


def write_splits_file(path: Path, previous: dict[str, str], current: dict[str, str]) -> None:
    """Every assignment ever made, sorted by article id: earlier ones are never changed."""
    merged = {**current, **previous}
    with path.open("wb") as out, jsonl_writer(out) as writer:  # inside the build folder: no atomic write needed
        for article_id in sorted(merged):
            writer.write({"article_id": article_id, "split": merged[article_id]})
