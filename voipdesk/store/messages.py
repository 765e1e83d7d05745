"""Store: reading messages (one, a page, all) and the rows they are written as (both stores use
this mixin: store/shared.py)."""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Iterator, Sequence

from voipdesk.core.models import Direction, Message, Status
from voipdesk.store.rows import MESSAGE_COLUMNS, MESSAGE_FROM, message_from_row
from voipdesk.store.shared import SharedMixin

# A conversation's newest message, its time, and how many more are unread:
# (message id, time, time, message id, message id, unread added, conversation id). Its last
# message only moves forward: a writer that committed a newer one first (the shared store) is
# not undone; and so does its time (the list's order): a clock that went back (a desk's clock
# behind the others', a clock set back) never moves it back.
TOUCH_CONVERSATION = (
    "UPDATE conversations SET"
    " last_ts = CASE WHEN ? > COALESCE(last_message_id, 0) AND ? > last_ts THEN ?"
    " ELSE last_ts END,"
    " last_message_id = CASE WHEN ? > COALESCE(last_message_id, 0) THEN ?"
    " ELSE last_message_id END,"
    " unread_count = unread_count + ? WHERE id = ?"
)

_NEWEST = 2**62  # above every message id


def new_uid() -> str:
    """A message's stable id (messages.uid, kept by its copies: `voipdesk migrate`): 32 hex
    digits, the time in milliseconds then 80 random bits, as a UUIDv7 orders them. Each new one
    then goes at the end of the uid index, not onto a random page of it (a random id costs a
    stored message ~15 % more at a million messages, and a page read when that page is not
    cached)."""
    return f"{time.time_ns() // 1_000_000:012x}{os.urandom(10).hex()}"


def touch_args(cid: int, mid: int, now: float, unread: int) -> tuple:
    """TOUCH_CONVERSATION's parameters."""
    return (mid, now, now, mid, mid, unread, cid)


class MessagesMixin(SharedMixin):
    """Reading messages a page at a time; inserting and deleting message rows."""

    def message(self, message_id: int) -> Message | None:
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id = ?", (message_id,)
        )
        return message_from_row(rows[0]) if rows else None

    def messages(
        self, conversation_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Message]:
        """One page of a thread, oldest first: the newest `limit` messages older than before_id."""
        rows = self._read(
            f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM}"
            " WHERE m.conversation_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
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
            " WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
            (conversation_id, after_id, limit if limit >= 0 else _NEWEST),
        )
        return [message_from_row(r) for r in rows]

    def all_messages(self, batch: int = 1000) -> Iterator[Message]:
        """Every stored message in storage order, read in batches."""
        last = 0
        while True:
            rows = self._read(
                f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE m.id > ?"
                " ORDER BY m.id LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for r in rows:
                yield message_from_row(r)
            last = rows[-1][0]

    def message_count(self) -> int:
        return self._read("SELECT count(*) FROM messages")[0][0]

    def messages_by_id(self, ids: Sequence[int]) -> list[Message]:
        """The messages with these ids that exist (in no particular order): one query per
        chunk of ids, not one per message."""
        found: list[Message] = []
        for where, args in self._in_list("m.id", ids):
            rows = self._read(f"SELECT {MESSAGE_COLUMNS} FROM {MESSAGE_FROM} WHERE {where}", args)
            found += [message_from_row(r) for r in rows]
        return found

    def _insert(
        self,
        conn: sqlite3.Connection,
        conversation_id: int,
        direction: Direction,
        body: str,
        kind: str,
        status: Status,
        now: float,
        **extra: object,
    ) -> int | None:
        """INSERT one message row (the only place that does, with _insert_many, for both
        directions); its id, or None for an inbound message whose mdr_id another writer stored
        (the shared store). Making it its conversation's newest (TOUCH_CONVERSATION) is the
        caller's: an inbound batch does that once per conversation."""
        row = (conversation_id, direction, body, kind, status, now, extra)
        return self._insert_many(conn, [row])[0]

    def _insert_many(self, conn: sqlite3.Connection, rows: Sequence[tuple]) -> list[int | None]:
        """_insert for each of `rows` ((conversation id, direction, body, kind, status, now,
        extra columns), all with the same extra columns and direction), their ids in order:
        on the shared store in one round trip (a webhook batch), not one each."""
        first = rows[0]
        given = list(first[6])  # the extra columns each row brings
        add_uid = "uid" not in given  # (else the row brings its own: a copy keeps it)
        keys = [*given, "uid"] if add_uid else given
        cols = ["conversation_id", "direction", "body", "type", "status", "created_at", *keys]
        search_col, search_mark, _ = self._search_column("")
        conflict = ""
        if first[1] is Direction.IN:
            conflict = " ON CONFLICT (provider_id) WHERE direction = 'in' DO NOTHING"
        sql = (
            f"INSERT INTO messages ({', '.join(cols)}{search_col})"
            f" VALUES ({', '.join('?' * len(cols))}{search_mark}){conflict}"
        )
        search = self._search_column
        args = []
        for cid, direction, body, kind, status, now, extra in rows:
            assert direction is first[1] and len(extra) == len(given), "one kind of row"
            row = [cid, direction.value, body, kind, status.value, now]
            row += [extra[k] for k in given]  # (a KeyError: not one kind of row)
            if add_uid:
                row.append(new_uid())
            row += search(body)[2]
            args.append(row)
        return self._insert_each(conn, sql, args)

    @staticmethod
    def _touch(conn: sqlite3.Connection, cid: int, mid: int, now: float, unread: int) -> None:
        """Make message `mid` its conversation's newest (TOUCH_CONVERSATION)."""
        conn.execute(TOUCH_CONVERSATION, touch_args(cid, mid, now, unread))

    def delete_message(self, message_id: int) -> None:
        """Remove a message (the user discarded it); the conversation's last message (its
        preview and time) follows, and its unread count drops when the message was unread."""

        def tx(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT m.conversation_id, m.direction, c.unread_count FROM messages m"
                " JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?"
                + self._lock_rows(of="c"),
                (message_id,),
            ).fetchone()
            if not row:
                return
            cid, direction, unread = row
            was_unread = 0
            if direction == Direction.IN.value and unread > 0:
                # Each inbound message adds one to unread_count and mark_read zeroes it, so the
                # unread ones are the thread's newest `unread` inbound messages (ids only grow).
                # Counting this one and the inbound ones after it, up to unread + 1 of them:
                newer = conn.execute(
                    "SELECT count(*) FROM (SELECT 1 FROM messages WHERE conversation_id = ?"
                    " AND id >= ? AND direction = 'in' LIMIT ?) AS newer",
                    (cid, message_id, unread + 1),
                ).fetchone()[0]
                was_unread = 1 if newer <= unread else 0
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            conn.execute(
                "UPDATE conversations SET last_message_id = (SELECT max(id) FROM messages"
                " WHERE conversation_id = ?),"
                " last_ts = COALESCE((SELECT created_at FROM messages WHERE id = (SELECT max(id)"
                " FROM messages WHERE conversation_id = ?)), last_ts),"
                " unread_count = CASE WHEN unread_count > ? THEN unread_count - ? ELSE 0 END"
                " WHERE id = ?",
                (cid, cid, was_unread, was_unread, cid),
            )

        self._write(tx)
