"""A Label Studio ML backend serving a trained model: the documented API, on the standard library's HTTP server.

Label Studio calls an ML backend at ``GET /health`` (is it up), ``POST /setup`` (which model version it
serves: the project's predictions are kept per version) and ``POST /predict`` (``{"tasks": [...]}`` in,
``{"results": [prediction per task]}`` out), as its ``ml/api_connector.py`` does. ``/train`` and ``/webhook``
are answered and ignored: the model is trained with ``annotate train``, not by the server.

Why not the ``label-studio-ml`` package: its release pins Flask 1.1.2, Jinja2 3.0.3 and werkzeug 2.0.2, which
cannot share a virtualenv with Label Studio 1.23 (the ``studio`` extra); the API is three small JSON routes.

A task's text is read under the schema's data key; each prediction is made and checked exactly as
``annotate tasks build --prelabel-with model:PATH`` makes it (``annotate.tasks.checked_prediction``: every
region through the SDK's ``LabelInterface``, a score per region, the prediction's score the lowest).
"""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from annotate.prelabel.annotators import PreAnnotator, model_annotator, model_path
from annotate.schema import Schema, load_schema
from annotate.tasks import checked_prediction
from annotate.workspace import Workspace

MAX_BODY = 64 * 1024 * 1024  # a request larger than this is refused (a page of tasks is far smaller)


class Backend:
    """The model (as ``tasks build --prelabel-with model:PATH`` loads it), the schema and what a request needs;
    one lock around the model (spaCy is not re-entrant)."""

    def __init__(self, annotator: PreAnnotator, schema: Schema):
        self.annotator, self.schema = annotator, schema
        self.interface = schema.label_interface()
        self.lock = threading.Lock()

    def health(self) -> dict[str, Any]:
        return {"status": "UP", "model_class": "annotate", "model_version": self.annotator.version}

    def setup(self, _request: dict[str, Any]) -> dict[str, Any]:
        return {"model_version": self.annotator.version}

    def predict(self, request: dict[str, Any]) -> dict[str, Any]:
        tasks = request.get("tasks") or []
        texts = [self._text(task) for task in tasks]
        with self.lock:
            found = self.annotator.predict(texts)
        results = []
        for task, text, suggestions in zip(tasks, texts, found, strict=True):
            article_id = str((task.get("data") or {}).get("article_id") or task.get("id"))
            prediction, _ = checked_prediction(
                article_id, text, suggestions, self.schema, self.interface, self.annotator.version
            )
            results.append(prediction)
        return {"results": results, "model_version": self.annotator.version}

    def _text(self, task: dict[str, Any]) -> str:
        data = task.get("data") or {}
        return str(data.get(self.schema.text_key) or data.get("text") or "")


def _handler(backend: Backend) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        server_version = "annotate-ml-backend"

        def do_GET(self) -> None:
            if self.path.rstrip("/") in ("/health", ""):
                self._send(200, backend.health())
            else:
                self._send(404, {"error": f"no route {self.path}"})

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_BODY:
                self._send(413, {"error": "request too large"})
                return
            try:
                request = json.loads(self.rfile.read(length) or b"{}")
            except ValueError:
                self._send(400, {"error": "the body is not JSON"})
                return
            route = self.path.rstrip("/")
            if route == "/predict":
                self._send(200, backend.predict(request))
            elif route == "/setup":
                self._send(200, backend.setup(request))
            elif route in ("/train", "/webhook"):
                self._send(200, {"status": "ignored: train with `annotate train`"})
            else:
                self._send(404, {"error": f"no route {self.path}"})

        def _send(self, status: int, body: dict[str, Any]) -> None:
            data = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

        def log_message(self, format: str, *args: Any) -> None:  # requests are not logged (texts stay private)
            pass

    return Handler


def make_server(workspace: Workspace, model_path_text: Path | str, host: str = "127.0.0.1", port: int = 9090):
    """The ML backend's HTTP server for the model at ``model_path_text`` (not started: call ``serve_forever``);
    port 0 picks one."""
    schema = load_schema(workspace.schema_path)
    backend = Backend(model_annotator(model_path(model_path_text, workspace.root), schema), schema)
    server = ThreadingHTTPServer((host, port), _handler(backend))
    server.backend = backend  # type: ignore[attr-defined]
    return server


def server_url(server: Any) -> str:
    host, port = server.server_address[:2]
    return f"http://{host}:{port}"
