"""The listener's writer: webhooks that arrive together are committed in one transaction."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import logging
from collections.abc import Callable, Sequence
from typing import Any

from voipdesk.core.models import InboundMessage, Message, StatusUpdate
from voipdesk.receiver.store_check import StoreCheck

log = logging.getLogger("voipdesk.receiver")

_STORE_TIMEOUT = 30.0  # seconds a request waits for its commit before answering 503
_MAX_BATCH = 500  # webhooks per transaction
_BUSY_BATCH = 8  # a batch this big means a burst is on ...
_GATHER_DELAY = 0.0005  # ... and the next commit waits this long (s) for more to join it

Item = InboundMessage | StatusUpdate
Outcome = tuple[Message | None, bool] | BaseException


class GroupCommit:
    """Queues parsed webhooks and stores them on the store's own thread, those that arrive
    together in one transaction (and one fsync); each request awaits its own outcome, or a
    TimeoutError after _STORE_TIMEOUT. `notify` gets the messages each commit changed (on the
    store thread)."""

    def __init__(
        self,
        store: Any,
        worker: concurrent.futures.ThreadPoolExecutor,
        check: StoreCheck,
        notify: Callable[[list[Message]], None] | None,
    ) -> None:
        self._store = store
        self._worker = worker
        self._check = check
        self._notify = notify
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Outcome]] | None] = asyncio.Queue()
        # (deadline, future) of each request waiting for its commit, oldest first.
        self._deadlines: collections.deque[tuple[float, asyncio.Future[Outcome]]] = (
            collections.deque()
        )
        self._expiry: asyncio.TimerHandle | None = None

    async def commit(self, item: Item) -> Outcome:
        """Store one webhook: its (message, changed), or the exception that kept it out."""
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put_nowait((item, fut))
        # One timer for all waiting requests (_expire), not one each: a burst is cheaper.
        self._deadlines.append((loop.time() + _STORE_TIMEOUT, fut))
        if self._expiry is None:
            self._expiry = loop.call_at(self._deadlines[0][0], self._expire)
        return await fut

    async def close(self) -> None:
        """Let the writer end once what is queued is committed."""
        await self._queue.put(None)

    def _expire(self) -> None:
        """Answer the requests whose commit took longer than _STORE_TIMEOUT (with 503). Their
        items stay in their batch: they may still be stored, and a retry is then a duplicate."""
        loop = asyncio.get_running_loop()
        now = loop.time()
        deadlines = self._deadlines
        while deadlines and (deadlines[0][1].done() or deadlines[0][0] <= now):
            _deadline, fut = deadlines.popleft()
            if not fut.done():
                log.error("storing a webhook took longer than %.0f s", _STORE_TIMEOUT)
                fut.set_result(TimeoutError("the commit took too long"))
        self._expiry = loop.call_at(deadlines[0][0], self._expire) if deadlines else None

    async def run(self) -> None:
        """The writer task: commit batches until close()."""
        loop = asyncio.get_running_loop()
        done = False
        previous = 0  # size of the previous batch
        while not done:
            first = await self._queue.get()
            if first is None:
                break
            await self._check.wait()  # the first commits wait for the check
            if previous >= _BUSY_BATCH:
                # A burst: wait a moment so that more requests share this commit (and its
                # fsync). One message at a time, as usual, is committed at once.
                await asyncio.sleep(_GATHER_DELAY)
            batch = [first]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                entry = self._queue.get_nowait()
                if entry is None:
                    done = True
                    break
                batch.append(entry)
            previous = len(batch)
            try:
                outcomes = await loop.run_in_executor(
                    self._worker, self._store_batch, [item for item, _ in batch]
                )
            except asyncio.CancelledError:  # stop() gave up waiting: answer, then end
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(TimeoutError("the listener stopped"))
                raise
            except Exception as exc:  # the worker itself failed: every request gets 503
                outcomes = [exc] * len(batch)
            for (_, fut), outcome in zip(batch, outcomes, strict=True):
                if not fut.done():
                    fut.set_result(outcome)
            while self._deadlines and self._deadlines[0][1].done():  # answered: no timer needed
                self._deadlines.popleft()
            changed = [o[0] for o in outcomes if isinstance(o, tuple) and o[1] and o[0]]
            if changed and self._notify is not None:
                loop.run_in_executor(self._worker, self._notify, changed)

    def _store_batch(self, items: Sequence[Item]) -> list[Outcome]:
        """Runs on the store thread: one transaction; on failure, each item alone."""
        from voipdesk.store import StoreDamaged, StoreError

        try:
            return list(self._store.record_webhooks(items))
        except StoreError as exc:  # damaged, or read-only: every item would fail alike
            if isinstance(exc, StoreDamaged):
                self._check.damaged = exc
            return [exc] * len(items)
        except Exception as exc:
            if len(items) == 1:
                log.exception("storing a webhook failed")
                return [exc]
        # One bad item must not fail its neighbours: retry them one by one.
        log.warning("storing a batch of %d webhooks failed; retrying one by one", len(items))
        outcomes: list[Outcome] = []
        for item in items:
            try:
                outcomes.extend(self._store.record_webhooks([item]))
            except Exception as exc:
                log.exception("storing a webhook failed")
                outcomes.append(exc)
        return outcomes
