"""Store: the outgoing messages the outbox works on: claim, retry, recover (both stores use this
mixin: store/shared.py). Who owns an attempt is the backend's: a process id in SQLite (one
machine), a token under an advisory lock in PostgreSQL (store/pg/owner.py)."""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence

from voipdesk.core.models import Direction, Message, Status
from voipdesk.store.conversations import SET_DRAFT
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row
from voipdesk.store.schema import IN_OUTBOX
from voipdesk.store.shared import SharedMixin
from voipdesk.store.text import without_nul

INTERRUPTED_TEXT = (
    "voipdesk stopped while sending this message, so it may or may not have been sent. "
    "Send it again, or discard it."
)


class OutboxRowsMixin(SharedMixin):
    """Outgoing message rows: added as sending, claimed, updated, retried and recovered."""

    def add_outgoing(
        self,
        own: str,
        peer: str,
        body: str,
        *,
        kind: str = "sms",
        sent_by: str | None = None,
        clear_draft: bool = False,
    ) -> Message:
        """Store a new outgoing message as SENDING, claimed by this process (attempt 1);
        `sent_by`: who sent it, by name (the shared inbox's "Sent by"); `clear_draft`: it was
        the conversation's draft, which goes in the same write (never both kept, nor both lost)."""
        owner = self._attempt_owner()
        local = self.local_drafts  # type: ignore[attr-defined]

        def tx(conn: sqlite3.Connection) -> int:
            cid = self._conversation_id(conn, own, peer)  # type: ignore[attr-defined]
            now = self._now(conn)  # (the shared store's: the database's clock)
            mid = self._insert(  # type: ignore[attr-defined]
                conn,
                cid,
                Direction.OUT,
                without_nul(body),
                kind,
                Status.SENDING,
                now,
                attempts=1,
                **owner,
                **({"sent_by": without_nul(sent_by)} if sent_by else {}),
            )
            self._touch(conn, cid, mid, now, 0)  # type: ignore[attr-defined]
            if clear_draft and local is None:
                conn.execute(SET_DRAFT, ("", cid))
            return mid

        message = self.message(self._write(tx))  # type: ignore[attr-defined]
        if clear_draft and local is not None and message is not None:  # (a desk's own file)
            self.set_draft(message.conversation_id, "")  # type: ignore[attr-defined]
        return message  # type: ignore[return-value]

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
                provider_id = without_nul(str(fields["provider_id"]))
                self._apply_early_report(conn, message_id, provider_id)  # type: ignore[attr-defined]

        self._write(tx)
        msg = self.message(message_id)  # type: ignore[attr-defined]
        if msg is None:
            raise KeyError(message_id)
        return msg

    def claim(self, message_id: int, from_status: Sequence[Status]) -> Message | None:
        """Atomically move an outgoing message from one of `from_status` to SENDING for this
        process, committed before the caller sends it. None when another process got it first
        or its status changed."""
        owner = self._attempt_owner()
        marks = ", ".join("?" * len(from_status))
        sets = "".join(f", {column} = ?" for column in owner)

        def tx(conn: sqlite3.Connection) -> int:
            # Only the row's own lock for this short transaction (_pick_rows): none is held
            # while the request is out.
            return conn.execute(
                f"UPDATE messages SET status = 'sending'{sets}, attempts = attempts + 1,"
                " next_attempt_at = NULL, last_attempt_at = ?"
                f" WHERE id = ? AND status IN ({marks})" + self._pick_rows(),
                (*owner.values(), self._clock(), message_id, *[s.value for s in from_status]),
            ).rowcount

        return self.message(message_id) if self._write(tx) else None  # type: ignore[attr-defined]

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
        """Mark SENDING messages whose owner is gone as UNKNOWN (the request may or may not
        have reached the provider); return them. Call it at start-up: a message another live
        process is sending is left alone (_owner_gone says who is gone)."""
        column = self._OWNER_COLUMN

        # Read and update in one write transaction, under the rows' lock: otherwise a message
        # another process recovered and the user resent in between (now SENDING by a live
        # process) would be marked UNKNOWN under that live send.
        def tx(conn: sqlite3.Connection) -> list[int]:
            rows = conn.execute(
                f"SELECT id, {column} FROM messages WHERE {IN_OUTBOX} AND status = 'sending'"
                + self._lock_rows(),
            ).fetchall()
            orphans = [mid for mid, owner in rows if self._owner_gone(conn, owner)]
            conn.executemany(
                "UPDATE messages SET status = 'unknown', error_code = 'INTERRUPTED',"
                " error_text = ? WHERE id = ? AND status = 'sending'",
                [(INTERRUPTED_TEXT, mid) for mid in orphans],
            )
            return orphans

        orphans: list[int] = self._write(tx)  # type: ignore[assignment]
        return [m for m in (self.message(mid) for mid in orphans) if m is not None]  # type: ignore[attr-defined]
