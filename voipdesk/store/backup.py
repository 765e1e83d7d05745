"""Backups of the message database: copies made with SQLite's online backup API into
data_dir/backups, the last KEEP of them kept, and the daily schedule the app and `listen` run.

A backup reads the live database through a connection of its own while the listener keeps
committing through the store: in WAL mode a reader never blocks a writer. The copy holds one read
transaction from its first page to its last, so it is the database as it was when the backup
started. (Without it, a step-by-step backup restarts from page one whenever another connection
commits between two steps, and under a steady trickle of webhooks it never finishes.)
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import re
import shutil
import sqlite3
import tempfile
import threading
import time
from collections.abc import Callable
from pathlib import Path

from voipdesk.private import fsync_dir, private_dir
from voipdesk.store.store import database_path

log = logging.getLogger("voipdesk.backup")

KEEP = 7  # backups kept: a week of daily ones
DAY = 24 * 3600.0
RETRY = 3600.0  # after a failed backup, the next try
# Free space a backup leaves on the disk: the listener must still be able to commit while (and
# after) a copy is written, so a backup that would take the disk's last megabytes is not made.
RESERVE = 32 * 1024 * 1024
STEP_PAGES = 1024  # pages copied per step (4 MiB at SQLite's default page size)
# While checking the copy, "stop?" is asked every this many SQLite instructions (~40 ms at a
# million messages here). Each ask takes Python's lock from the GUI's thread for a moment, so
# not much more often than that.
CHECK_ASK_EVERY = 1_000_000
FOLDER = "backups"
_NAME = re.compile(r"^voipdesk-(\d{8})-(\d{6})(?:-(\d+))?\.sqlite3$")
_PARTIAL = ".partial"  # a backup being written (or one a crash interrupted) ends so


class BackupError(RuntimeError):
    """A backup could not be made; the text says why in a few plain words."""


class BackupCancelled(BackupError):
    """The backup was stopped (voipdesk is quitting); nothing was kept."""


def backup_dir(data_dir: str | Path) -> Path:
    return Path(data_dir) / FOLDER


def backups(data_dir: str | Path) -> list[Path]:
    """voipdesk's backups in the data folder, oldest first (by when they were written)."""
    folder = backup_dir(data_dir)
    try:
        entries = [p for p in folder.iterdir() if _NAME.match(p.name) and p.is_file()]
    except OSError:  # no backups folder yet
        return []

    def key(path: Path) -> tuple[float, str]:
        try:
            return path.stat().st_mtime, path.name
        except OSError:
            return 0.0, path.name

    return sorted(entries, key=key)


def make_backup(
    data_dir: str | Path,
    *,
    clock: Callable[[], float] = time.time,
    keep: int = KEEP,
    cancelled: Callable[[], bool] = lambda: False,
    reserve: int = RESERVE,
) -> Path:
    """Copy the message database into backups/voipdesk-YYYYMMDD-HHMMSS.sqlite3 (user-only,
    fsynced, checked, renamed into place once complete), then keep only the newest `keep`.
    Raises BackupError (BackupCancelled when `cancelled()` turned true meanwhile), also when
    the copy would leave less than `reserve` bytes free on the disk."""
    data_dir = Path(data_dir).absolute()  # (SQLite is given file: URIs, which are absolute)
    source = database_path(data_dir)
    if not source.is_file():
        raise BackupError(f"there is no message database in {data_dir} yet, so nothing to back up")
    try:
        folder = private_dir(backup_dir(data_dir))
        _check_room(source, folder, reserve)
        fd, tmp_name = tempfile.mkstemp(prefix=".voipdesk-", suffix=_PARTIAL, dir=folder)
        os.close(fd)  # created 0600 and empty: SQLite reads an empty file as an empty database
    except OSError as exc:
        raise BackupError(why(exc, backup_dir(data_dir))) from exc
    tmp = Path(tmp_name)
    try:
        started = time.monotonic()
        pages = _copy(source, tmp, cancelled)
        problem = check_file(tmp, cancelled)
        if problem:
            raise BackupError(
                "the copy did not pass SQLite's integrity check, so the message database itself "
                f"may be damaged ({problem})"
            )
        fsync_file(tmp)
        final = _free_name(folder, clock())
        os.replace(tmp, final)
        fsync_dir(folder)
    except BackupError:
        _remove_partial(tmp)
        raise
    except (OSError, sqlite3.Error) as exc:
        _remove_partial(tmp)
        raise BackupError(why(exc, folder)) from exc
    log.info(
        "backed up the message database to %s (%d pages, %.1f s)",
        final,
        pages,
        time.monotonic() - started,
    )
    prune(data_dir, keep)
    return final


def _check_room(source: Path, folder: Path, reserve: int) -> None:
    """BackupError unless the copy (at most the database and its WAL) fits, `reserve` left."""
    needed = sum(p.stat().st_size for p in (source, Path(f"{source}-wal")) if p.exists())
    free = shutil.disk_usage(folder).free
    if free < needed + reserve:
        raise BackupError(
            f"the disk holding {folder} is nearly full ({free / 1e6:.0f} MB free; a backup needs "
            f"about {needed / 1e6:.0f} MB and leaves {reserve / 1e6:.0f} MB for new messages)"
        )


