"""Store: messages scheduled to be sent later (Send later), and taking one into the outbox."""

from __future__ import annotations

import sqlite3

from voipdesk.core.models import Direction, Message, Status
from voipdesk.core.scheduled import Scheduled
from voipdesk.store.shared import SharedMixin
from voipdesk.store.text import without_nul

_SELECT = (
    "SELECT s.id, s.conversation_id, c.own_number, c.peer_number, s.body, s.send_at,"
    " s.created_at FROM scheduled_messages s JOIN conversations c ON c.id = s.conversation_id"
)


def _scheduled(row: tuple) -> Scheduled:
    return Scheduled(*row)


class ScheduledRowsMixin(SharedMixin):
    """Scheduled messages wait in their own table: nothing that reads messages (the thread, the
    list, search, export, the outbox's retries) sees one before the outbox takes it. Both stores
    use this mixin (store/shared.py): taking or cancelling one is a DELETE ... RETURNING, so of
    two processes (two servers on the shared store) only one gets it."""

    def schedule(
        self, own: str, peer: str, body: str, send_at: float, *, sent_by: str | None = None
    ) -> Scheduled:
        """`sent_by`: who scheduled it, by name (the shared inbox's "Sent by"): the message
        take_scheduled() makes of it carries it."""

        def tx(conn: sqlite3.Connection) -> int:
            cid = self._conversation_id(conn, own, peer)  # type: ignore[attr-defined]
            now = self._now(conn)
            # Someone not texted yet: listed from now, by when it was scheduled.
            conn.execute(
                "UPDATE conversations SET last_ts = ? WHERE id = ? AND last_message_id IS NULL",
                (now, cid),
            )
            return conn.execute(
                "INSERT INTO scheduled_messages"
                " (conversation_id, body, send_at, created_at, sent_by)"
                " VALUES (?, ?, ?, ?, ?) RETURNING id",
                (cid, body, send_at, now, without_nul(sent_by) if sent_by else None),
            ).fetchone()[0]

        found = self.scheduled_message(self._write(tx))  # type: ignore[arg-type]
        assert found is not None
        return found

    def scheduled_only(self) -> list[int]:
        """Conversations with a scheduled message and no message yet."""
        rows = self._read(
            "SELECT DISTINCT s.conversation_id FROM scheduled_messages s"
            " JOIN conversations c ON c.id = s.conversation_id"
            " WHERE c.last_message_id IS NULL ORDER BY s.conversation_id"
        )
        return [r[0] for r in rows]

    def scheduled_message(self, scheduled_id: int) -> Scheduled | None:
        rows = self._read(_SELECT + " WHERE s.id = ?", (scheduled_id,))
        return _scheduled(rows[0]) if rows else None

    def scheduled_in(self, conversation_id: int) -> list[Scheduled]:
        """A conversation's scheduled messages, the soonest first."""
        rows = self._read(
            _SELECT + " WHERE s.conversation_id = ? ORDER BY s.send_at, s.id", (conversation_id,)
        )
        return [_scheduled(r) for r in rows]

    def due_scheduled(self, now: float) -> list[Scheduled]:
        rows = self._read(_SELECT + " WHERE s.send_at <= ? ORDER BY s.send_at, s.id", (now,))
        return [_scheduled(r) for r in rows]

    def next_scheduled_at(self) -> float | None:
        return self._read("SELECT min(send_at) FROM scheduled_messages")[0][0]

    def edit_scheduled(self, scheduled_id: int, body: str, send_at: float) -> Scheduled | None:
        """Change a scheduled message's text and time; None when it is no longer scheduled
        (sent meanwhile, or cancelled)."""
        changed = self._write(
            lambda conn: (
                conn.execute(
                    "UPDATE scheduled_messages SET body = ?, send_at = ? WHERE id = ?",
                    (body, send_at, scheduled_id),
                ).rowcount
            )
        )
        return self.scheduled_message(scheduled_id) if changed else None

    def cancel_scheduled(self, scheduled_id: int) -> Scheduled | None:
        """Remove a scheduled message; what it was, or None when it was no longer scheduled."""

        def tx(conn: sqlite3.Connection) -> Scheduled | None:
            row = conn.execute(
                "DELETE FROM scheduled_messages WHERE id = ?"
                " RETURNING id, conversation_id, body, send_at, created_at",
                (scheduled_id,),
            ).fetchone()
            if row is None:
                return None
            sid, cid, body, send_at, created_at = row
            own, peer = conn.execute(
                "SELECT own_number, peer_number FROM conversations WHERE id = ?", (cid,)
            ).fetchone()
            return Scheduled(sid, cid, own, peer, body, send_at, created_at)

        return self._write(tx)  # type: ignore[return-value]

    def take_scheduled(self, scheduled_id: int, *, on_time: bool = True) -> Message | None:
        """Move a scheduled message into the outbox, claimed by this process: in one
        transaction it leaves scheduled_messages and becomes a new outgoing message, SENDING
        (attempt 1), as the newest of its thread (its place in send order). None when it was
        no longer scheduled: another process took it, or it was cancelled. `on_time`: sent for
        its time (send_at is kept); False for Send now."""

        def tx(conn: sqlite3.Connection) -> int | None:
            row = conn.execute(
                "DELETE FROM scheduled_messages WHERE id = ?"
                " RETURNING conversation_id, body, send_at, sent_by",
                (scheduled_id,),
            ).fetchone()
            if row is None:
                return None
            cid, body, send_at, sent_by = row
            self._lock_conversation(conn, cid)  # type: ignore[attr-defined]
            now = self._now(conn)
            mid = self._insert(  # type: ignore[attr-defined]
                conn,
                cid,
                Direction.OUT,
                body,
                "sms",
                Status.SENDING,
                now,
                attempts=1,
                **self._attempt_owner(),  # type: ignore[attr-defined]
                send_at=send_at if on_time else None,
                **({"sent_by": sent_by} if sent_by else {}),
            )
            self._touch(conn, cid, mid, now, 0)  # type: ignore[attr-defined]
            return mid

        mid = self._write(tx)
        return None if mid is None else self.message(mid)  # type: ignore[attr-defined,arg-type]
