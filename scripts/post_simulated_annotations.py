"""Post the SIMULATED annotations to a Label Studio project, as three annotator users.

What a team's annotators would do in the browser, done through the API so the whole loop (push,
annotate, pull, agreement, gold, publish) runs on the bundled data: each annotation of
``corpus/simulated/label-studio-export.json`` is posted to the project's task for the same article
(matched by ``data.article_id``) as the user with the annotation's e-mail, made if missing. The
result regions, ``was_cancelled`` and ``lead_time`` are posted as they are in the file.

Re-running posts nothing twice: a user's annotation already on a task is left alone.

    python scripts/post_simulated_annotations.py --project conflict-events
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from annotate import studio as studio_stage
from annotate.errors import AnnotateError
from annotate.pull import DEFAULT_BATCH_SIZE, exported_tasks
from annotate.workspace import open_workspace

EXPORT = Path(__file__).resolve().parent.parent / "corpus" / "simulated" / "label-studio-export.json"


@dataclass
class Posted:
    posted: int = 0
    already_there: int = 0
    users_made: int = 0
    tasks_missing: int = 0


def simulated_annotations(path: Path) -> Iterator[tuple[str, dict[str, Any]]]:
    """``(article_id, annotation)`` for every annotation in the export, in file order."""
    for task in json.loads(path.read_text(encoding="utf-8")):
        for annotation in task["annotations"]:
            yield task["data"]["article_id"], annotation


def ensure_users(client: Any, annotations: list[tuple[str, dict[str, Any]]], posted: Posted) -> dict[str, int]:
    """E-mail -> user id for every annotator in the file, making the users that are missing."""
    users = {user.email: user.id for user in client.users.list()}
    for _, annotation in annotations:
        person = annotation["completed_by"]
        if person["email"] not in users:
            user = client.users.create(
                username=person["email"].split("@")[0],
                email=person["email"],
                first_name=person.get("first_name", ""),
                last_name=person.get("last_name", ""),
            )
            users[person["email"]] = user.id
            posted.users_made += 1
    return users


def annotated(studio: studio_stage.Studio, project_id: int, task_ids: list[int]) -> set[tuple[int, int]]:
    """(task id, user id) of every annotation already on the tasks, skipped ones included (the
    annotations list endpoint leaves those out; the export does not)."""
    done = set()
    for tasks in exported_tasks(studio, project_id, task_ids, DEFAULT_BATCH_SIZE):
        for task in tasks:
            for annotation in task["annotations"]:
                user = annotation["completed_by"]
                done.add((task["id"], user["id"] if isinstance(user, dict) else user))
    return done


def post(studio: studio_stage.Studio, project_title: str, export: Path = EXPORT) -> Posted:
    project = studio.project(project_title)
    task_of = {task.data["article_id"]: task.id for task in studio.tasks(project.id) if "article_id" in task.data}
    annotations = list(simulated_annotations(export))
    posted = Posted()
    users = ensure_users(studio.client, annotations, posted)
    done = annotated(studio, project.id, sorted(set(task_of.values())))
    for article_id, annotation in annotations:
        task_id, user_id = task_of.get(article_id), users[annotation["completed_by"]["email"]]
        if task_id is None:
            posted.tasks_missing += 1
        elif (task_id, user_id) in done:
            posted.already_there += 1
        else:
            studio.client.annotations.create(
                id=task_id,
                result=annotation["result"],
                completed_by=user_id,
                was_cancelled=annotation["was_cancelled"],
                lead_time=annotation["lead_time"],
            )
            posted.posted += 1
    return posted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--project", required=True, help="title of the Label Studio project (pushed already)")
    parser.add_argument("--workspace", type=Path, default=Path("."), help="workspace folder (its local Label Studio)")
    parser.add_argument("--export", type=Path, default=EXPORT, help="the simulated export to post")
    args = parser.parse_args(argv)
    try:
        result = post(studio_stage.connect(open_workspace(args.workspace)), args.project, args.export)
    except AnnotateError as exc:
        print(f"Error: {exc}", file=sys.stderr)
        return int(exc.exit_code)
    print(
        f"Posted {result.posted} simulated annotations to '{args.project}' ({result.already_there} already "
        f"there, {result.users_made} annotator users made, {result.tasks_missing} left out: their articles are not "
        "in the project)."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
