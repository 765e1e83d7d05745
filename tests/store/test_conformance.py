"""Both stores alike: what the other BEHAVIOUR modules do not call yet, and a guard that every
public method of the Store is called in a module that runs against both stores, so a method (or
a column behind one) added to SQLite later is tested on PostgreSQL too (tests/store/conftest.py
lists the modules)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

from voipdesk.store import Store
from voipdesk.store.local_drafts import LocalDrafts

from .conftest import BEHAVIOUR, OWN, OWN2, PEER, PEER2, inbound


def test_own_numbers_are_those_with_messages_sorted(store):
    assert store.own_numbers() == []
    store.conversation_for(OWN, PEER2)  # empty: not one of them yet
    store.add_inbound(inbound("to two", to=OWN2))
    store.add_outgoing(OWN, PEER, "from one")
    assert store.own_numbers() == [OWN, OWN2]
    for own in ("+447700900000", "+447700900555", "+447799999999"):  # first, between, last
        store.conversation_for(own, PEER)  # a conversation on it, nothing in it
    assert store.own_numbers() == [OWN, OWN2]


def test_a_message_sent_from_the_draft_clears_it_in_the_same_write(store):
    conversation = store.conversation_for(OWN, PEER)
    store.set_draft(conversation.id, "on my way")
    store.add_outgoing(OWN, PEER, "not from the draft")
    assert store.draft(conversation.id) == "on my way"
    sent = store.add_outgoing(OWN, PEER, "on my way", clear_draft=True)
    assert store.draft(conversation.id) == "" and sent.body == "on my way"


def test_a_desks_own_draft_goes_with_the_message_sent_from_it(store, tmp_path):
    store.local_drafts = LocalDrafts(tmp_path)  # a desk on the shared inbox keeps its own
    conversation = store.conversation_for(OWN, PEER)
    store.set_draft(conversation.id, "see you")
    store.add_outgoing(OWN, PEER, "see you", clear_draft=True)
    assert LocalDrafts(tmp_path).get(conversation.id) == ""


def test_a_healthy_store_passes_its_check_and_interrupt_is_harmless(store):
    store.add_inbound(inbound("fine"))
    store.check()
    store.interrupt()  # nothing is running: nothing happens
    assert [m.body for m in store.all_messages()] == ["fine"]


def test_every_public_method_is_called_in_a_test_that_runs_against_both_stores():
    here = Path(__file__).parent
    source = "".join((here / f"{name}.py").read_text(encoding="utf-8") for name in BEHAVIOUR)
    methods = [
        name
        for name, member in inspect.getmembers(Store)
        if not name.startswith("_") and callable(member)
    ]
    # close() is every store fixture's last call.
    untested = [m for m in methods if m != "close" and not re.search(rf"\.{m}\(", source)]
    assert untested == [], "call these in a test of a module in tests/store/conftest.BEHAVIOUR"
