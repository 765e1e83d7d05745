"""Delivery reports: moving an outgoing message on, and what they leave alone."""

from __future__ import annotations

from voipdesk.core.models import Status, StatusUpdate

from .conftest import OWN, PEER, inbound


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
