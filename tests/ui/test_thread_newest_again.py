"""MessageWindow.read_newest_again (a desk on the shared inbox reads what it shows again): what
the newest page holds now is merged into the rows shown; they never go to none in between, and
nothing moves when nothing changed."""

from __future__ import annotations

from tests.ui.test_thread_window import ALICE, consistent, every, ids, thread_of, window_of
from voipdesk.core.models import Status


def test_nothing_changed_nothing_moves(seed, clock):
    cid = thread_of(seed, ALICE, 80, start=clock.now)
    window, reads, recorder = window_of(seed, cid, page=60)
    window.read_newest_again()
    assert reads.count == 2 and recorder.events == []
    assert ids(window) == every(seed, cid)[-60:]


def test_what_changed_meanwhile_is_merged_in_place(seed, clock):
    seed.inbound(ALICE, "first")
    gone = seed.outgoing(ALICE, "oops", status=Status.FAILED, error="Refused.")
    sent = seed.outgoing(ALICE, "on my way", status=Status.SENDING)
    window, _reads, recorder = window_of(seed, sent.conversation_id)
    seed.store.update_outgoing(sent.id, status=Status.DELIVERED)
    seed.store.delete_message(gone.id)
    late = seed.inbound(ALICE, "answered on another desk")
    window.read_newest_again()
    assert ids(window) == every(seed, sent.conversation_id) == [ids(window)[0], sent.id, late.id]
    assert window.message_by_id(sent.id).status is Status.DELIVERED
    assert ("reset",) not in recorder.events and consistent(window)
    assert ("remove", 1, 1) in recorder.events and ("insert", 2, 2) in recorder.events


def test_more_than_a_page_new_replaces_the_rows_in_one_step(seed, clock):
    cid = thread_of(seed, ALICE, 10, start=clock.now)
    window, _reads, recorder = window_of(seed, cid, page=20)
    seed.many_inbound(ALICE, 30, start=clock.now + 3600)
    window.read_newest_again()
    assert recorder.events == [("reset",)]  # not appended after a gap, not emptied first
    assert ids(window) == every(seed, cid)[-20:] and window.has_older()


def test_every_row_gone_is_one_replacement_not_an_empty_thread(seed, clock):
    old = [seed.inbound(ALICE, f"old {n}") for n in range(3)]
    window, _reads, recorder = window_of(seed, old[0].conversation_id)
    new = seed.inbound(ALICE, "new")
    for message in old:
        seed.store.delete_message(message.id)
    window.read_newest_again()
    assert recorder.events == [("reset",)] and ids(window) == [new.id]


def test_a_window_up_in_older_history_is_left_where_it_is(seed):
    cid = thread_of(seed, ALICE, 300, start=0)
    window, reads, recorder = window_of(seed, cid, page=50, window_pages=2)
    while window.can_fetch_older():
        window.fetch_older()
    before, count = ids(window), reads.count
    recorder.events.clear()
    window.read_newest_again()
    assert ids(window) == before and reads.count == count and recorder.events == []
