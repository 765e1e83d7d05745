"""Following the shared store: what the server and the other desks changed, as they commit it
(issue #11, items 2 and 5).

The shared store on PostgreSQL numbers every committed change in commit order and NOTIFYs the
number (store/pg/changes.py). A ChangeFeed LISTENs first, then reads every change after the last
number it has handled, turns the changes into what a desk shows (the messages as they are now,
the conversations and contacts to refresh) and hands them on in batches, in change order. After
a dropped connection (the server restarted, a router forgot it silently, the laptop slept) it
says so, tries again with a growing pause, and reads everything after its last number: nothing
is missed and nothing handed on twice.

Blocking calls run on one thread of the feed's own, so a wait on the LISTEN connection never
holds a thread another caller needs, and stopping never waits for it (at most `wait_s`)."""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from voipdesk.core.models import Message
from voipdesk.store import StoreError

log = logging.getLogger("voipdesk.feed")

WAIT_S = 5.0  # the longest wait on the LISTEN connection before its heartbeat query
BATCH = 500  # changes read at a time
RETRY_S = (1.0, 2.0, 5.0, 10.0, 30.0)  # pauses between reconnects, the last one repeated


@dataclass(frozen=True, slots=True)
class MessageGone:
    """A message deleted from the shared store: which, and from which conversation."""

    id: int
    conversation_id: int


@dataclass(slots=True)
class ChangeBatch:
    """What changed, in change order, up to change number `last`: each message once, as it
    is now; the ids of messages deleted; the conversations whose read mark, last message or
    flags changed; the numbers whose contact name changed. `reload`: changes after the last
    number handed on were pruned from the log (the desk was away longer than the log
    remembers), so what the desk shows is read again, not patched."""

    last: int
    reload: bool = False
    messages: list[Message] = field(default_factory=list)
    removed: list[MessageGone] = field(default_factory=list)
    conversations: list[int] = field(default_factory=list)
    contacts: list[str] = field(default_factory=list)


class ChangeFeed:
    """Hands on_batch every change after `after` (default: the newest change when it starts,
    with a first, empty batch that says `reload`: what the desk shows was read without a
    change number, so it is read again once the feed listens), and on_state a sentence while
    the shared store cannot be reached (None once it can). Both are called on the loop that
    awaits run()."""

    def __init__(
        self,
        store: Any,  # a store with a change log: PgStore (listen, changes_after, last_change)
        on_batch: Callable[[ChangeBatch], object],
        on_state: Callable[[str | None], object] = lambda sentence: None,
        *,
        after: int | None = None,
        wait_s: float = WAIT_S,
        retry_s: tuple[float, ...] = RETRY_S,
    ) -> None:
        self._store = store
        self._on_batch = on_batch
        self._on_state = on_state
        self._last = after
        self._wait_s = wait_s
        self._retry_s = retry_s
        self._offline: str | None = None
        self._thread = ThreadPoolExecutor(max_workers=1, thread_name_prefix="voipdesk-feed")
        self._stopping = threading.Event()  # the LISTEN wait on the thread ends soon after

    @property
    def last(self) -> int | None:
        """The newest change number handed on (or started after)."""
        return self._last

    @property
    def offline(self) -> str | None:
        """Why the shared store cannot be reached now, or None."""
        return self._offline

    async def _call(self, fn: Callable, *args: object, **kwargs: object) -> Any:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._thread, lambda: fn(*args, **kwargs))

    async def _listen(self) -> Any:
        """The LISTEN connection; one still opening when the feed is stopped is closed once it
        is open (else it would stay open, unowned, until the collector finds it)."""
        loop = asyncio.get_running_loop()
        opening = loop.run_in_executor(self._thread, self._store.listen)
        try:
            return await asyncio.shield(opening)
        except asyncio.CancelledError:
            opening.add_done_callback(_close_when_open)
            raise

    async def run(self) -> None:
        """Follow the change log until cancelled."""
        failures = 0
        try:
            while True:
                listener = None
                try:
                    listener = await self._listen()  # LISTEN first,
                    if self._last is None:  # what the desk shows was read without a number:
                        self._last = await self._call(self._store.last_change)
                        self._hand_on(ChangeBatch(self._last, reload=True))  # read it again
                    await self._catch_up()  # then read what came after the last number
                    self._set_offline(None)
                    failures = 0
                    while True:
                        newest = await self._call(listener.wait, self._wait_s, self._stopping)
                        if newest is not None:
                            await self._catch_up()
                except StoreError as exc:
                    self._set_offline(str(exc))
                    pause = self._retry_s[min(failures, len(self._retry_s) - 1)]
                    failures += 1
                    await asyncio.sleep(pause)
                finally:
                    if listener is not None:
                        # On the feed's thread, after a wait still running there returns.
                        self._thread.submit(listener.close)
        finally:
            self._stopping.set()  # (else the process would wait for the wait at its exit)
            self._thread.shutdown(wait=False)

    async def _catch_up(self) -> None:
        while True:
            changes = await self._call(self._store.changes_after, self._last, limit=BATCH)
            if not changes:
                return
            batch = await self._call(self._resolve, changes)
            # Numbers are gap-free: a gap after the last one handed on means it was pruned.
            batch.reload = changes[0].number > (self._last or 0) + 1
            self._last = batch.last
            self._hand_on(batch)
            if len(changes) < BATCH:
                return

    def _hand_on(self, batch: ChangeBatch) -> None:
        try:
            self._on_batch(batch)
        except Exception:  # a consumer's bug must not stop the desk hearing of changes
            log.exception("handling shared-store changes up to %d failed", batch.last)

    def _resolve(self, changes: list) -> ChangeBatch:  # on the feed's thread
        """The changes as a desk shows them: each message read once, as it is now."""
        message_ids: dict[int, int] = {}  # message id -> its conversation
        conversations: dict[int, None] = {}
        contacts: dict[str, None] = {}
        for change in changes:
            if change.kind == "message" and change.message_id is not None:
                message_ids.pop(change.message_id, None)  # keep the order of its last change
                message_ids[change.message_id] = change.conversation_id or 0
            elif change.kind == "conversation" and change.conversation_id is not None:
                conversations[change.conversation_id] = None
            elif change.kind == "contact" and change.contact_number is not None:
                contacts[change.contact_number] = None
        batch = ChangeBatch(
            last=changes[-1].number, conversations=list(conversations), contacts=list(contacts)
        )
        found = {m.id: m for m in self._store.messages_by_id(list(message_ids))}
        for message_id, conversation_id in message_ids.items():
            message = found.get(message_id)
            if message is None:
                batch.removed.append(MessageGone(message_id, conversation_id))
            else:
                batch.messages.append(message)
        return batch

    def _set_offline(self, sentence: str | None) -> None:
        if sentence == self._offline:
            return
        self._offline = sentence
        if sentence:
            log.warning("the shared inbox cannot be reached: %s", sentence)
        elif sentence is None:
            log.info("the shared inbox can be reached again")
        self._on_state(sentence)


def _close_when_open(opening: asyncio.Future) -> None:
    if not opening.cancelled() and opening.exception() is None:
        opening.result().close()
