"""The left pane: selection, activation, empty state, search, repaints."""

import pytest
from PySide6.QtCore import QItemSelectionModel, Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QLabel

from tests.ui.conversations_support import ALICE, BOB, CAROL, ids, make_list
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.search import SearchRole
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)


def test_selection_survives_moves_and_refresh(qtbot, seed, three, clock):
    widget = make_list(qtbot, seed.store)
    model, view = widget.model, widget.view
    widget.select(three[BOB])
    assert widget.selected_conversation_id() == three[BOB]

    clock.advance(60)
    model.apply([seed.inbound(ALICE, "moves above Bob")])
    assert widget.selected_conversation_id() == three[BOB]
    assert view.selectionModel().isSelected(model.index_for(three[BOB]))

    clock.advance(60)
    model.apply([seed.inbound(BOB, "Bob himself moves")])
    assert model.index_for(three[BOB]).row() == 0
    assert view.selectionModel().isSelected(model.index(0, 0))

    seed.store.mark_read(three[BOB])
    clock.advance(60)
    seed.inbound(CAROL, "order changes behind the model's back")
    model.refresh()
    assert ids(model)[0] == three[CAROL]
    assert widget.selected_conversation_id() == three[BOB]
    assert model.index_for(three[BOB]).data(ConversationRole.Unread) == 0


def test_empty_state_offers_new_message(qtbot, store):
    widget = make_list(qtbot, store)
    assert widget.pages.currentWidget() is widget.empty
    with qtbot.waitSignal(widget.newMessageRequested):
        widget.empty_button.click()
    with qtbot.waitSignal(widget.newMessageRequested):
        widget.new_button.click()
    for control in (widget.search_box, widget.new_button, widget.view, widget.results_view):
        assert control.accessibleName()
    labels = widget.findChildren(QLabel)
    assert labels and all(label.textFormat() == Qt.TextFormat.PlainText for label in labels)


def test_clicking_a_conversation_activates_it(qtbot, seed, three):
    widget = make_list(qtbot, seed.store)
    assert widget.pages.currentWidget() is widget.view
    rect = widget.view.visualRect(widget.model.index_for(three[BOB]))
    with qtbot.waitSignal(widget.conversationActivated) as activated:
        qtbot.mouseClick(widget.view.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args == [three[BOB]]
    with qtbot.waitSignal(widget.conversationActivated) as activated:
        qtbot.keyClick(widget.view, Qt.Key.Key_Down)
    assert activated.args == [three[ALICE]]
    with qtbot.assertNotEmitted(widget.conversationActivated):
        widget.select(three[CAROL])


def test_search_finds_a_message_and_opens_the_thread_at_it(qtbot, seed, clock):
    seed.inbound(ALICE, "the tickets for saturday are booked")
    for i in range(150):
        clock.advance(60)
        seed.outgoing(ALICE, f"filler {i}")
    seed.inbound(BOB, "nothing to see")
    target = seed.store.search("tickets")[0]
    widget = make_list(qtbot, seed.store)

    widget.focus_search()  # (focus itself is not observable on the offscreen platform)
    qtbot.keyClicks(widget.search_box, "TICK")
    qtbot.waitUntil(lambda: widget.is_searching() and widget.search_model.rowCount() == 1)
    assert widget.results_view.isVisible()
    index = widget.search_model.index(0, 0)
    assert index.data(SearchRole.Id) == target.id
    assert index.data(SearchRole.DisplayName) == "07700 900111"

    rect = widget.results_view.visualRect(index)
    viewport = widget.results_view.viewport()
    with qtbot.waitSignal(widget.searchResultActivated) as activated:
        qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=rect.center())
    assert activated.args == [target.conversation_id, target.id]

    thread = ThreadView(seed.store, page=60)
    qtbot.addWidget(thread)
    thread.resize(500, 500)
    thread.show()
    thread.set_conversation(target.conversation_id)
    assert thread.model.row_for(target.id) == -1  # not in the newest page
    assert thread.show_message(target.id)
    qtbot.wait(150)
    lv = thread.list_view
    row_rect = lv.visualRect(lv.model().index(thread.model.row_for(target.id), 0))
    assert lv.viewport().rect().intersects(row_rect)

    qtbot.keyClicks(widget.search_box, "zzz")
    qtbot.waitUntil(lambda: widget.no_results.isVisible())
    widget.search_box.setFocus()
    qtbot.keyClick(widget.search_box, Qt.Key.Key_Escape)
    assert widget.search_box.text() == ""
    assert widget.pages.currentWidget() is widget.view


def test_search_reads_contact_names_once_and_again_after_they_change(qtbot, seed, monkeypatch):
    seed.inbound(ALICE, "pizza tonight?")
    seed.store.set_contact(ALICE, "Alice")
    widget = make_list(qtbot, seed.store)
    reads = []
    real = seed.store.contacts
    monkeypatch.setattr(seed.store, "contacts", lambda: reads.append(1) or real())
    for text in ("pizza", "pizz", "tonight"):
        widget.search_model.set_query(text)
    assert len(reads) == 1
    assert widget.search_model.index(0, 0).data(SearchRole.DisplayName) == "Alice"
    seed.store.set_contact(ALICE, "Alice Martin")
    widget.set_contacts_changed()
    assert widget.search_model.index(0, 0).data(SearchRole.DisplayName) == "Alice Martin"


def test_selection_is_kept_when_a_new_conversation_arrives(qtbot, seed, three, clock):
    widget = make_list(qtbot, seed.store)
    widget.view.selectionModel().setCurrentIndex(
        widget.model.index_for(three[ALICE]), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    clock.advance(60)
    widget.apply([seed.inbound("+447700900999", "new person")])
    assert widget.model.rowCount() == 4
    assert widget.selected_conversation_id() == three[ALICE]


def test_the_empty_state_has_the_list_background(qtbot, store):
    widget = make_list(qtbot, store)
    assert widget.pages.currentWidget() is widget.empty
    image = widget.empty.grab().toImage()
    corner = image.pixelColor(2, 2)
    assert corner == widget.view.palette().color(QPalette.ColorRole.Base)
    assert widget.search_box.objectName() == "searchBox"


def test_a_message_for_the_top_conversation_repaints_its_row_only(
    qtbot, seed, three, clock, paints
):
    """Qt's list view would relayout and repaint every visible row for each changed one; with
    rows painted in Python, that made each arriving message cost the whole list."""
    widget = make_list(qtbot, seed.store)
    view = widget.view
    qtbot.wait(50)
    painted = paints(view.viewport())
    clock.advance(60)
    widget.apply([seed.inbound(CAROL, "still on top")])  # Carol's row is already the first
    qtbot.waitUntil(lambda: bool(painted), timeout=2000)
    qtbot.wait(50)
    top = view.visualRect(widget.model.index(0, 0))
    assert widget.model.index(0, 0).data(ConversationRole.LastBody) == "still on top"
    assert all(top.contains(rect) for rect in painted), (top, painted)
