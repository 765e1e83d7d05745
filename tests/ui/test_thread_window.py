"""MessageWindow without Qt: paging, the bounded window, run and day flags, and messages applied
from the Message objects handed to it (the store is read only to page)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from voipdesk.core.models import Message, Status
from voipdesk.ui.thread.window import MessageWindow, WindowEvents

ALICE = "+447700900111"
BOB = "+447700900222"
RUN_BREAK = 15 * 60
ROOT = Path(__file__).resolve().parents[2]


class Reads:
    """The real store, counting the reads the window makes of it."""

    def __init__(self, store) -> None:
        self.store = store
        self.count = 0

    def message(self, message_id: int) -> Message | None:
        self.count += 1
        return self.store.message(message_id)

    def messages(self, conversation_id: int, **kwargs) -> list[Message]:
        self.count += 1
        return self.store.messages(conversation_id, **kwargs)

    def messages_after(self, conversation_id: int, after_id: int, **kwargs) -> list[Message]:
        self.count += 1
        return self.store.messages_after(conversation_id, after_id, **kwargs)


class Recorder(WindowEvents):
    """The events a window sends, checked for the begin/end pairing a Qt model needs."""

    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.open: str | None = None

    def _begin(self, kind: str, *args: int) -> None:
        assert self.open is None, f"{kind} inside {self.open}"
        self.open = kind
        self.events.append((kind, *args))

    def _end(self, kind: str) -> None:
        assert self.open == kind
        self.open = None

    def about_to_insert(self, first: int, last: int) -> None:
        self._begin("insert", first, last)

    def inserted(self) -> None:
        self._end("insert")

    def about_to_remove(self, first: int, last: int) -> None:
        self._begin("remove", first, last)

    def removed(self) -> None:
        self._end("remove")

    def about_to_reset(self) -> None:
        self._begin("reset")

    def was_reset(self) -> None:
        self._end("reset")

    def changed(self, row: int) -> None:
        assert self.open is None
        self.events.append(("changed", row))


def window_of(seed, cid: int, **kwargs) -> tuple[MessageWindow, Reads, Recorder]:
    reads, recorder = Reads(seed.store), Recorder()
    window = MessageWindow(reads, cid, run_break=RUN_BREAK, events=recorder, **kwargs)
    return window, reads, recorder


def thread_of(seed, peer: str, count: int, *, start: float, step: float = 60) -> int:
    seed.many_inbound(peer, count, start=start, step=step)
    return seed.conversation_id(peer)


def ids(window: MessageWindow) -> list[int]:
    return [m.id for m in window.messages()]


def every(seed, cid: int) -> list[int]:
    return [m.id for m in seed.store.messages(cid, limit=100_000)]


def consistent(window: MessageWindow) -> bool:
    return all(window.row_for(mid) == row for row, mid in enumerate(ids(window)))


def test_the_window_module_loads_no_qt():
    code = (
        "import sys, voipdesk.ui.thread.window; "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in ('PySide6', 'qasync')))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT)
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"


# -- paging -----------------------------------------------------------------------------------
def test_opens_on_the_newest_page_and_prepends_older_pages(seed, clock):
    cid = thread_of(seed, ALICE, 150, start=clock.now)
    all_ids = every(seed, cid)
    window, _reads, recorder = window_of(seed, cid, page=60)
    assert ids(window) == all_ids[-60:] and window.has_older() and not window.has_newer()
    assert recorder.events == []

    window.fetch_older()
    assert ids(window) == all_ids[-120:]
    assert recorder.events == [("insert", 0, 59), ("changed", 60)]
    window.fetch_older()
    assert ids(window) == all_ids and not window.can_fetch_older()
    assert consistent(window)


def test_paging_up_keeps_a_bounded_window_and_pages_back_down(seed):
    cid = thread_of(seed, ALICE, 1000, start=0)
    all_ids = every(seed, cid)
    window, _reads, _recorder = window_of(seed, cid, page=50, window_pages=4)
    while window.can_fetch_older():
        window.fetch_older()
        assert len(window) <= 200 and consistent(window)
        first = all_ids.index(ids(window)[0])
        assert ids(window) == all_ids[first : first + len(window)]
    assert ids(window) == all_ids[:200] and window.has_newer()
    while window.has_newer():
        window.fetch_newer()
        assert len(window) <= 200 and consistent(window)
    assert ids(window) == all_ids[-200:]


def test_show_newest_and_ensure_loaded_move_the_window(seed, clock):
    cid = thread_of(seed, ALICE, 2000, start=clock.now)
    all_ids = every(seed, cid)
    window, _reads, recorder = window_of(seed, cid, page=50, window_pages=4)
    assert window.ensure_loaded(all_ids[700])
    assert recorder.events[-1] == ("reset",)
    assert window.has_newer() and window.has_older() and len(window) <= 200
    window.show_newest()
    assert ids(window) == all_ids[-50:] and not window.has_newer()
    assert not window.ensure_loaded(seed.inbound(BOB, "elsewhere").id)


def test_drop_older_keeps_the_newest_rows(seed, clock):
    cid = thread_of(seed, ALICE, 100, start=clock.now)
    window, _reads, recorder = window_of(seed, cid, page=60)
    window.drop_older(20)
    assert ids(window) == every(seed, cid)[-20:] and window.has_older() and consistent(window)
    assert recorder.events == [("remove", 0, 39), ("changed", 0)]


# -- flags ------------------------------------------------------------------------------------
def test_run_and_day_flags(seed, clock):
    day0 = clock.now
    a = seed.inbound(ALICE, "one", at=day0)
    b = seed.inbound(ALICE, "two", at=day0 + 30)
    c = seed.outgoing(ALICE, "three", at=day0 + 60)
    d = seed.outgoing(ALICE, "four", at=day0 + 86_400)  # next day
    e = seed.outgoing(ALICE, "five", at=day0 + 86_400 + 60, status=Status.FAILED)
    f = seed.outgoing(ALICE, "six", at=day0 + 86_400 + 120)
    window, _reads, _recorder = window_of(seed, a.conversation_id)

    def flags(message: Message) -> tuple[bool, bool, bool]:
        row = window.row_for(message.id)
        return window.day_start(row), window.run_start(row), window.show_meta(row)

    assert flags(a) == (True, True, False)
    assert flags(b) == (False, False, True)
    assert flags(c) == (False, True, True)
    assert flags(d) == (True, True, False)
    assert flags(e) == (False, False, True)  # it needs attention
    assert flags(f) == (False, False, True) and window.is_last(window.row_for(f.id))


# -- messages applied as given -----------------------------------------------------------------
def test_arrivals_and_changes_are_applied_without_reading_the_store(seed, clock):
    cid = thread_of(seed, ALICE, 30, start=clock.now)
    window, reads, recorder = window_of(seed, cid)
    reads.count = 0
    echo = seed.outgoing(ALICE, "on my way", status=Status.SENDING)
    window.apply([echo, seed.inbound(BOB, "not this thread")])
    assert ids(window)[-1] == echo.id and len(window) == 31
    assert recorder.events == [("insert", 30, 30), ("changed", 29)]

    recorder.events.clear()
    sent = seed.store.update_outgoing(echo.id, status=Status.QUEUED)
    window.apply([sent])
    assert window.message(30) == sent
    assert recorder.events == [("changed", 30)]  # its row alone
    assert reads.count == 0


def test_arrivals_while_the_window_is_up_show_when_paged_to(seed):
    cid = thread_of(seed, ALICE, 400, start=0)
    window, reads, _recorder = window_of(seed, cid, page=50, window_pages=2)
    while window.can_fetch_older():
        window.fetch_older()
    before, count = ids(window), reads.count
    late = seed.inbound(ALICE, "arrives while reading old messages")
    window.apply([late])
    assert ids(window) == before and reads.count == count
    while window.has_newer():
        window.fetch_newer()
    assert ids(window)[-1] == late.id


def test_a_message_announced_after_a_newer_one_goes_where_it_belongs(seed, clock):
    cid = thread_of(seed, ALICE, 10, start=clock.now)
    window, reads, recorder = window_of(seed, cid)
    first = seed.outgoing(ALICE, "stored first", status=Status.SENDING)
    second = seed.inbound(ALICE, "announced first")
    window.apply([second])
    recorder.events.clear()
    window.apply([first])
    assert ids(window)[-2:] == [first.id, second.id] and consistent(window)
    assert recorder.events == [("insert", 10, 10), ("changed", 9), ("changed", 11)]
    assert reads.count == 1  # the opening page only


def test_a_discarded_message_stays_gone_without_reading_the_store(seed, clock):
    seed.inbound(ALICE, "hi")
    failed = seed.outgoing(ALICE, "oops", status=Status.FAILED, error="Refused.")
    after = seed.inbound(ALICE, "later")
    window, reads, _recorder = window_of(seed, failed.conversation_id)
    seed.store.delete_message(failed.id)
    window.remove(failed.id)  # a discard is told as such (messages removed)
    assert window.row_for(failed.id) == -1 and window.row_for(after.id) == 1
    window.apply([failed])  # a late notice of it does not bring it back
    assert window.row_for(failed.id) == -1
    assert reads.count == 1  # the opening page only


def test_a_message_handed_back_unchanged_is_not_read_again(seed, clock):
    sent = seed.outgoing(ALICE, "hello", status=Status.QUEUED)
    window, reads, recorder = window_of(seed, sent.conversation_id)
    window.apply([sent])
    assert window.message(0) == sent and recorder.events == []
    assert reads.count == 1  # the opening page only


def test_a_send_answer_announced_after_its_delivery_report_does_not_undo_it(seed, clock):
    echo = seed.outgoing(ALICE, "hello", status=Status.SENDING)
    window, reads, _recorder = window_of(seed, echo.conversation_id)
    queued = seed.store.update_outgoing(echo.id, status=Status.QUEUED)
    delivered = seed.store.update_outgoing(echo.id, status=Status.DELIVERED)
    window.apply([delivered])
    window.apply([queued])  # stale: the newer state handed over earlier stays
    assert window.message(0).status is Status.DELIVERED
    assert reads.count == 1  # the opening page only


def test_a_new_conversation_starts_empty_and_fills_by_apply(seed):
    conversation = seed.store.conversation_for(seed.own, ALICE)
    window, _reads, _recorder = window_of(seed, conversation.id)
    assert len(window) == 0 and not window.can_fetch_older()
    window.apply([seed.outgoing(ALICE, "first ever", status=Status.SENDING)])
    assert len(window) == 1 and window.day_start(0) and window.is_last(0)
