"""Label Studio: the local server for a workspace, and the connection to any server.

``up`` starts the Label Studio of the ``studio`` extra with its data (SQLite) under the workspace's
``.studio/``, bound to 127.0.0.1, with a generated admin password and API token kept in
``.studio/credentials.json`` (mode 0600; the only file that ever holds the token). ``connect``
reaches a server: ``--url``/``LABEL_STUDIO_URL`` and ``--api-key``/``LABEL_STUDIO_API_KEY``, else the
local one. Projects are found by title. The SDK's client is made when first used: push and pull talk to
the server through ``Studio.request`` (httpx and orjson), so they load neither the SDK's models nor its
encoder; push sends the task file's bytes as they are, pull keeps the export's bytes as the server sent them.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import dataclasses
import email.utils
import importlib.util
import json
import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from functools import cached_property
from pathlib import Path
from types import SimpleNamespace
from typing import TYPE_CHECKING, Any

from annotate import defaults
from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.workspace import Workspace, atomic_write

# httpx imports its command-line client (click, rich, pygments: 20-30 ms of every command's start) whenever
# those are installed, as Label Studio's dependencies install them; marked absent, httpx keeps the fallback
# it has for that case. (Nothing here runs httpx's command line.)
sys.modules.setdefault("httpx._main", None)  # type: ignore[assignment]

import httpx  # noqa: E402
import orjson  # noqa: E402
from label_studio_sdk.core.api_error import ApiError  # noqa: E402  # light: the package imports its clients lazily

if TYPE_CHECKING:
    from label_studio_sdk import LabelStudio

HOST = "127.0.0.1"
DEFAULT_PORT = 8080
ADMIN_EMAIL = "admin@localhost"
START_TIMEOUT = 240.0  # a fresh data dir runs Label Studio's migrations first: 30-60 s on 2 cores
URL_ENV = defaults.LABEL_STUDIO_URL_ENV
API_KEY_ENV = defaults.LABEL_STUDIO_API_KEY_ENV
PAGE_SIZE = 1000
GUNICORN, RUNSERVER = "gunicorn", "runserver"
SENTRY_SETTINGS = ("SENTRY_DSN", "FRONTEND_SENTRY_DSN")  # Label Studio's error reporting: empty turns it off
# Processes serving Label Studio under gunicorn: as its own uwsgi.ini (UWSGI_PROCESSES, 4 unless told). A pull's
# concurrent export requests then run on as many cores; runserver serves them all under one GIL.
WORKERS = 4
TIMEOUT = 120.0


@dataclass(frozen=True)
class Credentials:
    """Where the local server listens and how to log in; stored only in the 0600 credentials file."""

    url: str
    email: str
    password: str
    token: str

    @property
    def port(self) -> int:
        return int(self.url.rsplit(":", 1)[1])

    def __repr__(self) -> str:  # never let a token reach a log through repr()
        return f"Credentials(url={self.url!r}, email={self.email!r}, password=***, token=***)"


@dataclass
class ServerStatus:
    running: bool
    url: str | None
    pid: int | None
    data_dir: str
    credentials_file: str
    started: bool = False  # this call started it (False: it was already running)
    stopped: bool = False  # this call stopped it

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


# -- the local server ---------------------------------------------------------------------------------


def credentials_path(workspace: Workspace) -> Path:
    return workspace.studio_dir / "credentials.json"


def pid_path(workspace: Workspace) -> Path:
    return workspace.studio_dir / "server.pid"


def log_path(workspace: Workspace) -> Path:
    return workspace.studio_dir / "server.log"


def data_dir(workspace: Workspace) -> Path:
    return workspace.studio_dir / "data"


def require_label_studio() -> None:
    if importlib.util.find_spec("label_studio") is None:
        raise AnnotateError(Messages.STUDIO_NOT_INSTALLED, ExitCode.ENVIRONMENT)


def read_credentials(workspace: Workspace) -> Credentials | None:
    path = credentials_path(workspace)
    if not path.exists():
        return None
    return Credentials(**json.loads(path.read_text(encoding="utf-8")))


def _write_credentials(workspace: Workspace, credentials: Credentials) -> None:
    path = credentials_path(workspace)
    path.parent.mkdir(parents=True, exist_ok=True)
    with atomic_write(path) as out:
        os.chmod(out.name, 0o600)  # before a byte of the secret is written
        json.dump(asdict(credentials), out, indent=2)


def _new_credentials(port: int) -> Credentials:
    return Credentials(
        url=_local_url(port),
        email=ADMIN_EMAIL,
        password=secrets.token_urlsafe(18),
        token=secrets.token_hex(20),  # the length and alphabet of Label Studio's own legacy tokens
    )


def _local_url(port: int) -> str:
    return f"http://{HOST}:{port}"


def _free_port(preferred: int) -> int:
    """``preferred`` if nothing listens there, else a port the kernel picks.

    Label Studio silently moves to another port when its own is taken; choosing first means the URL
    written to the credentials file is the one it really listens on.
    """
    for port in (preferred, 0):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((HOST, port))
            except OSError:
                continue
            return probe.getsockname()[1]
    raise AnnotateError(Messages.STUDIO_NO_PORT, ExitCode.ENVIRONMENT)


def _running_pid(workspace: Workspace) -> int | None:
    path = pid_path(workspace)
    if not path.exists():
        return None
    pid = int(path.read_text().strip() or 0)
    try:
        os.kill(pid, 0)
    except (ProcessLookupError, PermissionError):
        return None
    return pid


def status(workspace: Workspace) -> ServerStatus:
    """Whether this workspace's Label Studio is running and healthy, and where."""
    credentials = read_credentials(workspace)
    pid = _running_pid(workspace)
    url = credentials.url if credentials else None
    healthy = bool(pid and url and _healthy(url))
    return ServerStatus(
        running=healthy,
        url=url,
        pid=pid if healthy else None,
        data_dir=workspace.relative(data_dir(workspace)),
        credentials_file=workspace.relative(credentials_path(workspace)),
    )


