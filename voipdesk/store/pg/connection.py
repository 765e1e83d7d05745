"""The connection pool under the PostgreSQL store: opening (and migrating), transactions, and
turning psycopg's errors into the store's (store/errors.py), never with a password in them."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator, Sequence
from typing import Any, Self

import psycopg
from psycopg import errors as pg_errors
from psycopg_pool import ConnectionPool, PoolTimeout

from voipdesk.store.location import redacted
from voipdesk.store.pg.deadline import CALL_WITHIN_S, CHECK_WITHIN_S, KEEPALIVES, within
from voipdesk.store.pg.migrate import migrate, refuse_if_too_new
from voipdesk.store.pg.owner import OwnerLock, TokenOwner
from voipdesk.store.pg.unavailable import unavailable
from voipdesk.store.text import clean_args

log = logging.getLogger("voipdesk.store")

# Transactions that lost a race (a deadlock between two writers, a serialization failure) are
# run again from the start, this many times in all.
_ATTEMPTS = 5
_CONNECT_TIMEOUT = 10  # seconds, for each new connection
_POOL_SIZE = 4
# How long a call waits for a connection before it says the database cannot be reached (the
# listener then answers a webhook 503, and the provider may deliver it again).
WAIT_FOR_CONNECTION = 5.0


def placeholders(sql: str) -> str:
    """SQL written for SQLite (`?` parameters) as psycopg takes it (`%s`): the mixins both stores
    share (store/flags.py, heartbeats.py, scheduled_rows.py) run here as written. PostgreSQL's
    own SQL uses %s and no `?` (no jsonb `?` operators)."""
    return sql.replace("?", "%s")


def _check(conn: psycopg.Connection) -> None:
    """The pool's check of a connection before use, answered within CHECK_WITHIN_S: one whose
    route went silent is cut and replaced instead of waited on for ever."""
    within(conn, CHECK_WITHIN_S, lambda: ConnectionPool.check_connection(conn))


class Tx:
    """One transaction on one pooled connection, as the per-concern mixins see it: execute()
    and executemany() with %s (or SQLite's ?) parameters; text parameters lose their NUL
    characters the same way in both backends (store/pg/text.py)."""

    def __init__(self, conn: psycopg.Connection) -> None:
        self.conn = conn

    def execute(self, sql: str, args: Sequence = ()) -> psycopg.Cursor:
        return self.conn.execute(placeholders(sql), clean_args(args))  # type: ignore[arg-type]

    def executemany(self, sql: str, rows: Sequence[Sequence]) -> None:
        if rows:
            with self.conn.cursor() as cur:
                cur.executemany(placeholders(sql), [clean_args(r) for r in rows])  # type: ignore[arg-type]


class PgConnection(TokenOwner):
    """A pool of connections to one PostgreSQL database; every write is one transaction that is
    committed when the method returns. Safe to call from any thread."""

    # Seconds a call may go unanswered before its connection is cut (deadline.py).
    answer_within: float = CALL_WITHIN_S

    def __init__(
        self,
        url: str,
        *,
        clock: Callable[[], float] | None = None,
        read_only: bool = False,
        sends: bool = True,
    ) -> None:
        """Connect, and bring the shared schema up to date (unless read_only). Raises
        StoreUnavailable (unreachable, refused, a role that may not migrate) or StoreTooNew.
        `sends=False`: this store never claims a send, so it holds no send-owner lock. `clock`:
        given (tests), it is also the time that orders messages; else the database's clock
        orders them (_now), and this computer's times only its own doings."""
        self.url = url
        self.path: str = redacted(url)  # said in sentences; never the password
        self._clock = clock or time.time
        self._order_clock = clock
        self.read_only = read_only
        self.missed_journal = False
        try:
            with psycopg.connect(url, connect_timeout=_CONNECT_TIMEOUT) as conn:
                if read_only:
                    refuse_if_too_new(conn, self.path)
                else:
                    migrate(conn, self.path)
        except psycopg.Error as exc:
            raise unavailable(self.path, exc) from exc
        self._pool = ConnectionPool(
            url,
            min_size=1,
            max_size=_POOL_SIZE,
            # Reads are one statement each; writes open their own transaction (_write).
            kwargs={"connect_timeout": _CONNECT_TIMEOUT, "autocommit": True, **KEEPALIVES},
            # A connection the server or a router dropped is found and replaced before use.
            check=_check,
            timeout=WAIT_FOR_CONNECTION,
            name="voipdesk-store",
            open=False,
        )
        self._pool.open(wait=False)
        # Who owns this store's send attempts (store/pg/owner.py); a read-only one, or one
        # opened for reads alone (sends=False), claims none.
        if sends and not read_only:
            try:
                self._owner = OwnerLock(url, self.path)
            except BaseException:
                self._pool.close()
                raise

    # -- plumbing -------------------------------------------------------------------------
    def close(self) -> None:
        """Close every connection; further calls fail. Messages this store was sending become
        recoverable (its owner lock ends)."""
        self._pool.close()
        if self._owner is not None:
            self._owner.close()

    def __enter__(self) -> Self:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def _write(self, fn: Callable[[Tx], Any]) -> Any:
        """Run fn in one transaction and commit it; run it again when it lost a race."""
        for attempt in range(1, _ATTEMPTS + 1):
            try:
                with self._pool.connection() as conn:
                    return within(conn, self.answer_within, lambda: self._transaction(conn, fn))
            except (pg_errors.SerializationFailure, pg_errors.DeadlockDetected):
                if attempt == _ATTEMPTS:
                    raise
                log.info("a shared-store transaction lost a race; running it again")
                time.sleep(0.01 * attempt)
            except (psycopg.OperationalError, PoolTimeout) as exc:
                raise unavailable(self.path, exc) from exc
            except pg_errors.InsufficientPrivilege as exc:
                raise unavailable(self.path, exc) from exc
        raise AssertionError("unreachable")

    def _transaction(self, conn: psycopg.Connection, fn: Callable[[Tx], Any]) -> Any:
        """fn in one transaction on conn, committed when it returns."""
        with conn.transaction():
            if self.read_only:
                conn.execute("SET TRANSACTION READ ONLY")
            return fn(Tx(conn))

    def _read(self, sql: str, args: Sequence = ()) -> list[tuple]:
        sql, args = placeholders(sql), clean_args(args)
        try:
            with self._pool.connection() as conn:

                def answer() -> list[tuple]:
                    return conn.execute(sql, args).fetchall()  # type: ignore[arg-type]

                return within(conn, self.answer_within, answer)
        except (psycopg.OperationalError, PoolTimeout) as exc:
            raise unavailable(self.path, exc) from exc

    # -- what the backends do differently, for the mixins both use (store/shared.py) -------
    @staticmethod
    def _lock_rows(of: str = "") -> str:
        """A SELECT's row-lock clause: the rows it reads stay as read until the commit (another
        writer waits), of every table or of table `of`."""
        return " FOR UPDATE" + (f" OF {of}" if of else "")

    @staticmethod
    def _in_list(column: str, values: Sequence) -> Iterator[tuple[str, list]]:
        """ "`column` is one of `values`" as conditions with their parameters: one array."""
        if values:
            yield f"{column} = ANY(?)", [list(values)]

    @staticmethod
    def _insert_each(conn: Tx, sql: str, rows: list[tuple]) -> list[int | None]:
        """(store/connection.py) All of `rows` sent at once (psycopg pipelines an
        executemany), then each one's new id read (RETURNING id): a webhook batch's messages in
        one round trip instead of one each."""
        found = []
        with conn.conn.cursor() as cur:
            cur.executemany(
                placeholders(sql + " RETURNING id"), [clean_args(r) for r in rows], returning=True
            )
            while True:
                row = cur.fetchone()
                found.append(row[0] if row else None)
                if not cur.nextset():
                    break
        return found

    def _now(self, conn: Tx) -> float:
        """The time that orders what a write stores (a message's created_at, its
        conversation's last time): the database's clock, the one clock every desk and server
        shares; a desk whose own clock is behind does not sort its message before others."""
        if self._order_clock is not None:
            return float(self._order_clock())
        return conn.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())::float8").fetchone()[0]

    def _now_column(self) -> tuple[str, list]:
        """_now as a column of a read, with its parameters: a read on the database's clock."""
        if self._order_clock is not None:
            return "?", [float(self._order_clock())]
        return "EXTRACT(EPOCH FROM clock_timestamp())::float8", []

    def check(self) -> None:
        """The server keeps its own files whole; this only checks that it answers."""
        self._read("SELECT 1")

    def interrupt(self) -> None:
        """Nothing long runs here that check() would need to stop."""
