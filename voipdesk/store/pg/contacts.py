"""Shared store: names for numbers (the twin of store/contacts.py)."""

from __future__ import annotations

from voipdesk.store.pg.connection import PgConnection

_UPSERT = (
    "INSERT INTO contacts (number, name) VALUES (%s, %s)"
    " ON CONFLICT (number) DO UPDATE SET name = excluded.name"
    " WHERE contacts.name IS DISTINCT FROM excluded.name"
)


class PgContactsMixin(PgConnection):
    """Names for numbers."""

    def set_contact(self, number: str, name: str | None) -> None:
        """Name a number; an empty name removes it."""
        if name and name.strip():
            self._write(lambda t: t.execute(_UPSERT, (number, name.strip())))
        else:
            self._write(lambda t: t.execute("DELETE FROM contacts WHERE number = %s", (number,)))

    def set_contacts(self, names: dict[str, str]) -> int:
        """Import many names at once; returns how many were written."""
        rows = [(n, v.strip()) for n, v in names.items() if v and v.strip()]
        self._write(lambda t: t.executemany(_UPSERT, rows))
        return len(rows)

    def contacts(self) -> dict[str, str]:
        return dict(self._read("SELECT number, name FROM contacts ORDER BY name"))

    def contact_name(self, number: str) -> str | None:
        rows = self._read("SELECT name FROM contacts WHERE number = %s", (number,))
        return rows[0][0] if rows else None