def up(
    workspace: Workspace, port: int = DEFAULT_PORT, timeout: float = START_TIMEOUT, server: str | None = None
) -> ServerStatus:
    """Start the workspace's Label Studio (or find it running) and wait until its API answers. ``server``:
    ``gunicorn`` (several processes, as Label Studio's own image serves it; the default when installed) or
    ``runserver`` (``label-studio start``: one process)."""
    require_label_studio()
    server = server or default_server()
    current = status(workspace)
    if current.running:
        return current
    credentials = read_credentials(workspace)
    if credentials is None:  # first start: the admin and its token are made from these
        credentials = _new_credentials(_free_port(port))
        _write_credentials(workspace, credentials)
    else:
        credentials = _reuse_port(workspace, credentials)
    log_start = log_path(workspace).stat().st_size if log_path(workspace).exists() else 0
    process = _spawn(workspace, credentials, server)
    pid_path(workspace).write_text(str(process.pid))
    _wait_until_ready(workspace, process, credentials, timeout, log_start)
    started = status(workspace)
    started.started = True
    return started


def _reuse_port(workspace: Workspace, credentials: Credentials) -> Credentials:
    """Keep the recorded port when it is free; else move to a free one and record that."""
    free = _free_port(credentials.port)
    if free == credentials.port:
        return credentials
    moved = dataclasses.replace(credentials, url=_local_url(free))
    _write_credentials(workspace, moved)
    return moved


# Label Studio 1.23's default banned subnets (label_studio/core/utils/io.py, validate_ip; Apache-2.0), without
# 127.0.0.0/8 and ::1/128.
BANNED_BUT_LOOPBACK = (
    "0.0.0.0/8", "10.0.0.0/8", "100.64.0.0/10", "169.254.0.0/16", "172.16.0.0/12", "192.0.0.0/24",
    "192.0.2.0/24", "192.88.99.0/24", "192.168.0.0/16", "198.18.0.0/15", "198.51.100.0/24", "203.0.113.0/24",
    "224.0.0.0/4", "233.252.0.0/24", "240.0.0.0/4", "255.255.255.255/32", "::/128", "::ffff:0:0/96",
    "::ffff:0:0:0/96", "64:ff9b::/96", "64:ff9b:1::/48", "100::/64", "2001:0000::/32", "2001:20::/28",
    "2001:db8::/32", "2002::/16", "fc00::/7", "fe80::/10", "ff00::/8",
)  # fmt: skip


def default_server() -> str:
    """``gunicorn`` when it is installed (the ``studio`` extra has it), else ``runserver``."""
    return GUNICORN if importlib.util.find_spec("gunicorn") is not None else RUNSERVER


