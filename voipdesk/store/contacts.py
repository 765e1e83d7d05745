"""Store: names for numbers (both stores use this mixin: store/shared.py)."""

from __future__ import annotations

from voipdesk.store.shared import SharedMixin

# A name changes only when it differs: the shared store logs no change for the same name.
_UPSERT = (
    "INSERT INTO contacts (number, name) VALUES (?, ?)"
    " ON CONFLICT (number) DO UPDATE SET name = excluded.name"
    " WHERE contacts.name <> excluded.name"
)


class ContactsMixin(SharedMixin):
    """Names for numbers."""

    def set_contact(self, number: str, name: str | None) -> None:
        """Name a number; an empty name removes it."""
        if name and name.strip():
            self._write(lambda c: c.execute(_UPSERT, (number, name.strip())))
        else:
            self._write(lambda c: c.execute("DELETE FROM contacts WHERE number = ?", (number,)))

    def set_contacts(self, names: dict[str, str]) -> int:
        """Import many names at once; returns how many were written."""
        rows = [(n, v.strip()) for n, v in names.items() if v and v.strip()]
        self._write(lambda c: c.executemany(_UPSERT, rows))
        return len(rows)

    def contacts(self) -> dict[str, str]:
        return dict(self._read("SELECT number, name FROM contacts ORDER BY name"))

    def contact_name(self, number: str) -> str | None:
        rows = self._read("SELECT name FROM contacts WHERE number = ?", (number,))
        return rows[0][0] if rows else None
