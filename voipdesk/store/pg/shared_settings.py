"""Shared store: settings every voipdesk on the database shares (only the shared store has
them; a data folder's settings are its settings.json). The first to ask for one decides it."""

from __future__ import annotations

from voipdesk.store.pg.connection import PgConnection

# The path secret of the webhook URL: every `voipdesk serve` on one database answers on it.
WEBHOOK_SECRET = "webhook_secret"


class PgSharedSettingsMixin(PgConnection):
    """Named text values, one row each."""

    def shared_setting(self, name: str, default: str) -> str:
        """The value of `name`; when it has none yet, `default` is stored and returned. Two
        processes asking at once get the same value (the first committed wins)."""

        def get_or_set(t) -> str:
            t.execute(
                "INSERT INTO shared_settings (name, value) VALUES (%s, %s)"
                " ON CONFLICT (name) DO NOTHING",
                (name, default),
            )
            return t.execute(
                "SELECT value FROM shared_settings WHERE name = %s", (name,)
            ).fetchone()[0]

        return self._write(get_or_set)
