"""What the app does once a start is done (the window painted, the services running): what it
keeps for the next start, and leaving memory as the rest of the run should find it."""

from __future__ import annotations

import asyncio
import gc
import linecache
from pathlib import Path

from voipdesk.core import phone, phone_memo


async def settle(data_dir: Path) -> None:
    # The numbers this start showed, for the next start's first paint (core/phone_memo.py).
    await asyncio.to_thread(phone_memo.keep, data_dir, list(phone.asked))
    # PySide6 reads the source of every module imported after it (to see whether it mentions
    # PySide6) through linecache, which keeps every line: 4-8 MB that nothing reads again (a
    # traceback reads what it needs anew).
    linecache.clearcache()
    # What start-up built lives as long as the app: keep it out of the collector's full
    # passes, which would walk all of it in the middle of a scroll or a paint.
    gc.freeze()
