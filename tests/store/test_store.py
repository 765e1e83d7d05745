"""The message store on a real SQLite file: conversations, messages, webhooks, outbox state."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading

from voipdesk.core.models import Direction, Status, StatusUpdate
from voipdesk.store import Store, database_path

from .conftest import OWN, OWN2, PEER, PEER2, inbound


# -- conversations ----------------------------------------------------------------------------
def test_conversations_are_keyed_by_own_and_peer_number(store):
    a = store.conversation_for(OWN, PEER)
    assert store.conversation_for(OWN, PEER).id == a.id
    b = store.conversation_for(OWN2, PEER)  # the same peer texting our other number
    c = store.conversation_for(OWN, PEER2)
    assert len({a.id, b.id, c.id}) == 3
    m1, _ = store.add_inbound(inbound("to one", frm=PEER, to=OWN))
    m2, _ = store.add_inbound(inbound("to two", frm=PEER, to=OWN2))
    assert (m1.conversation_id, m2.conversation_id) == (a.id, b.id)
    out = store.add_outgoing(OWN, PEER, "reply")
    assert out.conversation_id == a.id
    assert (out.own_number, out.peer_number) == (OWN, PEER)


def test_empty_conversations_are_not_listed(store):
    store.conversation_for(OWN, PEER)
    assert store.conversations() == []
    assert store.conversation_count() == 0


def test_conversation_list_is_newest_first_with_last_message(store, clock):
    store.add_inbound(inbound("old", frm=PEER))
    clock.now += 10
    store.add_inbound(inbound("new", frm=PEER2))
    clock.now += 10
    store.add_outgoing(OWN, PEER, "answer")
    convs = store.conversations()
    assert [c.peer_number for c in convs] == [PEER, PEER2]
    assert (convs[0].last_body, convs[0].last_direction) == ("answer", Direction.OUT)
    assert convs[0].last_timestamp == clock.now
    assert store.conversation_count() == 2


# -- inbound ------------------------------------------------------------------------------------
def test_inbound_is_stored_with_everything(store, clock):
    item = inbound("hello there", mdr_id="da84a7b1", ts=1716204585, kind="mms")
    msg, new = store.add_inbound(item)
    assert new
    assert (msg.direction, msg.status, msg.body, msg.type) == (
        Direction.IN,
        Status.RECEIVED,
        "hello there",
        "mms",
    )
    assert (msg.own_number, msg.peer_number) == (OWN, PEER)
    assert (msg.provider_id, msg.provider_ts, msg.created_at) == ("da84a7b1", 1716204585, clock.now)
    assert msg.raw == item.raw
    assert msg.timestamp == 1716204585.0


def test_inbound_is_unique_by_mdr_id_across_batches(store):
    first, new1 = store.add_inbound(inbound("once", mdr_id="same"))
    again, new2 = store.add_inbound(inbound("once", mdr_id="same"))
    assert (new1, new2) == (True, False)
    assert again.id == first.id
    assert store.message_count() == 1
    conv = store.conversation(first.conversation_id)
    assert conv.unread_count == 1  # a retried webhook does not count twice


def test_inbound_is_unique_by_mdr_id_within_one_batch(store):
    results = store.record_webhooks([inbound("a", mdr_id="x"), inbound("a", mdr_id="x")])
    assert [changed for _, changed in results] == [True, False]
    assert results[0][0].id == results[1][0].id
    assert store.message_count() == 1


def test_the_same_provider_id_on_an_outgoing_message_does_not_block_inbound(store):
    out = store.add_outgoing(OWN, PEER, "hi")
    store.update_outgoing(out.id, status=Status.QUEUED, provider_id="shared-id")
    _, new = store.add_inbound(inbound("in", mdr_id="shared-id"))
    assert new


def test_record_webhooks_results_align_with_items(store):
    out = store.add_outgoing(OWN, PEER, "hello")
    store.update_outgoing(out.id, status=Status.QUEUED, provider_id="prov-1")
    dup = inbound("dup", mdr_id="dup")
    store.add_inbound(dup)
    items = [
        inbound("new one", mdr_id="n1"),
        StatusUpdate(provider_id="nobody-sent-this", status="delivered", raw="{}"),
        dup,
        StatusUpdate(provider_id="prov-1", status="delivered", raw="{}"),
        inbound("new two", mdr_id="n2", frm=PEER2),
    ]
    results = store.record_webhooks(items)
    assert len(results) == len(items)
    assert [changed for _, changed in results] == [True, False, False, True, True]
    assert results[0][0].body == "new one"
    assert results[1][0] is None
    assert results[2][0].body == "dup"
    assert (results[3][0].id, results[3][0].status) == (out.id, Status.DELIVERED)
    assert results[4][0].peer_number == PEER2


def test_status_reports_move_an_outgoing_message_on(store):
    out = store.add_outgoing(OWN, PEER, "hello")
    store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-1")
    [(msg, changed)] = store.record_webhooks([StatusUpdate("p-1", "delivered", "{}")])
    assert changed and msg.status is Status.DELIVERED
    [(msg, changed)] = store.record_webhooks([StatusUpdate("p-1", "delivered", "{}")])
    assert not changed and msg.status is Status.DELIVERED
    [(msg, changed)] = store.record_webhooks([StatusUpdate("p-1", "failed", "{}")])
    assert changed and msg.status is Status.FAILED
    assert msg.error_text and "could not deliver" in msg.error_text


def test_status_reports_ignore_unknown_ids_and_statuses(store):
    out = store.add_outgoing(OWN, PEER, "hello")
    store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p-1")
    results = store.record_webhooks(
        [
            StatusUpdate("p-unknown", "delivered", "{}"),
            StatusUpdate("p-1", "queued", "{}"),
            StatusUpdate("p-1", "sending", "{}"),
            StatusUpdate("p-1", "teleported", "{}"),
        ]
    )
    assert results[0] == (None, False)
    assert all(not changed for _, changed in results)
    assert store.message(out.id).status is Status.QUEUED


def test_inbound_reports_do_not_touch_inbound_messages(store):
    msg, _ = store.add_inbound(inbound("in", mdr_id="m-9"))
    [(affected, changed)] = store.record_webhooks([StatusUpdate("m-9", "delivered", "{}")])
    assert (affected, changed) == (None, False)
    assert store.message(msg.id).status is Status.RECEIVED


# -- unread -------------------------------------------------------------------------------------
def test_unread_counts_and_mark_read(store):
    store.add_inbound(inbound("1", frm=PEER))
    store.add_inbound(inbound("2", frm=PEER))
    m3, _ = store.add_inbound(inbound("3", frm=PEER2))
    store.add_outgoing(OWN, PEER, "outgoing never counts")
    a = store.conversation_for(OWN, PEER)
    assert a.unread_count == 2
    assert store.unread_total() == 3
    store.mark_read(a.id)
    assert store.conversation(a.id).unread_count == 0
    assert store.unread_total() == 1
    store.mark_read(m3.conversation_id)
    store.mark_read(m3.conversation_id)  # twice is harmless
    assert store.unread_total() == 0


# -- paging ---------------------------------------------------------------------------------------
def test_newest_page_and_keyset_paging_through_a_thread(store, clock):
    cid = store.conversation_for(OWN, PEER).id
    bodies = []
    for i in range(23):
        clock.now += 1
        if i % 3:
            store.add_outgoing(OWN, PEER, f"msg {i}")
        else:
            store.add_inbound(inbound(f"msg {i}"))
        bodies.append(f"msg {i}")
        store.add_inbound(inbound("elsewhere", frm=PEER2))  # another thread, interleaved ids
    newest = store.messages(cid, limit=10)
    assert [m.body for m in newest] == bodies[-10:]  # oldest first within the page
    seen, page = list(newest), newest
    while page:
        page = store.messages(cid, before_id=page[0].id, limit=10)
        seen = page + seen
    assert [m.body for m in seen] == bodies
    assert len({m.id for m in seen}) == 23
    assert store.messages_after(cid, newest[4].id) == newest[5:]


def test_all_messages_iterates_everything_in_order(store):
    for i in range(7):
        store.add_inbound(inbound(f"m{i}"))
    assert [m.body for m in store.all_messages(batch=3)] == [f"m{i}" for i in range(7)]


# -- contacts and drafts --------------------------------------------------------------------------
def test_contacts(store):
    store.add_inbound(inbound("hi", frm=PEER))
    store.set_contact(PEER, "  Alice  ")
    assert store.contact_name(PEER) == "Alice"
    assert store.conversations()[0].display_name == "Alice"
    store.set_contact(PEER, "Alice B")
    assert store.contacts() == {PEER: "Alice B"}
    assert store.set_contacts({PEER2: "Bob", "+447700900300": "  ", PEER: "Al"}) == 2
    assert store.contacts() == {PEER: "Al", PEER2: "Bob"}
    store.set_contact(PEER, "")
    assert store.contact_name(PEER) is None
    assert store.conversations()[0].display_name is None


def test_drafts(store):
    cid = store.conversation_for(OWN, PEER).id
    assert store.draft(cid) == ""
    store.set_draft(cid, "half a thought\nsecond line")
    assert store.draft(cid) == "half a thought\nsecond line"
    store.set_draft(cid, "")
    assert store.draft(cid) == ""
    assert store.draft(999_999) == ""


def test_drafts_survive_reopening(tmp_path):
    path = database_path(tmp_path)
    with Store(path) as s:
        s.set_draft(s.conversation_for(OWN, PEER).id, "kept")
    with Store(path) as s:
        assert s.draft(s.conversation_for(OWN, PEER).id) == "kept"


# -- deleting -------------------------------------------------------------------------------------
def test_delete_message_fixes_the_conversations_last_message(store, clock):
    first, _ = store.add_inbound(inbound("first"))
    first_ts = clock.now
    clock.now += 60
    second = store.add_outgoing(OWN, PEER, "second")
    conv = store.conversation(first.conversation_id)
    assert (conv.last_message_id, conv.last_body) == (second.id, "second")
    store.delete_message(second.id)
    conv = store.conversation(first.conversation_id)
    assert (conv.last_message_id, conv.last_body, conv.last_timestamp) == (
        first.id,
        "first",
        first_ts,
    )
    assert store.message(second.id) is None
    assert store.search("second") == []  # gone from the index too
    store.delete_message(first.id)
    assert store.conversations() == []
    store.delete_message(first.id)  # already gone: no error


# -- outbox state ---------------------------------------------------------------------------------
def test_add_outgoing_is_sending_and_claimed_by_this_process(store):
    msg = store.add_outgoing(OWN, PEER, "hello")
    assert (msg.direction, msg.status, msg.attempts) == (Direction.OUT, Status.SENDING, 1)
    owner = store._read("SELECT owner_pid FROM messages WHERE id = ?", (msg.id,))[0][0]
    assert owner == os.getpid()
    assert store.outbox() == [msg]


def test_claim_only_from_the_given_statuses(store):
    msg = store.add_outgoing(OWN, PEER, "hello")
    assert store.claim(msg.id, (Status.PENDING,)) is None  # it is SENDING
    store.update_outgoing(msg.id, status=Status.PENDING, next_attempt_at=123.0)
    claimed = store.claim(msg.id, (Status.PENDING,))
    assert (claimed.status, claimed.attempts, claimed.next_attempt_at) == (Status.SENDING, 2, None)


def test_claim_is_atomic_across_two_connections(tmp_path):
    path = database_path(tmp_path)
    with Store(path) as a, Store(path) as b:
        ids = []
        for i in range(40):
            msg = a.add_outgoing(OWN, PEER, f"m{i}")
            a.update_outgoing(msg.id, status=Status.PENDING)
            ids.append(msg.id)
        wins: dict[str, list[int]] = {"a": [], "b": []}

        def race(name: str, store: Store, barrier: threading.Barrier) -> None:
            for mid in ids:
                barrier.wait()
                if store.claim(mid, (Status.PENDING,)) is not None:
                    wins[name].append(mid)

        barrier = threading.Barrier(2)
        threads = [
            threading.Thread(target=race, args=(n, s, barrier)) for n, s in (("a", a), ("b", b))
        ]
        for t in threads:
            t.start()
        for t in threads:
            t.join(30)
        assert sorted(wins["a"] + wins["b"]) == ids  # each message claimed exactly once
        assert {m.attempts for m in a.all_messages()} == {2}


def test_due_pending_and_next_retry(store):
    a = store.add_outgoing(OWN, PEER, "a")
    b = store.add_outgoing(OWN, PEER, "b")
    c = store.add_outgoing(OWN, PEER, "c")
    store.update_outgoing(a.id, status=Status.PENDING, next_attempt_at=100.0)
    store.update_outgoing(b.id, status=Status.PENDING, next_attempt_at=200.0)
    store.update_outgoing(c.id, status=Status.UNKNOWN)
    assert [m.id for m in store.due_pending(150.0)] == [a.id]
    assert [m.id for m in store.due_pending(200.0)] == [a.id, b.id]
    assert store.next_retry_at() == 100.0
    assert [m.id for m in store.outbox()] == [a.id, b.id, c.id]


def _dead_pid() -> int:
    proc = subprocess.Popen([sys.executable, "-c", "pass"])
    proc.wait()  # reaped: the pid names no process now
    return proc.pid


def test_recover_marks_sending_from_a_dead_process_unknown(store):
    msg = store.add_outgoing(OWN, PEER, "in flight when the process died")
    store.update_outgoing(msg.id, owner_pid=_dead_pid())
    [recovered] = store.recover_interrupted()
    assert recovered.id == msg.id
    assert (recovered.status, recovered.error_code) == (Status.UNKNOWN, "INTERRUPTED")
    assert "may or may not have been sent" in recovered.error_text
    assert store.recover_interrupted() == []
    assert store.due_pending(float("inf")) == []  # never picked up by a retry


def test_recover_leaves_a_send_of_a_live_other_process_alone(store):
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"])
    try:
        msg = store.add_outgoing(OWN, PEER, "another voipdesk is sending this")
        store.update_outgoing(msg.id, owner_pid=live.pid)
        assert store.recover_interrupted() == []
        assert store.message(msg.id).status is Status.SENDING
    finally:
        live.kill()
        live.wait()
    [recovered] = store.recover_interrupted()
    assert recovered.status is Status.UNKNOWN


def test_recover_leaves_other_statuses_alone(store):
    dead = _dead_pid()
    statuses = [Status.PENDING, Status.QUEUED, Status.FAILED, Status.UNKNOWN]
    for status in statuses:
        msg = store.add_outgoing(OWN, PEER, status.value)
        store.update_outgoing(msg.id, status=status, owner_pid=dead)
    assert store.recover_interrupted() == []
    assert [m.status for m in store.all_messages()] == statuses


def test_attachments_and_raw_are_kept(store):
    from voipdesk.core.models import InboundMessage

    raw = json.dumps({"status": "received", "media": "https://x.example/a.jpg", "extra": 1})
    item = InboundMessage(PEER, OWN, "pic", "mms", "mms-1", 1, raw, ("https://x.example/a.jpg",))
    msg, _ = store.add_inbound(item)
    assert msg.attachments == ("https://x.example/a.jpg",)
    assert json.loads(msg.raw)["extra"] == 1
