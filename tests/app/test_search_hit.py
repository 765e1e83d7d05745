"""Searching from the keyboard in the real window: the first Down shows which result it is on,
and the result opened has the words searched for marked in its bubble (painted, not HTML)."""

import pytest
from PySide6.QtCore import Qt

from tests.ui.thread_support import open_conversation
from voipdesk.ui.thread import MessageRole
from voipdesk.ui.thread.marks import MATCH_FILL

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def search(window, qtbot, text):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    conversations = window.conversations
    conversations.focus_search()
    qtbot.waitUntil(conversations.search_box.hasFocus, timeout=2000)
    qtbot.keyClicks(conversations.search_box, text)
    qtbot.waitUntil(lambda: conversations.search_model.rowCount() > 0, timeout=3000)
    return conversations


def marked_pixels(window, message_id):
    """How many pixels of the message's row are painted in the match colour."""
    thread = window.thread
    view = thread.list_view
    row = thread.row_for(message_id)
    rect = view.visualRect(view.model().index(row, 0))
    image = view.viewport().grab(rect).toImage()
    fill = MATCH_FILL.rgb()
    return sum(
        1
        for y in range(0, image.height(), 2)
        for x in range(0, image.width(), 2)
        if image.pixel(x, y) == fill
    )


def test_the_first_down_in_the_results_shows_a_selection(demo_app, qtbot):
    conversations = search(demo_app.window, qtbot, "lunch")
    qtbot.keyClick(conversations.search_box, Qt.Key.Key_Down)
    results = conversations.results_view
    assert results.hasFocus()
    assert [i.row() for i in results.selectionModel().selectedIndexes()] == [0]


def test_the_opened_result_has_the_searched_words_marked(demo_app, qtbot):
    window = demo_app.window
    conversations = search(window, qtbot, "lunch")
    qtbot.keyClick(conversations.search_box, Qt.Key.Key_Down)
    hit = conversations.search_model.message(0)
    qtbot.keyClick(conversations.results_view, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: window.conversation_id == hit.conversation_id, timeout=2000)
    qtbot.waitUntil(lambda: window.thread.row_for(hit.id) >= 0, timeout=2000)
    qtbot.wait(50)
    assert marked_pixels(window, hit.id) > 20
    # Only the words: the rest of that bubble, and other bubbles, keep their colours.
    model = window.thread.model
    others = [
        model.index(r, 0).data(MessageRole.Id)
        for r in range(model.rowCount())
        if model.index(r, 0).data(MessageRole.Id) != hit.id
    ]
    assert all(marked_pixels(window, other) == 0 for other in others)
    # Another conversation, then back: the mark was for that search only.
    other = next(c for c in window.services.store.conversations() if c.id != hit.conversation_id)
    open_conversation(qtbot, window, other.id)
    open_conversation(qtbot, window, hit.conversation_id)
    qtbot.wait(50)
    assert marked_pixels(window, hit.id) == 0
