"""Store.record_webhooks as the listener uses it: one transaction per batch of webhooks, the
new messages handed back as stored (without reading each one back), duplicates found once."""

from __future__ import annotations

from dataclasses import replace

from voipdesk.core.models import InboundMessage, StatusUpdate

from .conftest import OWN, OWN2, PEER, PEER2, inbound


def test_new_messages_come_back_exactly_as_a_read_gives_them(store):
    mms = replace(inbound("look", kind="mms"), attachments=("https://m.example/a.jpg",))
    items = [inbound("plain"), inbound("no time", ts=None), mms, inbound("élan 🙂", frm=PEER2)]
    for message, new in store.record_webhooks(items):
        assert new
        assert store.message(message.id) == message


def test_a_batch_updates_each_conversation_once_with_its_newest_and_its_count(store, clock):
    results = store.record_webhooks(
        [
            inbound("a1", frm=PEER),
            inbound("b1", frm=PEER2),
            inbound("a2", frm=PEER),
            inbound("c1", frm=PEER, to=OWN2),
            inbound("a3", frm=PEER),
        ]
    )
    by_body = {m.body: m for m, _ in results}
    a = store.conversation(by_body["a1"].conversation_id)
    assert (a.last_message_id, a.last_body, a.unread_count) == (by_body["a3"].id, "a3", 3)
    assert a.last_timestamp == clock.now
    b = store.conversation(by_body["b1"].conversation_id)
    assert (b.last_message_id, b.unread_count) == (by_body["b1"].id, 1)
    c = store.conversation(by_body["c1"].conversation_id)
    assert c.id != a.id and (c.own_number, c.unread_count) == (OWN2, 1)


def test_duplicates_are_found_beyond_one_query_worth_of_ids(store):
    stored = [inbound(f"old {i}", mdr_id=f"m-{i}") for i in range(1200)]
    store.record_webhooks(stored)
    again = [*stored[::-1], inbound("new", mdr_id="m-new")]
    results = store.record_webhooks(again)
    assert [new for _, new in results] == [False] * 1200 + [True]
    assert results[0][0].body == "old 1199" and results[-1][0].body == "new"
    assert store.message_count() == 1201
    conversation = store.conversation(results[-1][0].conversation_id)
    assert conversation.unread_count == 1201


def test_a_report_in_the_middle_of_a_batch_sees_what_came_before_it(store):
    out = store.add_outgoing(OWN, PEER, "hello")
    store.update_outgoing(out.id, provider_id="p-9", status="queued")
    results = store.record_webhooks(
        [inbound("first"), StatusUpdate("p-9", "delivered", "{}"), inbound("then")]
    )
    assert [new for _, new in results] == [True, True, True]
    assert results[1][0].id == out.id and results[1][0].status == "delivered"
    assert results[2][0].id > results[0][0].id > out.id


def test_messages_after_can_be_limited(store):
    messages = [m for m, _ in store.record_webhooks([inbound(str(i)) for i in range(10)])]
    cid = messages[0].conversation_id
    assert store.messages_after(cid, messages[2].id, limit=3) == messages[3:6]
    assert store.messages_after(cid, messages[2].id) == messages[3:]


def test_record_webhooks_knows_every_field_of_an_inbound_message():
    # It builds the stored Message from these fields: a new one must be stored (and added here).
    assert InboundMessage.__slots__ == (
        "from_number",
        "to_number",
        "body",
        "type",
        "mdr_id",
        "provider_ts",
        "raw",
        "attachments",
    )
