"""One order for every change on the shared store (issue #11, item 2): each committed change
gets a number in commit order, NOTIFY carries only that number, and a reader that LISTENs and
then reads after the last number it saw misses nothing and sees nothing twice."""

from __future__ import annotations

import threading

import psycopg
import pytest

from voipdesk.core.models import Status
from voipdesk.store import StoreUnavailable, open_store
from voipdesk.store.pg.schema import CHANNEL

from .conftest import OWN, PEER, PEER2, inbound


@pytest.fixture
def shared(pg_url):
    with open_store(pg_url) as store:
        yield store


def kinds(changes):
    return [(c.kind, c.conversation_id, c.message_id, c.contact_number) for c in changes]


def test_each_kind_of_change_gets_the_next_number(shared):
    assert (shared.last_change(), shared.changes_after(0)) == (0, [])
    msg, _ = shared.add_inbound(inbound("hi"))
    cid = msg.conversation_id
    assert kinds(shared.changes_after(0)) == [
        ("message", cid, msg.id, None),
        ("conversation", cid, None, None),  # its last message and unread count
    ]
    last = shared.last_change()
    shared.mark_read(cid)
    out = shared.add_outgoing(OWN, PEER, "answer")
    shared.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-1")
    shared.set_contact(PEER, "Ana")
    shared.set_contact(PEER, "Ana")  # the same name again changes nothing
    shared.set_draft(cid, "drafts stay with each desk")
    shared.delete_message(out.id)
    changes = shared.changes_after(last)
    assert [c.number for c in changes] == list(range(last + 1, last + 1 + len(changes)))
    assert kinds(changes) == [
        ("conversation", cid, None, None),  # read
        ("message", cid, out.id, None),  # sent
        ("conversation", cid, None, None),
        ("message", cid, out.id, None),  # its status
        ("contact", None, None, PEER),
        ("message", cid, out.id, None),  # deleted
        ("conversation", cid, None, None),
    ]
    assert shared.last_change() == changes[-1].number


def test_muting_and_marking_unread_are_changes_the_desks_hear_of(shared):
    msg, _ = shared.add_inbound(inbound("hi"))
    cid = msg.conversation_id
    shared.mark_read(cid)
    last = shared.last_change()
    shared.set_muted(cid, True)
    shared.set_muted(cid, True)  # muted already: nothing changes
    shared.mark_unread(cid)
    shared.mark_read(cid)
    assert kinds(shared.changes_after(last)) == [("conversation", cid, None, None)] * 3


def test_a_transaction_that_fails_uses_no_number(shared, pg_url):
    shared.add_inbound(inbound("one"))
    before = shared.last_change()
    with psycopg.connect(pg_url) as conn:
        conn.execute("INSERT INTO contacts (number, name) VALUES ('+1', 'x')")
        conn.rollback()
    shared.set_contact(PEER2, "Bo")
    assert [c.number for c in shared.changes_after(before)] == [before + 1]


def test_notify_carries_only_the_change_number(shared, pg_url):
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        shared.add_inbound(inbound("hi"))
        payloads = [n.payload for n in conn.notifies(timeout=2, stop_after=2)]
    # A webhook batch (the message, its conversation) is numbered 1 and 2 and announced once,
    # with its newest number: a desk reads every change after the last it saw.
    assert payloads == ["2"]
    assert [(c.number, c.kind) for c in shared.changes_after(0)] == [
        (1, "message"), (2, "conversation")
    ]  # fmt: skip


