"""Store: inbound messages from webhooks, a batch per transaction, stored once by mdr_id even
when two servers of the shared store take the same redelivered webhook at once (both stores use
this mixin: store/shared.py)."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Sequence

from voipdesk.core.models import Direction, InboundMessage, Message, Status, StatusUpdate
from voipdesk.core.optout import opt_out_change
from voipdesk.store.messages import TOUCH_CONVERSATION, touch_args
from voipdesk.store.shared import SharedMixin
from voipdesk.store.text import item_without_nul


class _InboundBatch:
    """What one record_webhooks transaction knows: the mdr_ids already stored (one query for
    the batch), the conversations it used, and what each conversation received."""

    def __init__(self, conn: sqlite3.Connection, known: dict[str, Message | int]) -> None:
        self._conn = conn
        self.known = known
        self.conversations: dict[tuple[str, str], int] = {}
        self._received: dict[int, tuple[int, int]] = {}  # cid -> (newest id, count)
        self.added: list[tuple[int, int]] = []  # (cid, message id) stored by this batch
        # Blocked numbers' texts are stored, and count as read (store/flags.py).
        self.blocked = {r[0] for r in conn.execute("SELECT number FROM blocked_numbers")}

    def received(self, cid: int, mid: int, *, unread: bool = True) -> None:
        newest, count = self._received.get(cid, (0, 0))
        self._received[cid] = (max(newest, mid), count + unread)
        self.added.append((cid, mid))

    def touch_conversations(self, now: float) -> None:
        """One update per conversation: its newest message, time and unread count."""
        self._conn.executemany(
            TOUCH_CONVERSATION,
            [touch_args(cid, mid, now, count) for cid, (mid, count) in self._received.items()],
        )


class IngestMixin(SharedMixin):
    """Inbound messages, stored once by their mdr_id, a batch per transaction."""

    def add_inbound(self, item: InboundMessage) -> tuple[Message, bool]:
        """Store one inbound message; (message, False) when its mdr_id is already stored."""
        result = self.record_webhooks([item])[0]
        assert result[0] is not None
        return result  # type: ignore[return-value]

    def record_webhooks(
        self, items: Sequence[InboundMessage | StatusUpdate]
    ) -> list[tuple[Message | None, bool]]:
        """Apply what webhooks brought in ONE transaction; results align with `items`:
        (stored or affected message, whether anything changed)."""
        items = [item_without_nul(i) for i in items]  # as PostgreSQL must (store/text.py)

        # Only texts in: the batch logs its own changes (what it adds, the conversations it
        # touches), not a change-log entry and a NOTIFY per row at the commit (shared store).
        own_log = all(isinstance(i, InboundMessage) for i in items)

        def tx(conn: sqlite3.Connection) -> list[tuple[Message | int | None, bool]]:
            if own_log:
                self._log_own_changes(conn)  # type: ignore[attr-defined]
            mdr_ids = [i.mdr_id for i in items if isinstance(i, InboundMessage)]
            known: dict[str, Message | int] = {}
            for where, args in self._in_list("provider_id", mdr_ids):
                known.update(
                    conn.execute(
                        f"SELECT provider_id, id FROM messages WHERE direction = 'in' AND {where}",
                        args,
                    ).fetchall()
                )
            batch = _InboundBatch(conn, known)
            # The conversations that receive, each taken (its turn to write: _conversation_id)
            # in one order: two servers storing batches at once take turns, never each waiting
            # for the other.
            receiving = {
                (i.to_number, i.from_number)
                for i in items
                if isinstance(i, InboundMessage) and i.mdr_id not in known
            }
            for key in sorted(receiving):
                batch.conversations[key] = self._conversation_id(conn, *key)  # type: ignore[attr-defined]
            now = self._now(conn)  # (after its turn; the shared store's: the database's clock)
            # The texts' rows inserted together (_insert_many); status reports (about messages
            # sent, never these) each on its own, their results put back in the items' order.
            texts = [i for i in items if isinstance(i, InboundMessage)]
            stored = iter(self._ingest_all(conn, texts, now, batch))
            out: list[tuple[Message | int | None, bool]] = [
                next(stored) if isinstance(item, InboundMessage) else self._report(conn, item)  # type: ignore[attr-defined]
                for item in items
            ]
            batch.touch_conversations(now)
            if own_log:
                touched = list({cid for cid, _ in batch.added})  # (put in order there)
                self._record_own_changes(conn, batch.added, touched)  # type: ignore[attr-defined]
            return out

        results: list[tuple[Message | int | None, bool]] = self._write(tx)  # type: ignore[assignment]
        # New messages come back as stored, without a read per item (it halved the webhook
        # burst rate); the rest (duplicates, reported messages) are read back in one query.
        wanted = [r for r, _ in results if isinstance(r, int)]
        read = {m.id: m for m in self.messages_by_id(wanted)} if wanted else {}  # type: ignore[attr-defined]
        return [(read.get(r) if isinstance(r, int) else r, changed) for r, changed in results]

    def _ingest_all(
        self,
        conn: sqlite3.Connection,
        items: Sequence[InboundMessage],
        now: float,
        batch: _InboundBatch,
    ) -> list[tuple[Message | int, bool]]:
        """_ingest for every item of a batch of texts, their new rows inserted at once."""
        new: dict[str, tuple[InboundMessage, int, str | None]] = {}  # by mdr_id, in order
        for item in items:
            if item.mdr_id not in batch.known and item.mdr_id not in new:
                new[item.mdr_id] = (item, *self._place(conn, item, batch))
        rows = [self._row(item, cid, attachments, now) for item, cid, attachments in new.values()]
        ids = self._insert_many(conn, rows) if rows else []  # type: ignore[attr-defined]
        for (item, cid, attachments), mid in zip(new.values(), ids, strict=True):
            self._ingested(conn, item, cid, attachments, mid, now, batch)
        # Each new one stored as it came (True) the first time its mdr_id is in the batch.
        out: list[tuple[Message | int, bool]] = []
        for item in items:
            first = new.pop(item.mdr_id, None) is not None
            known = batch.known[item.mdr_id]
            out.append((known, first and isinstance(known, Message)))
        return out

    def _place(
        self, conn: sqlite3.Connection, item: InboundMessage, batch: _InboundBatch
    ) -> tuple[int, str | None]:
        """A new text's conversation id and its attachments' column."""
        key = (item.to_number, item.from_number)
        cid = batch.conversations.get(key)
        if cid is None:
            cid = batch.conversations[key] = self._conversation_id(conn, *key)  # type: ignore[attr-defined]
        return cid, json.dumps(list(item.attachments)) if item.attachments else None

    @staticmethod
    def _row(item: InboundMessage, cid: int, attachments: str | None, now: float) -> tuple:
        """A new text's row, as _insert_many takes it."""
        extra = {
            "provider_id": item.mdr_id,
            "provider_ts": item.provider_ts,
            "raw": item.raw,
            "attachments": attachments,
        }
        return (cid, Direction.IN, item.body, item.type, Status.RECEIVED, now, extra)

    def _ingested(
        self,
        conn: sqlite3.Connection,
        item: InboundMessage,
        cid: int,
        attachments: str | None,
        mid: int | None,
        now: float,
        batch: _InboundBatch,
    ) -> tuple[Message | int, bool]:
        """What a new text's INSERT gave (`mid`; None: already stored by another writer)."""
        if mid is None:  # another writer of the shared store stored it a moment ago
            row = conn.execute(
                "SELECT id FROM messages WHERE direction = 'in' AND provider_id = ?",
                (item.mdr_id,),
            ).fetchone()
            batch.known[item.mdr_id] = row[0]
            return row[0], False
        message = Message(
            id=mid,
            conversation_id=cid,
            direction=Direction.IN,
            own_number=item.to_number,
            peer_number=item.from_number,
            body=item.body,
            type=item.type,
            status=Status.RECEIVED,
            created_at=now,
            provider_id=item.mdr_id,
            provider_ts=item.provider_ts,
            raw=item.raw,
            attachments=tuple(json.loads(attachments)) if attachments else (),
        )
        batch.known[item.mdr_id] = message
        batch.received(cid, mid, unread=item.from_number not in batch.blocked)
        opted_out = opt_out_change(item.body)
        if opted_out is not None:  # STOP / START
            conn.execute(
                "UPDATE conversations SET opted_out = ? WHERE id = ?", (int(opted_out), cid)
            )
        return message, True
