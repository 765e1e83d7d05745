"""Conversations: keyed by both numbers, listed newest first, unread counts, drafts."""

from __future__ import annotations

from voipdesk.core.models import Direction
from voipdesk.store import open_store

from .conftest import OWN, OWN2, PEER, PEER2, inbound


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


def test_a_conversations_time_only_moves_forward_when_a_clock_went_back(store, clock):
    """A reply stored by a clock set back five minutes is the thread's newest (its preview),
    and the conversation keeps its place at the top of the list: its time never goes back."""
    store.add_inbound(inbound("from someone else", frm=PEER2))
    clock.now += 60
    store.add_inbound(inbound("a question", frm=PEER))
    newest = clock.now
    clock.now -= 300
    store.add_outgoing(OWN, PEER, "the answer")
    convs = store.conversations()
    assert [c.peer_number for c in convs] == [PEER, PEER2]
    assert (convs[0].last_body, convs[0].last_timestamp) == ("the answer", newest)
    store.record_webhooks([inbound("and another", frm=PEER)])  # a batch, the same rule
    assert store.conversation_for(OWN, PEER).last_timestamp == newest


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


def test_mark_read_up_to_the_newest_message_drawn_leaves_a_later_text_unread(store):
    """The desk drew the thread up to `seen`; a text stored after it (the desk's feed had not
    brought it yet) stays unread, here and in the total, and a later mark read clears it."""
    store.add_inbound(inbound("1", frm=PEER))
    seen, _ = store.add_inbound(inbound("2", frm=PEER))
    later, _ = store.add_inbound(inbound("not drawn yet", frm=PEER))
    store.add_inbound(inbound("elsewhere", frm=PEER2))
    cid = seen.conversation_id
    assert store.mark_read(cid, upto=seen.id) == (2, seen.id)
    assert store.conversation(cid).unread_count == 1
    assert store.unread_total() == 2
    assert store.mark_read(cid, upto=seen.id) == (0, seen.id)  # again: nothing more
    assert store.conversation(cid).unread_count == 1
    assert store.mark_read(cid, upto=later.id) == (1, later.id)
    assert store.conversation(cid).unread_count == 0
    assert store.unread_total() == 1


def test_mark_read_up_to_a_message_after_which_only_answers_came_clears_all(store):
    seen, _ = store.add_inbound(inbound("question", frm=PEER))
    store.add_outgoing(OWN, PEER, "answer from another desk")  # not drawn, not a text in
    cid = seen.conversation_id
    assert store.mark_read(cid, upto=seen.id) == (1, seen.id)
    assert store.conversation(cid).unread_count == 0
    store.mark_unread(cid)  # the person marked it unread: opening it up to there reads it
    assert store.mark_read(cid, upto=seen.id) == (1, seen.id)
    assert store.unread_total() == 0


def test_drafts(store):
    cid = store.conversation_for(OWN, PEER).id
    assert store.draft(cid) == ""
    store.set_draft(cid, "half a thought\nsecond line")
    assert store.draft(cid) == "half a thought\nsecond line"
    store.set_draft(cid, "")
    assert store.draft(cid) == ""
    assert store.draft(999_999) == ""


def test_all_drafts_at_once_for_the_list(store):
    a = store.conversation_for(OWN, PEER).id
    b = store.conversation_for(OWN, PEER2).id
    store.conversation_for(OWN2, PEER)  # no draft: not listed
    store.set_draft(a, "one")
    store.set_draft(b, "two")
    assert store.drafts() == {a: "one", b: "two"}
    store.set_draft(a, "")
    assert store.drafts() == {b: "two"}


def test_drafts_survive_reopening(location):
    with open_store(location) as s:
        s.set_draft(s.conversation_for(OWN, PEER).id, "kept")
    with open_store(location) as s:
        assert s.draft(s.conversation_for(OWN, PEER).id) == "kept"


def test_a_conversation_says_who_sent_its_last_message(store):
    """On the shared inbox the list says whose the last message is ("Ana: …")."""
    sent = store.add_outgoing(OWN, PEER, "On my way", sent_by="Ana")
    assert store.conversation(sent.conversation_id).last_sent_by == "Ana"
    assert [c.last_sent_by for c in store.conversations()] == ["Ana"]
    store.add_outgoing(OWN, PEER, "from a single desktop")  # no name recorded
    assert store.conversation(sent.conversation_id).last_sent_by is None
    store.add_outgoing(OWN, PEER, "Ben here", sent_by="Ben")
    store.add_inbound(inbound("Thanks both", frm=PEER))
    [listed] = store.conversations()
    assert (listed.last_body, listed.last_sent_by) == ("Thanks both", None)