def test_a_batch_of_webhooks_is_logged_whole_and_announced_once(shared, pg_url):
    """Texts to two conversations in one batch, one of them a repeat of a stored one: each
    new message and each conversation it moved is a change, numbered in order, under one
    NOTIFY; the repeat is no change."""
    shared.add_inbound(inbound("before", mdr_id="m0"))
    first = shared.last_change()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"LISTEN {CHANNEL}")
        stored = shared.record_webhooks(
            [
                inbound("one", mdr_id="m1"),
                inbound("again", mdr_id="m0"),
                inbound("two", frm=PEER2, mdr_id="m2"),
                inbound("STOP", mdr_id="m3"),
            ]
        )
        payloads = [n.payload for n in conn.notifies(timeout=2, stop_after=3)]
    assert [changed for _, changed in stored] == [True, False, True, True]
    one, _, two, stop = (m for m, _ in stored)
    changes = shared.changes_after(first)
    assert payloads == [str(first + 5)] == [str(changes[-1].number)]
    assert [c.number for c in changes] == list(range(first + 1, first + 6))
    assert [(c.kind, c.message_id) for c in changes[:3]] == [
        ("message", one.id), ("message", two.id), ("message", stop.id)
    ]  # fmt: skip
    assert {(c.kind, c.conversation_id) for c in changes[3:]} == {
        ("conversation", one.conversation_id), ("conversation", two.conversation_id)
    }  # fmt: skip
    assert shared.conversation(one.conversation_id).opted_out


def test_two_writers_get_gap_free_numbers_in_commit_order_and_a_listener_misses_nothing(pg_url):
    """Two writers commit as fast as they can; a reader LISTENs, and on each notification reads
    every change after the last number it has. Numbers given out of commit order would show as
    a gap to it (a later number visible before an earlier one) and be skipped for good."""
    per_writer = 40
    with open_store(pg_url) as a, open_store(pg_url) as b, open_store(pg_url) as reader:
        seen: list[int] = []
        gaps: list[tuple[int, int]] = []
        done = threading.Event()
        listener = reader.listen()

        def read() -> None:
            last = 0
            while True:
                finished = done.is_set()
                listener.wait(0.2)
                for change in reader.changes_after(last):
                    if change.number != last + 1:
                        gaps.append((last, change.number))
                    seen.append(change.number)
                    last = change.number
                if finished:
                    return

        def write(store, peer: str) -> None:
            for i in range(per_writer):
                if i % 2:
                    store.add_inbound(inbound(f"{peer} {i}", frm=peer))
                else:
                    store.set_contact(peer, f"name {i}")

        reading = threading.Thread(target=read)
        reading.start()
        writers = [threading.Thread(target=write, args=(s, p)) for s, p in ((a, PEER), (b, PEER2))]
        for t in writers:
            t.start()
        for t in writers:
            t.join()
        done.set()
        reading.join(timeout=30)
        listener.close()
        total = reader.last_change()
        # contacts: one change each; an inbound message: the message and its conversation
        assert total == 2 * (per_writer // 2 + 2 * (per_writer // 2))
        assert gaps == []
        assert seen == list(range(1, total + 1))  # nothing missed, nothing twice
        assert [c.number for c in reader.changes_after(0, limit=10_000)] == seen


def test_a_reader_that_reconnects_reads_what_it_missed_after_its_last_number(shared):
    with shared.listen() as listener:
        shared.add_inbound(inbound("while listening"))
        assert listener.wait(5) == shared.last_change()
        last = shared.last_change()
    # Its connection is gone (closed, dropped): changes go on without it.
    shared.add_inbound(inbound("while away 1"))
    shared.add_inbound(inbound("while away 2"))
    with shared.listen() as listener:  # LISTEN first, then read after the last number
        missed = shared.changes_after(last)
        assert [c.number for c in missed] == list(range(last + 1, last + 5))
        assert listener.wait(0.05) is None  # nothing new since, and nothing told twice


def test_a_listen_connection_that_was_dropped_says_so_instead_of_waiting_forever(shared, pg_url):
    listener = shared.listen()
    try:
        with psycopg.connect(pg_url, autocommit=True) as conn:
            conn.execute("SELECT pg_terminate_backend(%s)", (listener._conn.info.backend_pid,))
        with pytest.raises(StoreUnavailable):
            for _ in range(3):  # the heartbeat after a quiet wait finds it gone at the latest
                listener.wait(0.2)
    finally:
        listener.close()


def test_a_notification_without_a_number_still_wakes_the_reader(shared, pg_url):
    with shared.listen() as listener, psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute(f"NOTIFY {CHANNEL}, 'not a number'")
        assert listener.wait(5) == 0  # woken: it reads changes_after(its last number)
