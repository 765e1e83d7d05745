"""One receiving voipdesk per data folder: a lock file held for as long as the process runs.

The app, `voipdesk listen` (and `restore`, which must not swap the database under a running one)
hold `instance.lock` in the data folder through an OS file lock (flock on POSIX, a byte-range
lock on Windows), which the OS lets go of when the process dies, however it dies. Who holds
it is written beside it in `instance.json`, so a second start can name the running one.

The lock is the OS primitive itself, from the standard library: the app takes it before its
window is built, and importing the filelock package for it cost 15-30 ms of the start-up.
"""

from __future__ import annotations

import contextlib
import errno
import json
import os
import socket
import time
from pathlib import Path

from voipdesk.private import open_private, private_dir

# The exit status of a start refused because another voipdesk holds the data folder.
EXIT_RUNNING = 4
LOCK_NAME = "instance.lock"
INFO_NAME = "instance.json"
# A probe (running()) holds the lock for a moment; an acquire that meets it tries again for this
# long before it believes another voipdesk runs. The holder's instance.json may also be a moment
# behind its lock.
SETTLE = 0.25

ROLES = {
    "app": "the voipdesk app",
    "listen": "`voipdesk listen`",
    "serve": "`voipdesk serve`",
    "restore": "`voipdesk restore`",
    "repair": "`voipdesk repair`",
    "migrate": "`voipdesk migrate`",
}

if os.name == "nt":  # pragma: no cover - Windows
    import msvcrt

    def _try_lock(fd: int) -> bool:
        os.lseek(fd, 0, os.SEEK_SET)
        try:
            msvcrt.locking(fd, msvcrt.LK_NBLCK, 1)  # byte 0; past the end of the file is fine
        except OSError as exc:
            if exc.errno in (errno.EACCES, errno.EDEADLK):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        os.lseek(fd, 0, os.SEEK_SET)
        msvcrt.locking(fd, msvcrt.LK_UNLCK, 1)

else:
    import fcntl

    def _try_lock(fd: int) -> bool:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError as exc:
            if exc.errno in (errno.EWOULDBLOCK, errno.EAGAIN, errno.EACCES):
                return False
            raise
        return True

    def _unlock(fd: int) -> None:
        fcntl.flock(fd, fcntl.LOCK_UN)


class Holder:
    """The process that holds a data folder: its pid (0 when not known yet), role and start.
    (A plain class: a dataclass costs a few ms to define, on the path to the first paint.)"""

    __slots__ = ("host", "pid", "role", "started")

    def __init__(self, pid: int, role: str, started: float, host: str = "") -> None:
        self.pid, self.role, self.started, self.host = pid, role, started, host

    def _key(self) -> tuple[int, str, float, str]:
        return (self.pid, self.role, self.started, self.host)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, Holder) and self._key() == other._key()

    def __hash__(self) -> int:
        return hash(self._key())

    def __repr__(self) -> str:
        return "Holder(pid={!r}, role={!r}, started={!r}, host={!r})".format(*self._key())

    def describe(self) -> str:
        """e.g. "the voipdesk app (process 4321, started 14:02)"; a start on another day says
        the day, a holder on another computer (a shared folder) says which."""
        what = ROLES.get(self.role, "another voipdesk")
        if not self.pid:
            return what
        when = "?"
        if self.started:
            started = time.localtime(self.started)
            same_day = time.strftime("%Y%m%d", started) == time.strftime("%Y%m%d")
            when = time.strftime("%H:%M" if same_day else "%d %b %H:%M", started)
        where = f" on {self.host}" if self.host and self.host != _host() else ""
        return f"{what} (process {self.pid}{where}, started {when})"


def stop_hint(holder: Holder) -> str:
    """How a user ends the holder, e.g. "press Ctrl+C in its terminal"."""
    return {
        "app": "quit it (File > Quit, or Quit voipdesk in its tray icon's menu)",
        "listen": "press Ctrl+C in its terminal",
        "serve": "stop it (`systemctl stop voipdesk-serve`, or Ctrl+C in its terminal)",
        "restore": "let it finish",
        "migrate": "let it finish",
    }.get(holder.role, "quit it")


class AlreadyRunning(RuntimeError):
    """Another voipdesk holds the data folder."""

    def __init__(self, data_dir: Path, holder: Holder) -> None:
        self.data_dir, self.holder = data_dir, holder
        super().__init__(f"{holder.describe()} is already running on the data folder {data_dir}")


