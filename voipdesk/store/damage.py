"""Finding a damaged database, keeping a copy of it aside, and writing nothing more to it.

Damage shows up as SQLite's SQLITE_CORRUPT ("database disk image is malformed") or
SQLITE_NOTADB ("file is not a database"), at open (a damaged header or schema) or at the first
query that reads a damaged page. A page that no query reads (8 KB of noise in the middle of a
big file) is found only by a full scan: `PRAGMA quick_check`, which the listener runs once per
start on its store thread, before its first write (about 0.5 s on a 388 MB file whose pages are
cached, 6 s when they are not: too slow to make every start wait for it).

The first time a file is found damaged in this process, `found()`:
  1. takes SQLite's write lock on it when it still can, so no writer of any process commits
     while the copy is made;
  2. copies the file and its -wal, byte for byte, into `damaged-YYYYMMDD-HHMMSS/` beside it;
  3. remembers the file as damaged: every Store on it refuses to write from then on;
  4. tells whoever watches (the app's status and dialog, `voipdesk listen`).
"""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import sqlite3
import threading
import time
from collections.abc import Callable
from pathlib import Path

from voipdesk.private import open_private, private_dir
from voipdesk.store.errors import StoreDamaged, StoreReadOnly, StoreUnavailable

log = logging.getLogger("voipdesk.store")

SQLITE_READONLY, SQLITE_CANTOPEN, SQLITE_CORRUPT, SQLITE_NOTADB = 8, 14, 11, 26
# Conditions of the store rather than of one statement: busy/locked too long, out of memory,
# interrupted, a disk that fails, a full disk, a file that cannot be opened, a lock protocol
# failure. (A syntax error or a missing table is SQLITE_ERROR: a bug, left as it is.)
_UNAVAILABLE = {5, 6, 7, 9, 10, 13, 14, 15}
KEPT_PREFIX = "damaged-"
_COPY_LOCK_TIMEOUT_MS = 5000

_lock = threading.RLock()
_found: dict[str, StoreDamaged] = {}
_watchers: list[Callable[[StoreDamaged], None]] = []


def _key(path: str | Path) -> str:
    return os.path.realpath(path)


def same_file_as(path: str | Path) -> Callable[[str | Path], bool]:
    """A test for "is this the file at `path`" (through symlinks and relative paths)."""
    key = _key(path)
    return lambda other: _key(other) == key


def _primary_code(exc: BaseException) -> int | None:
    code = getattr(exc, "sqlite_errorcode", None)
    return code & 0xFF if isinstance(code, int) else None


def is_damage(exc: BaseException) -> bool:
    """Whether an sqlite3 error says the file is damaged (corrupt, or not a database at all)."""
    if not isinstance(exc, sqlite3.DatabaseError):
        return False
    code = _primary_code(exc)
    if code is not None:
        return code in (SQLITE_CORRUPT, SQLITE_NOTADB)
    text = str(exc).lower()
    return "malformed" in text or "not a database" in text


def is_unavailable(exc: BaseException) -> bool:
    """Whether an sqlite3 error is a condition of the store (locked too long, a failing or full
    disk, interrupted, cannot open), not of one statement."""
    return isinstance(exc, sqlite3.Error) and _primary_code(exc) in _UNAVAILABLE


def known(path: str | Path) -> StoreDamaged | None:
    """The damage found on this file in this process, if any."""
    return _found.get(_key(path))


def refuse_if_damaged(path: str | Path) -> None:
    """Raise the file's StoreDamaged when it was found damaged: nothing more is written to it."""
    if not _found:  # (nearly always: no file found damaged, and no path to resolve each write)
        return
    damaged = _found.get(_key(path))
    if damaged is not None:
        raise damaged


def watch(callback: Callable[[StoreDamaged], None]) -> Callable[[], None]:
    """Call `callback(damage)` (on the thread that found it) whenever a file is found damaged;
    returns the function that stops watching."""
    with _lock:
        _watchers.append(callback)

    def unwatch() -> None:
        with _lock, contextlib.suppress(ValueError):
            _watchers.remove(callback)

    return unwatch


def forget(path: str | Path) -> None:
    """The file at `path` was replaced by a repaired one: it is not known damaged any more."""
    with _lock:
        _found.pop(_key(path), None)


def found(path: str | Path, detail: str, conn: sqlite3.Connection | None = None) -> StoreDamaged:
    """Record that the file is damaged (the first time: copy it aside, tell the watchers);
    returns the StoreDamaged to raise. `conn` is an open connection to it, used to hold
    SQLite's write lock while the copy is made."""
    path = Path(path)
    with _lock:
        damaged = _found.get(_key(path))
        if damaged is not None:
            return damaged
        locked = _take_write_lock(conn)
        try:
            kept, keep_error = keep_aside(path)
            damaged = StoreDamaged(path, detail, kept=kept, keep_error=keep_error)
            _found[_key(path)] = damaged
        finally:
            if locked and conn is not None:
                with contextlib.suppress(sqlite3.Error):
                    conn.execute("ROLLBACK")
        watchers = list(_watchers)
    log.error("the message database %s is damaged (%s); copy kept in %s", path, detail, kept)
    for callback in watchers:
        try:
            callback(damaged)
        except Exception:
            log.exception("a damage watcher failed")
    return damaged


