"""Store: full-text search, and turning what a user types into a safe FTS5 query."""

from __future__ import annotations

import re

from voipdesk.core.models import Message
from voipdesk.store.connection import Connection
from voipdesk.store.rows import MESSAGE_COLUMNS, message_from_row

_WORD = re.compile(r"\w+", re.UNICODE)
_MAX_WORDS = 16


def search_words(text: str) -> list[str]:
    """The words a search looks for, each as a word prefix, all of them: the one token rule,
    for the store's query and for the UI's highlighting of what matched."""
    return _WORD.findall(text or "")[:_MAX_WORDS]


def fts_query(text: str) -> str:
    """Every word of `text` as a quoted prefix term, ANDed: no FTS5 syntax from user input."""
    return " ".join(f'"{w}"*' for w in search_words(text))


class SearchMixin(Connection):
    """Full-text search over message bodies."""

    def search(self, text: str, *, limit: int = 50, before_id: int | None = None) -> list[Message]:
        """Messages whose body matches every word of `text` (prefixes), newest first."""
        query = fts_query(text)
        if not query:
            return []
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM messages_fts f"
            " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id"
            " WHERE messages_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC LIMIT ?",
            (query, before_id if before_id is not None else 2**62, limit),
        )
        return [message_from_row(r) for r in rows]
