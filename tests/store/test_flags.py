"""Blocked numbers, muted conversations, marked unread, opt-outs: what the store keeps."""

from __future__ import annotations

import pytest

from voipdesk.core.optout import opt_out_change

from .conftest import OWN, OWN2, PEER, PEER2, inbound


def listed(store):
    return [c.peer_number for c in store.conversations()]


def test_a_blocked_number_is_stored_but_counts_as_read_and_leaves_the_list(store):
    store.add_inbound(inbound("before", frm=PEER))
    store.add_inbound(inbound("other", frm=PEER2))
    assert store.block(PEER) == 1  # its unread message counts as read now
    assert store.unread_total() == 1
    message, stored = store.add_inbound(inbound("after", frm=PEER))
    assert stored and store.message(message.id).body == "after"
    assert store.conversation(message.conversation_id).unread_count == 0
    assert store.unread_total() == 1
    assert listed(store) == [PEER2]
    assert store.blocked_numbers() == [PEER]
    store.unblock(PEER)
    assert sorted(listed(store)) == [PEER, PEER2]
    assert store.blocked_numbers() == []


def test_blocking_covers_the_number_on_every_own_number(store):
    store.add_inbound(inbound("to one", frm=PEER, to=OWN))
    store.add_inbound(inbound("to two", frm=PEER, to=OWN2))
    assert store.block(PEER) == 2
    assert listed(store) == [] and store.unread_total() == 0


def test_a_conversation_marked_unread_shows_one_until_it_is_read(store):
    message, _ = store.add_inbound(inbound("hello"))
    cid = message.conversation_id
    store.mark_read(cid)
    assert store.mark_unread(cid) == 1
    assert store.mark_unread(cid) == 0  # marked already
    assert store.conversation(cid).unread_count == 1 and store.unread_total() == 1
    assert store.mark_read(cid) == (1, message.id)
    assert store.conversation(cid).unread_count == 0 and store.unread_total() == 0


def test_marking_unread_a_conversation_with_unread_messages_adds_nothing(store):
    message, _ = store.add_inbound(inbound("hello"))
    assert store.mark_unread(message.conversation_id) == 0
    assert store.unread_total() == 1
    assert store.mark_read(message.conversation_id)[0] == 1


def test_muted_is_kept_per_conversation(store):
    message, _ = store.add_inbound(inbound("hello"))
    cid = message.conversation_id
    store.set_muted(cid, True)
    assert store.conversation(cid).muted and store.muted_conversations() == {cid}
    assert store.conversations()[0].unread_count == 1  # still counted
    store.set_muted(cid, False)
    assert not store.conversation(cid).muted and store.muted_conversations() == set()


def test_stop_opts_the_sender_out_until_start(store):
    message, _ = store.add_inbound(inbound("  stop \n"))
    cid = message.conversation_id
    assert store.conversation(cid).opted_out
    store.add_inbound(inbound("please stop texting me"))  # not the whole message
    assert store.conversation(cid).opted_out
    store.add_inbound(inbound("Start"))
    assert not store.conversation(cid).opted_out


@pytest.mark.parametrize(
    ("body", "change"),
    [
        ("STOP", True),
        ("unsubscribe", True),
        (" Cancel ", True),
        ("END", True),
        ("quit\n", True),
        ("START", False),
        ("unstop", False),
        ("stop it", None),
        ("", None),
        ("STOPP", None),
    ],
)
def test_opt_out_keywords(body, change):
    assert opt_out_change(body) is change
