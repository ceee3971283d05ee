"""A schema with document-level controls (single, multiple, taxonomy) and records that carry choices,
for the tests of the stages after import (gold, adjudication, releases, exports)."""

from __future__ import annotations

import json
from collections.abc import Iterable
from typing import Any

from annotate import corpus
from annotate.schema import Schema, load_schema
from annotate.spans import Span
from annotate.workspace import Workspace

from .records import annotation_record, span_at

# A label with a space ("armed group") and a control named like a dataset column ("text": it gets the
# "choice_" prefix in the release).
CHOICE_SCHEMA = """\
name: incidents
version: 1.0.0
description: Officer incidents, with document-level choices.
text: {name: narrative, value: body}
spans: entities
labels:
  - name: armed group
    definition: A named or described group that carried out the attack.
    color: '#1f77b4'
  - name: weapon
    definition: The instrument used.
    color: '#ff7f0e'
controls:
  - name: Severity
    kind: single
    definition: How badly the officer was hurt.
    options: [Minor, Serious, Fatal]
  - name: Setting
    kind: multiple
    options: [Traffic stop, Domestic call, Ambush]
  - name: text
    kind: taxonomy
    definition: What happened to the officer.
    options:
      - Killed: [Feloniously Killed, Accidentally Killed]
      - Assaulted
"""

SEVERITY = ["Minor", "Serious", "Fatal"]
SETTING = ["Traffic stop", "Domestic call", "Ambush"]
CATEGORY = ["Killed", "Killed / Feloniously Killed", "Killed / Accidentally Killed", "Assaulted"]

TEXTS = [
    "Gunmen of the Red Brigade shot the officer with a rifle during a traffic stop.",
    "A man struck the deputy with a bat when she answered a domestic call.",
    "The trooper died when his car left the road in a storm; nobody attacked him.",
]


def use_choice_schema(workspace: Workspace) -> Schema:
    """Write the schema above into the workspace and make it the workspace's schema."""
    path = workspace.root / "schemas" / "incidents.yaml"
    path.write_text(CHOICE_SCHEMA, encoding="utf-8")
    workspace.set_config("schema", "schemas/incidents.yaml")
    workspace.config["schema"] = "schemas/incidents.yaml"
    return load_schema(path)


def add_texts(workspace: Workspace, tmp_path, texts: Iterable[str] = TEXTS) -> list[dict[str, Any]]:
    source = tmp_path / "incidents.jsonl"
    source.write_text("".join(json.dumps({"text": text}) + "\n" for text in texts), encoding="utf-8")
    corpus.add(workspace, [source])
    return list(workspace.read_articles())


def choice_record(
    article: dict[str, Any],
    annotator: str,
    choices: dict[str, list[str]],
    phrases: Iterable[tuple[str, str]] = (),
    **extra: Any,
) -> dict[str, Any]:
    """An ``annotations.jsonl`` record with ``choices`` (every control a key, as import writes them)."""
    spans: list[Span] = [span_at(article["text"], phrase, label) for phrase, label in phrases]
    record = annotation_record(article, annotator, spans, **extra)
    record["choices"] = {"Severity": [], "Setting": [], "text": []} | choices
    return record
