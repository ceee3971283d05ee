"""How the site is opened in a real browser here (the tests, the screenshots, the benchmark): Debian's
Chromium (``apt-get install chromium``: a browser that downloads itself cannot be fetched here), headless,
kept off the network it would otherwise try at every start, and off a container's small ``/dev/shm``."""

from __future__ import annotations

from pathlib import Path

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = (
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
    "--disable-dev-shm-usage",  # a container's small /dev/shm must not crash the renderer
)
