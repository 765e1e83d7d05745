"""The conversation list: model order and moves, selection, empty state, search."""

import pytest
from PySide6.QtCore import QItemSelectionModel, QModelIndex, QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QLabel, QStyle, QStyleOptionViewItem

from voipdesk.core.models import Status
from voipdesk.ui.conversations import ConversationList, ConversationListModel, ConversationRole
from voipdesk.ui.search import SearchResultsModel, SearchRole, match_ranges, snippet
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"
BOB = "+447700900222"
CAROL = "+447700900333"


def ids(model) -> list[int]:
    return [model.index(r, 0).data(ConversationRole.Id) for r in range(model.rowCount())]


@pytest.fixture
def three(seed, clock):
    """Alice (oldest), Bob, Carol (newest), one message each, read."""
    out = {}
    for peer in (ALICE, BOB, CAROL):
        clock.advance(60)
        out[peer] = seed.inbound(peer, f"hello from {peer}").conversation_id
        seed.store.mark_read(out[peer])
    return out


def make_list(qtbot, store) -> ConversationList:
    widget = ConversationList(ConversationListModel(store), store)
    qtbot.addWidget(widget)
    widget.resize(330, 400)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_model_passes_modeltester(qtmodeltester, seed, three, clock):
    model = ConversationListModel(seed.store)
    qtmodeltester.check(model)
    clock.advance(60)
    model.apply([seed.inbound(ALICE, "back on top")])
    clock.advance(60)
    model.apply([seed.inbound("+447700900444", "a new conversation")])
    seed.store.mark_read(three[ALICE])
    model.refresh()
    model.set_contacts_changed()
    qtmodeltester.check(model)


def test_newest_first_and_paged(seed, clock):
    for i in range(12):
        clock.advance(60)
        seed.inbound(f"+4477009005{i:02d}", f"message {i}")

    class Small(ConversationListModel):
        PAGE = 5

    model = Small(seed.store)
    assert model.rowCount() == 5
    stamps = [model.index(r, 0).data(ConversationRole.Timestamp) for r in range(5)]
    assert stamps == sorted(stamps, reverse=True)
    assert model.index(0, 0).data(ConversationRole.LastBody) == "message 11"
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 12
    assert ids(model) == [c.id for c in seed.store.conversations(limit=100)]


def test_inbound_message_moves_its_conversation_to_the_top_with_unread(qtbot, seed, three, clock):
    model = ConversationListModel(seed.store)
    assert ids(model) == [three[CAROL], three[BOB], three[ALICE]]
    clock.advance(60)
    message = seed.inbound(ALICE, "are you there?")
    with qtbot.assertNotEmitted(model.modelReset), qtbot.waitSignal(model.rowsMoved):
        model.apply([message])
    assert ids(model) == [three[ALICE], three[CAROL], three[BOB]]
    top = model.index(0, 0)
    assert top.data(ConversationRole.Unread) == 1
    assert top.data(ConversationRole.LastBody) == "are you there?"

    clock.advance(60)
    sent = seed.outgoing(BOB, "on my way", status=Status.SENDING)  # local echo
    model.apply([sent])
    assert ids(model) == [three[BOB], three[ALICE], three[CAROL]]
    assert model.index(0, 0).data(ConversationRole.Unread) == 0


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


def test_contact_names_show_after_set_contacts_changed(seed, three):
    model = ConversationListModel(seed.store)
    index = model.index_for(three[ALICE])
    assert index.data(ConversationRole.DisplayName) == "07700 900111"
    seed.store.set_contact(ALICE, "Alice Martin")
    model.set_contacts_changed()
    assert index.data(ConversationRole.DisplayName) == "Alice Martin"
    assert index.data(Qt.ItemDataRole.DisplayRole) == "Alice Martin"


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


