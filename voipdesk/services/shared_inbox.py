"""A desk on the shared inbox (issue #11, item 5): the services on a PostgreSQL store, where
`voipdesk serve` receives and the desks follow the store's change log (services/change_feed.py).

What another desk or the server commits reaches this desk's services as the very events a local
desk's listener and outbox raise: messages_changed for what is new or changed (this desk's own
sends come back through the log too: the models update by id), incoming for texts received
(notified once each), messages_removed, contacts_changed, and the unread total counted again
when a conversation's read mark moved. While the shared store cannot be reached, `offline`
holds the sentence that says so (and `state_changed` tells it)."""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import TYPE_CHECKING

from voipdesk.core.models import Direction, Message
from voipdesk.services.change_feed import ChangeBatch, ChangeFeed
from voipdesk.services.events import Event

if TYPE_CHECKING:
    from voipdesk.services.services import Services

log = logging.getLogger("voipdesk.shared")

_REMEMBERED = 10_000  # inbound message ids already told as incoming


class SharedInbox:
    """Follows the shared store for one desk's services."""

    def __init__(self, services: Services, *, after: int | None = None, **feed_options) -> None:
        self._services = services
        self._told: OrderedDict[int, None] = OrderedDict()
        # The shared store can (None) or cannot (the sentence) be reached.
        self.state_changed: Event[str | None] = Event("shared inbox state changed")
        # The conversations whose read mark, last message or flags another desk changed.
        self.conversations_changed: Event[list[int]] = Event("shared conversations changed")
        # Changes were pruned while this desk was away: what it shows is read again.
        self.reload: Event[()] = Event("shared inbox reload")
        self.feed = ChangeFeed(
            services.store, self._on_batch, self._on_state, after=after, **feed_options
        )

    @property
    def offline(self) -> str | None:
        """Why the shared store cannot be reached now, or None (the feed's)."""
        return self.feed.offline

    async def run(self) -> None:
        await self.feed.run()

    def _on_batch(self, batch: ChangeBatch) -> None:
        services = self._services
        if batch.reload:
            self.reload.emit()
        if batch.removed:  # (consumers take the id and conversation of each)
            services.messages_removed.emit(batch.removed)  # type: ignore[arg-type]
        shown = services.flags.shown(batch.messages)  # a blocked number's: stored, not shown
        if shown:
            services.messages_changed.emit(shown)
            new = [m for m in shown if self._is_new(m)]
            if new:
                services.incoming.emit(new)
        if batch.contacts:
            services.contacts_changed.emit()
        if batch.conversations:
            self.conversations_changed.emit(batch.conversations)
            services.spawn(services.unread.count())  # read marks moved on other desks

    def _is_new(self, message: Message) -> bool:
        """A received text not told before (the feed hands on only what committed after the
        desk started following, so a text is new the first time it comes)."""
        if message.direction is not Direction.IN:
            return False
        if message.id in self._told:
            return False
        self._told[message.id] = None
        while len(self._told) > _REMEMBERED:
            self._told.popitem(last=False)
        return True

    def _on_state(self, sentence: str | None) -> None:
        self.state_changed.emit(sentence)
