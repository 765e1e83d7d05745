"""Shared store: one order for every change (issue #11, item 2).

Each committed change (a message in or out, a status, a read mark or new last message of a
conversation, a contact) gets a change number at commit, from one counter, under a
transaction-level advisory lock (the deferred triggers of store/pg/schema.py): numbers are
gap-free and in commit order, so a transaction's changes are visible before any later number
is handed out. NOTIFY carries only the number. A reader LISTENs first (ChangeListener), then
reads every change after the last number it has seen (changes_after): after any reconnect it
has no gap and no duplicate."""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Self

import psycopg

from voipdesk.store.pg.connection import PgConnection, Tx
from voipdesk.store.pg.deadline import within
from voipdesk.store.pg.schema import CHANGE_LOCK, CHANNEL
from voipdesk.store.pg.unavailable import unavailable

PRUNE_AFTER_S = 30 * 24 * 3600.0  # how long the change log remembers a change
# How long the LISTEN connection's heartbeat query may go unanswered before the connection is
# taken for gone: a route that still takes the bytes (a proxy, a NAT, a server that hangs)
# acknowledges them, so TCP's own timeouts never fire there.
ANSWER_WITHIN_S = 20.0
STOP_WITHIN_S = 0.25  # a wait told to stop returns within this


@dataclass(frozen=True, slots=True)
class Change:
    """One committed change: its number, and what changed ('message': a message added, changed
    or deleted; 'conversation': its read mark or last message; 'contact': a name)."""

    number: int
    kind: str
    conversation_id: int | None = None
    message_id: int | None = None
    contact_number: str | None = None


def log_changes_here(t: Tx) -> None:
    """This transaction logs its own changes (record_changes, right before it commits): the
    per-row trigger leaves them alone. For a bulk write (`voipdesk migrate`'s copy): one
    counter update, one insert and one NOTIFY a batch instead of each of them per row."""
    t.execute("SELECT set_config('voipdesk.changes_logged', 'on', true)")


def record_changes(t: Tx, messages: list[tuple[int, int]], conversations: list[int]) -> None:
    """Log, as the trigger would have, messages added ((conversation id, message id), in
    order) and conversations whose last message moved, numbered after every change already
    committed; NOTIFY the newest number. The last statement before the commit: the change
    lock is held from here until the commit ends, as the trigger holds it."""
    count = len(messages) + len(conversations)
    if not count:
        return
    t.execute("SELECT pg_advisory_xact_lock(%s)", (CHANGE_LOCK,))
    last = t.execute(
        "UPDATE change_counter SET last = last + %s RETURNING last", (count,)
    ).fetchone()[0]  # type: ignore[index]
    kinds = ["message"] * len(messages) + ["conversation"] * len(conversations)
    cids = [cid for cid, _ in messages] + list(conversations)
    mids = [mid for _, mid in messages] + [None] * len(conversations)
    t.execute(
        "INSERT INTO changes (number, kind, conversation_id, message_id)"
        " SELECT %s + u.ord, u.kind, u.cid, u.mid"
        " FROM unnest(%s::text[], %s::bigint[], %s::bigint[])"
        " WITH ORDINALITY AS u(kind, cid, mid, ord)",
        (last - count, kinds, cids, mids),
    )
    t.execute("SELECT pg_notify(%s, %s)", (CHANNEL, str(last)))


