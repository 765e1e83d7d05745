"""On the shared store the times that order things are the database's (issue #11, item 2): a
desk whose clock is behind the others' does not sort what it sends before what is there, and a
conversation's last message and time only move forward, whatever order writers commit in."""

from __future__ import annotations

import threading
import time

import psycopg
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


def test_a_message_written_while_another_is_in_flight_in_its_conversation_comes_after_it(
    server_and_desk, pg_url, monkeypatch
):
    """A desk's send and the server's text go into one conversation at once (the desk's row
    written first, its commit still to come): the server's waits for it, so in every thread
    and in the change log the two are in one order, and the conversation's preview is the one
    committed last. (Else the server's text, committed first, would be drawn by the desks, and
    then the desk's message, committed later, would come in above it: read up to a message a
    desk has drawn would then count as read a message it had not drawn.)"""
    server, desk = server_and_desk
    first, _ = server.add_inbound(inbound("first", frm=PEER))
    inserted, go_on = threading.Event(), threading.Event()
    touch = desk._touch

    def touch_when_told(conn, *args):
        inserted.set()
        assert go_on.wait(10)
        touch(conn, *args)

    monkeypatch.setattr(desk, "_touch", touch_when_told)
    sent, received = [], []
    sending = threading.Thread(target=lambda: sent.append(desk.add_outgoing(OWN, PEER, "mine")))
    sending.start()
    receiving = None
    try:
        assert inserted.wait(10)
        receiving = threading.Thread(
            target=lambda: received.append(server.add_inbound(inbound("meanwhile", frm=PEER)))
        )
        receiving.start()
        # The server's text is stored, or waits for the conversation the desk is writing to.
        with psycopg.connect(pg_url, autocommit=True) as watch:
            deadline = time.monotonic() + 10
            while receiving.is_alive() and not _waits_for_a_conversation(watch):
                assert time.monotonic() < deadline, "the server's write neither ended nor waited"
                time.sleep(0.01)
    finally:
        go_on.set()
        sending.join(10)
        if receiving is not None:
            receiving.join(10)
    (mine,), ((meanwhile, _),) = sent, received
    committed = []  # message ids in the order their rows were committed
    for change in server.changes_after(0):
        if change.kind == "message" and change.message_id not in committed:
            committed.append(change.message_id)
    assert committed == sorted(committed) == [first.id, mine.id, meanwhile.id]
    thread = server.messages(first.conversation_id)
    assert [m.body for m in thread] == ["first", "mine", "meanwhile"]
    conversation = server.conversation(first.conversation_id)
    assert (conversation.last_message_id, conversation.last_body) == (meanwhile.id, "meanwhile")
    assert conversation.last_timestamp == max(m.created_at for m in thread)


def _waits_for_a_conversation(watch) -> bool:
    return (
        watch.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND wait_event_type = 'Lock' AND query ILIKE '%conversations%'"
        ).fetchone()[0]
        > 0
    )


def test_the_server_s_heartbeat_and_its_age_are_on_the_database_s_clock(
    server_and_desk, monkeypatch
):
    """`voipdesk serve` on a computer whose clock is off: a desk still sees how long ago it
    beat, as the database's clock measures it, not as the two computers' clocks disagree."""
    server, desk = server_and_desk
    monkeypatch.setattr(server, "_clock", lambda: time.time() - 180)  # 3 minutes behind
    written = server.beat(started_at=time.time() - 60)
    beat = desk.last_heartbeat()
    assert beat == written and abs(beat.seen_at - time.time()) < 5
    assert 0 <= beat.age < 5  # it beat a moment ago: not "may have stopped"

    # Its clock 10 minutes ahead, and its last beat 5 minutes ago: it has stopped.
    monkeypatch.setattr(server, "_clock", lambda: time.time() + 600)
    server.beat(started_at=time.time() - 60)
    server._write(lambda t: t.execute("UPDATE heartbeats SET seen_at = seen_at - 300"))
    assert 295 < desk.last_heartbeat().age < 305
