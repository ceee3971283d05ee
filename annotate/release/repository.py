"""The release's own git repository: one commit and one ``vX.Y.Z`` tag per version, the files of a
version read back from its tag, and the rules a new version must follow.

Why ``git`` through ``subprocess``: the release is a plain git repository that people inspect with
git; the only operations are init, add, commit, tag, archive and status, and no library is needed
for six commands (GitPython itself shells out to git).
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import secrets
import shutil
import subprocess
import tarfile
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from annotate.errors import AnnotateError, ExitCode, Messages
from annotate.release.manifest import MANIFEST

_VERSION = re.compile(r"(\d+)\.(\d+)\.(\d+)")
# One fixed identity for every release commit and tag, so no user's name or e-mail enters the history.
GIT_IDENTITY = {
    "GIT_AUTHOR_NAME": "annotate",
    "GIT_AUTHOR_EMAIL": "annotate@localhost",
    "GIT_COMMITTER_NAME": "annotate",
    "GIT_COMMITTER_EMAIL": "annotate@localhost",
}


# Objects are stored as they are, not deflated again: the Parquet files, most of a release's bytes, are compressed
# already, so deflating them (git's default, level 1) kept about 15% of their size at three to four times the
# time of the whole commit (0.9 of 1.2 s of CPU at 30,000 articles). Only loose objects: ``git gc`` still packs
# and compresses them as usual. The objects, their ids and the commits are the same either way.
STORE_AS_IS = ("-c", "core.looseCompression=0")


def _git(repo: Path, *args: str, work_tree: Path | None = None, stdout: Any = subprocess.PIPE) -> str:
    command = ["git", "-c", "commit.gpgsign=false", "-c", "tag.gpgsign=false", "-c", "core.autocrlf=false"]
    command += STORE_AS_IS
    if work_tree is not None:
        command += ["--git-dir", str(repo / ".git"), "--work-tree", str(work_tree)]
    env = {**os.environ, **GIT_IDENTITY, "GIT_CONFIG_NOSYSTEM": "1"}
    try:
        done = subprocess.run(
            [*command, *args],
            cwd=repo if work_tree is None else work_tree,
            env=env,
            stdout=stdout,
            stderr=subprocess.PIPE,
            check=True,
        )
    except (OSError, subprocess.CalledProcessError) as exc:
        problem = (getattr(exc, "stderr", b"") or b"").decode(errors="replace").strip().splitlines()
        raise AnnotateError(
            Messages.RELEASE_GIT_FAILED,
            ExitCode.ENVIRONMENT,
            command=args[0],
            path=repo,
            problem=problem[-1] if problem else str(exc),
        ) from None
    return done.stdout.decode() if isinstance(done.stdout, bytes) else ""


def parse_version(version: str) -> tuple[int, int, int]:
    match = _VERSION.fullmatch(version.removeprefix("v"))
    if not match:
        raise AnnotateError(Messages.RELEASE_BAD_VERSION, ExitCode.USAGE, version=version)
    return (int(match[1]), int(match[2]), int(match[3]))


def versions(release_dir: Path) -> list[str]:
    """The published versions, oldest first (from the repository's ``vX.Y.Z`` tags)."""
    if not (release_dir / ".git").exists():
        return []
    tags = _git(release_dir, "tag", "--list", "v*").split()
    found = [tag[1:] for tag in tags if _VERSION.fullmatch(tag[1:])]
    return sorted(found, key=parse_version)


@contextlib.contextmanager
def checked_out(release_dir: Path, version: str) -> Iterator[Path]:
    """The files of one published version, from its tag, in a temporary folder (``git archive``)."""
    known = versions(release_dir)
    if version not in known:
        raise AnnotateError(
            Messages.RELEASE_UNKNOWN_VERSION, version=version, path=release_dir, known=", ".join(known) or "none"
        )
    with tempfile.TemporaryDirectory(prefix=f"annotate-v{version}-") as folder:
        command = ["git", "-C", str(release_dir), "archive", "--format=tar", f"v{version}"]
        with subprocess.Popen(command, stdout=subprocess.PIPE) as process:
            with tarfile.open(fileobj=process.stdout, mode="r|") as archive:
                archive.extractall(folder, filter="data")
        yield Path(folder)


# -- which new version is allowed ------------------------------------------------------------------


def refuse_bad_version(release_dir: Path, version: str, schema_state: dict[str, str]) -> dict[str, Any] | None:
    """Refuse a version that exists, goes backwards, or hides a schema change; the previous manifest."""
    parse_version(version)
    if release_dir.exists() and not (release_dir / ".git").exists():
        raise AnnotateError(Messages.RELEASE_NOT_A_RELEASE, path=release_dir)
    known = versions(release_dir)
    if not known:
        return None
    changed = _git(release_dir, "status", "--porcelain", "--untracked-files=all").splitlines()
    if changed:
        raise AnnotateError(Messages.RELEASE_DIRTY, path=release_dir, example=changed[0].strip())
    latest = known[-1]
    if version in known:
        raise AnnotateError(Messages.RELEASE_EXISTS, path=release_dir, version=version)
    if parse_version(version) < parse_version(latest):
        raise AnnotateError(Messages.RELEASE_BACKWARDS, path=release_dir, version=version, latest=latest)
    previous = json.loads(_git(release_dir, "show", f"v{latest}:{MANIFEST}"))
    before = previous["schema"]
    what = [
        f"{key} {before.get(key)} -> {schema_state[key]}"
        for key in ("name", "version", "sha256")
        if before.get(key) != schema_state[key]
    ]
    if what and parse_version(version)[:2] == parse_version(latest)[:2]:
        major, minor, _ = parse_version(latest)
        raise AnnotateError(
            Messages.RELEASE_SCHEMA_CHANGED,
            latest=latest,
            what="; ".join(what),
            version=version,
            suggest=f"{major}.{minor + 1}.0",
        )
    return previous


def already_published(release_dir: Path, version: str, inputs: dict[str, Any]) -> dict[str, Any] | None:
    """The manifest of ``version`` when it is the latest release and was made from ``inputs``, else None."""
    known = versions(release_dir)
    if not known or known[-1] != version or _git(release_dir, "status", "--porcelain", "--untracked-files=all"):
        return None
    manifest = json.loads(_git(release_dir, "show", f"v{version}:{MANIFEST}"))
    return manifest if manifest.get("inputs") == inputs else None


# -- committing a version --------------------------------------------------------------------------


def commit_version(release_dir: Path, building: Path, version: str) -> None:
    """Commit the built folder as one commit tagged ``vX.Y.Z``, then put it in the release's place."""
    message = f"Release v{version}"
    if not (release_dir / ".git").exists():
        _git(building, "init", "--quiet", "--initial-branch=main")
        _git(building, "add", "--all")
        _git(building, "commit", "--quiet", "-m", message)
        _git(building, "tag", "-a", f"v{version}", "-m", message)
        os.rename(building, release_dir)
        return
    try:
        _git(release_dir, "add", "--all", work_tree=building)
        _git(release_dir, "commit", "--quiet", "-m", message, work_tree=building)
    except AnnotateError:
        _git(release_dir, "read-tree", "HEAD")  # the index back to the last release
        raise
    _git(release_dir, "tag", "-a", f"v{version}", "-m", message)
    os.rename(release_dir / ".git", building / ".git")
    retired = release_dir.with_name(f".{release_dir.name}.retired-{secrets.token_hex(4)}")
    os.rename(release_dir, retired)
    os.rename(building, release_dir)
    shutil.rmtree(retired, ignore_errors=True)