def _server_command(server: str, data: Path, port: int) -> list[str]:
    if server == GUNICORN:  # Label Studio's start-up, then its WSGI application in several processes
        return [
            sys.executable, "-m", "annotate.studio_server",
            "--data-dir", str(data), "--host", HOST, "--port", str(port), "--workers", str(WORKERS),
            "--log-level", "WARNING",
        ]  # fmt: skip
    if server == RUNSERVER:  # `label-studio start`: Django's runserver, one process
        return [
            sys.executable, "-m", "label_studio.server", "start",
            "--data-dir", str(data), "--internal-host", HOST, "--port", str(port),
            "--no-browser", "--enable-legacy-api-token", "--log-level", "WARNING",
        ]  # fmt: skip
    raise ValueError(f"unknown server {server!r}: {GUNICORN!r} or {RUNSERVER!r}")


def _spawn(workspace: Workspace, credentials: Credentials, server: str) -> subprocess.Popen[bytes]:
    data = data_dir(workspace)
    data.mkdir(parents=True, exist_ok=True)
    # Secrets go through the environment, which Label Studio reads, never through argv (visible in ps).
    env = {
        **os.environ,
        "LABEL_STUDIO_USERNAME": credentials.email,
        "LABEL_STUDIO_PASSWORD": credentials.password,
        "LABEL_STUDIO_USER_TOKEN": credentials.token,
        "LABEL_STUDIO_DISABLE_SIGNUP_WITHOUT_LINK": "true",
        "PYTHONUNBUFFERED": "1",  # its log lines (a port it moved to, say) reach the log file as they happen
        # Label Studio's SSRF guard refuses URLs on reserved networks, loopback included; this server listens
        # on 127.0.0.1 for one user, whose ML backend (`annotate serve`) runs beside it on 127.0.0.1: every
        # reserved network stays banned but the loopback ones.
        "USE_DEFAULT_BANNED_SUBNETS": "false",
        "USER_ADDITIONAL_BANNED_SUBNETS": ",".join(BANNED_BUT_LOOPBACK),
        # Label Studio reports its errors to its makers' Sentry by default, with the users' details
        # (send_default_pii): annotators' e-mails must not leave the machine, so that is off unless asked for.
        # Its instrumentation of every request was also what made an import of 10,000 tasks take 4.9 s instead
        # of 2.8 s in gunicorn's workers (benchmarks/studio_speed.py --server, 2026-12-01).
        **{name: os.environ.get(name, "") for name in SENTRY_SETTINGS},
    }
    command = _server_command(server, data, credentials.port)
    log = log_path(workspace).open("ab")
    return subprocess.Popen(
        command, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, env=env, start_new_session=True
    )


def _wait_until_ready(
    workspace: Workspace, process: subprocess.Popen[bytes], credentials: Credentials, timeout: float, log_start: int
) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AnnotateError(
                Messages.STUDIO_DIED, ExitCode.ENVIRONMENT, code=process.returncode, log=log_path(workspace)
            )
        moved = _port_moved_to(workspace, log_start)
        if moved is not None and moved != credentials.port:
            credentials = dataclasses.replace(credentials, url=_local_url(moved))
            _write_credentials(workspace, credentials)
        if _healthy(credentials.url) and _token_accepted(credentials):
            return
        time.sleep(1.0)
    _stop(process.pid)
    raise AnnotateError(Messages.STUDIO_TIMEOUT, ExitCode.ENVIRONMENT, seconds=int(timeout), log=log_path(workspace))


_MOVED = re.compile(rb"Trying to start at (\d+)")


def _port_moved_to(workspace: Workspace, log_start: int) -> int | None:
    """The port Label Studio moved to, if its own was taken between our check and its start (it says so
    in its log, "Port 8080 is in use ... Trying to start at 8081", and moves on without failing)."""
    with contextlib.suppress(FileNotFoundError), log_path(workspace).open("rb") as log:
        log.seek(log_start)
        found = _MOVED.findall(log.read())
        return int(found[-1]) if found else None
    return None


def _healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/health", timeout=2.0).status_code == 200
    except httpx.HTTPError:
        return False


def _token_accepted(credentials: Credentials) -> bool:
    headers = {"Authorization": f"Token {credentials.token}"}
    try:
        return httpx.get(f"{credentials.url}/api/current-user/whoami", headers=headers, timeout=5.0).is_success
    except httpx.HTTPError:
        return False


def down(workspace: Workspace, timeout: float = 30.0) -> ServerStatus:
    """Stop the workspace's Label Studio; its data stays under ``.studio/data``."""
    pid = _running_pid(workspace)
    if pid is not None:
        _stop(pid, timeout)
    with contextlib.suppress(FileNotFoundError):
        pid_path(workspace).unlink()
    stopped = status(workspace)
    stopped.stopped = pid is not None and not stopped.running
    return stopped


