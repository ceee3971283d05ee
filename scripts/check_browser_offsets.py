"""Check in what unit Label Studio's browser front end stores a text span's offsets.

A headless Chromium logs in to the workspace's local Label Studio as its admin, opens a task whose
text has an emoji (a character outside the Basic Multilingual Plane) before some word, clicks a
label, drag-selects that word with the mouse and submits, as a person would; then the same on a
task without emoji (the control). The stored annotations are read back through the SDK and each
span's ``value.start``/``value.end`` is compared with the word's Python code-point offsets and its
UTF-16 offsets. It annotates tasks nobody has annotated yet (one of each kind per run), so run it on
a scratch project.

Needs Chromium (``apt-get install chromium``) and ``pip install playwright`` (no ``playwright
install``: the system Chromium is used). Run against a workspace whose tasks are pushed::

    annotate studio up && annotate push --project offsets
    python scripts/check_browser_offsets.py --workspace . --project offsets
"""

from __future__ import annotations

import argparse
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import Page, sync_playwright

from annotate.review.browser import CHROMIUM, CHROMIUM_ARGS
from annotate.studio import connect, read_credentials
from annotate.workspace import open_workspace

LABEL = "actor"
WORD = re.compile(r"\b[^\W\d_]{5,}\b")  # a whole word of 5+ letters

# The screen rectangle of the n-th occurrence of a word in the text shown by the Text tag.
WORD_RECT_JS = """([word, nth]) => {
  const root = document.querySelector('.lsf-richtext__container');
  const walker = document.createTreeWalker(root, NodeFilter.SHOW_TEXT);
  let seen = 0;
  for (let node = walker.nextNode(); node; node = walker.nextNode()) {
    for (let at = node.data.indexOf(word); at >= 0; at = node.data.indexOf(word, at + 1)) {
      if (seen++ < nth) continue;
      const range = document.createRange();
      range.setStart(node, at);
      range.setEnd(node, at + word.length);
      const r = range.getBoundingClientRect();
      return {left: r.left, right: r.right, top: r.top, bottom: r.bottom};
    }
  }
  return null;
}"""


def utf16(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def pick(tasks: list[Any], with_emoji: bool) -> tuple[Any, str, int]:
    """An unannotated task with (or without) an emoji, a word in it (after the last emoji) and its offset."""
    for task in tasks:
        if task.total_annotations:
            continue  # the page would open its annotation instead of a new one
        text = task.data["text"]
        emoji = [i for i, ch in enumerate(text) if ord(ch) > 0xFFFF]
        if bool(emoji) != with_emoji:
            continue
        match = WORD.search(text, emoji[-1] + 1 if emoji else 100)
        if match:
            return task, match.group(), match.start()
    kind = "with" if with_emoji else "without"
    raise SystemExit(f"no unannotated task {kind} an emoji and a word after it: push the tasks to a new project")


def annotate_word(page: Page, url: str, project_id: int, task_id: int, word: str, nth: int, shot: Path) -> None:
    page.goto(f"{url}/projects/{project_id}/data?task={task_id}")
    page.wait_for_selector(".lsf-richtext__line")
    page.locator(".lsf-label", has_text=LABEL).first.click()
    rect = page.evaluate(WORD_RECT_JS, [word, nth])
    if rect is None:
        raise SystemExit(f"task {task_id}: {word!r} not found in the page")
    y = (rect["top"] + rect["bottom"]) / 2
    page.mouse.move(rect["left"] + 1, y)
    page.mouse.down()
    page.mouse.move(rect["right"] - 1, y, steps=10)
    page.mouse.up()
    page.wait_for_timeout(500)
    page.screenshot(path=str(shot))
    with page.expect_response(lambda r: r.request.method == "POST" and f"/api/tasks/{task_id}/annotations" in r.url):
        page.get_by_role("button", name="Submit").click()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--workspace", default=".", help="a workspace with a running local Label Studio")
    parser.add_argument("--project", required=True, help="the title of a pushed project")
    args = parser.parse_args()
    workspace = open_workspace(args.workspace)
    credentials = read_credentials(workspace)
    if credentials is None:
        raise SystemExit("no .studio/credentials.json: run `annotate studio up` first")
    studio = connect(workspace)
    project = studio.project(args.project)
    tasks = list(studio.tasks(project.id, include="id,data,total_annotations"))
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--headless", *CHROMIUM_ARGS])
        print(f"Chromium {browser.version}")
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.goto(f"{credentials.url}/user/login/")
        page.fill("input[name=email]", credentials.email)
        page.fill("input[name=password]", credentials.password)
        page.click("button[type=submit]")
        page.wait_for_url(lambda u: "/user/login" not in u)
        for name, with_emoji in (("emoji", True), ("control", False)):
            task, word, start = pick(tasks, with_emoji)
            text = task.data["text"]
            shot = Path(args.workspace) / f"offsets-{name}.png"
            annotate_word(page, credentials.url, project.id, task.id, word, text[:start].count(word), shot)
            latest = max(studio.client.annotations.list(id=task.id), key=lambda a: a.id)
            value = latest.result[0]["value"]
            points, units = (start, start + len(word)), (utf16(text[:start]), utf16(text[: start + len(word)]))
            stored = (value["start"], value["end"])
            if stored == points == units:
                verdict = "matches (no emoji before it: both units agree)"
            else:
                verdict = "code points" if stored == points else "UTF-16 units" if stored == units else "neither"
            if value.get("text") != word or text[stored[0] : stored[1]] != word:
                verdict += f"; stored text {value.get('text')!r}, text[start:end] {text[stored[0] : stored[1]]!r}"
            print(
                f"{name}: task {task.id}, word {word!r}: code points {points}, UTF-16 {units}; "
                f"stored {stored} text {value.get('text')!r} -> {verdict}"
            )
        browser.close()


if __name__ == "__main__":
    main()
