"""Shared store: full-text search with what a user sees in SQLite (store/search.py): every word
of what they type as a prefix, all of them, case and diacritics ignored, newest first.

No extension is needed (unaccent may be missing on a server): the words of a body are folded
here, in Python, and stored as a tsvector built from them as they are (array_to_tsvector, no
parser and no dictionary, like the `simple` configuration); a query is the same folded words
as a tsquery of quoted prefix lexemes, so nothing typed becomes tsquery syntax."""

from __future__ import annotations

import re
import unicodedata

from psycopg import errors as pg_errors

from voipdesk.core.models import Message
from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row
from voipdesk.store.search import search_words

# SQLite's unicode61 tokenizer: runs of letters and digits (an underscore separates).
_TOKEN = re.compile(r"[^\W_]+", re.UNICODE)
_MAX_TOKEN = 200  # characters kept of one word (a lexeme may not exceed 2 KB)
_MAX_TOKENS = 4000  # distinct words indexed of one body


def fold(word: str) -> str:
    """A word as it is indexed and looked for: lower case, without diacritics (as unicode61's
    remove_diacritics does for Latin letters)."""
    decomposed = unicodedata.normalize("NFD", word.lower())
    plain = "".join(ch for ch in decomposed if unicodedata.category(ch) != "Mn")
    return unicodedata.normalize("NFC", plain)[:_MAX_TOKEN]


def body_tokens(body: str) -> list[str]:
    """The folded words of a message body, for its search column."""
    return list(dict.fromkeys(fold(t) for t in _TOKEN.findall(body or "")))[:_MAX_TOKENS]


def _lexeme(token: str) -> str:
    return "'" + token.replace("\\", "\\\\").replace("'", "''") + "'"


def ts_query(text: str) -> str:
    """What a user typed as a tsquery: each word (store/search.py's rule) a prefix, ANDed; a
    word that SQLite splits further (an underscore) becomes its parts, the last a prefix."""
    terms = []
    for word in search_words(text):
        parts = [fold(t) for t in _TOKEN.findall(word)]
        terms += [_lexeme(p) for p in parts[:-1]]
        if parts:
            terms.append(_lexeme(parts[-1]) + ":*")
    return " & ".join(terms)


# Two plans for "the newest matches": walking the messages newest first and testing each is
# quickest when the words are common (50 hits come soon); collecting every hit through the
# index, then the newest of them, when they are rare (1M messages: a word in 541 of them, 2 ms
# against 80 ms; a word in half of them, 1 ms against 700 ms). Which one is PostgreSQL's own
# choice for the plain question (_PLANNER), from its statistics of the search column (how
# common each word is, prefixes included). A walk still runs under a time limit: past it, the
# words were common among older messages only, or the statistics are missing or stale, and
# the index answers instead. Both give the same messages. (Walking first for every search, with
# a 10 ms limit, made each rare word wait out the 10 ms: 6.8x the plain query at 200k.)
_PLANNER = (
    "EXPLAIN (FORMAT JSON) SELECT id FROM messages"
    " WHERE search @@ %s::tsquery AND id < %s ORDER BY id DESC LIMIT %s"
)
_WALK = (
    f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
    " WHERE m.search @@ %s::tsquery AND m.id < %s ORDER BY m.id DESC LIMIT %s"
)
_EVERY_HIT = (
    "WITH hits AS MATERIALIZED ("
    "  SELECT id FROM messages WHERE search @@ %s::tsquery AND id < %s),"
    " newest AS MATERIALIZED (SELECT id FROM hits ORDER BY id DESC LIMIT %s)"
    f" SELECT {MESSAGE_COLUMNS} FROM newest JOIN {MESSAGE_FROM} ON m.id = newest.id"
    " ORDER BY m.id DESC"
)
WALK_MS = 50  # the walk's time limit (ms); 0: go straight to the index
ASK_PLANNER = True  # False: always try the walk first (within WALK_MS)


def _planner_walks(t: Tx, args: tuple) -> bool:
    """Whether PostgreSQL would walk the newest messages for this search rather than collect
    its hits and sort them (the plan's step under its LIMIT is a Sort)."""
    plan = t.execute(_PLANNER, args).fetchone()[0][0]["Plan"]  # type: ignore[index]
    under_limit = plan.get("Plans") or [{}]
    return under_limit[0].get("Node Type") != "Sort"


class PgSearchMixin(PgConnection):
    """Full-text search over message bodies."""

    @staticmethod
    def _search_column(body: str) -> tuple[str, str, list]:
        """What _insert (store/messages.py) adds to a message row: its search column, the
        folded words of its body."""
        return ", search", ", array_to_tsvector(?::text[])", [body_tokens(body)]

    def search(self, text: str, *, limit: int = 50, before_id: int | None = None) -> list[Message]:
        """Messages whose body matches every word of `text` (prefixes), newest first."""
        query = ts_query(text)
        if not query:
            return []
        args = (query, before_id if before_id is not None else 2**62, limit)

        def tx(t: Tx) -> list[tuple] | None:
            """The newest matches in one transaction, or None: the walk ran out of time (the
            transaction is then rolled back, and the index answers in one of its own)."""
            if WALK_MS > 0 and (not ASK_PLANNER or _planner_walks(t, args)):
                # For this transaction only (SET LOCAL): the walk, held to.
                t.execute(
                    "SET LOCAL enable_bitmapscan = off;"
                    f" SET LOCAL statement_timeout = {int(WALK_MS)}"
                )
                try:
                    return t.execute(_WALK, args).fetchall()
                except pg_errors.QueryCanceled:
                    return None
            return t.execute(_EVERY_HIT, args).fetchall()  # the planner's choice too

        def every_hit(t: Tx) -> list[tuple]:
            t.execute(
                "SET LOCAL enable_seqscan = off"
            )  # the words are common: the index all the same
            return t.execute(_EVERY_HIT, args).fetchall()

        rows = self._write(tx)
        if rows is None:
            rows = self._write(every_hit)
        return [message_from_row(r) for r in rows]
