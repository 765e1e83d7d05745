"""Send later and serve's heartbeat as the store keeps them, on both stores: a scheduled message
waits outside the thread until the outbox takes it, once, whoever else tries at the same time."""

from __future__ import annotations

import os
import threading

from voipdesk.core.models import Status
from voipdesk.store import open_store

from .conftest import OWN, PEER


def test_a_scheduled_message_waits_outside_the_thread_until_it_is_taken(store, clock):
    early = store.schedule(OWN, PEER, "later", clock.now + 600)
    soon = store.schedule(OWN, PEER, "sooner", clock.now + 60)
    assert (soon.own_number, soon.peer_number, soon.body) == (OWN, PEER, "sooner")
    assert store.scheduled_message(early.id) == early
    assert store.scheduled_in(soon.conversation_id) == [soon, early]
    assert store.messages(soon.conversation_id) == [] and store.outbox() == []
    assert store.next_scheduled_at() == clock.now + 60
    assert store.due_scheduled(clock.now + 59) == []
    assert store.due_scheduled(clock.now + 60) == [soon]

    clock.now += 90
    sent = store.take_scheduled(soon.id)
    assert (sent.body, sent.status, sent.attempts, sent.send_at) == (
        "sooner",
        Status.SENDING,
        1,
        soon.send_at,
    )
    assert store.take_scheduled(soon.id) is None  # taken once
    assert store.scheduled_in(soon.conversation_id) == [early]
    assert store.outbox() == [sent]
    assert store.conversation(sent.conversation_id).last_message_id == sent.id

    now = store.take_scheduled(early.id, on_time=False)  # Send now
    assert now.send_at is None and store.next_scheduled_at() is None


def test_a_scheduled_message_can_be_edited_or_cancelled_until_it_is_taken(store, clock):
    first = store.schedule(OWN, PEER, "typo", clock.now + 60)
    edited = store.edit_scheduled(first.id, "fixed", clock.now + 120)
    assert (edited.body, edited.send_at) == ("fixed", clock.now + 120)
    assert store.cancel_scheduled(first.id) == edited
    assert store.cancel_scheduled(first.id) is None
    assert store.edit_scheduled(first.id, "gone", clock.now) is None
    assert store.take_scheduled(first.id) is None and store.message_count() == 0


def test_a_scheduled_message_is_taken_once_by_stores_trying_at_the_same_time(location, clock):
    """Two desks, or two servers on the shared database, find it due at the same moment."""
    stores = [open_store(location, clock=clock) for _ in range(4)]
    try:
        due = stores[0].schedule(OWN, PEER, "once", clock.now)
        barrier = threading.Barrier(len(stores), timeout=60)
        taken: list[object] = []
        errors: list[BaseException] = []

        def take(store) -> None:
            try:
                barrier.wait()
                taken.append(store.take_scheduled(due.id))
            except BaseException as exc:
                errors.append(exc)
                barrier.abort()

        threads = [threading.Thread(target=take, args=(s,)) for s in stores]
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        assert errors == []
        assert len([m for m in taken if m is not None]) == 1
        assert stores[0].message_count() == 1
    finally:
        for s in stores:
            s.close()


def test_serves_heartbeat_is_read_back_by_another_store(location, clock):
    with open_store(location, clock=clock) as server:
        assert server.last_heartbeat() is None
        server.beat(started_at=clock.now - 10)
        clock.now += 30
        beat = server.beat(started_at=clock.now - 40)
    with open_store(location, clock=clock) as desk:
        assert desk.last_heartbeat() == beat
        assert (beat.pid, beat.seen_at) == (os.getpid(), clock.now)
        assert desk.last_heartbeat("someone else") is None


def test_someone_not_texted_yet_with_a_scheduled_message_is_listed(store, clock):
    waiting = store.schedule(OWN, PEER, "hello, new person", clock.now + 600)
    assert store.scheduled_only() == [waiting.conversation_id]
    [listed] = store.conversations()
    assert (listed.id, listed.scheduled, listed.last_message_id) == (
        waiting.conversation_id,
        1,
        None,
    )
    store.take_scheduled(waiting.id)  # sent: an ordinary conversation from now on
    assert store.scheduled_only() == []
    assert [c.id for c in store.conversations()] == [waiting.conversation_id]
