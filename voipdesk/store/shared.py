"""The base of the mixins both stores are made of, one per concern: conversations.py,
messages.py, ingest.py, reports.py, outbox_rows.py, contacts.py, flags.py, heartbeats.py,
scheduled_rows.py (only search and PostgreSQL's change log are each store's own). They reach the
database only through self._write(fn) and self._read(sql, args), with SQL that SQLite and
PostgreSQL both run (`?` parameters, which the PostgreSQL store turns into %s:
store/pg/connection.py), and call one another's helpers through self (_conversation_id,
_insert, _touch, _report).

What the backends do differently is a small hook on each store's connection class
(store/connection.py, store/pg/connection.py), never a second copy of a method:
- _lock_rows(of=""): a SELECT's row-lock clause ("" in SQLite; FOR UPDATE in PostgreSQL);
- _in_list(column, values): "column is one of values" (IN lists in chunks; = ANY(array));
- _search_column(body): what a new message row carries for search (the search mixins);
- _now(conn): the time that orders what a write stores, a message's created_at and its
  conversation's last time (this computer's clock in SQLite; the database's in PostgreSQL);
- _now_column(): the same now as a read's column (SQL and its parameters);
- who owns a send attempt: _OWNER_COLUMN, _attempt_owner(), _owner_gone(conn, owner) and
  _pick_rows() (store/pids.py's PidOwner in SQLite);
NUL characters are taken out of text parameters by both connections (store/text.py), and the
change log is written by PostgreSQL's own triggers (store/pg/schema.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.store.connection import Connection as SharedMixin
else:

    class SharedMixin:
        """At run time nothing: the store that mixes it in brings its own connection."""


__all__ = ["SharedMixin"]
