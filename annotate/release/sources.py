"""What a release is made from: the workspace's gold and corpus, indexed by article id and checked
against each other before anything is written.

Only the byte offset of each record is kept (``LineIndex``); a record is read back when its row is
written, so memory stays flat however large the corpus.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import orjson

from annotate.corpus import near_duplicate_key
from annotate.errors import AnnotateError, Messages
from annotate.workspace import Workspace


class LineIndex:
    """Byte offsets of the records of a JSON Lines file by id, to read one back on demand (flat memory)."""

    def __init__(self) -> None:
        self.offsets: dict[str, int] = {}
        self.lines: dict[str, int] = {}

    def add(self, record_id: str, offset: int, line: int) -> None:
        self.offsets[record_id] = offset
        self.lines[record_id] = line

    def read(self, record_id: str, stream: Any) -> dict[str, Any]:
        stream.seek(self.offsets[record_id])
        return orjson.loads(stream.readline())


def _scan(path: Path, fix: str) -> Iterator[tuple[int, int, dict[str, Any]]]:
    """(line number, byte offset, record) of each line of a JSON Lines file."""
    with path.open("rb") as stream:
        offset = 0
        for number, raw in enumerate(stream, start=1):
            if raw.strip():
                try:
                    record = orjson.loads(raw)
                except orjson.JSONDecodeError as exc:
                    raise AnnotateError(
                        Messages.RECORDS_DAMAGED, path=path, line=number, problem=str(exc).split(":")[0], fix=fix
                    ) from None
                yield number, offset, record
            offset += len(raw)


@dataclass
class GoldIndex:
    """What publishing needs to know about the gold file before writing a row."""

    index: LineIndex
    conflicted: list[str]  # article ids with open conflicts, in gold order
    records: int
    strategies: Counter[str]
    settled_by: Counter[str]
    sha256: dict[str, str] = field(default_factory=dict)  # article id -> the text it was settled on


def index_gold(workspace: Workspace) -> GoldIndex:
    """The gold file indexed by article id, with the counts the card gives; a damaged, duplicated or
    empty gold file is refused."""
    path = workspace.gold_path
    shown = workspace.relative(path)
    if not path.exists():
        raise AnnotateError(Messages.GOLD_MISSING, path=shown)
    gold = GoldIndex(LineIndex(), [], 0, Counter(), Counter())
    for number, offset, record in _scan(path, Messages.FIX_GOLD):
        article_id = record.get("article_id") if isinstance(record, dict) else None
        if not isinstance(article_id, str) or not isinstance(record.get("spans"), list):
            raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=number, problem="no article_id or spans")
        if article_id in gold.index.offsets:
            raise AnnotateError(
                Messages.RELEASE_GOLD_BAD, path=shown, line=number, problem=f"article {article_id} appears twice"
            )
        gold.index.add(article_id, offset, number)
        gold.sha256[article_id] = record.get("sha256")
        gold.records += 1
        gold.strategies[str(record.get("strategy"))] += 1
        gold.settled_by[str(record.get("settled_by"))] += 1
        if record.get("conflicts"):
            gold.conflicted.append(article_id)
    if not gold.records:
        raise AnnotateError(Messages.GOLD_MISSING, path=shown)
    return gold


@dataclass
class CorpusIndex:
    index: LineIndex
    order: list[str]  # the published ids in corpus order
    groups: dict[str, str]  # article id -> near-duplicate key
    sha256: dict[str, str]


def index_corpus(workspace: Workspace, wanted: set[str]) -> CorpusIndex:
    """The ``wanted`` articles of the corpus indexed by id, in corpus order, with their near-duplicate keys."""
    corpus = CorpusIndex(LineIndex(), [], {}, {})
    if workspace.articles_path.exists():
        for number, offset, article in _scan(workspace.articles_path, Messages.FIX_CORPUS):
            if article["id"] in wanted:
                corpus.index.add(article["id"], offset, number)
                corpus.order.append(article["id"])
                corpus.groups[article["id"]] = near_duplicate_key(article["text"])
                corpus.sha256[article["id"]] = article["sha256"]
    return corpus


def check_gold_matches_corpus(
    workspace: Workspace, gold: GoldIndex, corpus: CorpusIndex, published: Iterable[str]
) -> None:
    """Refuse gold of an article the corpus lacks, or settled on another text than the corpus's."""
    shown = workspace.relative(workspace.gold_path)
    for article_id in published:
        line = gold.index.lines[article_id]
        if article_id not in corpus.sha256:
            problem = f"article {article_id} is not in the corpus"
            raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=line, problem=problem)
        if gold.sha256[article_id] != corpus.sha256[article_id]:
            problem = f"article {article_id} was settled on another text than the corpus's (its sha256 differs)"
            raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=line, problem=problem)
