"""Who did the work: stable pseudonyms for the people behind ``completed_by``, kept on this machine."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import orjson

from annotate.imports.regions import NO_ANNOTATOR, Refused
from annotate.workspace import atomic_write

ANNOTATORS_FILE = "annotators.json"


class Annotators:
    """Stable pseudonyms (``ann-01``, ``ann-02``, ...) for the people behind ``completed_by``.

    The mapping from e-mail, user id or name (``--annotator``) to pseudonym stays in
    ``annotations/annotators.json`` (mode 0600), on this machine; records and everything published
    carry the pseudonym only. A user id seen beside an e-mail (an expanded ``completed_by``, or a pull
    that asked the server) is tied to that e-mail, so an export with bare ids gets the same pseudonyms
    later.
    """

    def __init__(self, path: Path, users_by_id: dict[int, str] | None = None):
        self.path = path
        self.users_by_id = users_by_id or {}
        self.keys: dict[str, str] = orjson.loads(path.read_bytes()) if path.exists() else {}
        self.changed = False

    def pseudonym(self, who: Any) -> str:
        email, user_id = _identity(who)
        if email is None and user_id is not None:
            email = self.users_by_id.get(user_id)
        keys = [
            key
            for key in (f"email:{email.lower()}" if email else None, f"user:{user_id}" if user_id is not None else None)
            if key
        ]
        if not keys:
            hint = "import with --annotator NAME to say whose work the file is"
            raise Refused(NO_ANNOTATOR, f"completed_by is {who!r}: no user id or e-mail ({hint})")
        return self._assign(keys)

    def named(self, name: str) -> str:
        """The pseudonym of a person named on the command line (``--annotator``): an e-mail is the same
        person as that e-mail in an export; any other name is a name (``name:...``), never a user id."""
        name = name.strip()
        return self._assign([f"email:{name.lower()}" if "@" in name else f"name:{name}"])

    def _assign(self, keys: list[str]) -> str:
        known = next((self.keys[key] for key in keys if key in self.keys), None)
        name = known or f"ann-{len(set(self.keys.values())) + 1:02d}"
        for key in keys:
            if self.keys.get(key) != name:
                self.keys[key] = name
                self.changed = True
        return name

    def save(self) -> None:
        if not self.changed:
            return
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with atomic_write(self.path, "wb") as out:
            os.chmod(out.name, 0o600)
            out.write(orjson.dumps(self.keys, option=orjson.OPT_INDENT_2 | orjson.OPT_SORT_KEYS))


def _identity(who: Any) -> tuple[str | None, int | None]:
    if isinstance(who, dict):
        email = who.get("email") or None
        user_id = who.get("id")
        return email, user_id if isinstance(user_id, int) else None
    if isinstance(who, bool):
        return None, None
    if isinstance(who, int):
        return None, who
    if isinstance(who, str) and who.strip():
        return (who.strip(), None) if "@" in who else (None, int(who)) if who.strip().isdigit() else (who.strip(), None)
    return None, None
