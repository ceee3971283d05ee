"""The data a model is trained and evaluated on: the gold standard, or a published release's splits.

Both become spaCy ``DocBin`` files written by the training-data export (``annotate.exports``): the gold
through ``exports.export(..., "spacy")`` itself, a release's rows through the same document builder and
writer. So the model is trained on exactly what ``annotate export --format spacy`` gives a user, and
every trained model names the data it came from: the source, its version and the sha256 of its bytes.
"""

from __future__ import annotations

import hashlib
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from annotate import exports
from annotate.errors import AnnotateError, Messages
from annotate.spans import Span
from annotate.workspace import Workspace

GOLD = "gold"
SPANS_KEY = "sc"  # where the export keeps every span (doc.spans["sc"]); spancat reads and writes it


@dataclass
class TrainingData:
    """A source's articles as spaCy ``DocBin`` bytes per split (``all`` for gold), and what it was made from."""

    source: str  # "gold" or the release version
    version: str  # "gold" files are versioned by their sha256; a release by its version
    sha256: str  # of the source file (gold/gold.jsonl) or of the release's gold Parquet files
    splits: dict[str, bytes]  # split -> DocBin bytes
    articles: dict[str, int]  # split -> articles
    spans: dict[str, int]  # label -> spans over every split
    held_back: int = 0  # gold articles left out for their open conflicts

    def describe(self) -> dict[str, Any]:
        found = asdict(self)
        del found["splits"]
        found["docbin_sha256"] = {split: hashlib.sha256(data).hexdigest() for split, data in self.splits.items()}
        return found


def file_sha256(paths: Iterable[Path]) -> str:
    digest = hashlib.sha256()
    for path in paths:
        with path.open("rb") as stream:
            while chunk := stream.read(1 << 20):
                digest.update(chunk)
    return digest.hexdigest()


def gold_data(workspace: Workspace) -> TrainingData:
    """The complete gold articles (those with open conflicts held back, as the export does) as one DocBin."""
    if not workspace.gold_path.exists():
        raise AnnotateError(Messages.GOLD_MISSING, path=workspace.relative(workspace.gold_path))
    with tempfile.TemporaryDirectory(prefix="annotate-train-") as folder:
        out = Path(folder) / "gold.spacy"
        summary = exports.export(workspace, "spacy", exports.GOLD, out=out)
        data = out.read_bytes()
    sha256 = file_sha256([workspace.gold_path])
    return TrainingData(
        source=GOLD,
        version=f"gold@{sha256[:12]}",
        sha256=sha256,
        splits={"all": data},
        articles={"all": summary.articles},
        spans=dict(summary.spans),
        held_back=summary.held_back,
    )


def release_data(workspace: Workspace, version: str) -> TrainingData:
    """A published version's gold rows, per split, as DocBins (offsets and labels as published)."""
    import pyarrow.parquet as pq
    from datasets import Features

    from annotate.release.dataset import data_path
    from annotate.release.repository import checked_out

    splits: dict[str, bytes] = {}
    articles: dict[str, int] = {}
    spans_per_label: dict[str, int] = {}
    with checked_out(workspace.release_dir, version) as folder:
        paths = [folder / data_path("gold", split) for split in ("train", "validation", "test")]
        paths = [path for path in paths if path.exists()]
        if not paths:
            raise AnnotateError(
                Messages.MODEL_RELEASE_EMPTY, version=version, path=workspace.relative(workspace.release_dir)
            )
        for path in paths:
            table = pq.read_table(path, columns=["article_id", "title", "text", "spans"])
            names = Features.from_arrow_schema(pq.read_schema(path))["spans"].feature["label"].names
            summary = exports.ExportSummary(format="spacy", source=version, path=str(path))
            documents = []
            for row in table.to_pylist():
                spans = sorted(Span(s["start"], s["end"], names[s["label"]]) for s in row["spans"])
                article = {"id": row["article_id"], "title": row["title"], "text": row["text"]}
                documents.append(exports.to_document(article, spans, summary))
                for span in spans:
                    spans_per_label[span.label] = spans_per_label.get(span.label, 0) + 1
            split = path.name.split("-", 1)[0]
            splits[split] = docbin_bytes(documents)
            articles[split] = len(documents)
        sha256 = file_sha256(paths)
    return TrainingData(version, version, sha256, splits, articles, spans_per_label)


def docbin_bytes(documents: Iterable[exports.Document]) -> bytes:
    import io

    out = io.BytesIO()
    exports.write_spacy(documents, out)
    return out.getvalue()
