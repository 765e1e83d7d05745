"""Turning what a user types into a safe FTS5 query."""

from __future__ import annotations

import re

_WORD = re.compile(r"\w+", re.UNICODE)


def fts_query(text: str) -> str:
    """Every word of `text` as a quoted prefix term, ANDed: no FTS5 syntax from user input."""
    words = _WORD.findall(text or "")
    return " ".join(f'"{w}"*' for w in words[:16])