def _stop(pid: int, timeout: float = 30.0) -> None:
    """SIGTERM the server's process group (Label Studio runs child processes), SIGKILL if it lingers."""
    for sig in (signal.SIGTERM, signal.SIGKILL):
        with contextlib.suppress(ProcessLookupError):
            os.killpg(pid, sig)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            with contextlib.suppress(ChildProcessError):
                os.waitpid(pid, os.WNOHANG)
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.2)


def describe_api_error(exc: ApiError) -> str:
    """One line for a refused request: the status and what the server said, never the headers
    (they carry session cookies)."""
    body = exc.body if isinstance(exc.body, dict) else {"detail": str(exc.body)[:300]}
    said = body.get("validation_errors") or body.get("detail") or body
    return Messages.STUDIO_REQUEST_FAILED.format(status=exc.status_code, said=said)


# -- connecting ----------------------------------------------------------------------------------------


class Record(SimpleNamespace):
    """A JSON object from the API read by attribute, as the SDK's models are; a field it lacks is None."""

    def __getattr__(self, name: str) -> Any:
        if name.startswith("__"):
            raise AttributeError(name)
        return None


def _jwt_claims(token: str) -> dict[str, Any] | None:
    """The claims of a JWT (unverified: only to tell a personal access token from a legacy one)."""
    parts = token.split(".")
    if len(parts) != 3:
        return None
    try:
        claims = orjson.loads(base64.urlsafe_b64decode(parts[1] + "=" * (-len(parts[1]) % 4)))
    except (binascii.Error, ValueError, orjson.JSONDecodeError):
        return None
    return claims if isinstance(claims, dict) else None


class _KeyAuth(httpx.Auth):
    """A legacy token as ``Token``; a personal access token (a JWT refresh token) exchanged for an access
    token, sent as ``Bearer`` and exchanged again when the server says it expired."""

    def __init__(self, url: str, api_key: str):
        self.url = url
        self.api_key = api_key
        self.refresh = (_jwt_claims(api_key) or {}).get("token_type") == "refresh"
        self.access: str | None = None

    def auth_flow(self, request: httpx.Request) -> Iterator[httpx.Request]:
        if not self.refresh:
            request.headers["Authorization"] = f"Token {self.api_key}"
            yield request
            return
        if self.access is None:
            self.access = yield from self._exchange()
        request.headers["Authorization"] = f"Bearer {self.access}"
        response = yield request
        if response.status_code == 401:
            self.access = yield from self._exchange()
            request.headers["Authorization"] = f"Bearer {self.access}"
            yield request

    def _exchange(self) -> Iterator[httpx.Request]:
        response = yield httpx.Request("POST", f"{self.url}/api/token/refresh/", json={"refresh": self.api_key})
        if response.status_code != 200:
            return ""  # the request that follows is refused: the key is
        response.read()
        return str(response.json().get("access", ""))


