"""Opening the database file: for writing (pragmas, migrations), or read-only for a folder that
cannot be written; either way, what cannot be opened becomes StoreDamaged or StoreReadOnly."""

from __future__ import annotations

import contextlib
import logging
import sqlite3
from pathlib import Path
from urllib.parse import quote

from voipdesk.private import private_dir, private_file, tighten
from voipdesk.store import damage
from voipdesk.store.errors import StoreReadOnly, StoreTooNew, StoreUnavailable
from voipdesk.store.schema import SCHEMA_VERSION, SchemaTooNewError, migrate, too_new_sentence

log = logging.getLogger("voipdesk.store")


def open_for_writing(path: Path) -> sqlite3.Connection:
    """A connection that can write, with the schema brought up to date. The cheap checks for
    damage happen here: the file's header and its schema are read (migrate reads both)."""
    damage.refuse_if_damaged(path)
    try:
        private_dir(path.parent)
    except OSError as exc:
        raise StoreReadOnly(path, folder_error(path.parent, exc)) from exc
    # User-only before SQLite creates it (its -wal and -shm then get the same mode). When
    # that fails (a read-only folder), sqlite3.connect below says so.
    with contextlib.suppress(OSError):
        private_file(path)
    for suffix in ("-wal", "-shm", "-journal"):
        tighten(f"{path}{suffix}")
    conn = None
    try:
        conn = sqlite3.connect(path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA journal_mode = WAL")
        conn.execute("PRAGMA synchronous = FULL")
        conn.execute("PRAGMA foreign_keys = ON")
        conn.execute("PRAGMA busy_timeout = 30000")
        migrate(conn)
    except sqlite3.Error as exc:
        error = damage.translate(path, exc, conn)
        if conn is not None:
            conn.close()
        if error is exc:
            raise
        raise error from exc
    except SchemaTooNewError as exc:
        conn.close()  # type: ignore[union-attr]  # migrate() ran on it
        raise StoreTooNew(path, str(exc)) from exc
    except BaseException:  # KeyboardInterrupt
        if conn is not None:
            conn.close()
        raise
    return conn


def folder_error(folder: Path, exc: OSError) -> str:
    """Why a folder cannot be made or used, in words ("Read-only file system", ...)."""
    if isinstance(exc, FileExistsError | NotADirectoryError):
        blocker = next((p for p in (folder, *folder.parents) if p.is_file()), folder)
        return f"{blocker} is a file, not a folder"
    return exc.strerror or str(exc)


def open_read_only(path: Path) -> tuple[sqlite3.Connection, bool]:
    """A connection that never writes, for reading a folder that cannot be written (export).
    Returns it and whether the file's -wal journal (its newest changes) had to be left unread:
    SQLite reads a journal only through a -shm file it may create, which a read-only folder
    forbids; the file is then read as it is on disk ("immutable")."""
    damage.refuse_if_damaged(path)
    if not path.exists():
        raise StoreReadOnly(path, "there is no message database in it yet")
    base = "file:" + quote(str(path.resolve()))
    conn, skipped_wal = None, False
    try:
        try:
            conn = _connect_ro(f"{base}?mode=ro")
        except sqlite3.OperationalError:
            conn = _connect_ro(f"{base}?mode=ro&immutable=1")
            wal = Path(f"{path}-wal")
            skipped_wal = wal.exists() and wal.stat().st_size > 0
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except sqlite3.Error as exc:
        if conn is not None:
            conn.close()
        if damage.is_damage(exc):
            raise damage.found(path, str(exc), None) from exc
        if damage.is_unavailable(exc):
            raise StoreUnavailable(path, str(exc)) from exc
        raise
    if version > SCHEMA_VERSION:
        conn.close()
        raise StoreTooNew(path, too_new_sentence(version))
    if skipped_wal:
        log.warning("reading %s without its -wal journal (the folder is read-only)", path)
    return conn, skipped_wal


def _connect_ro(uri: str) -> sqlite3.Connection:
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
    try:
        conn.execute("PRAGMA query_only = 1")
        conn.execute("SELECT 1 FROM sqlite_master LIMIT 1").fetchall()  # opens the file now
    except BaseException:
        conn.close()
        raise
    return conn
