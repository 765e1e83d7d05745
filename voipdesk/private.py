"""User-only files and folders: the data dir holds messages, settings (with the webhook secret)
and logs, so on POSIX voipdesk creates them 0700 (folders) and 0600 (files). On Windows the
user's profile folder is already private and these modes mean nothing: the calls are harmless.
"""

from __future__ import annotations

import contextlib
import os
import stat
import tempfile
from pathlib import Path

DIR_MODE = 0o700
FILE_MODE = 0o600
POSIX = os.name == "posix"


def private_dir(path: str | Path) -> Path:
    """Create `path` (and missing parents) if needed; a folder created here is user-only.
    An existing folder keeps its mode: it may be one the user chose (--data-dir ~/Documents)."""
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    return path


def tighten(path: str | Path) -> None:
    """Make an existing file of ours user-only (a file an older voipdesk created 0644)."""
    if not POSIX:
        return
    with contextlib.suppress(OSError):  # gone, or not ours: nothing to do
        mode = os.stat(path).st_mode
        if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
            os.chmod(path, FILE_MODE)


def private_file(path: str | Path) -> Path:
    """Create `path` empty and user-only if it does not exist, else make it user-only. Call it
    before SQLite opens a database: SQLite gives the -wal and -shm files the database's mode."""
    path = Path(path)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
    else:
        os.close(fd)
    return path


def open_private(path: str | Path, flags: int) -> int:
    """os.open for writing a user-only file: created 0600, an existing one tightened."""
    fd = os.open(path, flags | os.O_CREAT | getattr(os, "O_BINARY", 0), FILE_MODE)
    if POSIX:
        with contextlib.suppress(OSError):
            mode = os.fstat(fd).st_mode
            # Only a regular file: a log symlinked to a device (/dev/null) must keep its mode.
            if stat.S_ISREG(mode) and stat.S_IMODE(mode) & 0o077:
                os.fchmod(fd, FILE_MODE)
    return fd


def write_private(path: str | Path, data: bytes) -> None:
    """Write `data` to a new user-only file at `path` (replacing what was there), fsynced."""
    fd = open_private(path, os.O_WRONLY | os.O_TRUNC)
    with open(fd, "wb") as fh:
        fh.write(data)
        fh.flush()
        os.fsync(fh.fileno())


def replace_private(path: str | Path, data: bytes) -> None:
    """Atomically replace `path` with `data`, user-only: written and fsynced to a temp file of
    its own (a unique name beside `path`, so two writers never share one), then os.replace."""
    path = Path(path)
    fd, tmp = tempfile.mkstemp(prefix=f"{path.name}.", suffix=".tmp", dir=path.parent)
    try:
        if POSIX:  # mkstemp makes it 0600 already; say so rather than rely on it
            os.fchmod(fd, FILE_MODE)
        with open(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        raise


def fsync_dir(folder: str | Path) -> None:
    """Make a rename or a new file in `folder` durable (POSIX: fsync the folder; Windows has no
    such call and needs none)."""
    if not POSIX:
        return
    fd = os.open(folder, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)
