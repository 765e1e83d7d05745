"""Reads the window makes of the store (a thread's pages, the conversation list's, search results,
a conversation to open): each runs on a worker thread (as asyncio.to_thread runs work, the
services' one worker mechanism) and its answer is handed back on the loop, so a store that
answers over a network never holds up the window. What asks keeps showing what it has until the
answer comes."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

log = logging.getLogger("voipdesk.app")


class Reads:
    """Runs store reads off the loop's thread and answers on the loop (ui/reading.py's Reader).
    Without a running loop (nothing could answer later) the read is answered at once.

    The reads run one after another on one worker thread of their own (what asyncio.to_thread
    does, on an executor of one): the store takes them one at a time anyway (one connection
    behind one lock), so more threads would only answer out of order and spread the memory
    their rows are built in over more of the C library's per-thread heaps."""

    def __init__(self) -> None:
        self._closed = False
        self._worker: ThreadPoolExecutor | None = None  # made on the first read off the loop

    def request(
        self,
        read: Callable[[], Any],
        arrived: Callable[[Any], None],
        failed: Callable[[Exception], None] | None = None,
    ) -> None:
        """read() on a worker thread; then arrived(result), or failed(exception), on the loop.
        Nothing is answered once closed."""
        if self._closed:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            loop = None
        if loop is None:
            self._answer(read, arrived, failed)
            return
        if self._worker is None:
            self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="reads")
        # Handed to the worker at once and answered in one turn of the loop: no task between
        # (each step of one is a turn of the loop, a few of them a read).
        self._worker.submit(read).add_done_callback(
            lambda done: self._back(loop, done, arrived, failed)
        )

    def _back(self, loop, done: Future, arrived, failed) -> None:
        """On the worker (or wherever the read ended): its answer goes to the loop."""
        if self._closed or done.cancelled():
            return
        with contextlib.suppress(RuntimeError):  # the loop has closed: nobody to answer
            loop.call_soon_threadsafe(self._deliver, done, arrived, failed)

    def _deliver(self, done: Future, arrived, failed) -> None:
        if self._closed:
            return
        exc = done.exception()
        if exc is not None:
            if isinstance(exc, Exception):
                self._fail(failed, exc)
            return
        try:
            arrived(done.result())
        except Exception:
            log.exception("applying a read failed")

    def _answer(self, read, arrived, failed) -> None:
        try:
            result = read()
        except Exception as exc:
            self._fail(failed, exc)
            return
        arrived(result)

    @staticmethod
    def _fail(failed: Callable[[Exception], None] | None, exc: Exception) -> None:
        if failed is None:
            log.warning("a read for the window failed: %s", exc)
        else:
            failed(exc)

    def close(self) -> None:
        """No more answers (the store is about to close): reads on their way are dropped."""
        self._closed = True
        if self._worker is not None:
            self._worker.shutdown(wait=False, cancel_futures=True)