def test_search_model_pages_and_passes_modeltester(qtmodeltester, seed, clock):
    for i in range(7):
        clock.advance(60)
        seed.inbound(ALICE, f"pizza number {i}")
    seed.inbound(BOB, "no match")
    model = SearchResultsModel(seed.store, page=3)
    qtmodeltester.check(model)
    model.set_query("pizza")
    assert model.rowCount() == 3
    bodies = [model.index(r, 0).data(SearchRole.Message).body for r in range(3)]
    assert bodies == ["pizza number 6", "pizza number 5", "pizza number 4"]
    while model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    assert model.rowCount() == 7
    model.set_query("")
    assert model.rowCount() == 0
    qtmodeltester.check(model)


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


def test_snippet_starts_near_the_match():
    body = "word " * 20 + "the Tickets are here"
    text = snippet(body, "tick")
    assert text.startswith("…") and "Tickets" in text and len(text) < len(body)
    start, length = match_ranges(text, "tick")[0]
    assert text[start : start + length] == "Tickets"


def test_selection_is_kept_when_a_new_conversation_arrives(qtbot, seed, three, clock):
    widget = make_list(qtbot, seed.store)
    widget.view.selectionModel().setCurrentIndex(
        widget.model.index_for(three[ALICE]), QItemSelectionModel.SelectionFlag.ClearAndSelect
    )
    clock.advance(60)
    widget.apply([seed.inbound("+447700900999", "new person")])
    assert widget.model.rowCount() == 4
    assert widget.selected_conversation_id() == three[ALICE]


# -- which own number a row is on ----------------------------------------------------------------
OTHER_OWN = "+447700900002"


class _RecordingPainter(QPainter):
    """Paints as usual and remembers every string drawn."""

    def __init__(self, device) -> None:
        super().__init__(device)
        self.texts: list[str] = []

    def drawText(self, *args):
        self.texts.extend(a for a in args if isinstance(a, str))
        return super().drawText(*args)


def _paint_row(widget: ConversationList, row: int) -> tuple[list[str], QImage]:
    view = widget.view
    index = widget.model.index(row, 0)
    rect = view.visualRect(index)
    image = QImage(rect.size(), QImage.Format.Format_ARGB32)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = _RecordingPainter(image)
    option = QStyleOptionViewItem()
    option.initFrom(view.viewport())
    option.rect = QRect(0, 0, rect.width(), rect.height())
    option.font = view.font()
    option.state &= ~QStyle.StateFlag.State_MouseOver
    view.itemDelegate().paint(painter, option, index)
    painter.end()
    return painter.texts, image


def test_rows_say_which_own_number_they_are_on_when_there_are_several(qtbot, seed, clock):
    at = clock.now
    seed.inbound(ALICE, "same words", at=at)
    seed.inbound(ALICE, "same words", own=OTHER_OWN, at=at)
    widget = make_list(qtbot, seed.store)
    assert widget.model.rowCount() == 2
    (texts_a, image_a), (texts_b, image_b) = _paint_row(widget, 0), _paint_row(widget, 1)
    assert image_a != image_b  # the two rows no longer look identical
    drawn = {*texts_a, *texts_b}
    assert "via 07700 900001" in drawn and "via 07700 900002" in drawn
    assert all("same words" in t for t in texts_a + texts_b if "same" in t)  # preview still there
    accessible = widget.model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "via 07700 90000" in accessible


def test_rows_say_nothing_about_the_own_number_when_there_is_one(qtbot, seed, three):
    widget = make_list(qtbot, seed.store)
    texts, _image = _paint_row(widget, 0)
    assert texts and not any(t.startswith("via ") for t in texts)
    # A first message from a second own number: every row now says which number it is on.
    message = seed.inbound(BOB, "from my work number", own=OTHER_OWN)
    widget.model.apply([message])
    for row in range(widget.model.rowCount()):
        texts, _image = _paint_row(widget, row)
        assert any(t.startswith("via 07700 90000") for t in texts), texts


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
