"""How many messages are unread in all: counted once from the store, then followed from what
the services are told (messages received, conversations marked read)."""

from __future__ import annotations

import asyncio

from voipdesk.services.events import Event
from voipdesk.store import Store


class UnreadCount:
    """The unread total's one owner (the tray shows it). Read from the store once, at start,
    before the listener runs; after that each message received adds one and each conversation
    marked read takes away what the store cleared, so nobody recounts on the GUI thread.

    A mark-read and a message received at the same moment may be told in either order: the
    total then passes through -1 for a turn of the loop, which is shown as 0."""

    def __init__(self, writer: Store) -> None:
        self._writer = writer
        self.total: int | None = None  # until counted
        # The count and each mark-read apply their result in the order the store did them.
        self._lock = asyncio.Lock()
        self.changed: Event[int] = Event("unread changed")
        # (conversation id, how many it had unread, its newest message id then)
        self.conversation_read: Event[int, int, int | None] = Event("conversation read")

    @property
    def shown(self) -> int:
        return max(self.total or 0, 0)

    async def count(self) -> None:
        """Count the unread messages in the store (off the caller's thread)."""
        async with self._lock:
            self.total = await asyncio.to_thread(self._writer.unread_total)
        self.changed.emit(self.shown)

    def received(self, count: int) -> None:
        """`count` inbound messages were stored (each stored one is unread)."""
        if count and self.total is not None:
            self.total += count
            self.changed.emit(self.shown)

    async def mark_read(self, conversation_id: int, upto: int | None = None) -> None:
        """Mark a conversation read in the store (on a worker thread) and follow it; `upto`:
        the newest message id the desk has drawn in it (a text stored after it stays unread:
        Store.mark_read)."""
        async with self._lock:
            cleared, upto = await asyncio.to_thread(
                self._writer.mark_read, conversation_id, upto=upto
            )
            if self.total is not None and cleared:
                self.total -= cleared
                self.changed.emit(self.shown)
        self.conversation_read.emit(conversation_id, cleared, upto)
