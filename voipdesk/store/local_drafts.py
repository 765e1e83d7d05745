"""Drafts that stay on this computer: a desk on the shared inbox keeps what it has typed but not
sent in its own data folder (drafts.json, user-only), never in the shared database, where the
team would see it (issue #11: "read state is shared; drafts stay local"). Typing goes on, and
is kept, while the database server cannot be reached."""

from __future__ import annotations

import json
import logging
import threading
from pathlib import Path

from voipdesk.private import private_dir, replace_private

log = logging.getLogger("voipdesk.store")

FILE = "drafts.json"


class LocalDrafts:
    """conversation id -> unsent text, in one small file; safe to call from any thread."""

    def __init__(self, data_dir: Path, *, key: str = "") -> None:
        """`key` names the shared database the conversation ids belong to (its redacted URL):
        drafts of another database in the same folder are kept, not shown."""
        self._path = Path(data_dir) / FILE
        self._key = key
        self._lock = threading.Lock()
        self._all: dict[str, dict[str, str]] | None = None

    def _load(self) -> dict[str, dict[str, str]]:
        if self._all is None:
            try:
                data = json.loads(self._path.read_text("utf-8"))
                self._all = {str(k): dict(v) for k, v in data.items() if isinstance(v, dict)}
            except FileNotFoundError:
                self._all = {}
            except (OSError, ValueError, TypeError, AttributeError) as exc:
                log.warning(
                    "the drafts file %s could not be read (%s): starting empty", self._path, exc
                )
                self._all = {}
        return self._all

    def set(self, conversation_id: int, text: str) -> None:
        with self._lock:
            everything = self._load()
            mine = everything.setdefault(self._key, {})
            if text:
                mine[str(conversation_id)] = text
            elif mine.pop(str(conversation_id), None) is None:
                return
            private_dir(self._path.parent)
            replace_private(self._path, json.dumps(everything, ensure_ascii=False).encode("utf-8"))

    def all(self) -> dict[int, str]:
        with self._lock:
            return {int(k): v for k, v in self._load().get(self._key, {}).items() if v}

    def get(self, conversation_id: int) -> str:
        with self._lock:
            return self._load().get(self._key, {}).get(str(conversation_id), "")
