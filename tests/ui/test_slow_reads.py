"""The window over a store that answers slowly (as a database across a network would): its reads
run on a worker, the window paints and takes input meanwhile, and a late answer never shows in
the wrong place. The store is real; its reads wait at a gate the test opens (a stand-in for
network latency, which cannot run here), and one made on the GUI thread while the gate is shut
fails the test, since it would have frozen the window."""

from __future__ import annotations

import threading

import pytest
from PySide6.QtCore import QEvent, QObject, QTimer

from tests.ui.conftest import Seeder
from tests.ui.conversations_support import make_list
from voipdesk.services.reads import Reads
from voipdesk.store.store import Store
from voipdesk.ui.search import SearchResultsModel
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

ALICE, BOB, CAROL = "+447700900111", "+447700900222", "+447700900333"
READS = ("message", "messages", "messages_after", "conversation", "conversations", "search")
READS += ("draft", "contacts", "own_numbers", "drafts", "contact_name", "scheduled_in")
READS += ("scheduled_only",)


class SlowStore(Store):
    """A real Store whose reads wait while `slow` is set, as over a slow network."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self._open = threading.Event()
        self._open.set()
        self._gui = threading.get_ident()
        self.calls: list[tuple[str, tuple, dict]] = []  # reads made while slow
        self.ran: list[tuple[str, tuple, dict]] = []  # reads made since slow(), in their order

    def slow(self) -> None:
        self._open.clear()
        self.calls.clear()
        self.ran.clear()

    def answer(self) -> None:
        self._open.set()


def _slowed(name: str):
    def read(self: SlowStore, *args, **kwargs):
        self.ran.append((name, args, kwargs))
        if not self._open.is_set():
            assert threading.get_ident() != self._gui, f"{name}() on the GUI thread"
            self.calls.append((name, args, kwargs))
            self._open.wait(10)
        return getattr(Store, name)(self, *args, **kwargs)

    return read


for _name in READS:
    setattr(SlowStore, _name, _slowed(_name))


@pytest.fixture
def slow_store(tmp_path, clock):
    store = SlowStore(tmp_path / "voipdesk.sqlite3", clock=clock)
    yield store
    store.answer()
    store.close()


@pytest.fixture
def seed(slow_store, clock):
    return Seeder(slow_store, clock)


def thread_of(seed, peer: str, count: int) -> int:
    for i in range(count):
        seed.inbound(peer, f"{peer[-3:]} message {i}")
    return seed.conversation_id(peer)


class Paints(QObject):
    def __init__(self, widget) -> None:
        super().__init__(widget)
        self.count = 0
        widget.installEventFilter(self)

    def eventFilter(self, watched, event) -> bool:
        if event.type() == QEvent.Type.Paint:
            self.count += 1
        return False


def slow_view(qtbot, store, cid: int | None = None, page: int = 30) -> ThreadView:
    view = ThreadView(store, page=page)
    view.reads = Reads()
    qtbot.addWidget(view)
    view.resize(420, 500)
    view.show()
    qtbot.waitExposed(view)
    if cid is not None:
        view.set_conversation(cid)
        qtbot.waitUntil(lambda: view.conversation_id == cid and not view.opening)
    return view


def peers(view: ThreadView) -> set[str]:
    model = view.model
    return {model.message(row).peer_number for row in range(model.rowCount())}


def test_the_window_paints_and_takes_events_while_a_thread_loads(aio, qtbot, seed, slow_store):
    alice, bob = thread_of(seed, ALICE, 10), thread_of(seed, BOB, 40)
    view = slow_view(qtbot, slow_store, alice)
    paints = Paints(view.list_view.viewport())
    slow_store.slow()
    view.set_conversation(bob)
    assert view.opening and view.conversation_id == alice  # asked for, not there yet
    ticked = []
    QTimer.singleShot(0, lambda: ticked.append(True))
    before = paints.count
    view.list_view.viewport().update()
    qtbot.waitUntil(lambda: bool(ticked) and paints.count > before)  # the loop runs meanwhile
    assert view.opening and [c[0] for c in slow_store.calls] == ["conversation"]

    slow_store.answer()  # the page arrives and is shown
    qtbot.waitUntil(lambda: view.conversation_id == bob and not view.opening)
    assert view.conversation.peer_number == BOB and view.model.rowCount() == 30
    assert view.model.message(29).body == "222 message 39"
    qtbot.waitUntil(view.list_view.at_bottom)


def test_switching_conversation_during_a_slow_load_shows_only_the_one_chosen_last(
    aio, qtbot, seed, slow_store
):
    alice, bob, carol = (thread_of(seed, peer, 80) for peer in (ALICE, BOB, CAROL))
    view = slow_view(qtbot, slow_store, alice)
    shown: list[tuple[int, set[str]]] = []
    view.opened.connect(lambda conversation, _draft: shown.append((conversation.id, peers(view))))
    slow_store.slow()
    view.list_view.verticalScrollBar().setValue(0)  # Alice's older page is asked for...
    qtbot.waitUntil(lambda: view.model.window.fetching)
    view.set_conversation(bob)  # ...then Bob is clicked, then Carol, all before any answer
    view.set_conversation(carol)
    assert peers(view) == {ALICE}  # what was shown stays until the chosen one arrives
    slow_store.answer()
    qtbot.waitUntil(lambda: view.conversation_id == carol and not view.opening)
    qtbot.wait(100)  # any late answer has come by now
    assert shown == [(carol, {CAROL})]
    assert view.conversation_id == carol and peers(view) == {CAROL}
    assert view.conversation.peer_number == CAROL and view.title.text().endswith("900333")


def test_scrolling_up_during_a_slow_older_page_asks_for_it_once(aio, qtbot, seed, slow_store):
    alice = thread_of(seed, ALICE, 200)
    view = slow_view(qtbot, slow_store, alice)
    bar = view.list_view.verticalScrollBar()
    top = view.model.message(0)
    slow_store.slow()
    for _ in range(5):  # the user keeps scrolling up against the top while it loads
        bar.setValue(bar.minimum())
        qtbot.wait(20)
    older = [c for c in slow_store.calls if c[0] == "messages"]
    assert len(older) == 1 and older[0][2]["before_id"] == top.id
    assert view.model.rowCount() == 30
    slow_store.answer()
    qtbot.waitUntil(lambda: view.model.rowCount() >= 60)
    assert view.model.message(view.model.row_for(top.id) - 1).id < top.id  # put above it


def test_a_search_answer_that_comes_after_the_next_query_is_dropped(aio, qtbot, seed, slow_store):
    seed.inbound(ALICE, "alpha beta")
    seed.inbound(BOB, "alpha only")
    seed.inbound(CAROL, "beta only")
    model = SearchResultsModel(slow_store)
    model.reads = Reads()
    slow_store.slow()
    model.set_query("alpha")
    assert model.fetching and not model.canFetchMore(model.index(-1, 0))  # asked for, once
    model.set_query("beta")
    slow_store.answer()
    qtbot.waitUntil(lambda: not model.fetching)
    qtbot.wait(100)  # the answer for "alpha" has come by now, and gone
    assert sorted(model.message(r).body for r in range(model.rowCount())) == [
        "alpha beta",
        "beta only",
    ]


def test_the_results_pane_says_no_messages_match_only_once_the_answer_says_so(
    aio, qtbot, seed, slow_store
):
    """While a query is read on the worker the pane stays an empty list: it does not flash
    "No messages match." before the matches arrive (nor before an answer that has none)."""
    seed.inbound(ALICE, "alpha beta")
    panel = make_list(qtbot, slow_store)
    panel.search_model.reads = Reads()
    slow_store.slow()
    qtbot.keyClicks(panel.search_box, "alpha")
    qtbot.waitUntil(lambda: [c[0] for c in slow_store.calls] == ["search"])  # being read
    qtbot.wait(50)
    assert panel.is_searching() and not panel.no_results.isVisible()
    slow_store.answer()
    qtbot.waitUntil(lambda: panel.search_model.rowCount() == 1)
    assert panel.results_view.isVisible() and not panel.no_results.isVisible()

    slow_store.slow()
    panel.search_box.setText("zzz")
    qtbot.waitUntil(lambda: [c[0] for c in slow_store.calls] == ["search"])
    qtbot.wait(50)
    assert not panel.no_results.isVisible()
    slow_store.answer()
    qtbot.waitUntil(lambda: panel.no_results.isVisible())
    assert not panel.results_view.isVisible()


def test_searches_typed_over_while_the_store_is_slow_do_not_hold_up_the_thread(
    aio, qtbot, seed, slow_store
):
    """Searches typed over (or cleared) before their turn on the reads worker are never read:
    the thread's older page, asked for after them, comes right after the one search already
    being read, not behind every query typed."""
    alice = thread_of(seed, ALICE, 200)
    view = slow_view(qtbot, slow_store, alice)
    search = SearchResultsModel(slow_store)
    search.reads = view.reads  # the window's reads share one worker, as in the app
    slow_store.slow()
    search.set_query("message")
    qtbot.waitUntil(lambda: [c[0] for c in slow_store.calls] == ["search"])  # being read
    for text in ("message 1", "message 19", "message 199"):  # typed on meanwhile
        search.set_query(text)
        qtbot.wait(10)
    search.set_query("")  # cleared: back to the thread, scrolling up
    view.list_view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: view.model.window.fetching)
    slow_store.answer()
    qtbot.waitUntil(lambda: view.model.rowCount() >= 60)
    reads = [(name, args[0]) for name, args, _kw in slow_store.ran if name == "search"]
    reads += [(name, args[0]) for name, args, _kw in slow_store.ran if name == "messages"]
    assert reads == [("search", "message"), ("messages", alice)]
    assert search.rowCount() == 0 and not search.fetching


def test_the_thread_opened_before_the_worker_reads_its_older_pages_there(
    aio, qtbot, seed, slow_store
):
    """The conversation shown at start-up is read at once (before the services run); the older
    pages it is scrolled to later are read on the worker like any other thread's."""
    alice = thread_of(seed, ALICE, 200)
    view = ThreadView(slow_store, page=30)  # reads at once, as at start-up
    qtbot.addWidget(view)
    view.resize(420, 500)
    view.show()
    view.set_conversation(alice)
    qtbot.waitUntil(lambda: view.model is not None and view.model.rowCount() == 30)
    view.reads = Reads()  # the services are attached
    slow_store.slow()
    view.list_view.verticalScrollBar().setValue(0)
    qtbot.waitUntil(lambda: view.model.window.fetching)
    assert [c[0] for c in slow_store.calls] == ["messages"]  # (a read on the GUI thread fails)
    slow_store.answer()
    qtbot.waitUntil(lambda: view.model.rowCount() >= 60)