class InstanceLock:
    """Held while this process owns the data folder; `release` (or process exit) lets it go."""

    def __init__(self, data_dir: Path, role: str, fd: int) -> None:
        self.data_dir, self.role, self._fd = data_dir, role, fd

    @classmethod
    def acquire(cls, data_dir: str | Path, role: str) -> InstanceLock:
        """Take the data folder for `role`, or raise AlreadyRunning naming the holder. An
        OSError (a read-only folder) goes to the caller."""
        data_dir = Path(data_dir)
        fd = _take(data_dir, settle=SETTLE)
        if fd is None:
            raise AlreadyRunning(data_dir, _read_holder(data_dir, wait=SETTLE))
        info = {"pid": os.getpid(), "role": role, "started": time.time(), "host": _host()}
        with contextlib.suppress(OSError):  # (a full disk: the lock holds all the same)
            _write_info(data_dir, json.dumps(info).encode())
        return cls(data_dir, role, fd)

    @property
    def held(self) -> bool:
        return self._fd is not None

    def release(self) -> None:
        if self._fd is not None:
            with contextlib.suppress(OSError):
                (self.data_dir / INFO_NAME).unlink()
            fd, self._fd = self._fd, None
            _let_go(fd)

    def __enter__(self) -> InstanceLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()


def running(data_dir: str | Path) -> Holder | None:
    """Who holds the data folder now, or None (also when the lock file cannot be opened)."""
    data_dir = Path(data_dir)
    if not (data_dir / LOCK_NAME).exists():  # never held here (and not made by asking)
        return None
    try:
        fd = _take(data_dir, settle=0)
    except OSError:
        return None
    if fd is None:
        return _read_holder(data_dir, wait=SETTLE)
    _let_go(fd)
    return None


def _take(data_dir: Path, *, settle: float) -> int | None:
    """The lock file's descriptor, locked; None when another process holds the lock."""
    private_dir(data_dir)
    fd = open_private(data_dir / LOCK_NAME, os.O_RDWR)  # not inherited by child processes
    deadline = time.monotonic() + settle
    try:
        while not _try_lock(fd):
            if time.monotonic() >= deadline:
                os.close(fd)
                return None
            time.sleep(0.02)
    except BaseException:
        os.close(fd)
        raise
    return fd


def _let_go(fd: int) -> None:
    try:
        _unlock(fd)
    finally:
        os.close(fd)


def _write_info(data_dir: Path, data: bytes) -> None:
    """instance.json replaced whole (a reader never sees half of it), and not fsynced: it only
    names the holder (a second start that cannot read it says "another voipdesk"), and the app
    writes it before its first paint."""
    tmp = data_dir / f"{INFO_NAME}.{os.getpid()}.tmp"
    fd = open_private(tmp, os.O_WRONLY | os.O_TRUNC)
    try:
        with open(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, data_dir / INFO_NAME)
    except BaseException:
        with contextlib.suppress(OSError):
            tmp.unlink()
        raise


def _read_holder(data_dir: Path, *, wait: float = 0.0) -> Holder:
    """Who instance.json says holds the folder. A holder that has just taken the lock may not
    have written it yet, and one that died may have left its own behind: either is read again
    for `wait` seconds before the holder is reported as not known."""
    deadline = time.monotonic() + wait
    while True:
        holder = _read_info(data_dir)
        if holder is not None and _may_be_alive(holder):
            return holder
        if time.monotonic() >= deadline:
            return Holder(0, "", 0.0)
        time.sleep(0.02)


def _read_info(data_dir: Path) -> Holder | None:
    try:
        info = json.loads((data_dir / INFO_NAME).read_text(encoding="utf-8"))
        return Holder(
            int(info["pid"]), str(info["role"]), float(info["started"]), str(info.get("host", ""))
        )
    except (OSError, ValueError, KeyError, TypeError):
        return None


def _may_be_alive(holder: Holder) -> bool:
    """False only for a process of this computer that is certainly gone (POSIX)."""
    if os.name == "nt" or holder.host not in ("", _host()) or holder.pid <= 0:
        return True
    try:
        os.kill(holder.pid, 0)
    except ProcessLookupError:
        return False
    except OSError:  # EPERM: it exists, as another user
        return True
    return True


def _host() -> str:
    with contextlib.suppress(OSError):
        return socket.gethostname()
    return ""
