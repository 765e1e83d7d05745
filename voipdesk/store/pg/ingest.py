"""Shared store: inbound messages from webhooks, a batch per transaction, stored once by mdr_id
even when two servers take the same redelivered webhook at once (the twin of store/ingest.py)."""

from __future__ import annotations

import json
from collections.abc import Sequence

from voipdesk.core.models import Direction, InboundMessage, Message, Status, StatusUpdate
from voipdesk.core.optout import opt_out_change
from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.pg.messages import touch
from voipdesk.store.text import item_without_nul


class PgIngestMixin(PgConnection):
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
        now = float(self._clock())
        items = [item_without_nul(i) for i in items]

        def tx(t: Tx) -> list[tuple[Message | int | None, bool]]:
            mdr_ids = [i.mdr_id for i in items if isinstance(i, InboundMessage)]
            known: dict[str, Message | int] = dict(
                t.execute(
                    "SELECT provider_id, id FROM messages"
                    " WHERE direction = 'in' AND provider_id = ANY(%s)",
                    (mdr_ids,),
                ).fetchall()
            )
            # Blocked numbers' texts are stored, and count as read (store/flags.py).
            blocked = {r[0] for r in t.execute("SELECT number FROM blocked_numbers")}
            conversations: dict[tuple[str, str], int] = {}
            received: dict[int, tuple[int, int]] = {}  # cid -> (newest id, count)
            out: list[tuple[Message | int | None, bool]] = []
            for item in items:
                if isinstance(item, StatusUpdate):
                    out.append(self._report(t, item))
                    continue
                if item.mdr_id in known:  # stored before, or earlier in this batch
                    out.append((known[item.mdr_id], False))
                    continue
                key = (item.to_number, item.from_number)
                cid = conversations.get(key)
                if cid is None:
                    cid = conversations[key] = self._conversation_id(t, *key)
                message = self._ingest(t, cid, item, now)
                if isinstance(message, int):  # another writer stored it a moment ago
                    known[item.mdr_id] = message
                    out.append((message, False))
                    continue
                known[item.mdr_id] = message
                newest, count = received.get(cid, (0, 0))
                received[cid] = (max(newest, message.id), count + (item.from_number not in blocked))
                opted_out = opt_out_change(item.body)
                if opted_out is not None:  # STOP / START
                    t.execute(
                        "UPDATE conversations SET opted_out = %s WHERE id = %s",
                        (int(opted_out), cid),
                    )
                out.append((message, True))
            for cid, (mid, count) in received.items():
                touch(t, cid, mid, now, count)
            return out

        results: list[tuple[Message | int | None, bool]] = self._write(tx)
        wanted = [r for r, _ in results if isinstance(r, int)]
        read = {m.id: m for m in self._messages_by_id(wanted)} if wanted else {}
        return [(read.get(r) if isinstance(r, int) else r, changed) for r, changed in results]

    def _ingest(self, t: Tx, cid: int, item: InboundMessage, now: float) -> Message | int:
        """Insert one inbound message: the Message, or the id of the same mdr_id that another
        writer committed between this batch's look-up and its insert."""
        attachments = json.dumps(list(item.attachments)) if item.attachments else None
        mid = self._insert(
            t,
            cid,
            Direction.IN,
            item.body,
            item.type,
            Status.RECEIVED,
            now,
            provider_id=item.mdr_id,
            provider_ts=item.provider_ts,
            raw=item.raw,
            attachments=attachments,
        )
        if mid is None:
            row = t.execute(
                "SELECT id FROM messages WHERE direction = 'in' AND provider_id = %s",
                (item.mdr_id,),
            ).fetchone()
            return row[0]
        return Message(
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
