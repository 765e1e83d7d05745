"""The unread total: counted once, then followed from messages received and mark-reads."""

from __future__ import annotations

import asyncio

from voipdesk.core.models import InboundMessage
from voipdesk.services.unread import UnreadCount
from voipdesk.store import Store

OWN, PEER = "+447700900001", "+447700900100"


def inbound(store: Store, n: int):
    item = InboundMessage(PEER, OWN, f"hello {n}", "sms", f"mdr-{n}", None, "{}")
    return store.add_inbound(item)[0]


def test_the_total_follows_the_store_without_recounting(tmp_path, monkeypatch):
    with Store(tmp_path / "voipdesk.sqlite3") as store:
        first = inbound(store, 1)
        unread = UnreadCount(store)
        shown: list[int] = []
        read: list[tuple[int, int, int | None]] = []
        unread.changed.connect(shown.append)
        unread.conversation_read.connect(lambda *args: read.append(args))

        async def go() -> None:
            await unread.count()
            monkeypatch.setattr(store, "unread_total", None)  # counted once only
            inbound(store, 2)
            unread.received(1)
            await unread.mark_read(first.conversation_id)
            # Stored before the mark-read, told after it: passes through -1, shown as 0.
            late = inbound(store, 3)
            await unread.mark_read(first.conversation_id)
            unread.received(1)
            assert late.id > first.id

        asyncio.run(go())
        assert shown == [1, 2, 0, 0, 0]
        assert unread.total == 0
        assert read[0] == (first.conversation_id, 2, first.id + 1)
