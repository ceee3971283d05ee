"""A trained model's folder: ``pipeline/`` (spaCy's format), ``meta.json`` and the model card ``README.md``.

``meta.json`` is what the later stages read (the model's version, labels, architecture, the data it was
trained on with its sha256, the evaluation); the card says the same to a person, with the strict and
overlap figures per label in a table.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import tempfile
from pathlib import Path
from typing import TYPE_CHECKING, Any

from annotate.model.predict import META, PIPELINE
from annotate.schema import Schema

if TYPE_CHECKING:
    from annotate.model.training import TrainSummary


def model_version(name: str, nlp: Any) -> str:
    """``NAME@<12 hex>``: a digest of the weights, so two models differ in version exactly when they differ."""
    digest = hashlib.sha256()
    for component, _ in nlp.pipeline:
        digest.update(component.encode())
        digest.update(nlp.get_pipe(component).to_bytes(exclude=["vocab"]))
    return f"{name}@{digest.hexdigest()[:12]}"


def write_card(folder: Path, nlp: Any, summary: TrainSummary, schema: Schema) -> None:
    """Write the model folder whole, replacing one of the same name only once the new one is complete."""
    folder.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix=f".{folder.name}-", dir=folder.parent) as building:
        new = Path(building) / folder.name
        new.mkdir()
        nlp.to_disk(new / PIPELINE)
        meta = {**summary.as_dict(), "schema": schema.id}
        (new / META).write_text(json.dumps(meta, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
        (new / "README.md").write_text(card_text(meta), encoding="utf-8")
        if folder.exists():
            shutil.rmtree(folder)
        new.rename(folder)


def _figure(value: Any) -> str:
    return "–" if value is None else f"{value:.3f}" if isinstance(value, float) else str(value)


def figures_table(evaluation: dict[str, Any]) -> list[str]:
    """Strict and overlap P/R/F1 per label, one row a label, and the micro average."""
    if "strict" not in evaluation:
        return [f"Not evaluated ({evaluation['method']})."]
    lines = [
        "| label | strict P | strict R | strict F1 | overlap P | overlap R | overlap F1 | gold spans |",
        "|---|---:|---:|---:|---:|---:|---:|---:|",
    ]
    strict, overlap = evaluation["strict"], evaluation["overlap"]
    rows = [*((label, strict["per_label"][label], overlap["per_label"][label]) for label in strict["per_label"])]
    rows.append(("**all (micro)**", strict["micro"], overlap["micro"]))
    for label, s, o in rows:
        cells = [s["precision"], s["recall"], s["f1"], o["precision"], o["recall"], o["f1"], s["tp"] + s["fn"]]
        lines.append(f"| {label} | " + " | ".join(_figure(cell) for cell in cells) + " |")
    return lines


def card_text(meta: dict[str, Any]) -> str:
    data, evaluation, settings = meta["data"], meta["evaluation"], meta["settings"]
    articles = ", ".join(f"{split} {count}" for split, count in data["articles"].items())
    held = f"; {data['held_back']} gold article(s) with open conflicts left out" if data.get("held_back") else ""
    lines = [
        f"# {meta['name']}",
        "",
        f"A spaCy `{meta['architecture']}` pipeline trained by `annotate train` for the schema `{meta['schema']}`,",
        "to pre-annotate the next round of annotation (`annotate tasks build --prelabel-with model:PATH`) or to serve",
        "suggestions to Label Studio (`annotate serve --model PATH`). Trained on CPU from a blank English pipeline",
        "(a hash-embedding tok2vec, no pretrained weights).",
        "",
        f"- **Model version:** `{meta['model_version']}` (what its predictions carry as `model_version`)",
        f"- **Labels:** {', '.join(meta['labels']) or 'none'}",
        f"- **Trained on:** {data['source']} (version `{data['version']}`), {articles} article(s){held}",
        f"- **Data sha256:** `{data['sha256']}`",
        f"- **Settings:** seed {settings['seed']}, {settings['epochs']} epochs, tok2vec width {settings['width']} "
        f"depth {settings['depth']}",
        "",
        f"## Evaluation: {evaluation['method']} ({evaluation.get('articles', 0)} article(s))",
        "",
        "Strict: a predicted span is right when its start, end and label are a gold span's. Overlap: when it shares",
        "a character and the label with a gold span, matched one to one.",
        "",
        *figures_table(evaluation),
        "",
        "The files: `pipeline/` (load it with `spacy.load`), `meta.json` (all of the above, as data).",
        "",
    ]
    return "\n".join(lines)
