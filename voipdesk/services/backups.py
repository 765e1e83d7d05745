"""The daily backup of the database while the services run (the app and `voipdesk listen`)."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

from voipdesk.store.backup import RETRY, DailyBackup

log = logging.getLogger("voipdesk.backup")


async def back_up_daily(backups: DailyBackup, say: Callable[[str], None]) -> None:
    """The daily backup (store/backup.py) on a worker thread: at start when the newest is a
    day old, then daily, until cancelled. A failure is said once; receiving goes on."""
    while True:
        try:
            problem, wait = await asyncio.to_thread(backups.run_if_due)
        except Exception:  # never let a surprise end the schedule silently
            log.exception("the daily backup failed")
            problem, wait = None, RETRY
        if problem:
            say(problem)
        await asyncio.sleep(wait)
