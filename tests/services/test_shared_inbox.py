"""Two desks' services on one shared inbox (a real PostgreSQL server, the sandbox over real
HTTP): neither receives itself; what the server stores and what one desk sends reaches the
other as it commits; a message is sent once."""

from __future__ import annotations

import asyncio
import time

from tests.store.conftest import OWN, PEER, inbound
from voipdesk.core.models import Direction, Status
from voipdesk.sandbox import DEMO_ACCOUNT
from voipdesk.services import Services
from voipdesk.settings import Settings
from voipdesk.store import open_store


def desk_settings(folder, sandbox, name: str = "") -> Settings:
    settings = Settings.load(folder)
    settings.your_name = name
    settings.numbers = [OWN]
    settings.api_url = sandbox.send_url
    return settings


class Heard:
    def __init__(self, services: Services) -> None:
        self.changed: list = []
        self.incoming: list = []
        self.unread: list[int] = []
        self.conversations: list[int] = []
        services.messages_changed.connect(self.changed.extend)
        services.incoming.connect(self.incoming.extend)
        services.unread.changed.connect(self.unread.append)
        services.shared_inbox.conversations_changed.connect(self.conversations.extend)

    def statuses(self, body: str) -> list[Status]:
        return [m.status for m in self.changed if m.body == body]


