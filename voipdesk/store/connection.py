"""The connection under the Store: opening, one lock, transactions, and integrity checks."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Self

from voipdesk.store import damage
from voipdesk.store.opening import open_for_writing, open_read_only
from voipdesk.store.pids import PidOwner
from voipdesk.store.rows import in_lists
from voipdesk.store.text import NulFree


def database_path(data_dir: Path) -> Path:
    """Where the message database lives inside a data dir."""
    return Path(data_dir) / "voipdesk.sqlite3"


class Connection(PidOwner):
    """One SQLite connection guarded by a lock: every write is one transaction that is on disk
    when the method returns; SQLite errors become store errors (store.errors). The per-concern
    mixins build on it and call one another's helpers through self (Store combines them all)."""

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

    def __enter__(self) -> Self:
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
                    result = fn(NulFree(self._conn))  # type: ignore[arg-type]
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

    # -- what the backends do differently, for the mixins both use (store/shared.py) -------
    @staticmethod
    def _lock_rows(of: str = "") -> str:
        """A SELECT's row-lock clause: none in SQLite, whose write transaction holds the file."""
        return ""

    @staticmethod
    def _in_list(column: str, values: Sequence) -> Iterator[tuple[str, list]]:
        """ "`column` is one of `values`" as conditions with their parameters: IN (?, ...) lists,
        in chunks under SQLite's limit of parameters."""
        for chunk, marks in in_lists(values):
            yield f"{column} IN ({marks})", list(chunk)

    def _now(self, conn: sqlite3.Connection) -> float:
        """The time that orders what a write stores (a message's created_at, its
        conversation's last time): this computer's clock, which is the database's here."""
        return float(self._clock())

    def _now_column(self) -> tuple[str, list]:
        """_now as a column of a read, with its parameters."""
        return "?", [float(self._clock())]

    @staticmethod
    def _insert_each(conn: sqlite3.Connection, sql: str, rows: list[tuple]) -> list[int | None]:
        """Run the INSERT `sql` once for each of `rows`: each new row's id (None: it inserted
        nothing, a conflict it was told to ignore). Here its rowid, without a RETURNING clause
        (which costs SQLite ~5 % of a webhook's store)."""
        ids = []
        for args in rows:
            cursor = conn.execute(sql, args)
            ids.append(cursor.lastrowid if cursor.rowcount == 1 else None)
        return ids

    def _log_own_changes(self, conn: sqlite3.Connection) -> None:
        """This transaction logs its changes itself (_record_own_changes, last before the
        commit): the shared store's change log, a batch at a time. Nothing to log here."""

    def _record_own_changes(
        self, conn: sqlite3.Connection, messages: list[tuple[int, int]], conversations: list[int]
    ) -> None:
        """Log messages added ((conversation id, message id)) and conversations changed by a
        transaction that said _log_own_changes: nothing here (no change log)."""

    @staticmethod
    def _search_column(body: str) -> tuple[str, str, list]:
        """What _insert adds to index a body for search: nothing here (triggers fill the FTS5
        table: store/schema.py)."""
        return "", "", []

    def check(self) -> None:
        """Read every page of the file (seconds for a big one); raise StoreDamaged when any is
        damaged. interrupt() from another thread stops it."""
        with self._lock:
            damage.refuse_if_damaged(self.path)
            damage.check(self._conn, self.path)

    def interrupt(self) -> None:
        """Stop a long query (check()) running on another thread: it raises."""
        self._conn.interrupt()
