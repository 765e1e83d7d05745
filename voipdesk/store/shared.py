"""The base of the mixins both stores use as they are (store/flags.py, heartbeats.py,
scheduled_rows.py): they reach the database only through self._write(fn) and self._read(sql,
args), with SQL that SQLite and PostgreSQL both run (`?` parameters, which the PostgreSQL store
turns into %s: store/pg/connection.py), and through helpers each store has its own of
(_conversation_id, _insert, _touch)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.store.connection import Connection as SharedMixin
else:

    class SharedMixin:
        """At run time nothing: the store that mixes it in brings its own connection."""


__all__ = ["SharedMixin"]
