"""Putting a backup in place of the message database: the backup is copied into the data folder
and checked there first (a SQLite file, sound, voipdesk's schema at a version this voipdesk
reads); only then is the current database (with its -wal and -shm) renamed aside and the copy
renamed into its place. The caller holds the data folder's instance lock (voipdesk/instance.py),
so no voipdesk has the database open meanwhile."""

from __future__ import annotations

import contextlib
import os
import shutil
import sqlite3
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from voipdesk.private import fsync_dir, open_private
from voipdesk.store.backup import fsync_file, why
from voipdesk.store.schema import SCHEMA_VERSION
from voipdesk.store.store import database_path

_HEADER = b"SQLite format 3\x00"
_TABLES = {"conversations", "messages", "contacts"}  # voipdesk's since schema 1
_SIDE_FILES = ("-wal", "-shm", "-journal")


class RestoreError(RuntimeError):
    """The backup was not put in place; `kind` says why (for the exit code), the text how."""

    def __init__(self, kind: str, text: str) -> None:
        self.kind = kind  # missing, unreadable, not_database, not_voipdesk, damaged, too_new, io
        super().__init__(text)


@dataclass(frozen=True)
class Restored:
    messages: int  # in the restored database
    schema: int  # the backup's schema version (an older one is brought up to date at next open)
    kept_aside: tuple[Path, ...]  # the database that was there (and its -wal, -shm), renamed


def restore(
    data_dir: str | Path, backup: str | Path, *, clock: Callable[[], float] = time.time
) -> Restored:
    """Replace data_dir's database by `backup`, or raise RestoreError having changed nothing."""
    data_dir, backup = Path(data_dir), Path(backup)
    if not backup.is_file():
        raise RestoreError("missing", f"{backup} does not exist or is not a file.")
    try:
        fd, name = tempfile.mkstemp(prefix=".voipdesk-restore-", suffix=".sqlite3", dir=data_dir)
    except OSError as exc:
        raise _io(exc, data_dir) from exc
    os.close(fd)  # user-only (mkstemp makes it 0600)
    candidate = Path(name)
    try:
        _copy_in(backup, candidate)
        messages, schema = _check(candidate, backup)
        fsync_file(candidate)
        kept = _put_in_place(candidate, database_path(data_dir), clock())
    finally:
        for path in (candidate, *(Path(f"{candidate}{s}") for s in _SIDE_FILES)):
            with contextlib.suppress(OSError):
                path.unlink()
    return Restored(messages, schema, kept)


def _io(exc: BaseException, folder: Path) -> RestoreError:
    return RestoreError("io", f"The backup could not be put in place: {why(exc, folder)}.")


def _copy_in(backup: Path, candidate: Path) -> None:
    """The backup's bytes (and its -wal, when one lies beside it) into the data folder: the
    check and the rename work on this copy, and the user's file is never opened by SQLite."""
    pairs = [(backup, candidate)]
    wal = Path(f"{backup}-wal")
    if wal.is_file():
        pairs.append((wal, Path(f"{candidate}-wal")))
    for src, dst in pairs:
        try:
            fin = open(src, "rb")  # noqa: SIM115 (closed below)
        except OSError as exc:
            raise RestoreError("unreadable", f"{src} cannot be read ({exc.strerror}).") from exc
        try:
            with fin, open(open_private(dst, os.O_WRONLY | os.O_TRUNC), "wb") as fout:
                shutil.copyfileobj(fin, fout, 1 << 20)
        except OSError as exc:
            raise _io(exc, candidate.parent) from exc


def _check(candidate: Path, shown: Path) -> tuple[int, int]:
    """(messages, schema version) of a sound voipdesk database, else RestoreError."""
    with open(candidate, "rb") as fh:
        header = fh.read(len(_HEADER))
    if header != _HEADER:
        raise RestoreError("not_database", f"{shown} is not a SQLite database.")
    try:
        conn = sqlite3.connect(candidate, isolation_level=None)
    except sqlite3.Error as exc:
        raise RestoreError("io", f"{shown} could not be opened ({exc}).") from exc
    try:
        found = [r[0] for r in conn.execute("PRAGMA integrity_check").fetchall()]
        if found != ["ok"]:
            raise RestoreError(
                "damaged", f"{shown} is damaged (SQLite's integrity check: {'; '.join(found[:3])})."
            )
        version = conn.execute("PRAGMA user_version").fetchone()[0]
        tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        if not tables >= _TABLES or version < 1:
            raise RestoreError(
                "not_voipdesk",
                f"{shown} is a SQLite database, but not one of voipdesk's (it has no voipdesk "
                "messages in it).",
            )
        if version > SCHEMA_VERSION:
            raise RestoreError(
                "too_new",
                f"{shown} was written by a newer voipdesk (schema {version}; this voipdesk reads "
                f"up to {SCHEMA_VERSION}). Update voipdesk, then restore it.",
            )
        messages = conn.execute("SELECT count(*) FROM messages").fetchone()[0]
        conn.execute("PRAGMA journal_mode = DELETE")  # one file: what a -wal held is in it now
    except sqlite3.DatabaseError as exc:
        name = getattr(exc, "sqlite_errorname", "")
        if name == "SQLITE_NOTADB":
            raise RestoreError("not_database", f"{shown} is not a SQLite database.") from exc
        if name in ("SQLITE_FULL", "SQLITE_IOERR", "SQLITE_READONLY", "SQLITE_CANTOPEN"):
            raise _io(exc, candidate.parent) from exc
        raise RestoreError("damaged", f"{shown} is damaged (SQLite said: {exc}).") from exc
    finally:
        conn.close()
    return messages, version


def _put_in_place(candidate: Path, database: Path, now: float) -> tuple[Path, ...]:
    """Rename the current database and its side files aside, then the candidate into place;
    on a failure, the current ones go back where they were."""
    stamp = time.strftime("%Y%m%d-%H%M%S", time.localtime(now))
    aside, n = database.with_name(f"voipdesk-before-restore-{stamp}.sqlite3"), 1
    while aside.exists():
        n += 1
        aside = database.with_name(f"voipdesk-before-restore-{stamp}-{n}.sqlite3")
    moves = [
        (Path(f"{database}{s}"), Path(f"{aside}{s}"))
        for s in ("", *_SIDE_FILES)
        if Path(f"{database}{s}").exists()
    ]
    done: list[tuple[Path, Path]] = []
    try:
        for src, dst in moves:
            os.replace(src, dst)
            done.append((src, dst))
        os.replace(candidate, database)
        fsync_dir(database.parent)
    except OSError as exc:
        for src, dst in reversed(done):
            with contextlib.suppress(OSError):
                os.replace(dst, src)
        raise _io(exc, database.parent) from exc
    return tuple(dst for _src, dst in done)
