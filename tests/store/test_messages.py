"""Messages: paging through a thread, reading them all, deleting one, what a row keeps."""

from __future__ import annotations

import json

from .conftest import OWN, PEER, PEER2, inbound


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


def test_messages_by_id_reads_those_that_exist(store):
    ids = [store.add_inbound(inbound(f"m{i}"))[0].id for i in range(3)]
    store.delete_message(ids[1])
    found = store.messages_by_id([ids[2], ids[1], ids[0], 10_000])
    assert sorted((m.id, m.body) for m in found) == [(ids[0], "m0"), (ids[2], "m2")]
    assert store.messages_by_id([]) == []


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


def test_attachments_and_raw_are_kept(store):
    from voipdesk.core.models import InboundMessage

    raw = json.dumps({"status": "received", "media": "https://x.example/a.jpg", "extra": 1})
    item = InboundMessage(PEER, OWN, "pic", "mms", "mms-1", 1, raw, ("https://x.example/a.jpg",))
    msg, _ = store.add_inbound(item)
    assert msg.attachments == ("https://x.example/a.jpg",)
    assert json.loads(msg.raw)["extra"] == 1
