"""Send later, on the outbox's floor: the outbox's run loop sends each scheduled message when
it is due, once.

Exactly once: a scheduled message is taken into the outbox by one write transaction that
deletes it from scheduled_messages and inserts it as a SENDING message owned by this process
(Store.take_scheduled). Only the process whose delete succeeded sends it; from then on it is an
ordinary outgoing message under every rule of the outbox (a request that may have reached the
provider becomes UNKNOWN and is never resent silently; only a request that surely did not take
effect is retried; a 2xx is an acceptance). One that is overdue (voipdesk was not running at its
time) is sent at the next start, and its bubble says it went late (core.scheduled.late_note).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

from voipdesk.core.models import Message

if TYPE_CHECKING:
    from voipdesk.outbox import Outbox

log = logging.getLogger("voipdesk.outbox")


class SendLater:
    """The outbox's scheduled messages. `on_change(conversation_id)` hears every change to a
    conversation's scheduled messages (one taken into the outbox, here)."""

    def __init__(self, outbox: Outbox) -> None:
        self.outbox = outbox
        self.on_change: Callable[[int], None] | None = None

    def _changed(self, conversation_id: int) -> None:
        if self.on_change is not None:
            self.on_change(conversation_id)

    async def next_at(self) -> float | None:
        """When the soonest scheduled message is due (None when there is none)."""
        return await asyncio.to_thread(self.outbox.store.next_scheduled_at)

    async def send_due(self) -> list[Message]:
        """Take every scheduled message whose time has come into the outbox and send it.
        While sending is paused (credentials) they stay scheduled: resume() wakes the loop."""
        outbox = self.outbox
        done: list[Message] = []
        if outbox.paused is not None:
            return done
        for scheduled in await asyncio.to_thread(outbox.store.due_scheduled, outbox.clock()):
            message = await self.take(scheduled.id, scheduled.conversation_id, on_time=True)
            if message is not None:
                done.append(message)
            if outbox.paused is not None:
                break
        return done

    async def send_now(self, scheduled_id: int) -> Message | None:
        """The person asked to send a scheduled message now; None when it is no longer
        scheduled (sent or cancelled meanwhile)."""
        scheduled = await asyncio.to_thread(self.outbox.store.scheduled_message, scheduled_id)
        if scheduled is None:
            return None
        return await self.take(scheduled_id, scheduled.conversation_id, on_time=False)

    async def take(self, scheduled_id: int, conversation_id: int, *, on_time: bool):
        outbox = self.outbox
        taken = await asyncio.to_thread(outbox.store.take_scheduled, scheduled_id, on_time=on_time)
        if taken is None:  # another voipdesk process took it, or it was cancelled
            return None
        log.info("sending scheduled message %s as message %s", scheduled_id, taken.id)
        self._changed(conversation_id)
        outbox._emit(taken)  # the bubble, in its place in send order, before the request
        if outbox.paused is not None:
            return await outbox._hold(taken, outbox.paused)
        return await outbox.attempt(taken)
