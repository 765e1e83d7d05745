"""Shared store: reading messages (one, a page, all), inserting and deleting message rows.
The PostgreSQL twin of store/messages.py; rows become Messages through store/rows.py, the same
as in SQLite."""

from __future__ import annotations

import uuid
from collections.abc import Iterator, Sequence

from voipdesk.core.models import Direction, Message, Status
from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.pg.search import body_tokens
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row

# A conversation's newest message, its time, and how many more are unread. Its last message
# only moves forward: a writer that committed a newer one first is not undone.
TOUCH_CONVERSATION = (
    "UPDATE conversations SET"
    " last_ts = CASE WHEN %(mid)s > COALESCE(last_message_id, 0) THEN %(now)s ELSE last_ts END,"
    " last_message_id = GREATEST(COALESCE(last_message_id, 0), %(mid)s),"
    " unread_count = unread_count + %(count)s WHERE id = %(cid)s"
)


def touch(t: Tx, cid: int, mid: int, now: float, unread: int) -> None:
    t.execute(TOUCH_CONVERSATION, {"mid": mid, "now": now, "count": unread, "cid": cid})


_NEWEST = 2**62


class PgMessagesMixin(PgConnection):
    """Reading messages a page at a time; inserting and deleting message rows."""

    def message(self, message_id: int) -> Message | None:
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = %s", (message_id,)
        )
        return message_from_row(rows[0]) if rows else None

    def messages(
        self, conversation_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Message]:
        """One page of a thread, oldest first: the newest `limit` messages older than before_id."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
            " WHERE m.conversation_id = %s AND m.id < %s ORDER BY m.id DESC LIMIT %s",
            (conversation_id, before_id if before_id is not None else _NEWEST, limit),
        )
        return [message_from_row(r) for r in reversed(rows)]

    def messages_after(
        self, conversation_id: int, after_id: int, *, limit: int = -1
    ) -> list[Message]:
        """Messages of a thread newer than after_id, oldest first (the oldest `limit` of them,
        when a limit is given)."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
            " WHERE m.conversation_id = %s AND m.id > %s ORDER BY m.id LIMIT %s",
            (conversation_id, after_id, limit if limit >= 0 else None),
        )
        return [message_from_row(r) for r in rows]

    def all_messages(self, batch: int = 1000) -> Iterator[Message]:
        """Every stored message in storage order, read in batches."""
        last = 0
        while True:
            rows = self._read(
                f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id > %s"
                " ORDER BY m.id LIMIT %s",
                (last, batch),
            )
            if not rows:
                return
            for r in rows:
                yield message_from_row(r)
            last = rows[-1][0]

    def message_count(self) -> int:
        return self._read("SELECT count(*) FROM messages")[0][0]

    def _messages_by_id(self, ids: Sequence[int]) -> list[Message]:
        if not ids:
            return []
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ANY(%s)", (list(ids),)
        )
        return [message_from_row(r) for r in rows]

    @staticmethod
    def _insert(
        tx: Tx,
        conversation_id: int,
        direction: Direction,
        body: str,
        kind: str,
        status: Status,
        now: float,
        **extra: object,
    ) -> int:
        """INSERT one message row (the only place that does, for both directions); its id, or
        None for an inbound message whose mdr_id is already stored (another writer's). Making
        it its conversation's newest (TOUCH_CONVERSATION) is the caller's."""
        cols = ["conversation_id", "direction", "body", "type", "status", "created_at"]
        vals: list[object] = [conversation_id, direction.value, body, kind, status.value, now]
        extra.setdefault("uid", uuid.uuid4().hex)  # a stable id, kept by copies (migrate)
        for key, value in extra.items():
            cols.append(key)
            vals.append(value)
        marks = ", ".join(["%s"] * len(vals))
        conflict = ""
        if direction is Direction.IN:
            conflict = " ON CONFLICT (provider_id) WHERE direction = 'in' DO NOTHING"
        row = tx.execute(
            f"INSERT INTO messages ({', '.join(cols)}, search)"
            f" VALUES ({marks}, array_to_tsvector(%s::text[])){conflict} RETURNING id",
            (*vals, body_tokens(body)),
        ).fetchone()
        return row[0] if row else None  # type: ignore[return-value]

    @staticmethod
    def _touch(t: Tx, cid: int, mid: int, now: float, unread: int) -> None:
        """touch(), for the mixins both stores share (store/shared.py)."""
        touch(t, cid, mid, now, unread)

    def delete_message(self, message_id: int) -> None:
        """Remove a message (the user discarded it); the conversation's last message (its
        preview and time) follows, and its unread count drops when the message was unread."""

        def tx(t: Tx) -> None:
            row = t.execute(
                "SELECT m.conversation_id, m.direction, c.unread_count FROM messages m"
                " JOIN conversations c ON c.id = m.conversation_id WHERE m.id = %s"
                " FOR UPDATE OF c",
                (message_id,),
            ).fetchone()
            if not row:
                return
            cid, direction, unread = row
            was_unread = 0
            if direction == Direction.IN.value and unread > 0:
                # The unread ones are the thread's newest `unread` inbound messages (as in
                # store/messages.py): count this one and the inbound ones after it.
                newer = t.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM messages WHERE conversation_id = %s"
                    " AND id >= %s AND direction = 'in' LIMIT %s) AS newer",
                    (cid, message_id, unread + 1),
                ).fetchone()[0]
                was_unread = 1 if newer <= unread else 0
            t.execute("DELETE FROM messages WHERE id = %s", (message_id,))
            t.execute(
                "UPDATE conversations SET last_message_id = (SELECT max(id) FROM messages"
                " WHERE conversation_id = %(cid)s),"
                " last_ts = COALESCE((SELECT created_at FROM messages WHERE id = (SELECT max(id)"
                " FROM messages WHERE conversation_id = %(cid)s)), last_ts),"
                " unread_count = GREATEST(unread_count - %(was)s, 0) WHERE id = %(cid)s",
                {"cid": cid, "was": was_unread},
            )

        self._write(tx)
