"""The thread: ThreadModel paging and local echo, the bubble view, copying, menus, links."""

import os
from pathlib import Path

import pytest
from palettes import dark_palette
from PySide6.QtCore import QModelIndex, QPoint, QRect, Qt, QUrl
from PySide6.QtGui import QColor, QContextMenuEvent, QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QMenu

from tests.ui.thread_support import settle, show_thread
from voipdesk.core.models import Status
from voipdesk.outbox import NO_ID_TEXT
from voipdesk.ui.conversations import ConversationList, ConversationListModel
from voipdesk.ui.thread import (
    MessageRole,
    ThreadModel,
    ThreadView,
    find_links,
    meta_text,
    safe_url,
    status_text,
)

# The offscreen platform warns when a top-level window is shown; that is not our bug.
pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"
BOB = "+447700900222"
SHOTS = Path(os.environ.get("VOIPDESK_UI_SHOTS", "/tmp/ui-shots"))


def ids(model: ThreadModel) -> list[int]:
    return [model.index(r, 0).data(MessageRole.Id) for r in range(model.rowCount())]


def thread_of(seed, peer: str, count: int, *, start: float, step: float = 60) -> int:
    seed.many_inbound(peer, count, start=start, step=step)
    return seed.conversation_id(peer)


def top_message(view: ThreadView) -> tuple[int, int]:
    lv = view.list_view
    index = lv.indexAt(QPoint(lv.viewport().width() // 2, 0))
    return index.data(MessageRole.Id), lv.visualRect(index).top()


# -- ThreadModel ---------------------------------------------------------------------------------
def test_model_passes_modeltester(qtmodeltester, seed, clock):
    cid = thread_of(seed, ALICE, 130, start=clock.now)
    model = ThreadModel(seed.store, cid, page=50)
    qtmodeltester.check(model)  # keeps checking every change below
    model.fetchMore(QModelIndex())
    sent = seed.outgoing(ALICE, "hello", status=Status.SENDING)
    model.apply([sent])
    model.apply([seed.store.update_outgoing(sent.id, status=Status.QUEUED)])
    qtmodeltester.check(model)  # (the tester fetches more itself)
    every = [m.id for m in seed.store.messages(cid, limit=1000)]
    assert ids(model) == every[-model.rowCount() :]
    assert model.index(model.rowCount() - 1, 0).data(MessageRole.Status) == Status.QUEUED


def test_newest_page_first_then_older_pages_prepended_in_order(seed, clock):
    cid = thread_of(seed, ALICE, 150, start=clock.now)
    every = [m.id for m in seed.store.messages(cid, limit=1000)]
    model = ThreadModel(seed.store, cid, page=60)
    assert ids(model) == every[-60:]
    assert model.canFetchMore(QModelIndex())

    model.fetchMore(QModelIndex())
    assert ids(model) == every[-120:]
    model.fetchMore(QModelIndex())
    assert ids(model) == every
    assert not model.canFetchMore(QModelIndex())
    # The id -> row map stayed right through the prepends.
    assert all(model.row_for(mid) == row for row, mid in enumerate(every))
    model.fetchMore(QModelIndex())  # nothing more: no change
    assert model.rowCount() == 150


def test_opening_a_10000_message_thread_loads_one_page(seed, clock):
    cid = thread_of(seed, ALICE, 10_000, start=clock.now - 10_000 * 60)
    model = ThreadModel(seed.store, cid, page=60)
    assert model.rowCount() == 60
    assert model.canFetchMore(QModelIndex())
    first = seed.store.messages(cid, limit=1, before_id=None)[0]
    assert model.index(59, 0).data(MessageRole.Id) == first.id  # the newest is last


def test_apply_appends_local_echo_and_updates_in_place(qtbot, seed, clock):
    seed.inbound(ALICE, "hi")
    cid = seed.conversation_id(ALICE)
    other = seed.inbound(BOB, "not this thread")
    model = ThreadModel(seed.store, cid)

    with qtbot.assertNotEmitted(model.modelReset), qtbot.assertNotEmitted(model.layoutChanged):
        with qtbot.waitSignal(model.rowsInserted) as inserted:
            echo = seed.outgoing(ALICE, "on my way", status=Status.SENDING)
            model.apply([echo, other])
        assert inserted.args[1:] == [1, 1]
        assert model.rowCount() == 2
        last = model.index(1, 0)
        assert last.data(MessageRole.Status) == Status.SENDING

        for status, error in [
            (Status.QUEUED, None),
            (Status.DELIVERED, None),
            (Status.FAILED, "The number can't receive texts."),
        ]:
            changed = seed.store.update_outgoing(
                echo.id, status=status, **({"error_text": error} if error else {})
            )
            with qtbot.waitSignal(model.dataChanged) as signal:
                model.apply([changed])
            assert signal.args[0].row() == 1
            assert model.rowCount() == 2
            assert last.data(MessageRole.Status) == status
        assert last.data(MessageRole.ErrorText) == "The number can't receive texts."
        assert last.data(MessageRole.ShowMeta) is True

    model.apply([other])  # another thread's message changes nothing
    assert model.rowCount() == 2


def test_a_new_conversation_starts_empty_and_fills_by_apply(seed):
    conversation = seed.store.conversation_for(seed.own, ALICE)
    model = ThreadModel(seed.store, conversation.id)
    assert model.rowCount() == 0
    assert not model.canFetchMore(QModelIndex())
    model.apply([seed.outgoing(ALICE, "first ever", status=Status.SENDING)])
    assert model.rowCount() == 1
    assert model.index(0, 0).data(MessageRole.ShowDaySeparator) is True


def test_a_discarded_message_goes_and_a_late_notice_does_not_bring_it_back(seed):
    seed.inbound(ALICE, "hi")
    failed = seed.outgoing(ALICE, "oops", status=Status.FAILED, error="Refused.")
    after = seed.inbound(ALICE, "later")
    model = ThreadModel(seed.store, failed.conversation_id)
    seed.store.delete_message(failed.id)
    model.remove(failed.id)
    model.apply([failed])
    assert model.rowCount() == 2
    assert model.row_for(failed.id) == -1
    assert model.row_for(after.id) == 1


def test_run_and_day_flags(seed, clock):
    day0 = clock.now
    a = seed.inbound(ALICE, "one", at=day0)
    b = seed.inbound(ALICE, "two", at=day0 + 30)
    c = seed.outgoing(ALICE, "three", at=day0 + 60)
    d = seed.outgoing(ALICE, "four", at=day0 + 86_400)  # next day
    model = ThreadModel(seed.store, a.conversation_id)

    def flags(message):
        index = model.index(model.row_for(message.id), 0)
        return (
            index.data(MessageRole.ShowDaySeparator),
            index.data(MessageRole.RunStart),
            index.data(MessageRole.ShowMeta),
        )

    assert flags(a) == (True, True, False)
    assert flags(b) == (False, False, True)
    assert flags(c) == (False, True, True)
    assert flags(d) == (True, True, True)


def test_ensure_loaded_pulls_older_pages_until_the_message_is_in(seed, clock):
    cid = thread_of(seed, ALICE, 500, start=clock.now)
    target = seed.store.messages(cid, limit=500)[12]
    model = ThreadModel(seed.store, cid, page=50)
    assert model.row_for(target.id) == -1
    assert model.ensure_loaded(target.id)
    row = model.row_for(target.id)
    assert model.index(row, 0).data(MessageRole.Body) == target.body
    assert model.rowCount() == 500
    assert not model.ensure_loaded(seed.inbound(BOB, "elsewhere").id)


def test_links_are_found_and_only_safe_schemes_open():
    text = "see https://example.com/a_(b), www.example.org. or javascript:alert(1) file:///etc/x"
    found = [(text[s : s + n], url.toString()) for s, n, url in find_links(text)]
    assert found == [
        ("https://example.com/a_(b)", "https://example.com/a_(b)"),
        ("www.example.org", "http://www.example.org"),
    ]
    assert safe_url("mailto:me@example.com") is not None
    assert safe_url("tel:+447700900123") is not None
    for bad in ("javascript:alert(1)", "file:///etc/passwd", "data:text/html,x", "https://"):
        assert safe_url(bad) is None


# -- ThreadView ----------------------------------------------------------------------------------
def test_html_body_is_shown_as_literal_text(qtbot, seed):
    message = seed.inbound(ALICE, "<b>x</b> <img src=x> &amp;")
    view = show_thread(qtbot, seed.store, message.conversation_id)
    view.grab()  # paints every delegate row
    index = view.list_view.model().index(0, 0)
    assert index.data(Qt.ItemDataRole.DisplayRole) == "<b>x</b> <img src=x> &amp;"
    assert index.data(MessageRole.Body) == "<b>x</b> <img src=x> &amp;"
    geometry = view.delegate.geometry(index)
    assert geometry.parts[0][0].layout.text() == "<b>x</b> <img src=x> &amp;"
    labels = view.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_newlines_in_a_body_break_lines(qtbot, seed):
    message = seed.inbound(ALICE, "one\ntwo\r\nthree")
    view = show_thread(qtbot, seed.store, message.conversation_id)
    layout = view.delegate.geometry(view.list_view.model().index(0, 0)).parts[0][0].layout
    assert layout.lineCount() == 3


def test_empty_state_and_header(qtbot, seed):
    view = ThreadView(seed.store)
    qtbot.addWidget(view)
    assert view.pages.currentWidget() is view.empty_label
    assert view.empty_label.text() == "Pick a conversation, or start a new one."
    seed.store.set_contact(ALICE, "Alice Martin")
    message = seed.inbound(ALICE, "hi")
    view.set_conversation(message.conversation_id)
    assert view.conversation_id == message.conversation_id
    assert view.title.text() == "Alice Martin"
    assert view.subtitle.text() == "07700 900111"
    with qtbot.waitSignal(view.renameRequested) as renamed:
        view.name_button.click()
    assert renamed.args == [ALICE]
    view.set_conversation(None)
    assert view.conversation_id is None
    assert view.pages.currentWidget() is view.empty_label


def test_opens_at_the_bottom_and_follows_new_messages_only_when_at_the_bottom(qtbot, seed, clock):
    cid = thread_of(seed, ALICE, 120, start=clock.now)
    view = show_thread(qtbot, seed.store, cid)
    settle(qtbot, view)
    # Only the newest page: Qt's own fetch-more (the last row is visible) must not pull history.
    assert view.model.rowCount() == 60
    bar = view.list_view.verticalScrollBar()
    assert bar.maximum() > 0
    assert bar.value() == bar.maximum()

    view.apply([seed.inbound(ALICE, "new one")])
    qtbot.waitUntil(lambda: bar.value() == bar.maximum() and view.model.rowCount() == 61)

    bar.setValue(bar.maximum() // 2)
    before = top_message(view)
    view.apply([seed.inbound(ALICE, "another")])
    settle(qtbot, view)
    assert view.model.rowCount() == 62
    assert top_message(view) == before

    view.apply([seed.outgoing(ALICE, "sent by me", status=Status.SENDING)])  # local echo
    qtbot.waitUntil(lambda: view.model.rowCount() == 63 and bar.value() == bar.maximum())


def test_opened_before_it_shows_it_is_laid_out_once_shown_and_fills_the_screen(qtbot, seed, clock):
    """At start-up the newest conversation opens before the window shows (and so before the
    list has its real width): the first paint lays it out, and pages older messages in until
    the screen is full, as when it opens in a shown window."""
    cid = thread_of(seed, ALICE, 300, start=clock.now)
    view = ThreadView(seed.store, page=5)  # one page is far from a screen
    qtbot.addWidget(view)
    view.resize(420, 500)
    view.set_conversation(cid)
    assert view.model.rowCount() == 5
    view.show()
    qtbot.waitExposed(view)
    bar = view.list_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > bar.pageStep())  # more than a screen loaded
    assert view.model.rowCount() > 5
    settle(qtbot, view)
    assert bar.value() == bar.maximum()  # still at the newest message
    newest = view.model.index(view.model.rowCount() - 1, 0).data(MessageRole.Id)
    assert newest == max(m.id for m in seed.store.messages(cid))


def test_a_status_change_repaints_its_bubble_alone_unless_it_grows(qtbot, seed, clock, paints):
    """ "Sending…" to "Sent" keeps the bubble's height: only it is repainted, the thread is not
    laid out again. A failure adds its reason and Retry: the thread is laid out (it grew)."""
    cid = thread_of(seed, ALICE, 30, start=clock.now)
    echo = seed.outgoing(ALICE, "on my way", status=Status.SENDING)
    view = show_thread(qtbot, seed.store, cid)
    settle(qtbot, view)
    lv = view.list_view
    painted = paints(lv.viewport())

    def bubble() -> QRect:
        return lv.visualRect(lv.model().index(view.model.row_for(echo.id), 0))

    qtbot.wait(200)  # the paint that showing it asked for
    painted.clear()
    before = bubble()
    view.apply([seed.store.update_outgoing(echo.id, status=Status.QUEUED)])
    qtbot.waitUntil(lambda: bool(painted), timeout=2000)
    qtbot.wait(50)
    assert all(before.contains(rect) for rect in painted), (before, painted)
    assert bubble() == before

    painted.clear()
    failed = seed.store.update_outgoing(
        echo.id, status=Status.FAILED, error_text="The number can't receive texts."
    )
    view.apply([failed])
    qtbot.waitUntil(lambda: bubble().height() > before.height(), timeout=2000)  # laid out
    assert lv.verticalScrollBar().value() == lv.verticalScrollBar().maximum()  # still in view


def test_at_the_newest_message_arrivals_let_the_rows_far_above_go(qtbot, seed, clock):
    """Every arriving message lays the loaded rows out again: while the newest is in view, only
    a few pages are kept above it. Scrolling up brings the older messages back."""
    from voipdesk.ui.thread import LIVE_PAGES

    cid = thread_of(seed, ALICE, 40, start=clock.now)
    view = show_thread(qtbot, seed.store, cid, page=10)
    settle(qtbot, view)
    bar = view.list_view.verticalScrollBar()
    arrived = []
    for i in range(60):
        clock.advance(5)
        arrived.append(seed.inbound(ALICE, f"live {i}"))
        view.apply([arrived[-1]])
    settle(qtbot, view)
    assert view.model.rowCount() <= 10 * LIVE_PAGES
    assert view.model.message(view.model.rowCount() - 1).id == arrived[-1].id
    assert bar.value() == bar.maximum()  # still reading the newest
    for _ in range(40):  # scroll back up: what was let go pages back in, in order
        bar.setValue(bar.minimum())
        qtbot.wait(20)
        if not view.model.has_older():
            break
    shown = [view.model.message(r).id for r in range(view.model.rowCount())]
    assert shown == sorted(shown)
    assert not view.model.has_older()
    assert shown[0] == min(m.id for m in seed.store.messages(cid, limit=1000))


def test_scrolling_to_the_top_loads_older_and_keeps_the_message_in_place(qtbot, seed, clock):
    cid = thread_of(seed, ALICE, 300, start=clock.now)
    view = show_thread(qtbot, seed.store, cid, page=60)
    settle(qtbot, view)
    bar = view.list_view.verticalScrollBar()
    bar.setValue(bar.minimum() + 25)
    bar.setValue(bar.minimum())  # loads the older page on the next turn of the event loop
    anchor_id, anchor_top = top_message(view)
    assert view.model.rowCount() == 60
    qtbot.waitUntil(lambda: view.model.rowCount() == 120)
    settle(qtbot, view)
    lv = view.list_view
    index = lv.model().index(view.model.row_for(anchor_id), 0)
    assert abs(lv.visualRect(index).top() - anchor_top) <= 3
    assert bar.value() > bar.minimum()


def test_ctrl_c_copies_the_selected_bodies_as_plain_text(qtbot, seed):
    first = seed.inbound(ALICE, "first <i>line</i>")
    second = seed.outgoing(ALICE, "second")
    view = show_thread(qtbot, seed.store, first.conversation_id)
    lv = view.list_view
    lv.setFocus()
    lv.selectionModel().select(lv.model().index(1, 0), lv.selectionModel().SelectionFlag.Select)
    QGuiApplication.clipboard().clear()
    qtbot.keyClick(lv, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == second.body
    lv.selectAll()
    qtbot.keyClick(lv, Qt.Key.Key_C, Qt.KeyboardModifier.ControlModifier)
    assert QGuiApplication.clipboard().text() == "first <i>line</i>\nsecond"


def test_context_menu_offers_retry_and_discard_for_failed_messages(qtbot, seed):
    ok = seed.outgoing(ALICE, "delivered fine")
    failed = seed.outgoing(ALICE, "nope", status=Status.FAILED, error="Not a mobile number.")
    unknown = seed.outgoing(ALICE, "maybe", status=Status.UNKNOWN)
    view = show_thread(qtbot, seed.store, ok.conversation_id)

    def actions(message_id):
        menu = view.context_menu_for(message_id)
        return {a.text(): a for a in menu.actions() if a.text()}

    assert set(actions(ok.id)) == {"Copy", "Copy number"}
    menu = actions(failed.id)
    assert {"Copy", "Copy number", "Retry", "Discard"} <= set(menu)
    with qtbot.waitSignal(view.retryRequested) as retry:
        menu["Retry"].trigger()
    assert retry.args == [failed.id]
    with qtbot.waitSignal(view.discardRequested) as discard:
        menu["Discard"].trigger()
    assert discard.args == [failed.id]
    assert "Send again" in actions(unknown.id)
    actions(ok.id)["Copy number"].trigger()
    assert QGuiApplication.clipboard().text() == ALICE

    # A real right-click selects the message and pops the same menu up.
    lv = view.list_view
    rect = lv.visualRect(lv.model().index(1, 0))
    event = QContextMenuEvent(
        QContextMenuEvent.Reason.Mouse, rect.center(), lv.viewport().mapToGlobal(rect.center())
    )
    QApplication.sendEvent(lv.viewport(), event)
    menu = QApplication.activePopupWidget()
    assert isinstance(menu, QMenu)
    assert "Retry" in [a.text() for a in menu.actions()]
    assert lv.selectionModel().isSelected(lv.model().index(1, 0))
    menu.close()


def _find_hit(view: ThreadView, row: int, kind: str) -> QPoint:
    lv = view.list_view
    index = lv.model().index(row, 0)
    rect = lv.visualRect(index)
    for y in range(rect.top(), rect.bottom(), 2):
        for x in range(rect.left(), rect.right(), 3):
            hit = view.delegate.hit_test(index, QPoint(x, y), rect)
            if hit is not None and hit[0] == kind:
                return QPoint(x, y)
    raise AssertionError(f"no {kind} in row {row}")


def test_clicking_a_link_opens_it_and_clicking_retry_asks_to_retry(qtbot, seed):
    seed.inbound(ALICE, "menu at https://example.com/menu and javascript:alert(1)")
    failed = seed.outgoing(ALICE, "hello", status=Status.FAILED, error="Refused.")
    view = show_thread(qtbot, seed.store, failed.conversation_id)
    settle(qtbot, view)
    opened: list[QUrl] = []
    view.open_url = opened.append
    viewport = view.list_view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_find_hit(view, 0, "url"))
    assert [u.toString() for u in opened] == ["https://example.com/menu"]
    with qtbot.waitSignal(view.retryRequested) as retry:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=_find_hit(view, 1, "action"))
    assert retry.args == [failed.id]


def test_show_message_loads_scrolls_to_and_highlights(qtbot, seed, clock):
    cid = thread_of(seed, ALICE, 400, start=clock.now)
    target = seed.store.messages(cid, limit=400)[5]
    view = show_thread(qtbot, seed.store, cid, page=60)
    assert view.show_message(target.id)
    settle(qtbot, view)
    lv = view.list_view
    rect = lv.visualRect(lv.model().index(view.model.row_for(target.id), 0))
    assert lv.viewport().rect().intersects(rect)
    assert view.delegate.highlight_id == target.id


# -- a long thread: the window of loaded pages ----------------------------------------------------
def test_paging_up_a_long_thread_keeps_a_bounded_window_and_pages_back_down(qtmodeltester, seed):
    cid = thread_of(seed, ALICE, 1000, start=0)
    every = [m.id for m in seed.store.messages(cid, limit=2000)]
    model = ThreadModel(seed.store, cid, page=50, window_pages=4)
    qtmodeltester.check(model)
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
        assert model.rowCount() <= 200
        first = every.index(ids(model)[0])
        assert ids(model) == every[first : first + model.rowCount()]  # contiguous, in order
        assert all(model.row_for(mid) == row for row, mid in enumerate(ids(model)))
    assert ids(model) == every[:200] and model.has_newer()
    assert model.row_for(every[-1]) == -1
    model.apply([seed.inbound(ALICE, "arrives while reading old messages")])
    assert ids(model) == every[:200]  # it shows when the user scrolls down to it
    while model.has_newer():
        model.fetch_newer()
        assert model.rowCount() <= 200
    every = [m.id for m in seed.store.messages(cid, limit=2000)]
    assert ids(model) == every[-200:]
    assert model.message(model.rowCount() - 1).body == "arrives while reading old messages"


def test_rows_at_the_edges_of_the_window_keep_their_flags_right(seed, clock):
    cid = thread_of(seed, ALICE, 300, start=clock.now, step=10)  # one run, one day
    model = ThreadModel(seed.store, cid, page=50, window_pages=2)
    for _ in range(3):
        model.fetchMore(QModelIndex())
    assert model.has_newer()
    last = model.message(model.rowCount() - 1).id
    assert model.index(model.row_for(last), 0).data(MessageRole.ShowMeta)  # the end, for now
    model.fetch_newer()  # adds below, drops at the top
    assert model.index(model.row_for(last), 0).data(MessageRole.ShowMeta) is False
    first = model.index(0, 0)
    assert first.data(MessageRole.ShowDaySeparator) and first.data(MessageRole.RunStart)
    assert not model.index(1, 0).data(MessageRole.ShowDaySeparator)


def test_ensure_loaded_far_back_moves_the_window_to_the_message(seed, clock):
    cid = thread_of(seed, ALICE, 2000, start=clock.now)
    target = seed.store.messages(cid, limit=2000)[700]
    model = ThreadModel(seed.store, cid, page=50, window_pages=4)
    assert model.ensure_loaded(target.id)
    assert model.rowCount() <= 200 and model.has_newer() and model.has_older()
    assert model.message(model.row_for(target.id)) == target


def test_sending_while_reading_old_messages_goes_back_to_the_newest(qtbot, seed, clock):
    cid = thread_of(seed, ALICE, 1500, start=clock.now)
    view = show_thread(qtbot, seed.store, cid, page=60)
    for _ in range(12):
        view.model.fetchMore(QModelIndex())
    assert view.model.has_newer()
    sent = seed.outgoing(ALICE, "sent from far up", status=Status.SENDING)
    view.apply([sent])
    settle(qtbot, view)
    assert not view.model.has_newer()
    assert view.model.message(view.model.rowCount() - 1).id == sent.id
    bar = view.list_view.verticalScrollBar()
    assert bar.value() == bar.maximum()


def test_scrolling_down_after_scrolling_up_loads_the_newer_pages(qtbot, seed, clock):
    cid = thread_of(seed, ALICE, 1500, start=clock.now)
    view = show_thread(qtbot, seed.store, cid, page=60)
    settle(qtbot, view)
    bar = view.list_view.verticalScrollBar()
    while not view.model.has_newer():  # up until the newest rows were dropped
        bar.setValue(bar.minimum())
        qtbot.wait(5)
    while view.model.has_newer():
        last = view.model.message(view.model.rowCount() - 1).id
        bar.setValue(bar.maximum())
        qtbot.waitUntil(
            lambda last=last: (
                view.model.message(view.model.rowCount() - 1).id != last
                or not view.model.has_newer()
            )
        )
    qtbot.waitUntil(lambda: view.model.message(view.model.rowCount() - 1).body == "message 1499")


def test_the_delegate_keeps_laid_out_text_for_recent_rows_only(qtbot, seed, clock):
    from voipdesk.ui.thread.layout import LAYOUT_CACHE

    cid = thread_of(seed, ALICE, 1500, start=clock.now)
    view = show_thread(qtbot, seed.store, cid, page=60)
    bar = view.list_view.verticalScrollBar()
    for _ in range(40):
        bar.setValue(max(bar.minimum(), bar.value() - bar.pageStep()))
        view.list_view.viewport().repaint()
        qtbot.wait(1)
    assert len(view.delegate._layouts) <= LAYOUT_CACHE
    assert view.model.rowCount() <= 600


# -- screenshots -------------------------------------------------------------------------------
@pytest.mark.parametrize("mode", ["light", "dark"])
def test_screenshots(qtbot, seed, clock, mode):
    app = QApplication.instance()
    original = app.palette()
    if mode == "dark":
        app.setPalette(dark_palette())
    try:
        start = clock.now
        seed.store.set_contact(ALICE, "Alice Martin")
        seed.inbound(BOB, "Are we still on for Friday?", at=start)
        seed.inbound(ALICE, "Hi! Did you get the tickets?", at=start + 100)
        seed.outgoing(ALICE, "Yes, two for Saturday: https://example.com/t?id=42", at=start + 160)
        seed.outgoing(ALICE, "Seats are in row F. <b>not bold</b>", at=start + 200)
        seed.inbound(
            ALICE,
            "Brilliant, thank you! A longer message, to see how a bubble wraps over several "
            "lines when the text keeps going.",
            at=start + 2 * 86_400 + 3_600,
        )
        seed.outgoing(ALICE, "No problem", at=start + 2 * 86_400 + 3_700, status=Status.QUEUED)
        seed.outgoing(
            ALICE,
            "Call me on the way",
            at=start + 3 * 86_400 + 60,
            status=Status.FAILED,
            error="This number can't receive texts. Check it and try again.",
        )
        seed.outgoing(ALICE, "I'll be there at 8", status=Status.SENDING)
        seed.inbound("+14155550123", "Your code is 123456")
        cid = seed.conversation_id(ALICE)

        model = ConversationListModel(seed.store)
        side = ConversationList(model, seed.store)
        qtbot.addWidget(side)
        side.resize(330, 300)
        side.show()
        side.select(cid)
        thread = show_thread(qtbot, seed.store, cid, size=(640, 640))
        settle(qtbot, thread)
        SHOTS.mkdir(parents=True, exist_ok=True)
        for name, widget in [("conversations", side), ("thread", thread)]:
            image = widget.grab().toImage()
            assert not image.isNull()
            image.save(str(SHOTS / f"{name}-{mode}.png"))
        side.search_box.setText("tickets")
        qtbot.waitUntil(side.is_searching)
        qtbot.waitUntil(lambda: side.search_model.rowCount() == 1)
        side.grab().save(str(SHOTS / f"search-{mode}.png"))
    finally:
        app.setPalette(original)


# -- how a failed message looks ------------------------------------------------------------------
def _bubble_pixel(view: ThreadView, image, message_id: int, dx: int) -> QColor:
    lv = view.list_view
    index = lv.model().index(view.row_for(message_id), 0)
    geometry = view.delegate.geometry(index)
    bubble = view.delegate._bubble_rect(geometry, lv.visualRect(index))
    x = bubble.left() + dx if dx >= 0 else bubble.right() + dx
    return image.pixelColor(x, bubble.center().y())


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


@pytest.mark.parametrize("mode", ["light", "dark"])
def test_a_failed_or_unknown_bubble_is_dimmed_next_to_a_sent_one(qtbot, seed, clock, mode):
    from voipdesk.ui import theme

    app = QApplication.instance()
    original = app.palette()
    if mode == "dark":
        app.setPalette(dark_palette())
    try:
        start = clock.now
        sent = seed.outgoing(ALICE, "sent one", at=start, status=Status.QUEUED)
        failed = seed.outgoing(
            ALICE, "failed one", at=start + 30, status=Status.FAILED, error="No credit left."
        )
        unknown = seed.outgoing(ALICE, "unknown one", at=start + 60, status=Status.UNKNOWN)
        no_id = seed.outgoing(  # taken by a 2xx answer voipdesk could not read: sent
            ALICE, "no id", at=start + 90, status=Status.QUEUED, error=NO_ID_TEXT
        )
        view = show_thread(qtbot, seed.store, seed.conversation_id(ALICE), size=(420, 400))
        settle(qtbot, view)
        image = view.list_view.viewport().grab().toImage()
        background = view.list_view.viewport().palette().color(QPalette.ColorRole.Base)

        for message in (sent, no_id):
            sent_fill = _bubble_pixel(view, image, message.id, 5)
            assert _distance(sent_fill, theme.ACCENT) < 20  # a sent bubble: the full accent
        for message in (failed, unknown):
            fill = _bubble_pixel(view, image, message.id, 5)
            # Not the sent blue: much nearer the window's own colour than the accent...
            assert _distance(fill, theme.ACCENT) > 150, (mode, fill.name())
            assert _distance(fill, background) < _distance(fill, theme.ACCENT), (mode, fill.name())
            # ...yet still blue-ish, with an accent outline, so it is still "mine".
            assert fill.blue() > fill.red()
            edge = _bubble_pixel(view, image, message.id, 1)
            assert _distance(edge, theme.ACCENT) < _distance(fill, theme.ACCENT)
    finally:
        app.setPalette(original)


def test_a_message_sent_without_an_id_says_sent_with_its_note(seed):
    message = seed.outgoing(ALICE, "taken", status=Status.QUEUED, error=NO_ID_TEXT)
    text, action = meta_text(message)
    assert text.endswith(" · Sent — VoIP Number accepted it but gave no message id")
    assert action is None  # nothing to retry: it was sent
    assert status_text(seed.outgoing(ALICE, "with an id", status=Status.QUEUED)) == "Sent"


def test_the_name_button_is_announced_by_the_words_it_shows(qtbot, seed):
    view = ThreadView(seed.store)
    qtbot.addWidget(view)
    message = seed.inbound(ALICE, "hi")
    view.set_conversation(message.conversation_id)
    button = view.name_button
    assert button.text() == "Name…"
    assert button.text().rstrip("…") in button.accessibleName()
    seed.store.set_contact(ALICE, "Alice Martin")
    view.set_conversation(message.conversation_id)  # the same one: refreshes the header
    assert button.text() == "Rename…"
    assert button.text().rstrip("…") in button.accessibleName()
    assert "Name this" not in button.accessibleName()
