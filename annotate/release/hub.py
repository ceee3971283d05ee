"""The upload of a release to the Hugging Face Hub: the folder (not its .git) as one commit, tagged
``vX.Y.Z`` like the release's own repository."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from annotate.errors import AnnotateError, ExitCode, Messages

HF_TOKEN_ENV = "HF_TOKEN"


def upload(release_dir: Path, repo_id: str, version: str, token: str) -> dict[str, Any]:
    """Upload the release folder (not its .git) to a Hub dataset repository and tag the commit."""
    from huggingface_hub import HfApi
    from huggingface_hub.errors import HfHubHTTPError

    api = HfApi(token=token)
    try:
        api.create_repo(repo_id, repo_type="dataset", exist_ok=True)
        commit = api.upload_folder(
            repo_id=repo_id,
            repo_type="dataset",
            folder_path=release_dir,
            commit_message=f"Release v{version}",
            ignore_patterns=[".git", ".git/*"],
        )
        api.create_tag(repo_id, repo_type="dataset", tag=f"v{version}", revision=commit.oid)
    except (HfHubHTTPError, OSError, ValueError) as exc:
        raise AnnotateError(
            Messages.HUB_FAILED,
            ExitCode.ENVIRONMENT,
            version=version,
            path=release_dir,
            repo_id=repo_id,
            problem=str(exc).splitlines()[0],
        ) from None
    return {"repo_id": repo_id, "revision": commit.oid, "tag": f"v{version}", "url": commit.commit_url}
