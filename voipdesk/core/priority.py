"""Background priority for threads that do long housekeeping (the daily backup, the listener's
check of the database): they run on what the rest of the machine leaves, so what the user does
(a send, a page, a burst of webhooks) goes first."""

from __future__ import annotations

import contextlib
import os
import sys
import threading

_PRIO_DARWIN_THREAD, _PRIO_DARWIN_BG = 3, 0x1000  # macOS setpriority(2): this thread, background
_THREAD_MODE_BACKGROUND_BEGIN = 0x00010000  # Windows SetThreadPriority


def background_priority() -> None:
    """Lower the calling thread's CPU priority (and, where the OS ties them, its disk priority)
    to the lowest there is. Best effort: where the OS refuses, the thread runs as before. Once
    lowered it cannot be raised again (an unprivileged process may not), so call it only on a
    thread of its own, never on a shared worker."""
    with contextlib.suppress(Exception):
        if sys.platform.startswith("linux"):  # (a Linux thread is scheduled on its own id)
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
        elif sys.platform == "darwin":
            os.setpriority(_PRIO_DARWIN_THREAD, 0, _PRIO_DARWIN_BG)
        elif sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), _THREAD_MODE_BACKGROUND_BEGIN)