class PgChangesMixin(PgConnection):
    """The change log: read what changed after a number; listen for new numbers."""

    def _log_own_changes(self, conn: Tx) -> None:  # type: ignore[override]
        """(store/connection.py) A webhook batch logs its changes itself: one counter update,
        one insert and one NOTIFY for the batch instead of the per-row trigger's each per row
        (all at its commit, under the change lock)."""
        log_changes_here(conn)

    def _record_own_changes(  # type: ignore[override]
        self, conn: Tx, messages: list[tuple[int, int]], conversations: list[int]
    ) -> None:
        record_changes(conn, sorted(messages, key=lambda m: m[1]), sorted(conversations))

    def changes_after(self, number: int, *, limit: int = 1000) -> list[Change]:
        """The changes numbered after `number`, oldest first (at most `limit`)."""
        rows = self._read(
            "SELECT number, kind, conversation_id, message_id, contact_number FROM changes"
            " WHERE number > %s ORDER BY number LIMIT %s",
            (number, limit),
        )
        return [Change(*r) for r in rows]

    def oldest_change(self) -> int:
        """The oldest change number still in the log (last_change() + 1 when it is empty): a
        desk whose last number is older than this one before it missed changes that were
        pruned, and reads everything again instead."""
        rows = self._read("SELECT min(number) FROM changes")
        return rows[0][0] if rows[0][0] is not None else self.last_change() + 1

    def prune_changes(self, older_than_s: float = PRUNE_AFTER_S) -> int:
        """Forget changes older than `older_than_s` seconds by the database's clock (the
        newest change always stays, so numbering goes on); return how many went. `voipdesk
        serve` calls it once a day: a desk away longer than that reloads what it shows."""

        def tx(t) -> int:
            return t.execute(
                "DELETE FROM changes WHERE at < clock_timestamp() - make_interval(secs => %s)"
                " AND number < (SELECT last FROM change_counter)",
                (older_than_s,),
            ).rowcount

        return self._write(tx)

    def last_change(self) -> int:
        """The newest change number (0 before any change)."""
        return self._read("SELECT last FROM change_counter")[0][0]

    def listen(self, *, answer_within: float = ANSWER_WITHIN_S) -> ChangeListener:
        """A connection of its own that LISTENs for change numbers (close it when done)."""
        return ChangeListener(self.url, self.path, answer_within=answer_within)


class ChangeListener:
    """LISTEN on the change channel, on a connection of its own with TCP keepalives; wait()
    also sends a heartbeat query when nothing came, so a connection a router dropped silently
    (no FIN) raises StoreUnavailable instead of waiting forever: within about 25 s of silence
    (keepalives), or `answer_within` seconds after a heartbeat went unanswered (its bytes
    unacknowledged: tcp_user_timeout; acknowledged by something on the way that no longer
    forwards them: the heartbeat's own deadline). After it raises, open a new one and read
    changes_after(last number seen): nothing is missed."""

    def __init__(self, url: str, where: str, *, answer_within: float = ANSWER_WITHIN_S) -> None:
        self._where = where
        self._answer_within = answer_within
        try:
            self._conn = psycopg.connect(
                url,
                autocommit=True,
                connect_timeout=10,
                keepalives=1,
                keepalives_idle=10,
                keepalives_interval=5,
                keepalives_count=3,
                # The heartbeat's bytes unacknowledged this long (ms): the connection is gone.
                tcp_user_timeout=int(answer_within * 1000),
            )
            self._conn.execute(f"LISTEN {CHANNEL}")
        except psycopg.Error as exc:
            raise unavailable(where, exc) from exc

    def wait(self, timeout: float, stop: threading.Event | None = None) -> int | None:
        """The highest change number notified within `timeout` seconds (returning as soon as
        one comes, with any others already there), or None when none came. With `stop`, it
        also returns None within STOP_WITHIN_S of stop being set (no heartbeat then): the
        desk is quitting, and its process would otherwise wait for this wait to end."""
        deadline = time.monotonic() + timeout
        try:
            newest = None
            while newest is None and not (stop is not None and stop.is_set()):
                left = deadline - time.monotonic()
                if left <= 0:
                    break
                for note in self._conn.notifies(
                    timeout=left if stop is None else min(left, STOP_WITHIN_S), stop_after=1
                ):
                    newest = _number(note.payload)
            if newest is not None:  # and those that came with it
                for note in self._conn.notifies(timeout=0.01):
                    newest = max(newest, _number(note.payload))
                return newest
            if time.monotonic() >= deadline and not (stop is not None and stop.is_set()):
                self._heartbeat()
            return None
        except psycopg.Error as exc:
            raise unavailable(self._where, exc) from exc

    def _heartbeat(self) -> None:
        """SELECT 1, answered within `answer_within` seconds, or the connection is cut (the
        wait for the answer ends with psycopg's OperationalError)."""
        within(self._conn, self._answer_within, lambda: self._conn.execute("SELECT 1"))

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def _number(payload: str) -> int:
    """A notification's change number; 0 (read the log anyway) for one that carries none."""
    return int(payload) if payload.isdigit() else 0
