"""The message store: one SQLite file holding conversations, messages, contacts and drafts."""

from __future__ import annotations

import json
import logging
import os
import sqlite3
import sys
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
from voipdesk.store.schema import migrate
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


def _pid_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    if sys.platform == "win32":
        return _pid_alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _pid_alive_windows(pid: int) -> bool:
    # Not os.kill(pid, 0): on Windows that is TerminateProcess, it would kill the other process.
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists, not ours
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


class Store:
    """SQLite-backed storage. One connection, guarded by a lock; give each thread its own Store
    for throughput. Every write is one transaction that is on disk when the method returns."""

    def __init__(self, path: str | Path, *, clock: Callable[[], float] = time.time) -> None:
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._clock = clock
        self._lock = threading.RLock()
        self._conn = sqlite3.connect(
            self.path, isolation_level=None, check_same_thread=False, timeout=30
        )
        self._conn.execute("PRAGMA journal_mode = WAL")
        self._conn.execute("PRAGMA synchronous = FULL")
        self._conn.execute("PRAGMA foreign_keys = ON")
        self._conn.execute("PRAGMA busy_timeout = 30000")
        migrate(self._conn)

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
            self._conn.execute("BEGIN IMMEDIATE")
            try:
                result = fn(self._conn)
            except BaseException:
                self._conn.execute("ROLLBACK")
                raise
            self._conn.execute("COMMIT")
            return result

    def _read(self, sql: str, args: Sequence = ()) -> list[tuple]:
        with self._lock:
            return self._conn.execute(sql, args).fetchall()

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

    def messages_after(self, conversation_id: int, after_id: int) -> list[Message]:
        """Messages of a thread newer than after_id, oldest first."""
        rows = self._read(
            f"SELECT {_MESSAGE_COLUMNS} FROM {_MESSAGE_FROM}"
            " WHERE m.conversation_id = ? AND m.id > ? ORDER BY m.id",
            (conversation_id, after_id),
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
        now = self._clock()

        def tx(conn: sqlite3.Connection) -> list[tuple[int | None, bool]]:
            out: list[tuple[int | None, bool]] = []
            for item in items:
                if isinstance(item, InboundMessage):
                    out.append(self._ingest(conn, item, now))
                else:
                    out.append(self._report(conn, item))
            return out

        ids = self._write(tx)
        return [(self.message(mid) if mid else None, changed) for mid, changed in ids]  # type: ignore[union-attr]

    def _ingest(
        self, conn: sqlite3.Connection, item: InboundMessage, now: float
    ) -> tuple[int, bool]:
        row = conn.execute(
            "SELECT id FROM messages WHERE direction = 'in' AND provider_id = ?", (item.mdr_id,)
        ).fetchone()
        if row:
            return row[0], False
        cid = self._conversation_id(conn, item.to_number, item.from_number)
        mid = self._insert(
            conn,
            cid,
            Direction.IN,
            item.body,
            item.type,
            Status.RECEIVED,
            now,
            provider_id=item.mdr_id,
            provider_ts=item.provider_ts,
            raw=item.raw,
            attachments=json.dumps(list(item.attachments)) if item.attachments else None,
        )
        return mid, True

    @staticmethod
    def _report(conn: sqlite3.Connection, item: StatusUpdate) -> tuple[int | None, bool]:
        row = conn.execute(
            "SELECT id, status FROM messages WHERE direction = 'out' AND provider_id = ?",
            (item.provider_id,),
        ).fetchone()
        if not row:
            return None, False
        status = Status(item.status) if item.status in Status._value2member_map_ else None
        if status not in _REPORTABLE or row[1] == status.value:  # type: ignore[union-attr]
            return row[0], False
        error = "VoIP Number could not deliver this message." if status is Status.FAILED else None
        conn.execute(
            "UPDATE messages SET status = ?, error_text = COALESCE(?, error_text),"
            " error_code = CASE WHEN ? IS NULL THEN error_code ELSE 'DELIVERY_FAILED' END"
            " WHERE id = ?",
            (status.value, error, error, row[0]),  # type: ignore[union-attr]
        )
        return row[0], True

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
        """Remove a message (the user discarded it); the conversation's last message follows."""

        def tx(conn: sqlite3.Connection) -> None:
            row = conn.execute(
                "SELECT conversation_id FROM messages WHERE id = ?", (message_id,)
            ).fetchone()
            if not row:
                return
            conn.execute("DELETE FROM messages WHERE id = ?", (message_id,))
            conn.execute(
                "UPDATE conversations SET last_message_id = (SELECT max(id) FROM messages"
                " WHERE conversation_id = ?1),"
                " last_ts = COALESCE((SELECT created_at FROM messages WHERE id = (SELECT max(id)"
                " FROM messages WHERE conversation_id = ?1)), last_ts) WHERE id = ?1",
                (row[0],),
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