@dataclass
class Studio:
    """A connection to one Label Studio server: ``request`` for plain calls, ``client`` (the SDK) for the rest.

    Until a request has been answered (``answered``), a server that cannot be reached, or that refuses the key
    (401, 403), is told as such (``STUDIO_UNREACHABLE``, ``STUDIO_KEY_REFUSED``): ``connect(check=False)``
    leaves the check of the key to the first request a command needs anyway, one round trip fewer.
    """

    url: str
    api_key: str = field(repr=False)
    http: httpx.Client = field(repr=False)
    answered: bool = field(default=False, repr=False)

    @cached_property
    def client(self) -> LabelStudio:
        """The SDK's client, made when first used (importing it loads its every model: about a second)."""
        from label_studio_sdk import LabelStudio

        return LabelStudio(base_url=self.url, api_key=self.api_key, timeout=TIMEOUT)

    def request(self, method: str, path: str, *, content: bytes | None = None, **kwargs: Any) -> Any:
        """One API call; the JSON answer parsed. A refusal is the SDK's ``ApiError``, as the SDK raises it."""
        first = not self.answered
        response = self.response(method, path, content=content, **kwargs)
        try:
            return orjson.loads(response.content) if response.content else None
        except orjson.JSONDecodeError:
            if first:  # something answers there, not Label Studio's API
                raise AnnotateError(Messages.STUDIO_UNREACHABLE, ExitCode.ENVIRONMENT, url=self.url) from None
            raise

    def response(self, method: str, path: str, *, content: bytes | None = None, **kwargs: Any) -> httpx.Response:
        """``request``'s answer whole (headers too), once known not to be a refusal."""
        headers = {"Content-Type": "application/json"} if content is not None else None
        try:
            response = self.http.request(method, f"{self.url}{path}", content=content, headers=headers, **kwargs)
        except (httpx.HTTPError, OSError):
            if self.answered:
                raise  # lost mid-way: the command's caller says so
            raise AnnotateError(Messages.STUDIO_UNREACHABLE, ExitCode.ENVIRONMENT, url=self.url) from None
        if response.is_error:
            if not self.answered and response.status_code in (401, 403):
                raise AnnotateError(Messages.STUDIO_KEY_REFUSED, ExitCode.ENVIRONMENT, url=self.url)
            try:
                body: Any = orjson.loads(response.content)
            except orjson.JSONDecodeError:
                body = response.text
            raise ApiError(status_code=response.status_code, headers=dict(response.headers), body=body)
        self.answered = True
        return response

    def find_project(self, title: str, fields: tuple[str, ...] = ()) -> Any | None:
        """The project with this title, None if there is none; two with the title are refused.

        ``fields``: only these fields of it (and its id and title), which Label Studio 1.23 answers in
        half the time on a project of many tasks: it then counts only the counts named (``task_number``)
        rather than every count of annotations and predictions. (A server without ``include`` sends all.)
        """
        params = {"title": title, "page_size": 100, **_only(fields)}
        found, page = [], 1
        while True:
            answer = self.request("GET", "/api/projects", params={**params, "page": page})
            found += [Record(**project) for project in answer["results"] if project["title"] == title]
            if not answer.get("next"):
                break
            page += 1
        if len(found) > 1:
            ids = ", ".join(str(project.id) for project in found)
            raise AnnotateError(Messages.PROJECT_AMBIGUOUS, title=title, url=self.url, ids=ids)
        return found[0] if found else None

    def project(self, title: str) -> Any:
        project = self.find_project(title)
        if project is None:
            raise AnnotateError(Messages.PROJECT_MISSING, title=title, url=self.url)
        return project

    def get_project(self, project_id: int) -> Any:
        return Record(**self.request("GET", f"/api/projects/{project_id}"))

    def create_project(self, answer: tuple[str, ...] = (), **fields: Any) -> Any:
        """A new project with these fields; the server's answer, with only the ``answer`` fields if named."""
        created = self.request("POST", "/api/projects", content=orjson.dumps(fields), params=_only(answer))
        return Record(**created)

    def update_project(self, project_id: int, answer: tuple[str, ...] = (), **fields: Any) -> Any:
        """Set these fields of the project; the server's answer, with only the ``answer`` fields if named."""
        path = f"/api/projects/{project_id}"
        return Record(**self.request("PATCH", path, content=orjson.dumps(fields), params=_only(answer)))

    def project_url(self, project_id: int) -> str:
        return f"{self.url}/projects/{project_id}/data"

    def tasks(self, project_id: int, include: str = "id,data") -> Iterator[Any]:
        """Every task of the project with only the ``include`` fields, paged by the SDK."""
        return iter(self.client.tasks.list(project=project_id, include=include, page_size=PAGE_SIZE))

    def task_dicts(self, project_id: int, include: str = "id", filters: list[dict[str, Any]] | None = None
                   ) -> Iterator[dict[str, Any]]:  # fmt: skip
        """The project's tasks as plain dicts with only the ``include`` fields, in id order; ``filters``
        are data-manager filter items (``{"filter": "filter:tasks:id", "operator": "greater", ...}``)."""
        params: dict[str, Any] = {"project": project_id, "include": include, "page_size": PAGE_SIZE}
        if filters:
            params["query"] = orjson.dumps({"filters": {"conjunction": "and", "items": filters}}).decode()
        seen, page = 0, 1
        while True:
            answer = self.request("GET", "/api/tasks", params={**params, "page": page})
            tasks = answer.get("tasks") or []
            yield from tasks
            seen += len(tasks)
            if not tasks or seen >= int(answer.get("total") or 0):
                return
            page += 1

    def import_tasks(self, project_id: int, body: bytes) -> list[int] | None:
        """Import a JSON array of tasks, sent as these bytes; the new tasks' ids in the array's order
        (None from a server that imports in the background and does not say them)."""
        answer = self.request("POST", f"/api/projects/{project_id}/import", content=body,
                              params={"return_task_ids": "true"})  # fmt: skip
        ids = answer.get("task_ids") if isinstance(answer, dict) else None
        return [int(task_id) for task_id in ids] if isinstance(ids, list) else None

    def task_stamps(self, project_id: int, updated_after: str | None = None) -> dict[int, str]:
        """Task id -> ``updated_at`` (``server_time``) of every task of the project, or of those updated
        after that moment (a data-manager filter: cheap when few changed; listing all is not)."""
        filters = None
        if updated_after is not None:
            filters = [{"filter": "filter:tasks:updated_at", "operator": "greater", "type": "Datetime",
                        "value": updated_after}]  # fmt: skip
        listed = self.task_dicts(project_id, include="id,updated_at", filters=filters)
        return {task["id"]: server_time(task["updated_at"]) for task in listed}

    def task_id_range(self, project_id: int) -> tuple[int, int] | None:
        """The lowest and highest task id of the project (two one-task pages), None if it has no task."""
        ends = []
        for order in ("tasks:id", "-tasks:id"):
            query = json.dumps({"ordering": [order]})
            params = {"project": project_id, "include": "id", "page_size": 1, "page": 1, "query": query}
            tasks = self.request("GET", "/api/tasks", params=params).get("tasks") or []
            if not tasks:
                return None
            ends.append(tasks[0]["id"])
        return ends[0], ends[1]

    def task_count(self, project_id: int) -> tuple[int, str]:
        """The project's task count, and the server's clock (``server_time``; its Date header, else ours)."""
        response = self.response("GET", f"/api/projects/{project_id}")
        date = response.headers.get("date")
        moment = email.utils.parsedate_to_datetime(date) if date else datetime.now(timezone.utc)
        return orjson.loads(response.content).get("task_number") or 0, server_time(moment)

    def users_by_id(self) -> dict[int, str]:
        """User id -> e-mail, to give annotators stable pseudonyms (kept local, never published)."""
        return {user["id"]: user["email"] for user in self.request("GET", "/api/users/") if user.get("email")}

    def export_json(self, project_id: int, task_ids: list[int]) -> bytes:
        """The project's JSON export of these tasks (the endpoint's ``ids[]`` filter), the bytes as sent."""
        params = {"exportType": "JSON", "download_all_tasks": "true", "ids[]": [str(task) for task in task_ids]}
        return self.response("GET", f"/api/projects/{project_id}/export", params=params).content


