"""Store: the outgoing messages the outbox works on (claim, retry, recover)."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Sequence

from voipdesk.core.models import Direction, Message, Status
from voipdesk.store.connection import Connection
from voipdesk.store.messages import TOUCH_CONVERSATION
from voipdesk.store.pids import pid_alive as _pid_alive
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row
from voipdesk.store.schema import IN_OUTBOX


class OutboxRowsMixin(Connection):
    """Outgoing message rows: added as sending, claimed, updated, retried and recovered."""

    def add_outgoing(self, own: str, peer: str, body: str, *, kind: str = "sms") -> Message:
        """Store a new outgoing message as SENDING, claimed by this process (attempt 1)."""
        now = self._clock()

        def tx(conn: sqlite3.Connection) -> int:
            cid = self._conversation_id(conn, own, peer)
            mid = self._insert(
                conn,
                cid,
                Direction.OUT,
                body,
                kind,
                Status.SENDING,
                now,
                attempts=1,
                owner_pid=os.getpid(),
            )
            conn.execute(TOUCH_CONVERSATION, (mid, now, 0, cid))
            return mid

        return self.message(self._write(tx))  # type: ignore[arg-type,return-value]

    def update_outgoing(self, message_id: int, **fields: object) -> Message:
        """Set columns of an outgoing message (status given as Status) and return it."""
        if "status" in fields:
            fields["status"] = Status(fields["status"]).value  # type: ignore[arg-type]
        sets = ", ".join(f"{k} = ?" for k in fields)

        def tx(conn: sqlite3.Connection) -> None:
            conn.execute(
                f"UPDATE messages SET {sets} WHERE id = ? AND direction = 'out'",
                (*fields.values(), message_id),
            )
            if fields.get("provider_id"):
                self._apply_early_report(conn, message_id, str(fields["provider_id"]))

        self._write(tx)
        msg = self.message(message_id)
        if msg is None:
            raise KeyError(message_id)
        return msg

    def claim(self, message_id: int, from_status: Sequence[Status]) -> Message | None:
        """Atomically move an outgoing message from one of `from_status` to SENDING for this
        process. None when another process got it first or its status changed."""
        marks = ", ".join("?" * len(from_status))

        def tx(conn: sqlite3.Connection) -> int:
            return conn.execute(
                "UPDATE messages SET status = 'sending', owner_pid = ?, attempts = attempts + 1,"
                " next_attempt_at = NULL, last_attempt_at = ?"
                f" WHERE id = ? AND status IN ({marks})",
                (os.getpid(), self._clock(), message_id, *[s.value for s in from_status]),
            ).rowcount

        return self.message(message_id) if self._write(tx) else None

    def due_pending(self, now: float) -> list[Message]:
        """PENDING messages whose retry time has come, oldest first."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.{IN_OUTBOX}"
            " AND m.status = 'pending' AND COALESCE(m.next_attempt_at, 0) <= ? ORDER BY m.id",
            (now,),
        )
        return [message_from_row(r) for r in rows]

    def next_retry_at(self) -> float | None:
        rows = self._read(
            "SELECT min(COALESCE(next_attempt_at, 0)) FROM messages"
            f" WHERE {IN_OUTBOX} AND status = 'pending'"
        )
        return rows[0][0]

    def outbox(self) -> list[Message]:
        """Outgoing messages not yet accepted: sending, pending, unknown."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.{IN_OUTBOX} ORDER BY m.id"
        )
        return [message_from_row(r) for r in rows]

    def recover_interrupted(self) -> list[Message]:
        """Mark SENDING messages whose sending process is gone as UNKNOWN (the request may or
        may not have reached the provider); return them. Call it at start-up only: rows owned by
        this very pid count as orphans (a crashed run that had the same pid)."""
        text = (
            "voipdesk stopped while sending this message, so it may or may not have been sent. "
            "Send it again, or discard it."
        )

        # Read and update in one write transaction, and only rows still owned by the dead pid:
        # otherwise a message another process recovered and the user resent in between (now
        # SENDING by a live process) would be marked UNKNOWN under that live send.
        def tx(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                f"SELECT id, owner_pid FROM messages WHERE {IN_OUTBOX} AND status = 'sending'"
            ).fetchall()
            orphans = [(mid, pid) for mid, pid in rows if not _pid_alive(pid)]
            conn.executemany(
                "UPDATE messages SET status = 'unknown', error_code = 'INTERRUPTED',"
                " error_text = ? WHERE id = ? AND status = 'sending' AND owner_pid IS ?",
                [(text, mid, pid) for mid, pid in orphans],
            )
            return [mid for mid, _ in orphans]

        orphans: list[int] = self._write(tx)  # type: ignore[assignment]
        return [m for m in (self.message(mid) for mid in orphans) if m is not None]
