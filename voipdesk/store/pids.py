"""Whether the process that claimed an outgoing message is still alive; PidOwner, a send
attempt owned by a process id (store/outbox_rows.py)."""

from __future__ import annotations

import os
import sys


def pid_alive(pid: int | None) -> bool:
    if not pid or pid == os.getpid():
        return False
    if sys.platform == "win32":
        return _alive_windows(pid)
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    except OSError:
        return False
    return True


def _alive_windows(pid: int) -> bool:
    # Not os.kill(pid, 0): on Windows that is TerminateProcess, it would kill the other process.
    import ctypes
    from ctypes import wintypes

    kernel32 = ctypes.WinDLL("kernel32", use_last_error=True)  # type: ignore[attr-defined]
    kernel32.OpenProcess.restype = wintypes.HANDLE
    kernel32.OpenProcess.argtypes = (wintypes.DWORD, wintypes.BOOL, wintypes.DWORD)
    kernel32.GetExitCodeProcess.argtypes = (wintypes.HANDLE, ctypes.POINTER(wintypes.DWORD))
    kernel32.CloseHandle.argtypes = (wintypes.HANDLE,)
    handle = kernel32.OpenProcess(0x1000, False, pid)  # PROCESS_QUERY_LIMITED_INFORMATION
    if not handle:
        return ctypes.get_last_error() == 5  # ERROR_ACCESS_DENIED: it exists, not ours
    try:
        code = wintypes.DWORD()
        if not kernel32.GetExitCodeProcess(handle, ctypes.byref(code)):
            return True
        return code.value == 259  # STILL_ACTIVE
    finally:
        kernel32.CloseHandle(handle)


class PidOwner:
    """Who owns a send attempt: this process, by its id (one machine: the SQLite store)."""

    _OWNER_COLUMN = "owner_pid"

    @staticmethod
    def _attempt_owner() -> dict[str, object]:
        """The columns that say this process owns a send attempt it claims."""
        return {"owner_pid": os.getpid()}

    @staticmethod
    def _owner_gone(conn: object, owner: int | None) -> bool:
        """Whether the owner of a SENDING row is gone. At start-up a row of this very process
        id is a crashed run's that had the same id."""
        return not pid_alive(owner)

    @staticmethod
    def _pick_rows() -> str:
        """What claim adds to its WHERE so that of two claimers only one gets the row: nothing
        here (its conditional UPDATE does it)."""
        return ""
