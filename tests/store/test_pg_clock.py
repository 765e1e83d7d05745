"""On the shared store the times that order things are the database's (issue #11, item 2): a
desk whose clock is behind the others' does not sort what it sends before what is there, and a
conversation's last message and time only move forward, whatever order writers commit in."""

from __future__ import annotations

import threading
import time

import pytest

from voipdesk.store import open_store

from .conftest import OWN, PEER, PEER2, inbound


@pytest.fixture
def server_and_desk(pg_url):
    """`voipdesk serve` and one desk on one shared store, each with this computer's clock."""
    with open_store(pg_url) as server, open_store(pg_url) as desk:
        yield server, desk


def test_a_desk_whose_clock_is_behind_sends_a_message_that_sorts_after_those_there(
    server_and_desk, monkeypatch
):
    server, desk = server_and_desk
    first, _ = server.add_inbound(inbound("Are you open?", frm=PEER))
    other, _ = server.add_inbound(inbound("Meanwhile, elsewhere", frm=PEER2))
    monkeypatch.setattr(desk, "_clock", lambda: time.time() - 300)  # 5 minutes behind
    reply = desk.add_outgoing(OWN, PEER, "Yes, until six")
    assert reply.created_at >= other.created_at >= first.created_at
    # The conversation answered is the newest in the list, on every desk.
    listed = server.conversations()
    assert [c.peer_number for c in listed] == [PEER, PEER2]
    assert (listed[0].last_body, listed[0].last_timestamp) == ("Yes, until six", reply.created_at)
    thread = server.messages(reply.conversation_id)
    assert [m.body for m in thread] == ["Are you open?", "Yes, until six"]
    assert [m.created_at for m in thread] == sorted(m.created_at for m in thread)
    # The same for a text the desk's clock would have put in the past.
    monkeypatch.setattr(server, "_clock", lambda: time.time() - 300)
    again, _ = server.add_inbound(inbound("Great, see you", frm=PEER2))
    assert again.created_at >= reply.created_at
    assert [c.peer_number for c in server.conversations()] == [PEER2, PEER]


def test_a_message_stored_earlier_but_committed_later_does_not_move_the_conversation_back(
    server_and_desk, monkeypatch
):
    """A desk's send and the server's text go into one conversation at once: the desk's row
    is written first (an older id and time), the server's commits first. The conversation's
    preview and time stay the server's newer text."""
    server, desk = server_and_desk
    server.add_inbound(inbound("first", frm=PEER))
    inserted, go_on = threading.Event(), threading.Event()
    touch = desk._touch

    def touch_after_the_server(conn, *args):
        inserted.set()
        assert go_on.wait(10)
        touch(conn, *args)

    monkeypatch.setattr(desk, "_touch", touch_after_the_server)
    sent: list = []
    sending = threading.Thread(target=lambda: sent.append(desk.add_outgoing(OWN, PEER, "mine")))
    sending.start()
    try:
        assert inserted.wait(10)
        newer, _ = server.add_inbound(inbound("newer, committed first", frm=PEER))
    finally:
        go_on.set()
        sending.join(10)
    (mine,) = sent
    assert mine.id < newer.id and mine.created_at <= newer.created_at
    conversation = server.conversation(newer.conversation_id)
    assert conversation.last_message_id == newer.id
    assert conversation.last_body == "newer, committed first"
    assert conversation.last_timestamp == newer.created_at
