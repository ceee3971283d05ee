"""Label Studio served by several processes: ``python -m annotate.studio_server`` (what ``annotate studio up``
runs when gunicorn is installed).

``label-studio start`` serves with Django's ``runserver``: one process, its threads under one GIL, so two
requests never use two cores. Label Studio's own Docker image serves the same WSGI application with uwsgi,
four single-threaded processes (its ``deploy/uwsgi.ini``); this does the same with gunicorn (a well-kept
pure-Python WSGI server; uwsgi needs a C build). First it does what ``label-studio start`` does before
serving (label_studio/server.py ``main``: the settings, the migrations, the admin user with its token and the
organisation, the port), in this process; then it closes the database connections and serves the WSGI
application from ``--workers`` processes forked from it (gunicorn's ``preload_app``: Label Studio is imported
once). SQLite is shared by the processes as it is by runserver's threads: each has its own connection.
The start-up calls label_studio/server.py's own (private) functions rather than copies of them: the
``studio`` extra pins Label Studio to 1.23, and a test starts the server this way.

Arguments: ``--data-dir DIR --host HOST --port PORT [--workers N] [--log-level LEVEL]``; the
admin's e-mail, password and token come from the environment (``LABEL_STUDIO_USERNAME`` etc.), as for
``label-studio start``. Not imported by the rest of the package: it runs as its own process.
"""

from __future__ import annotations

import argparse
import os
import sys
from typing import Any


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m annotate.studio_server")
    parser.add_argument("--data-dir", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--log-level", default="WARNING")
    return parser.parse_args(argv)


def prepare(args: argparse.Namespace) -> Any:
    """Label Studio's start-up before serving, as ``label-studio start`` does it; the WSGI application."""
    os.environ.setdefault("LOG_LEVEL", args.log_level)
    os.environ.setdefault("LABEL_STUDIO_BASE_DATA_DIR", os.path.abspath(args.data_dir))
    os.environ.setdefault("HOST", "")
    from django.conf import settings
    from django.core.wsgi import get_wsgi_application
    from django.db import connections
    from label_studio import server
    from label_studio.core.argparser import parse_input_args

    server._setup_env()  # Label Studio's own apps on sys.path, its settings module, django.setup()
    server._apply_database_migrations()
    start = parse_input_args(["start", "--data-dir", args.data_dir, "--enable-legacy-api-token", "--no-browser"])
    server._create_user(start, server._get_config(start.config_path))
    # As server.main: a port taken since `up` chose it is left for the next free one, said in the log
    # ("Trying to start at N"), which `up` follows.
    args.port = server._get_free_port(args.port, False)
    settings.INTERNAL_PORT = str(args.port)  # as server.main records it (the ML backend is told it)
    application = get_wsgi_application()
    connections.close_all()  # no connection may be shared by the forked workers
    return application


def serve(application: Any, args: argparse.Namespace) -> None:
    from gunicorn.app.base import BaseApplication

    options = {
        "bind": f"{args.host}:{args.port}",
        # As Label Studio's uwsgi.ini: single-threaded processes (4 unless told), a request killed after 360 s.
        # A busy process accepts no connection, so concurrent requests go to idle processes (a threaded one
        # could take them all and serve them under one GIL, as runserver does).
        "workers": args.workers,
        "worker_class": "sync",
        "preload_app": True,
        "timeout": 360,
        "limit_request_line": 0,  # gunicorn's 4 KB is shorter than pull's URLs (runserver and uwsgi.ini allow 64 KB)
        "graceful_timeout": 5,  # a request being served when `studio down` stops the server may end first
        "loglevel": args.log_level.lower(),
        "accesslog": None,
    }

    class _Server(BaseApplication):  # type: ignore[misc]  # gunicorn's documented embedding
        def load_config(self) -> None:
            for key, value in options.items():
                self.cfg.set(key, value)

        def load(self) -> Any:
            return application

    try:
        _Server().run()
    except SystemExit as ending:  # the master halting, or a worker leaving (forked, it returns through here)
        # Ended without the at-exit handlers, as SIGTERM ends runserver: Label Studio's Sentry client would
        # otherwise spend seconds flushing in each process (`studio down` took 6.2 s, 2.9 s without them).
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(ending.code if isinstance(ending.code, int) else 1)


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    serve(prepare(args), args)


if __name__ == "__main__":
    main()