def test_the_compose_box_follows_the_thread_when_a_slow_conversation_arrives(
    aio, qtbot, seed, slow_store, settings
):
    from voipdesk.ui.application import app_icon
    from voipdesk.ui.main_window import MainWindow

    alice, bob = thread_of(seed, ALICE, 5), thread_of(seed, BOB, 5)
    slow_store.set_draft(bob, "half-written to Bob")
    settings.numbers = [seed.own]
    window = MainWindow(slow_store, settings, app_icon())
    qtbot.addWidget(window)
    reads = Reads()
    for reader in (window.thread, window.conversation_model, window.conversations.search_model):
        reader.reads = reads
    window.show()
    qtbot.waitExposed(window)
    window.open_conversation(alice)
    qtbot.waitUntil(lambda: window.conversation_id == alice and not window.thread.opening)
    window.compose.set_draft("to Alice")
    slow_store.slow()
    window.open_conversation(bob)
    qtbot.wait(50)
    # Until Bob's conversation is there, what is shown (thread and compose box) is Alice's,
    # so Enter still sends to the person on the screen.
    assert window.conversation_id == alice and window.thread.conversation.peer_number == ALICE
    assert window.compose.draft() == "to Alice" and peers(window.thread) == {ALICE}
    slow_store.answer()
    qtbot.waitUntil(lambda: window.conversation_id == bob and not window.thread.opening)
    assert peers(window.thread) == {BOB} and window.compose.draft() == "half-written to Bob"
    assert window.conversations.selected_conversation_id() == bob


