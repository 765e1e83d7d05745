"""Deleting a message keeps its conversation right (unread count, preview, time), and a
delivery report that arrives before the send answer stored the provider's id is not lost."""

from __future__ import annotations

import sqlite3

import pytest

from voipdesk.core.models import Direction, Status, StatusUpdate
from voipdesk.store import Store, database_path, open_store

from .conftest import OWN, PEER, PEER2, inbound, peek


# -- deleting -------------------------------------------------------------------------------------
def test_deleting_the_newest_unread_message_lowers_the_badge_and_fixes_the_preview(store, clock):
    first, _ = store.add_inbound(inbound("first"))
    clock.now += 60
    second, _ = store.add_inbound(inbound("second"))
    cid = first.conversation_id
    assert store.conversation(cid).unread_count == 2
    store.delete_message(second.id)
    conv = store.conversation(cid)
    assert conv.unread_count == 1
    assert (conv.last_message_id, conv.last_body, conv.last_direction) == (
        first.id,
        "first",
        Direction.IN,
    )
    assert conv.last_timestamp == clock.now - 60
    assert store.unread_total() == 1
    store.delete_message(first.id)
    assert store.conversation(cid).unread_count == 0
    assert store.unread_total() == 0
    assert store.conversations() == []


def test_deleting_an_older_unread_message_lowers_the_badge_only(store):
    a, _ = store.add_inbound(inbound("a"))
    b, _ = store.add_inbound(inbound("b"))
    store.add_outgoing(OWN, PEER, "in between")
    c, _ = store.add_inbound(inbound("c"))
    store.delete_message(a.id)
    conv = store.conversation(c.conversation_id)
    assert (conv.unread_count, conv.last_body) == (2, "c")
    store.delete_message(b.id)
    assert store.conversation(c.conversation_id).unread_count == 1


def test_deleting_a_read_message_leaves_the_unread_ones_counted(store):
    old, _ = store.add_inbound(inbound("read already"))
    store.mark_read(old.conversation_id)
    new, _ = store.add_inbound(inbound("not read yet"))
    assert store.conversation(old.conversation_id).unread_count == 1
    store.delete_message(old.id)
    assert store.conversation(old.conversation_id).unread_count == 1
    store.delete_message(new.id)
    assert store.conversation(old.conversation_id).unread_count == 0


def test_deleting_an_outgoing_message_leaves_the_badge_alone(store):
    store.add_inbound(inbound("question"))
    out = store.add_outgoing(OWN, PEER, "answer")
    store.delete_message(out.id)
    conv = store.conversation(out.conversation_id)
    assert (conv.unread_count, conv.last_body) == (1, "question")


def test_deleting_leaves_other_conversations_alone(store):
    mine, _ = store.add_inbound(inbound("mine", frm=PEER))
    other, _ = store.add_inbound(inbound("other", frm=PEER2))
    store.delete_message(mine.id)
    assert store.conversation(other.conversation_id).unread_count == 1
    assert store.unread_total() == 1


# -- delivery reports that arrive before the send answer -----------------------------------------
def report(provider_id: str, status: str = "delivered") -> StatusUpdate:
    return StatusUpdate(provider_id, status, f'{{"status": "{status}", "id": "{provider_id}"}}')


def pending_rows(store: Store) -> list[tuple]:
    return peek(store, "SELECT provider_id, status FROM pending_status ORDER BY provider_id")


@pytest.mark.parametrize(
    ("reported", "final", "error_code"),
    [("delivered", Status.DELIVERED, None), ("failed", Status.FAILED, "DELIVERY_FAILED")],
)
def test_a_report_before_the_send_answer_is_applied_when_the_id_is_stored(
    store, reported, final, error_code
):
    out = store.add_outgoing(OWN, PEER, "quick")
    # The provider reports on its id before its answer to the send reached us.
    assert store.record_webhooks([report("p-early", reported)]) == [(None, False)]
    assert store.message(out.id).status is Status.SENDING
    msg = store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-early")
    assert (msg.status, msg.provider_id, msg.error_code) == (final, "p-early", error_code)
    assert pending_rows(store) == []  # used once, then gone
    # A later copy of the same report changes nothing.
    [(again, changed)] = store.record_webhooks([report("p-early", reported)])
    assert (again.id, changed) == (out.id, False)


def test_the_latest_early_report_wins(store):
    out = store.add_outgoing(OWN, PEER, "x")
    store.record_webhooks([report("p-1", "delivered")])
    store.record_webhooks([report("p-1", "failed")])
    msg = store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-1")
    assert msg.status is Status.FAILED


def test_an_early_report_survives_a_restart(location):
    # The listener (the app) and the sender (`voipdesk send`) may be different processes.
    with open_store(location) as listener:
        listener.record_webhooks([report("p-2")])
    with open_store(location) as sender:
        out = sender.add_outgoing(OWN, PEER, "x")
        assert sender.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-2").status is (
            Status.DELIVERED
        )


def test_an_early_report_is_only_applied_to_its_own_id(store):
    store.record_webhooks([report("p-other")])
    out = store.add_outgoing(OWN, PEER, "x")
    msg = store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-mine")
    assert msg.status is Status.QUEUED
    assert pending_rows(store) == [("p-other", "delivered")]


def test_reports_that_move_nothing_are_not_kept(store):
    msg, _ = store.add_inbound(inbound("in", mdr_id="m-1"))
    store.record_webhooks([report("m-1"), report("p-3", "queued"), report("p-4", "teleported")])
    assert pending_rows(store) == []
    assert store.message(msg.id).status is Status.RECEIVED


def test_early_reports_for_ids_never_stored_expire_after_a_day(store, clock):
    store.record_webhooks([report("p-never")])
    clock.now += 23 * 3600
    store.record_webhooks([report("p-recent")])
    assert [r[0] for r in pending_rows(store)] == ["p-never", "p-recent"]
    clock.now += 2 * 3600
    store.record_webhooks([report("p-new")])
    assert [r[0] for r in pending_rows(store)] == ["p-new", "p-recent"]


def test_the_early_report_table_is_a_migration_of_an_old_file(tmp_path):
    from voipdesk.store import schema

    path = database_path(tmp_path)
    # The file as the first version left it: its schema only (today's code reads columns added
    # since), with a message it was sending.
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(path)
    for statement in schema._split(schema.MIGRATIONS[0]):
        conn.execute(statement)
    conn.execute(
        "INSERT INTO conversations (id, own_number, peer_number) VALUES (1, ?, ?)", (OWN, PEER)
    )
    conn.execute(
        "INSERT INTO messages (conversation_id, direction, body, status, created_at, attempts)"
        " VALUES (1, 'out', 'sent by the old version', 'sending', 0, 1)"
    )
    conn.execute("PRAGMA user_version = 1")
    conn.commit()
    conn.close()
    with Store(path) as s:
        [out] = s.outbox()
        s.record_webhooks([report("p-5")])
        assert s.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-5").status is (
            Status.DELIVERED
        )
