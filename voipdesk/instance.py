"""One receiving voipdesk per data folder: a lock file held for as long as the process runs.

The app, `voipdesk listen` (and `restore`, which must not swap the database under a running one)
hold `instance.lock` in the data folder through an OS file lock (filelock: flock on POSIX,
LockFileEx on Windows), which the OS lets go of when the process dies, however it dies. Who holds
it is written beside it in `instance.json`, so a second start can name the running one.
"""

from __future__ import annotations

import contextlib
import json
import os
import socket
import time
from dataclasses import dataclass
from pathlib import Path

from filelock import FileLock, Timeout

from voipdesk.private import replace_private

LOCK_NAME = "instance.lock"
INFO_NAME = "instance.json"

ROLES = {
    "app": "the voipdesk app",
    "listen": "`voipdesk listen`",
    "restore": "`voipdesk restore`",
}


@dataclass(frozen=True)
class Holder:
    """The process that holds a data folder: its pid (0 when not known yet), role and start."""

    pid: int
    role: str
    started: float
    host: str = ""

    def describe(self) -> str:
        """e.g. "the voipdesk app (process 4321, started 14:02)"."""
        what = ROLES.get(self.role, "another voipdesk")
        if not self.pid:
            return what
        when = time.strftime("%H:%M", time.localtime(self.started)) if self.started else "?"
        return f"{what} (process {self.pid}, started {when})"


class AlreadyRunning(RuntimeError):
    """Another voipdesk holds the data folder."""

    def __init__(self, data_dir: Path, holder: Holder) -> None:
        self.data_dir, self.holder = data_dir, holder
        super().__init__(f"{holder.describe()} is already running on the data folder {data_dir}")


class InstanceLock:
    """Held while this process owns the data folder; `release` (or process exit) lets it go."""

    def __init__(self, data_dir: Path, role: str, lock: FileLock) -> None:
        self.data_dir, self.role, self._lock = data_dir, role, lock

    @classmethod
    def acquire(cls, data_dir: str | Path, role: str) -> InstanceLock:
        """Take the data folder for `role`, or raise AlreadyRunning naming the holder. An
        OSError (a read-only folder) goes to the caller."""
        data_dir = Path(data_dir)
        lock = FileLock(data_dir / LOCK_NAME, timeout=0, mode=0o600, thread_local=False)
        try:
            lock.acquire()
        except Timeout:
            raise AlreadyRunning(data_dir, _read_holder(data_dir)) from None
        info = {"pid": os.getpid(), "role": role, "started": time.time(), "host": _host()}
        try:
            replace_private(data_dir / INFO_NAME, json.dumps(info).encode())
        except OSError:
            lock.release()
            raise
        return cls(data_dir, role, lock)

    def release(self) -> None:
        if self._lock.is_locked:
            with contextlib.suppress(OSError):
                (self.data_dir / INFO_NAME).unlink()
            self._lock.release()

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running(data_dir: str | Path) -> Holder | None:
    """Who holds the data folder now, or None (also when the lock file cannot be opened)."""
    data_dir = Path(data_dir)
    lock = FileLock(data_dir / LOCK_NAME, timeout=0, mode=0o600, thread_local=False)
    try:
        lock.acquire()
    except Timeout:
        return _read_holder(data_dir)
    except OSError:
        return None
    lock.release()
    return None


def _read_holder(data_dir: Path) -> Holder:
    try:
        info = json.loads((data_dir / INFO_NAME).read_text(encoding="utf-8"))
        return Holder(
            int(info["pid"]), str(info["role"]), float(info["started"]), str(info.get("host", ""))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return Holder(0, "", 0.0)  # it has just started and not written who it is yet


def _host() -> str:
    with contextlib.suppress(OSError):
        return socket.gethostname()
    return ""
