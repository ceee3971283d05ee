"""Take the screenshots of docs/review.md with the test browser (Debian's Chromium, through Playwright).

Builds the demo's data without a server -- the bundled corpus, its pre-annotated tasks, the simulated
Label Studio export imported as three annotators, gold settled -- writes the review site, and saves

    docs/review-overview.png   the top of the overview
    docs/review-article.png    the article with the lowest agreement, its lanes

Run: python scripts/review_screenshots.py  (needs the `test` extra and /usr/bin/chromium; Pillow comes with matplotlib)
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from annotate import corpus, tasks  # noqa: E402
from annotate.gold import gold  # noqa: E402
from annotate.imports import import_export  # noqa: E402
from annotate.review import review  # noqa: E402
from annotate.review.browser import CHROMIUM, CHROMIUM_ARGS  # noqa: E402
from annotate.workspace import init_workspace  # noqa: E402


def small(path: Path) -> None:
    """A palette of 128 colours: a third of the size, no visible change for flat page colours."""
    from PIL import Image

    with Image.open(path) as image:
        image.convert("RGB").quantize(colors=128).save(path, optimize=True)


def main() -> None:
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="annotate-review-shots-") as tmp:
        ws = init_workspace(Path(tmp) / "ws")
        corpus.add(ws, [REPO / "corpus" / "bundled"])
        tasks.build(ws, prelabel=True)
        import_export(ws, REPO / "corpus" / "simulated" / "label-studio-export.json")
        gold(ws)
        review(ws, Path(tmp) / "site")
        page_url = (Path(tmp) / "site" / "index.html").as_uri()
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=list(CHROMIUM_ARGS))
            page = browser.new_page(viewport={"width": 1100, "height": 760})
            page.goto(page_url)
            page.wait_for_selector("body[data-ready]")
            page.screenshot(path=REPO / "docs" / "review-overview.png")
            page.keyboard.press("j")  # the first listed: the lowest agreement
            page.wait_for_selector("#article .lanes")
            page.screenshot(path=REPO / "docs" / "review-article.png")
            browser.close()
    for name in ("review-overview.png", "review-article.png"):
        small(REPO / "docs" / name)
    print("wrote docs/review-overview.png, docs/review-article.png")


if __name__ == "__main__":
    main()
