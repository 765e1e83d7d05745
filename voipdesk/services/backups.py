"""The daily backup of the database while the services run (the app and `voipdesk listen`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import logging
import os
import sys
import threading
from collections.abc import Callable

from voipdesk.store.backup import RETRY, DailyBackup

log = logging.getLogger("voipdesk.backup")

_PRIO_DARWIN_THREAD, _PRIO_DARWIN_BG = 3, 0x1000  # macOS setpriority(2): this thread, background
_THREAD_MODE_BACKGROUND_BEGIN = 0x00010000  # Windows SetThreadPriority


def background_priority() -> None:
    """Lower the calling thread's CPU (and, where the OS ties them, disk) priority to the
    lowest there is: it then runs on what the rest of the machine leaves. Best effort: where
    the OS refuses, the thread runs as before. Once lowered it cannot be raised again (an
    unprivileged process may not), so call it only on a thread of its own."""
    with contextlib.suppress(Exception):
        if sys.platform.startswith("linux"):
            os.sched_setscheduler(threading.get_native_id(), os.SCHED_IDLE, os.sched_param(0))
        elif sys.platform == "darwin":
            os.setpriority(_PRIO_DARWIN_THREAD, 0, _PRIO_DARWIN_BG)
        elif sys.platform == "win32":
            import ctypes

            kernel32 = ctypes.windll.kernel32  # type: ignore[attr-defined]
            kernel32.SetThreadPriority(kernel32.GetCurrentThread(), _THREAD_MODE_BACKGROUND_BEGIN)


async def back_up_daily(backups: DailyBackup, say: Callable[[str], None]) -> None:
    """The daily backup (store/backup.py): at start when the newest is a day old, then daily,
    until cancelled. A failure is said once; receiving goes on.

    It runs on a thread of its own at background priority: copying and checking a large
    database takes a core for seconds (4 s at a million messages), and on the first start of a
    day that is when the user opens a conversation and replies; what they do goes first."""
    loop = asyncio.get_running_loop()
    worker = concurrent.futures.ThreadPoolExecutor(
        1, thread_name_prefix="voipdesk-backup", initializer=background_priority
    )
    try:
        while True:
            try:
                problem, wait = await loop.run_in_executor(worker, backups.run_if_due)
            except Exception:  # never let a surprise end the schedule silently
                log.exception("the daily backup failed")
                problem, wait = None, RETRY
            if problem:
                say(problem)
            await asyncio.sleep(wait)
    finally:
        # Never waits here (on the GUI's loop): a backup in progress ends at its next step
        # once DailyBackup.stop() was called.
        worker.shutdown(wait=False, cancel_futures=True)
