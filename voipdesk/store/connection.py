"""The connection under the Store: opening, one lock, transactions, and integrity checks."""

from __future__ import annotations

import contextlib
import sqlite3
import threading
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Self

from voipdesk.store import damage
from voipdesk.store.opening import open_for_writing, open_read_only
from voipdesk.store.text import NulFree


def database_path(data_dir: Path) -> Path:
    """Where the message database lives inside a data dir."""
    return Path(data_dir) / "voipdesk.sqlite3"


class Connection:
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

    def check(self) -> None:
        """Read every page of the file (seconds for a big one); raise StoreDamaged when any is
        damaged. interrupt() from another thread stops it."""
        with self._lock:
            damage.refuse_if_damaged(self.path)
            damage.check(self._conn, self.path)

    def interrupt(self) -> None:
        """Stop a long query (check()) running on another thread: it raises."""
        self._conn.interrupt()