def _take_write_lock(conn: sqlite3.Connection | None) -> bool:
    if conn is None:
        return False
    try:
        if conn.in_transaction:
            conn.execute("ROLLBACK")
        conn.execute(f"PRAGMA busy_timeout = {_COPY_LOCK_TIMEOUT_MS}")
        conn.execute("BEGIN IMMEDIATE")
    except sqlite3.Error:  # too damaged to lock (not a database), or a writer held on to it
        return False
    return True


def keep_aside(path: Path) -> tuple[Path | None, str | None]:
    """Copy the database and its -wal byte for byte into a new `damaged-*` folder beside it.
    Returns (folder, None), or (None, why it could not be done)."""
    sources = [Path(f"{path}{suffix}") for suffix in ("", "-wal")]
    # (no journal, or an empty one: nothing in it to keep)
    sources = [p for p in sources if p == path or (p.exists() and p.stat().st_size)]
    folder = None
    try:
        earlier = _kept_before(path.parent, sources)
        if earlier is not None:  # found damaged before (by another run) and not changed since
            return earlier, None
        folder = _new_folder(path.parent)
        for source in sources:
            _copy(source, folder / source.name)
    except OSError as exc:
        if folder is not None:
            shutil.rmtree(folder, ignore_errors=True)
        return None, exc.strerror or str(exc)
    return folder, None


def _new_folder(parent: Path) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S")
    for n in range(1, 100):
        folder = parent / (f"{KEPT_PREFIX}{stamp}" + (f"-{n}" if n > 1 else ""))
        try:
            folder.mkdir(mode=0o700)
        except FileExistsError:
            continue
        return private_dir(folder)
    raise FileExistsError(f"too many {KEPT_PREFIX}{stamp} folders in {parent}")


def _copy(source: Path, target: Path) -> None:
    fd = open_private(target, os.O_WRONLY | os.O_TRUNC | os.O_EXCL)
    with open(source, "rb") as src, open(fd, "wb") as dst:
        shutil.copyfileobj(src, dst, 1 << 20)
        dst.flush()
        os.fsync(dst.fileno())
        stat = os.fstat(src.fileno())
    os.utime(target, ns=(stat.st_atime_ns, stat.st_mtime_ns))  # (see _kept_before)


def _kept_before(parent: Path, sources: list[Path]) -> Path | None:
    """A damaged-* folder holding copies of exactly these files as they are now (same names,
    sizes and modification times): another run found the same damage and nothing has written
    to the file since, so a second copy would only fill the disk."""

    def signature(files: list[Path]) -> set[tuple[str, int, int]]:
        return {(f.name, f.stat().st_size, f.stat().st_mtime_ns) for f in files}

    wanted = signature(sources)
    for folder in sorted(parent.glob(f"{KEPT_PREFIX}*"), reverse=True):
        with contextlib.suppress(OSError):
            if folder.is_dir() and signature(list(folder.iterdir())) == wanted:
                return folder
    return None


def check(conn: sqlite3.Connection, path: str | Path) -> None:
    """Read every page (PRAGMA quick_check); raise StoreDamaged when any is damaged.
    Another thread may stop it with conn.interrupt() (StoreUnavailable)."""
    try:
        rows = conn.execute("PRAGMA quick_check(5)").fetchall()
    except sqlite3.DatabaseError as exc:
        error = translate(path, exc, conn)
        if error is exc:
            raise
        raise error from exc
    if rows != [("ok",)]:
        detail = "; ".join(str(r[0]) for r in rows).replace("\n", " ")[:300]
        raise found(path, f"quick_check: {detail}", conn)


def translate(path: str | Path, exc: sqlite3.Error, conn: sqlite3.Connection | None) -> Exception:
    """The store's own error for an sqlite3 error (StoreDamaged, StoreReadOnly, StoreUnavailable
    for the rest of what concerns the whole store: locked too long, a disk that fails, an
    interruption), or exc itself: an error of one statement (a row a constraint refuses, a bug)
    is not the store's, and a batch's other rows may still be written."""
    if is_damage(exc):
        return found(path, str(exc), conn)
    code = _primary_code(exc)
    if code in (SQLITE_READONLY, SQLITE_CANTOPEN):
        reason = unwritable_reason(Path(path).parent)
        if reason is not None or code == SQLITE_READONLY:
            return StoreReadOnly(Path(path), reason or "the database file is read-only")
    if is_unavailable(exc):
        return StoreUnavailable(Path(path), str(exc))
    return exc


def unwritable_reason(folder: Path) -> str | None:
    """Why nothing can be created in `folder` ("Read-only file system", "Permission denied"),
    found by trying; None when it can."""
    probe = folder / f".voipdesk-write-test-{os.getpid()}-{threading.get_ident()}"
    try:
        fd = os.open(probe, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return None
    except OSError as exc:
        return exc.strerror or str(exc)
    os.close(fd)
    with contextlib.suppress(OSError):
        os.unlink(probe)
    return None