async def until(what: str, check, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        await asyncio.sleep(0.02)


def test_two_desks_share_one_inbox_live(pg_url, sandbox, tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_ACCOUNT_ID", DEMO_ACCOUNT.account_id)
    monkeypatch.setenv("VOIPDESK_API_TOKEN", DEMO_ACCOUNT.api_token)
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    server = open_store(pg_url)  # what `voipdesk serve` stores webhooks with

    async def scenario() -> None:
        a = Services(desk_settings(tmp_path / "a", sandbox, "Ana"), location=pg_url)
        b = Services(desk_settings(tmp_path / "b", sandbox, "Ben"), location=pg_url)
        heard_a, heard_b = Heard(a), Heard(b)
        await a.start()
        await b.start()
        try:
            assert a.shared and b.shared
            assert a.listener is None and b.listener is None  # the server receives
            await until("both desks to follow", lambda: a.shared_inbox.feed.last is not None)
            await until("both desks to follow", lambda: b.shared_inbox.feed.last is not None)

            # A text the server stores reaches both desks, told once as received.
            await asyncio.to_thread(server.add_inbound, inbound("Is the shop open?"))
            for heard in (heard_a, heard_b):
                await until("the text", lambda h=heard: [m.body for m in h.incoming])
                await until("the unread count", lambda h=heard: h.unread[-1:] == [1])
            assert [m.body for m in heard_a.incoming] == ["Is the shop open?"]
            assert [m.body for m in heard_b.incoming] == ["Is the shop open?"]

            # Desk A answers: VoIP Number gets it once; desk B sees it sent.
            await a.send(OWN, PEER, "Yes, until six")
            await until(
                "desk B to see the answer sent",
                lambda: (
                    Status.QUEUED in heard_b.statuses("Yes, until six")
                    or Status.DELIVERED in heard_b.statuses("Yes, until six")
                ),
            )
            sent = sandbox.call(lambda: [r.body for r in sandbox.sandbox.sent])
            assert sent.count("Yes, until six") == 1
            answer = [m for m in heard_b.changed if m.body == "Yes, until six"]
            assert {(m.direction, m.sent_by) for m in answer} == {(Direction.OUT, "Ana")}
            assert [m.body for m in heard_b.incoming] == ["Is the shop open?"]  # not a new text

            # Desk B reads it: desk A's unread count follows.
            cid = heard_b.incoming[0].conversation_id
            await b.unread.mark_read(cid)
            await until("desk A's count", lambda: heard_a.unread[-1:] == [0])
            assert cid in heard_a.conversations

            # Drafts stay with each desk: never in the shared database.
            await a.set_draft(cid, "half-typed by Ana")
            assert await asyncio.to_thread(a.store.drafts) == {cid: "half-typed by Ana"}
            assert await asyncio.to_thread(b.store.drafts) == {}
            assert await asyncio.to_thread(server.drafts) == {}
            assert (tmp_path / "a" / "drafts.json").exists()
        finally:
            await a.stop()
            await b.stop()

    try:
        asyncio.run(scenario())
    finally:
        server.close()


def test_a_desk_reads_only_what_it_has_drawn_a_text_committed_after_stays_unread(
    pg_url, sandbox, tmp_path, monkeypatch
):
    """Desk A reads the thread while a new text is committed that its feed has not brought
    yet: that text stays unread, on both desks and in the shared store (desk B lists it bold)."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    server = open_store(pg_url)

    async def scenario() -> None:
        a = Services(desk_settings(tmp_path / "a", sandbox, "Ana"), location=pg_url)
        b = Services(desk_settings(tmp_path / "b", sandbox, "Ben"), location=pg_url)
        heard_a, heard_b = Heard(a), Heard(b)
        await a.start()
        await b.start()
        try:
            await until("desk A to follow", lambda: a.shared_inbox.feed.last is not None)
            await until("desk B to follow", lambda: b.shared_inbox.feed.last is not None)
            await asyncio.to_thread(server.add_inbound, inbound("Are you open today?"))
            for heard in (heard_a, heard_b):
                await until("the first text", lambda h=heard: h.unread[-1:] == [1])
            drawn = heard_a.incoming[-1]  # what desk A's thread shows, newest
            cid = drawn.conversation_id

            # Committed by the server (the next change); desk A marks what it drew as read.
            later, _ = await asyncio.to_thread(server.add_inbound, inbound("And tomorrow?"))
            await a.mark_read(cid, drawn.id)

            stored = await asyncio.to_thread(server.conversation, cid)
            assert stored.unread_count == 1
            await until("desk B to hear it", lambda: "And tomorrow?" in bodies(heard_b))
            await until("desk A to hear it", lambda: "And tomorrow?" in bodies(heard_a))
            for heard in (heard_a, heard_b):
                await until("both desks to count one", lambda h=heard: h.unread[-1:] == [1])
                await asyncio.sleep(0.3)
                assert heard.unread[-1] == 1
            # Desk B's list reads the conversation it was told changed: still unread.
            assert cid in heard_b.conversations
            listed = await asyncio.to_thread(b.store.conversation, cid)
            assert (listed.unread_count, listed.last_message_id) == (1, later.id)

            # Desk A draws it and reads it: read everywhere.
            await a.mark_read(cid, later.id)
            for heard in (heard_a, heard_b):
                await until("both desks to count none", lambda h=heard: h.unread[-1:] == [0])
        finally:
            await a.stop()
            await b.stop()

    try:
        asyncio.run(scenario())
    finally:
        server.close()


def bodies(heard: Heard) -> list[str]:
    return [m.body for m in heard.incoming]


def test_a_message_a_desk_scheduled_is_sent_under_its_users_name(
    pg_url, sandbox, tmp_path, monkeypatch
):
    """Ana schedules a text on her desk; whichever of the team's voipdesks sends it when it is
    due, every desk shows it as "Sent by Ana" (it went out unsigned)."""
    monkeypatch.setenv("VOIPDESK_ACCOUNT_ID", DEMO_ACCOUNT.account_id)
    monkeypatch.setenv("VOIPDESK_API_TOKEN", DEMO_ACCOUNT.api_token)
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")

    async def scenario() -> list:
        a = Services(desk_settings(tmp_path / "a", sandbox, "Ana"), location=pg_url)
        b = Services(desk_settings(tmp_path / "b", sandbox, "Ben"), location=pg_url)
        heard_b = Heard(b)
        await a.start()
        await b.start()
        try:
            await until("desk B to follow", lambda: b.shared_inbox.feed.last is not None)
            await a.scheduling.schedule(OWN, PEER, "Reminder: we close at six", time.time() + 1)
            await until(
                "the text sent, on desk B",
                lambda: Status.QUEUED in heard_b.statuses("Reminder: we close at six"),
            )
            return [m for m in heard_b.changed if m.body == "Reminder: we close at six"]
        finally:
            await a.stop()
            await b.stop()

    told = asyncio.run(scenario())
    assert {(m.direction, m.sent_by) for m in told} == {(Direction.OUT, "Ana")}
    sent = sandbox.call(lambda: [r.body for r in sandbox.sandbox.sent])
    assert sent.count("Reminder: we close at six") == 1
