"""The message store: one SQLite file holding conversations, messages, contacts and drafts."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path

from voipdesk.core.models import (
    Conversation,
    Direction,
    InboundMessage,
    Message,
    Status,
    StatusUpdate,
)
from voipdesk.store import damage
from voipdesk.store.opening import open_for_writing, open_read_only
from voipdesk.store.pids import pid_alive as _pid_alive
from voipdesk.store.search import fts_query

log = logging.getLogger("voipdesk.store")

_MESSAGE_COLUMNS = (
    "m.id, m.conversation_id, m.direction, c.own_number, c.peer_number, m.body, m.type, m.status,"
    " m.created_at, m.provider_id, m.provider_ts, m.error_code, m.error_text, m.raw,"
    " m.attachments, m.attempts, m.next_attempt_at"
)
_MESSAGE_FROM = "messages m JOIN conversations c ON c.id = m.conversation_id"
_CONVERSATION_SELECT = (
    "SELECT c.id, c.own_number, c.peer_number, c.last_message_id, COALESCE(m.body, ''),"
    " m.direction, c.last_ts, c.unread_count, k.name"
    " FROM conversations c"
    " LEFT JOIN messages m ON m.id = c.last_message_id"
    " LEFT JOIN contacts k ON k.number = c.peer_number"
)
# Repeating the partial index's condition lets SQLite use messages_outbox for one status (it
# cannot infer that `status = 'pending'` implies the IN list): a lookup instead of a full scan.
_IN_OUTBOX = "status IN ('sending', 'pending', 'unknown')"
# Report statuses from the provider that move an outgoing message on; others are ignored.
_REPORTABLE = {Status.DELIVERED, Status.FAILED}
# How long a report for an id we have not stored (yet) is kept: the send answer that stores the
# id comes within the client's timeout, so a day is generous; older ones were never ours.
_EARLY_REPORT_TTL = 24 * 3600.0


def database_path(data_dir: Path) -> Path:
    """Where the message database lives inside a data dir."""
    return Path(data_dir) / "voipdesk.sqlite3"


def _message(row: sqlite3.Row | tuple) -> Message:
    attachments = tuple(json.loads(row[14])) if row[14] else ()
    return Message(
        id=row[0],
        conversation_id=row[1],
        direction=Direction(row[2]),
        own_number=row[3],
        peer_number=row[4],
        body=row[5],
        type=row[6],
        status=Status(row[7]),
        created_at=row[8],
        provider_id=row[9],
        provider_ts=row[10],
        error_code=row[11],
        error_text=row[12],
        raw=row[13],
        attachments=attachments,
        attempts=row[15],
        next_attempt_at=row[16],
    )


def _conversation(row: tuple) -> Conversation:
    return Conversation(
        id=row[0],
        own_number=row[1],
        peer_number=row[2],
        last_message_id=row[3],
        last_body=row[4],
        last_direction=Direction(row[5]) if row[5] else None,
        last_timestamp=row[6],
        unread_count=row[7],
        display_name=row[8],
    )


_CHUNK = 500  # values per IN (...) list, well under SQLite's oldest limit of 999 variables


def _in_lists(values: Sequence) -> Iterator[tuple[Sequence, str]]:
    """`values` in chunks, each with its "?, ?, ..." for an IN (...) list."""
    for start in range(0, len(values), _CHUNK):
        chunk = values[start : start + _CHUNK]
        yield chunk, ", ".join("?" * len(chunk))


class _InboundBatch:
    """What one record_webhooks transaction knows: the mdr_ids already stored (one query for
    the batch), the conversations it used, and what each conversation received."""

    def __init__(self, conn: sqlite3.Connection, mdr_ids: list[str]) -> None:
        self._conn = conn
        self.known: dict[str, Message | int] = {}
        self.conversations: dict[tuple[str, str], int] = {}
        self._received: dict[int, tuple[int, int]] = {}  # cid -> (newest id, count)
        for chunk, marks in _in_lists(mdr_ids):
            self.known.update(
                conn.execute(
                    "SELECT provider_id, id FROM messages"
                    f" WHERE direction = 'in' AND provider_id IN ({marks})",
                    chunk,
                ).fetchall()
            )

    def received(self, cid: int, mid: int) -> None:
        _newest, count = self._received.get(cid, (0, 0))
        self._received[cid] = (mid, count + 1)

    def touch_conversations(self, now: float) -> None:
        """One update per conversation: its newest message, time and unread count."""
        self._conn.executemany(
            "UPDATE conversations SET last_message_id = ?, last_ts = ?,"
            " unread_count = unread_count + ? WHERE id = ?",
            [(mid, now, count, cid) for cid, (mid, count) in self._received.items()],
        )


class Store:
    """SQLite-backed storage. One connection, guarded by a lock; give each thread its own Store
    for throughput. Every write is one transaction that is on disk when the method returns."""

    def __init__(
        self,
        path: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        read_only: bool = False,
    ) -> None:
        """Open (or create) the database. Raises StoreDamaged or StoreReadOnly (store.errors)
        when it cannot be used. `read_only` opens an existing file without ever writing to it
        (for a folder that cannot be written); `missed_journal` then says whether its newest
        changes (the -wal journal) could not be read."""
        self.path = Path(path)
        self._clock = clock
        self._lock = threading.RLock()
        self.read_only = read_only
        self.missed_journal = False
        if read_only:
            self._conn, self.missed_journal = open_read_only(self.path)
        else:
            self._conn = open_for_writing(self.path)

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close the connection; further calls fail."""
        with self._lock:
            self._conn.close()

    def __enter__(self) -> Store:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, fn: Callable[[sqlite3.Connection], object]) -> object:
        with self._lock:
            damage.refuse_if_damaged(self.path)
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                try:
                    # Found damaged by another connection while this one waited for the lock.
                    damage.refuse_if_damaged(self.path)
                    result = fn(self._conn)
                    self._conn.execute("COMMIT")
                except BaseException:
                    with contextlib.suppress(sqlite3.Error):
                        self._conn.execute("ROLLBACK")
                    raise
            except sqlite3.Error as exc:
                error = damage.translate(self.path, exc, self._conn)
                if error is exc:
                    raise  # anything else (a full disk, a lock held too long): as it was
                raise error from exc
            return result

    def _read(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            try:
                return self._conn.execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                error = damage.translate(self.path, exc, self._conn)
                if error is exc:
                    raise
                raise error from exc

    def check(self) -> None:
        """Read every page of the file (seconds for a big one); raise StoreDamaged when any is
        damaged. interrupt() from another thread stops it."""
        with self._lock:
            damage.refuse_if_damaged(self.path)
            damage.check(self._conn, self.path)

    def interrupt(self) -> None:
        """Stop a long query (check()) running on another thread: it raises."""
        self._conn.interrupt()

    # -- conversations ----------------------------------------------------------------------
    @staticmethod
    def _conversation_id(conn: sqlite3.Connection, own: str, peer: str) -> int:
        row = conn.execute(
            "INSERT INTO conversations (own_number, peer_number) VALUES (?, ?)"
            " ON CONFLICT (own_number, peer_number) DO UPDATE SET own_number = own_number"
            " RETURNING id",
            (own, peer),
        ).fetchone()
        return row[0]

    def conversation_for(self, own: str, peer: str) -> Conversation:
        """The conversation between two numbers, created empty if new."""
        cid = self._write(lambda c: self._conversation_id(c, own, peer))
        conv = self.conversation(cid)  # type: ignore[arg-type]
        assert conv is not None
        return conv

    def conversation(self, conversation_id: int) -> Conversation | None:
        rows = self._read(_CONVERSATION_SELECT + " WHERE c.id = ?", (conversation_id,))
        return _conversation(rows[0]) if rows else None

    def conversations(self, limit: int = 200, offset: int = 0) -> list[Conversation]:
        """Conversations that have messages, most recent first."""
        rows = self._read(
            _CONVERSATION_SELECT + " WHERE c.last_message_id IS NOT NULL"
            " ORDER BY c.last_ts DESC, c.id DESC LIMIT ? OFFSET ?",
            (limit, offset),
        )
        return [_conversation(r) for r in rows]

    def own_numbers(self) -> list[str]:
        """The user's own numbers that have conversations with messages, sorted."""
        rows = self._read(
            "SELECT DISTINCT own_number FROM conversations WHERE last_message_id IS NOT NULL"
            " ORDER BY own_number"
        )
        return [r[0] for r in rows]

    def conversation_count(self) -> int:
        return self._read("SELECT count(*) FROM conversations WHERE last_message_id IS NOT NULL")[
            0
        ][0]

    def mark_read(self, conversation_id: int) -> None:
        self._write(
            lambda c: c.execute(
                "UPDATE conversations SET unread_count = 0 WHERE id = ? AND unread_count != 0",
                (conversation_id,),
            )
        )

    def unread_total(self) -> int:
        return self._read("SELECT COALESCE(sum(unread_count), 0) FROM conversations")[0][0]

    def set_draft(self, conversation_id: int, text: str) -> None:
        self._write(
            lambda c: c.execute(
                "UPDATE conversations SET draft = ? WHERE id = ?", (text, conversation_id)
            )
        )

    def draft(self, conversation_id: int) -> str:
        rows = self._read("SELECT draft FROM conversations WHERE id = ?", (conversation_id,))
        return rows[0][0] if rows else ""

    # -- messages: reading ------------------------------------------------------------------
    def message(self, message_id: int) -> Message | None:
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM} WHERE m.id = ?", (message_id,)
        )
        return _message(rows[0]) if rows else None

    def messages(
        self, conversation_id: int, *, before_id: int | None = None, limit: int = 50
    ) -> list[Message]:
        """One page of a thread, oldest first: the newest `limit` messages older than before_id."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM}"
            " WHERE m.conversation_id = ? AND m.id < ? ORDER BY m.id DESC LIMIT ?",
            (conversation_id, before_id if before_id is not None else 2**62, limit),
        )
        return [_message(r) for r in reversed(rows)]

    def messages_after(
        self, conversation_id: int, after_id: int, *, limit: int = -1
    ) -> list[Message]:
        """Messages of a thread newer than after_id, oldest first (the oldest `limit` of them,
        when a limit is given)."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM}"
            " WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id LIMIT ?",
            (conversation_id, after_id, limit),
        )
        return [_message(r) for r in rows]

    def search(self, text: str, *, limit: int = 50, before_id: int | None = None) -> list[Message]:
        """Messages whose body matches every word of `text` (prefixes), newest first."""
        query = fts_query(text)
        if not query:
            return []
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM messages_fts f"
            " JOIN messages m ON m.id = f.rowid JOIN conversations c ON c.id = m.conversation_id"
            " WHERE messages_fts MATCH ? AND f.rowid < ? ORDER BY f.rowid DESC LIMIT ?",
            (query, before_id if before_id is not None else 2**62, limit),
        )
        return [_message(r) for r in rows]

    def all_messages(self, batch: int = 1000) -> Iterator[Message]:
        """Every stored message in storage order, read in batches."""
        last = 0
        while True:
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM} WHERE m.id > ?"
                " ORDER BY m.id LIMIT ?",
                (last, batch),
            )
            if not rows:
                return
            for r in rows:
                yield _message(r)
            last = rows[-1][0]

    def message_count(self) -> int:
        return self._read("SELECT count(*) FROM messages")[0][0]

    # -- messages: writing ------------------------------------------------------------------
    @staticmethod
    def _insert(
        conn: sqlite3.Connection,
        conversation_id: int,
        direction: Direction,
        body: str,
        kind: str,
        status: Status,
        now: float,
        **extra: object,
    ) -> int:
        cols = ["conversation_id", "direction", "body", "type", "status", "created_at"]
        vals: list[object] = [conversation_id, direction.value, body, kind, status.value, now]
        for key, value in extra.items():
            cols.append(key)
            vals.append(value)
        marks = ", ".join("?" * len(vals))
        mid = conn.execute(
            f"INSERT INTO messages ({', '.join(cols)}) VALUES ({marks})", vals
        ).lastrowid
        conn.execute(
            "UPDATE conversations SET last_message_id = ?, last_ts = ?,"
            " unread_count = unread_count + ? WHERE id = ?",
            (mid, now, 1 if direction is Direction.IN else 0, conversation_id),
        )
        return mid  # type: ignore[return-value]

    def add_outgoing(self, own: str, peer: str, body: str, *, kind: str = "sms") -> Message:
        """Store a new outgoing message as SENDING, claimed by this process (attempt 1)."""
        now = self._clock()

        def tx(conn: sqlite3.Connection) -> int:
            cid = self._conversation_id(conn, own, peer)
            return self._insert(
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

        return self.message(self._write(tx))  # type: ignore[arg-type,return-value]

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

        def tx(conn: sqlite3.Connection) -> list[tuple[Message | int | None, bool]]:
            batch = _InboundBatch(conn, [i.mdr_id for i in items if isinstance(i, InboundMessage)])
            out: list[tuple[Message | int | None, bool]] = []
            for item in items:
                if isinstance(item, InboundMessage):
                    out.append(self._ingest(conn, item, now, batch))
                else:
                    out.append(self._report(conn, item))
            batch.touch_conversations(now)
            return out

        results: list[tuple[Message | int | None, bool]] = self._write(tx)  # type: ignore[assignment]
        # New messages come back as stored, without a read per item (it halved the webhook
        # burst rate); the rest (duplicates, reported messages) are read back in one query.
        wanted = [r for r, _ in results if isinstance(r, int)]
        read = {m.id: m for m in self._messages_by_id(wanted)} if wanted else {}
        return [(read.get(r) if isinstance(r, int) else r, changed) for r, changed in results]

    def _messages_by_id(self, ids: Sequence[int]) -> list[Message]:
        found: list[Message] = []
        for chunk, marks in _in_lists(ids):
            rows = self._read(
                f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM} WHERE m.id IN ({marks})", chunk
            )
            found += [_message(r) for r in rows]
        return found

    def _ingest(
        self, conn: sqlite3.Connection, item: InboundMessage, now: float, batch: _InboundBatch
    ) -> tuple[Message | int, bool]:
        known = batch.known.get(item.mdr_id)
        if known is not None:  # stored before, or earlier in this batch
            return known, False
        key = (item.to_number, item.from_number)
        cid = batch.conversations.get(key)
        if cid is None:
            cid = batch.conversations[key] = self._conversation_id(conn, *key)
        attachments = json.dumps(list(item.attachments)) if item.attachments else None
        mid = conn.execute(
            "INSERT INTO messages (conversation_id, direction, body, type, status, created_at,"
            " provider_id, provider_ts, raw, attachments) VALUES (?, 'in', ?, ?, ?, ?, ?, ?, ?, ?)",
            (
                cid,
                item.body,
                item.type,
                Status.RECEIVED.value,
                now,
                item.mdr_id,
                item.provider_ts,
                item.raw,
                attachments,
            ),
        ).lastrowid
        assert mid is not None
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
        batch.received(cid, mid)
        return message, True

    def _report(self, conn: sqlite3.Connection, item: StatusUpdate) -> tuple[int | None, bool]:
        status = Status(item.status) if item.status in Status._value2member_map_ else None
        row = conn.execute(
            "SELECT id, status FROM messages WHERE direction = 'out' AND provider_id = ?",
            (item.provider_id,),
        ).fetchone()
        if not row:
            if status in _REPORTABLE:
                self._keep_early_report(conn, item, status)  # type: ignore[arg-type]
            return None, False
        if status not in _REPORTABLE:
            return row[0], False
        return row[0], self._apply_report(conn, row[0], row[1], status)  # type: ignore[arg-type]

    @staticmethod
    def _apply_report(conn: sqlite3.Connection, mid: int, current: str, status: Status) -> bool:
        """Move outgoing message `mid` (now in status `current`) to a reported status."""
        if current == status.value:
            return False
        error = "VoIP Number could not deliver this message." if status is Status.FAILED else None
        conn.execute(
            "UPDATE messages SET status = ?, error_text = COALESCE(?, error_text),"
            " error_code = CASE WHEN ? IS NULL THEN error_code ELSE 'DELIVERY_FAILED' END"
            " WHERE id = ?",
            (status.value, error, error, mid),
        )
        return True

    def _keep_early_report(
        self, conn: sqlite3.Connection, item: StatusUpdate, status: Status
    ) -> None:
        """A report naming no message we know yet: the send answer with this id may still be on
        its way (the provider can report before it answers, or the sending process writes later).
        Keep it until update_outgoing stores the id; the latest report for an id wins, as it does
        for a known message. Reports for ids never stored here are dropped after a day."""
        if conn.execute(
            "SELECT 1 FROM messages WHERE direction = 'in' AND provider_id = ?",
            (item.provider_id,),
        ).fetchone():
            return  # names an inbound message: nothing of ours to update
        now = self._clock()
        conn.execute("DELETE FROM pending_status WHERE received_at < ?", (now - _EARLY_REPORT_TTL,))
        conn.execute(
            "INSERT INTO pending_status (provider_id, status, raw, received_at) VALUES (?, ?, ?, ?)"
            " ON CONFLICT (provider_id) DO UPDATE SET status = excluded.status,"
            " raw = excluded.raw, received_at = excluded.received_at",
            (item.provider_id, status.value, item.raw, now),
        )

    def _apply_early_report(self, conn: sqlite3.Connection, mid: int, provider_id: str) -> None:
        """The provider's id of outgoing message `mid` was just stored: apply a report for it
        that came first. Only to a message the provider accepted (queued or delivered)."""
        row = conn.execute(
            "SELECT p.status, m.status FROM pending_status p, messages m"
            " WHERE p.provider_id = ? AND m.id = ? AND m.direction = 'out'"
            " AND m.status IN ('queued', 'delivered')",
            (provider_id, mid),
        ).fetchone()
        if row is None:
            return
        conn.execute("DELETE FROM pending_status WHERE provider_id = ?", (provider_id,))
        self._apply_report(conn, mid, row[1], Status(row[0]))

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
                f" next_attempt_at = NULL WHERE id = ? AND status IN ({marks})",
                (os.getpid(), message_id, *[s.value for s in from_status]),
            ).rowcount

        return self.message(message_id) if self._write(tx) else None

    def due_pending(self, now: float) -> list[Message]:
        """PENDING messages whose retry time has come, oldest first."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM} WHERE m.{_IN_OUTBOX}"
            " AND m.status = 'pending' AND COALESCE(m.next_attempt_at, 0) <= ? ORDER BY m.id",
            (now,),
        )
        return [_message(r) for r in rows]

    def next_retry_at(self) -> float | None:
        rows = self._read(
            "SELECT min(COALESCE(next_attempt_at, 0)) FROM messages"
            f" WHERE {_IN_OUTBOX} AND status = 'pending'"
        )
        return rows[0][0]

    def outbox(self) -> list[Message]:
        """Outgoing messages not yet accepted: sending, pending, unknown."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM}"
            " WHERE m.status IN ('sending', 'pending', 'unknown') ORDER BY m.id"
        )
        return [_message(r) for r in rows]

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
                f"SELECT id, owner_pid FROM messages WHERE {_IN_OUTBOX} AND status = 'sending'"
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

    def delete_message(self, message_id: int) -> None:
        """Remove a message (the user discarded it); the conversation's last message (its
        preview and time) follows, and its unread count drops when the message was unread."""

        def tx(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT m.conversation_id, m.direction, c.unread_count FROM messages m"
                " JOIN conversations c ON c.id = m.conversation_id WHERE m.id = ?",
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
                    " AND id >= ? AND direction = 'in' LIMIT ?)",
                    (cid, message_id, unread + 1),
                ).fetchone()[0]
                was_unread = 1 if newer <= unread else 0
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            conn.execute(
                "UPDATE conversations SET last_message_id = (SELECT max(id) FROM messages"
                " WHERE conversation_id = ?1),"
                " last_ts = COALESCE((SELECT created_at FROM messages WHERE id = (SELECT max(id)"
                " FROM messages WHERE conversation_id = ?1)), last_ts),"
                " unread_count = max(unread_count - ?2, 0) WHERE id = ?1",
                (cid, was_unread),
            )

        self._write(tx)

    # -- contacts -----------------------------------------------------------------------------
    def set_contact(self, number: str, name: str | None) -> None:
        """Name a number; an empty name removes it."""
        if name and name.strip():
            self._write(
                lambda c: c.execute(
                    "INSERT INTO contacts (number, name) VALUES (?, ?)"
                    " ON CONFLICT (number) DO UPDATE SET name = excluded.name",
                    (number, name.strip()),
                )
            )
        else:
            self._write(lambda c: c.execute("DELETE FROM contacts WHERE number = ?", (number,)))

    def set_contacts(self, names: dict[str, str]) -> int:
        """Import many names at once; returns how many were written."""
        rows = [(n, v.strip()) for n, v in names.items() if v and v.strip()]
        self._write(
            lambda c: c.executemany(
                "INSERT INTO contacts (number, name) VALUES (?, ?)"
                " ON CONFLICT (number) DO UPDATE SET name = excluded.name",
                rows,
            )
        )
        return len(rows)

    def contacts(self) -> dict[str, str]:
        return dict(self._read("SELECT number, name FROM contacts ORDER BY name"))

    def contact_name(self, number: str) -> str | None:
        rows = self._read("SELECT name FROM contacts WHERE number = ?", (number,))
        return rows[0][0] if rows else None