def _copy(source: Path, target: Path, cancelled: Callable[[], bool]) -> int:
    """The backup API, STEP_PAGES at a time, inside one read transaction on the source."""
    # mode=rw: never create a database that is not there (a restore may be moving it).
    src = sqlite3.connect(f"{source.as_uri()}?mode=rw", uri=True, isolation_level=None, timeout=30)
    try:
        src.execute("BEGIN")
        src.execute("SELECT count(*) FROM sqlite_master").fetchone()  # the snapshot starts here
        dst = sqlite3.connect(target, isolation_level=None)
        try:
            total = [0]

            def progress(_status: int, remaining: int, count: int) -> None:
                total[0] = count
                if cancelled():
                    raise BackupCancelled("voipdesk is stopping")

            src.backup(dst, pages=STEP_PAGES, progress=progress)
            # The copy carries the source's WAL flag: make it one self-contained file instead.
            dst.execute("PRAGMA journal_mode = DELETE")
        finally:
            dst.close()
        src.execute("COMMIT")
        return total[0]
    finally:
        src.close()


def check_file(path: str | Path, cancelled: Callable[[], bool] = lambda: False) -> str | None:
    """None when SQLite's integrity_check finds `path` sound, else what it found (one line)."""
    conn = sqlite3.connect(f"{Path(path).absolute().as_uri()}?mode=ro", uri=True)
    try:
        # A large database takes seconds to check: a quitting voipdesk does not wait for it.
        conn.set_progress_handler(lambda: 1 if cancelled() else 0, CHECK_ASK_EVERY)
        try:
            rows = conn.execute("PRAGMA integrity_check").fetchall()
        except sqlite3.OperationalError:
            if cancelled():
                raise BackupCancelled("voipdesk is stopping") from None
            raise
    finally:
        conn.close()
    if rows == [("ok",)]:
        return None
    return "; ".join(str(r[0]) for r in rows[:3])


def _free_name(folder: Path, now: float) -> Path:
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    path, n = folder / f"voipdesk-{stamp}.sqlite3", 1
    while path.exists():  # two backups in one second
        n += 1
        path = folder / f"voipdesk-{stamp}-{n}.sqlite3"
    return path


def prune(data_dir: str | Path, keep: int = KEEP) -> list[Path]:
    """Delete all but the newest `keep` backups, and partial ones a crash left over a day ago;
    return what was deleted. Files that are not voipdesk's backups are never touched."""
    removed = []
    found = backups(data_dir)
    for path in found[: max(len(found) - keep, 0)]:
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
            log.info("deleted the old backup %s (the newest %d are kept)", path.name, keep)
    with contextlib.suppress(OSError):
        for path in backup_dir(data_dir).glob(f".voipdesk-*{_PARTIAL}*"):
            if time.time() - path.stat().st_mtime > DAY:
                path.unlink()
    return removed


def _remove_partial(tmp: Path) -> None:
    for path in (tmp, Path(f"{tmp}-journal")):
        with contextlib.suppress(OSError):
            path.unlink()


def fsync_file(path: Path) -> None:
    fd = os.open(path, os.O_RDWR | getattr(os, "O_BINARY", 0))  # (Windows flushes writers only)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def why(exc: BaseException, folder: Path) -> str:
    """A few plain words for an OSError or SQLite error met while backing up."""
    full = getattr(exc, "sqlite_errorname", "") == "SQLITE_FULL" or (
        isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, getattr(errno, "EDQUOT", -1))
    )
    if full:
        return f"the disk holding {folder} is full"
    if isinstance(exc, OSError):
        return f"{folder} could not be written ({exc.strerror or exc})"
    name = getattr(exc, "sqlite_errorname", "")
    if name in ("SQLITE_CORRUPT", "SQLITE_NOTADB"):
        return "the message database could not be read to the end: it may be damaged"
    if name in ("SQLITE_READONLY", "SQLITE_CANTOPEN", "SQLITE_IOERR", "SQLITE_PERM"):
        return f"{folder} could not be written ({exc})"
    return f"SQLite said: {exc}"


class DailyBackup:
    """One backup a day while voipdesk runs: at start when the newest backup is a day old (or
    there is none), then a day after each. A failure is logged each time and told to the user
    once (run_if_due returns the sentence), until a backup succeeds again; it is retried hourly.
    Every method does disk I/O: call them off the GUI thread."""

    def __init__(
        self,
        data_dir: str | Path,
        *,
        clock: Callable[[], float] = time.time,
        interval: float = DAY,
        keep: int = KEEP,
    ) -> None:
        self.data_dir = Path(data_dir)
        self.clock, self.interval, self.keep = clock, interval, keep
        self._stop = threading.Event()
        self._failed_at: float | None = None
        self._told = False

    def due_in(self) -> float:
        """Seconds until the next backup is due (0: now)."""
        now = self.clock()
        if self._failed_at is not None:
            return max(self._failed_at + RETRY - now, 0.0)
        found = backups(self.data_dir)
        if not found:
            return 0.0
        with contextlib.suppress(OSError):
            age = now - found[-1].stat().st_mtime
            # A backup "from the future" means the clock went back: count it as made now.
            return max(self.interval - max(age, 0.0), 0.0)
        return 0.0

    def run_if_due(self) -> tuple[str | None, float]:
        """Make the backup when it is due; returns (a sentence for the user or None, seconds
        until this should be called again, at most an hour: the wall clock may jump)."""
        problem = None
        if self.due_in() <= 0 and not self._stop.is_set():
            problem = self._run()
        return problem, min(max(self.due_in(), 1.0), RETRY)

    def _run(self) -> str | None:
        try:
            make_backup(
                self.data_dir, clock=self.clock, keep=self.keep, cancelled=self._stop.is_set
            )
        except BackupCancelled:
            return None
        except BackupError as exc:
            self._failed_at = self.clock()
            log.warning("the daily backup failed: %s", exc)
            if self._told:
                return None
            self._told = True
            return (
                f"The daily backup of your messages could not be made: {exc}. Receiving goes "
                "on and your messages are safe in the database; voipdesk tries again every hour."
            )
        self._failed_at, self._told = None, False
        return None

    def stop(self) -> None:
        """Stop the schedule; a backup in progress is abandoned (its partial file removed)."""
        self._stop.set()
