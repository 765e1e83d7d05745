"""Block, mute, mark unread: what the person decided about a number or a conversation, kept in
the store and followed here in memory, so each message received is sorted without a read.

A blocked number's texts are stored (nothing is lost, and unblocking brings the conversation
back) but they raise no notification and no unread count, and are not shown. A muted
conversation raises no notification and is still counted."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable

from voipdesk.core.models import Message
from voipdesk.services.events import Event
from voipdesk.services.unread import UnreadCount
from voipdesk.store import Store


class ConversationFlags:
    """The blocked numbers and muted conversations (read once at start), and the actions that
    change them or mark a conversation unread. Each action tells `changed` which conversation
    ids or numbers it affected once the store has it."""

    def __init__(self, writer: Store, unread: UnreadCount) -> None:
        self._writer = writer
        self._unread = unread
        self.blocked: set[str] = set()
        self.muted: set[int] = set()
        self.changed: Event[()] = Event("conversation flags changed")

    async def load(self) -> None:
        def read() -> tuple[list[str], set[int]]:
            return self._writer.blocked_numbers(), self._writer.muted_conversations()

        blocked, self.muted = await asyncio.to_thread(read)
        self.blocked = set(blocked)

    def shown(self, messages: Iterable[Message]) -> list[Message]:
        """The messages not from a blocked number."""
        return [m for m in messages if m.peer_number not in self.blocked]

    def notifies(self, message: Message) -> bool:
        return message.peer_number not in self.blocked and message.conversation_id not in self.muted

    async def block(self, number: str) -> None:
        self.blocked.add(number)  # from now on, before the store has it: nothing slips through
        cleared = await asyncio.to_thread(self._writer.block, number)
        if cleared:
            await self._unread.count()
        self.changed.emit()

    async def unblock(self, number: str) -> None:
        await asyncio.to_thread(self._writer.unblock, number)
        self.blocked.discard(number)
        self.changed.emit()

    async def set_muted(self, conversation_id: int, muted: bool) -> None:
        await asyncio.to_thread(self._writer.set_muted, conversation_id, muted)
        (self.muted.add if muted else self.muted.discard)(conversation_id)
        self.changed.emit()

    async def mark_unread(self, conversation_id: int) -> None:
        added = await asyncio.to_thread(self._writer.mark_unread, conversation_id)
        self._unread.received(added)
        self.changed.emit()