def _only(fields: tuple[str, ...]) -> dict[str, str]:
    """The query parameter asking Label Studio for only these fields of a project (and its id and title)."""
    return {"include": ",".join(dict.fromkeys(("id", "title", *fields)))} if fields else {}


def server_time(value: Any) -> str:
    """A time as Label Studio writes and filters it (UTC, microseconds: 2026-12-01T16:34:44.187061Z), from its
    JSON text or from the SDK's datetime."""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def connect(
    workspace: Workspace | None, url: str | None = None, api_key: str | None = None, check: bool = True
) -> Studio:
    """Connect to ``url`` with ``api_key`` (a legacy token or a personal access token); by default
    to the workspace's local Label Studio with its stored token. The key is checked once here, or
    (``check=False``) by the first request the caller makes (see ``Studio``)."""
    url = url or os.environ.get(URL_ENV)
    api_key = api_key or os.environ.get(API_KEY_ENV)
    local = read_credentials(workspace) if workspace is not None else None
    if url is None and local is not None:
        url = local.url
    if api_key is None and local is not None and url == local.url:
        api_key = local.token
    if url is None:
        raise AnnotateError(Messages.STUDIO_NO_URL, ExitCode.ENVIRONMENT)
    if not api_key:
        raise AnnotateError(Messages.STUDIO_NO_KEY, ExitCode.ENVIRONMENT, url=url)
    url = url.rstrip("/")
    # Certificates matter only over https: loading the CA bundle for a plain-http server (the local one)
    # would cost every command 30-90 ms of start-up.
    http = httpx.Client(auth=_KeyAuth(url, api_key), timeout=TIMEOUT, verify=url.lower().startswith("https://"))
    connection = Studio(url, api_key, http)
    if check:
        try:
            connection.request("GET", "/api/current-user/whoami")
        except ApiError as exc:
            raise AnnotateError(
                Messages.STUDIO_API_ERROR, ExitCode.ENVIRONMENT, url=url, status=exc.status_code
            ) from None
    return connection
