"""Send later on the services floor: schedule, edit, cancel and send now, told through one
event (`changed`, with the conversation id) so the open thread shows its scheduled messages."""

from __future__ import annotations

import asyncio
from collections.abc import Callable

from voipdesk.core.models import Message
from voipdesk.core.scheduled import Scheduled
from voipdesk.outbox import Outbox
from voipdesk.services.events import Event


class Scheduling:
    """Scheduled messages: stored here, sent by the outbox's run loop when due."""

    def __init__(self, outbox: Outbox, spawn: Callable[..., asyncio.Task]) -> None:
        self.outbox = outbox
        self.store = outbox.store  # the writer: used from worker threads only
        self.spawn = spawn
        # A conversation's scheduled messages changed (scheduled, edited, cancelled, sent).
        self.changed: Event[int] = Event("scheduled messages changed")
        outbox.later.on_change = self.changed.emit

    async def _write(self, fn: Callable, *args: object):
        return await asyncio.to_thread(fn, *args)

    def schedule(self, own: str, peer: str, body: str, send_at: float) -> asyncio.Task:
        async def run() -> Scheduled:
            # (on the shared inbox, who scheduled it: the message says so when it is sent)
            sent_by = self.outbox.sent_by or None
            scheduled = await asyncio.to_thread(
                self.store.schedule, own, peer, body, send_at, sent_by=sent_by
            )
            self.changed.emit(scheduled.conversation_id)
            self.outbox.wake()  # it may now be the soonest: the run loop sleeps until it
            return scheduled

        return self.spawn(run())

    def edit(self, scheduled_id: int, body: str, send_at: float) -> asyncio.Task:
        async def run() -> Scheduled | None:
            scheduled = await self._write(self.store.edit_scheduled, scheduled_id, body, send_at)
            if scheduled is not None:
                self.changed.emit(scheduled.conversation_id)
                self.outbox.wake()
            return scheduled

        return self.spawn(run())

    def cancel(self, scheduled_id: int) -> asyncio.Task:
        async def run() -> Scheduled | None:
            scheduled = await self._write(self.store.cancel_scheduled, scheduled_id)
            if scheduled is not None:
                self.changed.emit(scheduled.conversation_id)
            return scheduled

        return self.spawn(run())

    def send_now(self, scheduled_id: int) -> asyncio.Task:
        async def run() -> Message | None:
            return await self.outbox.later.send_now(scheduled_id)

        return self.spawn(run())
