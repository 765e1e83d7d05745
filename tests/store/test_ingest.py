"""Inbound messages from webhooks: stored with everything, once per mdr_id, results aligned."""

from __future__ import annotations

from voipdesk.core.models import Direction, Status, StatusUpdate

from .conftest import OWN, PEER, PEER2, inbound


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
