"""Store: blocked numbers, muted conversations, conversations marked unread, and opt-outs (both
stores use this mixin: store/shared.py)."""

from __future__ import annotations

import sqlite3

from voipdesk.store.shared import SharedMixin

# Conversations with a blocked peer are left out of the list (store/conversations.py).
NOT_BLOCKED = "c.peer_number NOT IN (SELECT number FROM blocked_numbers)"


class FlagsMixin(SharedMixin):
    """What the person decided about a number or a conversation, and who texted STOP."""

    def block(self, number: str) -> int:
        """Block a number: its conversations count as read (how many messages were unread is
        returned) and leave the list; what it sends later is stored but raises nothing."""
        now = float(self._clock())

        def tx(conn: sqlite3.Connection) -> int:
            conn.execute(
                "INSERT INTO blocked_numbers (number, blocked_at) VALUES (?, ?)"
                " ON CONFLICT (number) DO NOTHING",
                (number, now),
            )
            row = conn.execute(
                "SELECT COALESCE(sum(CASE WHEN unread_count > 0 THEN unread_count"
                " ELSE marked_unread END), 0) FROM conversations WHERE peer_number = ?",
                (number,),
            ).fetchone()
            conn.execute(
                "UPDATE conversations SET unread_count = 0, marked_unread = 0"
                " WHERE peer_number = ?",
                (number,),
            )
            return row[0]

        return self._write(tx)  # type: ignore[return-value]

    def unblock(self, number: str) -> None:
        self._write(lambda c: c.execute("DELETE FROM blocked_numbers WHERE number = ?", (number,)))

    def blocked_numbers(self) -> list[str]:
        """Blocked numbers, the most recently blocked first."""
        rows = self._read("SELECT number FROM blocked_numbers ORDER BY blocked_at DESC, number")
        return [r[0] for r in rows]

    def set_muted(self, conversation_id: int, muted: bool) -> None:
        self._write(
            lambda c: c.execute(
                "UPDATE conversations SET muted = ? WHERE id = ?", (int(muted), conversation_id)
            )
        )

    def muted_conversations(self) -> set[int]:
        return {r[0] for r in self._read("SELECT id FROM conversations WHERE muted = 1")}

    def mark_unread(self, conversation_id: int) -> int:
        """Show a conversation unread until it is opened; returns what that adds to the unread
        total (1, or 0 when it had unread messages or was marked already)."""

        def tx(conn: sqlite3.Connection) -> int:
            # One statement, so that of two desks marking it at once only one adds it.
            row = conn.execute(
                "UPDATE conversations SET marked_unread = 1 WHERE id = ? AND marked_unread = 0"
                " RETURNING unread_count",
                (conversation_id,),
            ).fetchone()
            return 0 if row is None or row[0] else 1

        return self._write(tx)  # type: ignore[return-value]
