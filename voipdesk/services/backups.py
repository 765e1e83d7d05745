"""The daily backup of the database while the services run (the app and `voipdesk listen`)."""

from __future__ import annotations

import asyncio
import concurrent.futures
import logging
from collections.abc import Callable

from voipdesk.core.priority import background_priority
from voipdesk.store.backup import RETRY, DailyBackup

log = logging.getLogger("voipdesk.backup")


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
