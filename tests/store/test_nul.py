"""A NUL character is valid in a webhook body and in SQLite text, but PostgreSQL's text refuses
it (issue #11, item 7). Both stores keep such a message, the same way: each NUL becomes U+FFFD,
the replacement character, so the text reads alike whichever store holds it and no write fails.
These run against both stores (tests/store/conftest.py)."""

from __future__ import annotations

from voipdesk.core.models import InboundMessage, Status, StatusUpdate

from .conftest import OWN, PEER, inbound

SHOWN = "a\ufffdb"


def test_an_inbound_message_with_a_nul_is_kept_with_a_replacement_character(store):
    item = InboundMessage(
        from_number=PEER,
        to_number=OWN,
        body="a\x00b",
        type="sms",
        mdr_id="nul\x00id",
        provider_ts=1716204585,
        raw='{"message": "a\x00b"}',
        attachments=("https://example.com/a\x00.jpg",),
    )
    msg, new = store.add_inbound(item)
    assert new
    assert msg.body == SHOWN
    [kept] = list(store.all_messages())
    assert (kept.body, kept.provider_id) == (SHOWN, "nul\ufffdid")
    assert kept.raw == '{"message": "a\ufffdb"}'
    assert kept.attachments == ("https://example.com/a\ufffd.jpg",)
    assert store.conversations()[0].last_body == SHOWN
    again, new = store.add_inbound(item)  # the provider delivers it again: still once
    assert (new, again.id, store.message_count()) == (False, msg.id, 1)
    assert [m.id for m in store.search("a")] == [msg.id]


def test_a_batch_with_a_nul_stores_every_message_in_it(store):
    results = store.record_webhooks(
        [inbound("before"), inbound("with \x00 inside"), inbound("after")]
    )
    assert [m.body for m, _ in results] == ["before", "with \ufffd inside", "after"]
    assert store.message_count() == 3


def test_a_report_naming_an_id_with_a_nul_still_finds_its_message(store):
    out = store.add_outgoing(OWN, PEER, "sent\x00")
    assert out.body == "sent\ufffd"
    store.update_outgoing(out.id, status=Status.QUEUED, provider_id="p\x001")
    [(msg, changed)] = store.record_webhooks(
        [StatusUpdate(provider_id="p\x001", status="delivered", raw="{}")]
    )
    assert (msg.id, msg.status, changed) == (out.id, Status.DELIVERED, True)


def test_names_and_drafts_with_a_nul_are_kept(store):
    store.set_contact(PEER, "An\x00a")
    assert store.contact_name(PEER) == "An\ufffda"
    cid = store.conversation_for(OWN, PEER).id
    store.set_draft(cid, "half\x00")
    assert store.draft(cid) == "half\ufffd"
