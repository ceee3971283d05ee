"""What a release is made from: the workspace's gold and corpus, indexed by article id and checked
against each other before anything is written.

Only the byte offset of each record is kept (``LineIndex``); a record is read back when its row is
written, so memory stays flat however large the corpus.
"""

from __future__ import annotations

import sys
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
    """Byte offsets of the records of a JSON Lines file by id, to read one back on demand (flat memory). Line
    numbers, which only a refusal names, are counted again then (``line``) rather than kept for every record."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.offsets: dict[str, int] = {}

    def add(self, record_id: str, offset: int) -> None:
        self.offsets[record_id] = offset

    def read(self, record_id: str, stream: Any) -> dict[str, Any]:
        stream.seek(self.offsets[record_id])
        return orjson.loads(stream.readline())

    def line(self, record_id: str) -> int:
        """The line number of the record (1 for the first line): the line ends before its offset, plus one."""
        with self.path.open("rb") as stream:
            return stream.read(self.offsets[record_id]).count(b"\n") + 1


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
    sha256: dict[str, str] = field(default_factory=dict)  # article id -> the text it was settled on (for the check)


def index_gold(workspace: Workspace) -> GoldIndex:
    """The gold file indexed by article id, with the counts the card gives; a damaged, duplicated or
    empty gold file is refused."""
    path = workspace.gold_path
    shown = workspace.relative(path)
    if not path.exists():
        raise AnnotateError(Messages.GOLD_MISSING, path=shown)
    gold = GoldIndex(LineIndex(path), [], 0, Counter(), Counter())
    for number, offset, record in _scan(path, Messages.FIX_GOLD):
        article_id = record.get("article_id") if isinstance(record, dict) else None
        if not isinstance(article_id, str) or not isinstance(record.get("spans"), list):
            raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=number, problem="no article_id or spans")
        if article_id in gold.index.offsets:
            raise AnnotateError(
                Messages.RELEASE_GOLD_BAD, path=shown, line=number, problem=f"article {article_id} appears twice"
            )
        article_id = sys.intern(article_id)  # one string per id, shared with the corpus index (30,000: 2 MB)
        gold.index.add(article_id, offset)
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
    corpus = CorpusIndex(LineIndex(workspace.articles_path), [], {}, {})
    if workspace.articles_path.exists():
        for _, offset, article in _scan(workspace.articles_path, Messages.FIX_CORPUS):
            if article["id"] in wanted:
                article_id = sys.intern(article["id"])
                corpus.index.add(article_id, offset)
                corpus.order.append(article_id)
                corpus.groups[article_id] = near_duplicate_key(article["text"])
                corpus.sha256[article_id] = article["sha256"]
    return corpus


def check_gold_matches_corpus(
    workspace: Workspace, gold: GoldIndex, corpus: CorpusIndex, published: Iterable[str]
) -> None:
    """Refuse gold of an article the corpus lacks, or settled on another text than the corpus's."""
    shown = workspace.relative(workspace.gold_path)
    for article_id in published:
        if article_id not in corpus.sha256:
            problem = f"article {article_id} is not in the corpus"
        elif gold.sha256[article_id] != corpus.sha256[article_id]:
            problem = f"article {article_id} was settled on another text than the corpus's (its sha256 differs)"
        else:
            continue
        raise AnnotateError(Messages.RELEASE_GOLD_BAD, path=shown, line=gold.index.line(article_id), problem=problem)
