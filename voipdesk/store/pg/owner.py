"""Who owns a send attempt on the shared store (issue #11, item 4): not a process id, which
means nothing on another machine, but a token. Each PgStore takes a random 63-bit token and
holds a session-level advisory lock on it, on one connection of its own kept open for that
(never a pool connection). claim / add_outgoing / take_scheduled write the token into the row
and commit `sending` before the request leaves (outbox.py); claim picks its row with FOR
UPDATE SKIP LOCKED, a lock that ends with its short transaction, never one held across the
HTTP call. recover_interrupted marks `unknown` only rows whose token's lock is free: the
process that held it is gone (closed, killed, its machine or connection lost).

When the lock connection drops, the lock is gone with it: before anything is claimed the
connection is checked (one round trip) and, when it dropped, the lock taken again on a new
connection: the same token when it is free (the server ended the old session: its in-flight
rows stay ours), else a new one (the server still holds the old session: its rows become
recoverable once the server lets it go). Until the lock is held again every claim raises
StoreUnavailable and nothing is claimed."""

from __future__ import annotations

import contextlib
import logging
import secrets
import threading

import psycopg

from voipdesk.store.pg.deadline import CHECK_WITHIN_S, KEEPALIVES, within
from voipdesk.store.pg.schema import CHANGE_LOCK, MIGRATE_LOCK
from voipdesk.store.pg.unavailable import unavailable

log = logging.getLogger("voipdesk.store")

_RESERVED = {0, MIGRATE_LOCK, CHANGE_LOCK}  # the store's other advisory locks
_TRIES = 5  # random tokens tried before giving up (a collision is a 1 in 2**63 chance)

# A row's owner is gone when its token's lock is free: take it, and give it back at once.
OWNER_GONE = "SELECT CASE WHEN pg_try_advisory_lock(?) THEN pg_advisory_unlock(?) ELSE false END"


def new_token() -> int:
    while (token := secrets.randbits(63)) in _RESERVED:
        pass
    return token


class OwnerLock:
    """A session-level advisory lock on this store's token, on a connection of its own."""

    def __init__(self, url: str, where: str) -> None:
        self._url = url
        self._where = where
        self._mutex = threading.Lock()
        self._conn: psycopg.Connection | None = None
        self.token = 0
        self._take(new_token())

    def held(self) -> int:
        """The token, its lock checked held (taken again when its connection dropped); raises
        StoreUnavailable when it cannot be."""
        with self._mutex:
            if self._conn is not None:
                conn = self._conn
                try:
                    within(conn, CHECK_WITHIN_S, lambda: conn.execute("SELECT 1"))
                    return self.token
                except psycopg.Error:
                    log.warning(
                        "the shared store's send-owner connection dropped; nothing is claimed"
                        " until its lock is taken again"
                    )
                    self._drop()
            self._take(self.token)
            return self.token

    def close(self) -> None:
        """End the session: the lock goes with it (this store's sending rows become
        recoverable by any voipdesk)."""
        with self._mutex:
            if self._conn is not None:
                # Given back before the session ends, so that it is free when close() returns
                # (the server ends a closed session a moment later).
                conn, token = self._conn, self.token
                with contextlib.suppress(psycopg.Error):
                    unlock = "SELECT pg_advisory_unlock(%s)"
                    within(conn, CHECK_WITHIN_S, lambda: conn.execute(unlock, (token,)))
            self._drop()

    def _take(self, preferred: int) -> None:
        try:
            conn = psycopg.connect(
                self._url,
                autocommit=True,
                connect_timeout=10,
                application_name="voipdesk send owner",
                # A connection dropped without a FIN is found by the server within ~25 s (its
                # session, and so the lock, then ends), and by the check here within 20 s.
                **KEEPALIVES,
            )
        except psycopg.Error as exc:
            raise unavailable(self._where, exc) from exc
        try:
            candidates = [preferred] + [new_token() for _ in range(_TRIES)]
            for token in candidates:
                row = conn.execute("SELECT pg_try_advisory_lock(%s)", (token,)).fetchone()
                if row and row[0]:
                    self._conn, self.token = conn, token
                    return
        except psycopg.Error as exc:
            conn.close()
            raise unavailable(self._where, exc) from exc
        conn.close()
        raise AssertionError("no free advisory lock token")  # pragma: no cover

    def _drop(self) -> None:
        if self._conn is not None:
            with contextlib.suppress(psycopg.Error):
                self._conn.close()
            self._conn = None


class TokenOwner:
    """The PostgreSQL store's hooks for who owns a send attempt (store/shared.py)."""

    _OWNER_COLUMN = "owner_token"
    _owner: OwnerLock | None = None  # None: a read-only store, which claims nothing

    def _attempt_owner(self) -> dict[str, object]:
        """The columns that say this store owns a send attempt it claims (its lock checked).
        A store without an owner lock claims nothing: a row claimed without a token would look
        abandoned to every other voipdesk, and be marked unknown while it is sent."""
        if self._owner is None:
            raise RuntimeError("this shared store was opened without a send owner (sends=False)")
        return {"owner_token": self._owner.held()}

    def _owner_gone(self, conn: object, owner: int | None) -> bool:
        if owner is None:  # claimed before attempts had tokens, or by a read-only store
            return True
        if self._owner is not None and owner == self._owner.token:
            return False  # this store's own send, in flight
        return bool(conn.execute(OWNER_GONE, (owner, owner)).fetchone()[0])  # type: ignore[attr-defined]

    @staticmethod
    def _pick_rows() -> str:
        """Pick the claimed row under its lock for this transaction only; a row another claimer
        holds is skipped (that claim is None), not waited for."""
        return (
            " AND id IN (SELECT picked.id FROM messages picked WHERE picked.id = messages.id"
            " FOR UPDATE SKIP LOCKED)"
        )
