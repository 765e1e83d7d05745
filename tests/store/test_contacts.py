"""Contacts: names for numbers."""

from __future__ import annotations

from .conftest import PEER, PEER2, inbound


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
