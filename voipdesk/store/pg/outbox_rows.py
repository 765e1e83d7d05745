"""Shared store: the outgoing messages the outbox works on: claim, retry, recover (the twin of
store/outbox_rows.py). An attempt is still owned by a process id here, as in SQLite; owning it
by a token under a session-level advisory lock is `voipdesk serve`'s step (issue #11, item 4)."""

from __future__ import annotations

import os
from collections.abc import Sequence

from voipdesk.core.models import Direction, Message, Status
from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.pg.messages import touch
from voipdesk.store.pids import pid_alive as _pid_alive
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row
from voipdesk.store.schema import IN_OUTBOX
from voipdesk.store.text import without_nul

_INTERRUPTED = (
    "voipdesk stopped while sending this message, so it may or may not have been sent. "
    "Send it again, or discard it."
)


class PgOutboxRowsMixin(PgConnection):
    """Outgoing message rows: added as sending, claimed, updated, retried and recovered."""

    def add_outgoing(self, own: str, peer: str, body: str, *, kind: str = "sms") -> Message:
        """Store a new outgoing message as SENDING, claimed by this process (attempt 1)."""
        now = self._clock()

        def tx(t: Tx) -> int:
            cid = self._conversation_id(t, own, peer)
            mid = self._insert(
                t,
                cid,
                Direction.OUT,
                without_nul(body),
                kind,
                Status.SENDING,
                now,
                attempts=1,
                owner_pid=os.getpid(),
            )
            touch(t, cid, mid, now, 0)
            return mid

        return self.message(self._write(tx))  # type: ignore[return-value]

    def update_outgoing(self, message_id: int, **fields: object) -> Message:
        """Set columns of an outgoing message (status given as Status) and return it."""
        if "status" in fields:
            fields["status"] = Status(fields["status"]).value  # type: ignore[arg-type]
        sets = ", ".join(f"{k} = %s" for k in fields)

        def tx(t: Tx) -> None:
            t.execute(
                f"UPDATE messages SET {sets} WHERE id = %s AND direction = 'out'",
                (*fields.values(), message_id),
            )
            if fields.get("provider_id"):
                self._apply_early_report(t, message_id, without_nul(str(fields["provider_id"])))

        self._write(tx)
        msg = self.message(message_id)
        if msg is None:
            raise KeyError(message_id)
        return msg

    def claim(self, message_id: int, from_status: Sequence[Status]) -> Message | None:
        """Atomically move an outgoing message from one of `from_status` to SENDING for this
        process. None when another process got it first or its status changed."""

        def tx(t: Tx) -> int:
            return t.execute(
                "UPDATE messages SET status = 'sending', owner_pid = %s,"
                " attempts = attempts + 1, next_attempt_at = NULL, last_attempt_at = %s"
                " WHERE id = %s AND status = ANY(%s)",
                (os.getpid(), self._clock(), message_id, [s.value for s in from_status]),
            ).rowcount

        return self.message(message_id) if self._write(tx) else None

    def due_pending(self, now: float) -> list[Message]:
        """PENDING messages whose retry time has come, oldest first."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.{IN_OUTBOX}"
            " AND m.status = 'pending' AND COALESCE(m.next_attempt_at, 0) <= %s ORDER BY m.id",
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
        """Mark SENDING messages whose sending process is gone as UNKNOWN; return them. Call it
        at start-up only (store/outbox_rows.py says why)."""

        def tx(t: Tx) -> list[int]:
            rows = t.execute(
                f"SELECT id, owner_pid FROM messages WHERE {IN_OUTBOX} AND status = 'sending'"
                " FOR UPDATE"
            ).fetchall()
            orphans = [(mid, pid) for mid, pid in rows if not _pid_alive(pid)]
            t.executemany(
                "UPDATE messages SET status = 'unknown', error_code = 'INTERRUPTED',"
                " error_text = %s WHERE id = %s AND status = 'sending'"
                " AND owner_pid IS NOT DISTINCT FROM %s",
                [(_INTERRUPTED, mid, pid) for mid, pid in orphans],
            )
            return [mid for mid, _ in orphans]

        orphans: list[int] = self._write(tx)
        return [m for m in (self.message(mid) for mid in orphans) if m is not None]