def test_the_window_paints_before_its_first_reads_answer_and_keeps_what_was_typed_meanwhile(
    aio, qtbot, seed, slow_store, settings
):
    from voipdesk.ui.application import app_icon
    from voipdesk.ui.conversations.model import ConversationRole
    from voipdesk.ui.main_window import MainWindow

    alice, bob = thread_of(seed, ALICE, 5), thread_of(seed, BOB, 5)
    slow_store.set_draft(alice, "stored draft to Alice")
    slow_store.set_draft(bob, "stored draft to Bob")
    settings.numbers = [seed.own]
    slow_store.slow()  # the store does not answer yet (a database across a slow network)
    window = MainWindow(slow_store, settings, app_icon(), reads=Reads())
    qtbot.addWidget(window)
    window.show()
    qtbot.waitUntil(lambda: window.painted)  # painted, with nothing in the list yet
    model = window.conversation_model
    assert model.rowCount() == 0 and [c[0] for c in slow_store.calls][:1] == ["drafts"]
    model.set_draft(alice, "")  # the person cleared Alice's draft meanwhile
    slow_store.answer()
    qtbot.waitUntil(lambda: model.rowCount() == 2)
    said = {model.index(r, 0).data(ConversationRole.Id): said_of(model, r) for r in range(2)}
    assert "Draft:" not in said[alice]  # cleared stays cleared
    assert said[bob].endswith(": Draft: stored draft to Bob")


def said_of(model, row: int) -> str:
    """What the list row says to a screen reader (its preview included)."""
    from PySide6.QtCore import Qt

    return model.index(row, 0).data(Qt.ItemDataRole.AccessibleTextRole)
