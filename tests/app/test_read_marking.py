"""A conversation is marked read only once the person has looked at it, and a text that came
while they were away is marked read once they are back and see it (demo account, real listener,
sandbox over HTTP, the real window)."""

import warnings

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QWidget

from tests.store.conftest import inbound
from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.thread import MessageRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

LUNCH = "+447700900123"  # the demo's newest conversation: two texts, unread


def conversation_of(window, peer):
    return next(c for c in window.services.store.conversations() if c.peer_number == peer)


def badge(window, conversation_id):
    model = window.conversation_model
    return model.data(model.index(model.row_of(conversation_id), 0), ConversationRole.Unread)


def stored_unread(window, conversation_id):
    return window.services.store.conversation(conversation_id).unread_count


def divider_above(window):
    """The body of the bubble with "Unread messages" above it (None without a divider)."""
    model = window.thread.model
    for row in range(model.rowCount()):
        index = model.index(row, 0)
        if index.data(Qt.ItemDataRole.AccessibleTextRole).startswith("Unread messages."):
            return index.data(MessageRole.Message).body
    return None


def activate(qtbot, window):
    """The person clicks the window (or the desktop brings it to the front)."""
    window.activateWindow()
    if not window.isActiveWindow():
        # Offscreen Qt never activates a window shown again after hide(); a desktop does.
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", DeprecationWarning)
            QApplication.setActiveWindow(window)
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)


def elsewhere(qtbot):
    """Another window of the desktop takes the focus: voipdesk is in the background."""
    other = QWidget()
    qtbot.addWidget(other)
    other.show()
    other.activateWindow()
    qtbot.waitUntil(other.isActiveWindow, timeout=2000)
    return other


def test_the_conversation_opened_at_start_stays_unread_until_the_person_acts(demo_app, qtbot):
    window = demo_app.window
    lunch = conversation_of(window, LUNCH)
    assert window.conversation_id == lunch.id  # the newest, opened for the person
    activate(qtbot, window)
    qtbot.wait(300)  # time for a (wrong) mark-read to be stored
    assert badge(window, lunch.id) == 2
    assert stored_unread(window, lunch.id) == 2
    assert demo_app.tray.unread == 2
    assert divider_above(window) == "Are we still on for lunch tomorrow?"
    # The person clicks into the thread: now they have seen it.
    view = window.thread.list_view
    viewport = view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=viewport.rect().center())
    qtbot.waitUntil(lambda: stored_unread(window, lunch.id) == 0, timeout=3000)
    qtbot.waitUntil(lambda: badge(window, lunch.id) == 0, timeout=2000)
    qtbot.waitUntil(lambda: demo_app.tray.unread == 0, timeout=2000)
    assert divider_above(window) == "Are we still on for lunch tomorrow?"  # kept while open


def test_a_text_that_came_while_the_window_was_behind_another_is_read_on_coming_back(
    demo_app, qtbot
):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    open_conversation(qtbot, window, sam.id)
    activate(qtbot, window)
    elsewhere(qtbot)
    assert sandbox.deliver(demo.SAM, demo.OWN, "are you there?").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == 1, timeout=5000)
    qtbot.wait(300)
    assert stored_unread(window, sam.id) == 1
    activate(qtbot, window)  # the person clicks the window: the text is in front of them
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)
    qtbot.waitUntil(lambda: badge(window, sam.id) == 0, timeout=2000)
    qtbot.waitUntil(lambda: demo_app.tray.unread == 2, timeout=2000)  # the lunch texts only
    assert divider_above(window) == "are you there?"  # where they left off, while it is open


def test_a_text_stored_but_not_drawn_yet_stays_unread_when_the_person_reads_the_thread(
    demo_app, qtbot
):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    open_conversation(qtbot, window, sam.id)
    activate(qtbot, window)
    elsewhere(qtbot)
    assert sandbox.deliver(demo.SAM, demo.OWN, "seen on coming back").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == 1, timeout=5000)
    # Stored, and the window not told yet (what the shared inbox's feed has not brought).
    store = window.services.store
    later, _ = store.add_inbound(inbound("not drawn yet", frm=demo.SAM, to=demo.OWN))
    activate(qtbot, window)  # the person sees what the thread shows
    qtbot.waitUntil(lambda: badge(window, sam.id) == 0, timeout=3000)
    qtbot.wait(300)
    assert stored_unread(window, sam.id) == 1  # the one they have not seen
    assert window.thread.row_for(later.id) < 0
    # Once it is drawn in front of them, it is read too.
    assert sandbox.deliver(demo.SAM, demo.OWN, "and one more").status == 200
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=5000)


def test_a_text_that_came_while_hidden_in_the_tray_is_read_once_restored(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    open_conversation(qtbot, window, sam.id)
    activate(qtbot, window)
    window.hide()  # closed to the tray
    assert sandbox.deliver(demo.SAM, demo.OWN, "back soon?").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == 1, timeout=5000)
    qtbot.wait(300)
    assert stored_unread(window, sam.id) == 1
    demo_app.show_window()  # Open, from the tray
    qtbot.waitExposed(window)
    activate(qtbot, window)
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)
    qtbot.waitUntil(lambda: badge(window, sam.id) == 0, timeout=2000)


def test_a_text_arriving_in_front_of_the_person_is_read_at_once(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    open_conversation(qtbot, window, sam.id)
    activate(qtbot, window)
    assert sandbox.deliver(demo.SAM, demo.OWN, "in front of you").status == 200
    qtbot.waitUntil(lambda: window.thread.row_for(_newest_id(window)) >= 0, timeout=5000)
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)
    # (The list hears of it on the loop's next turn after the store's worker is done.)
    qtbot.waitUntil(lambda: badge(window, sam.id) == 0, timeout=2000)
    assert divider_above(window) is None


def _newest_id(window):
    model = window.thread.model
    message = model.data(model.index(model.rowCount() - 1, 0), MessageRole.Message)
    return message.id if message is not None and message.body == "in front of you" else -1


def test_a_text_arriving_below_while_reading_older_ones_is_read_once_scrolled_to(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    open_conversation(qtbot, window, sam.id)
    activate(qtbot, window)
    for i in range(25):  # a screenful and more, read as they come
        assert sandbox.deliver(demo.SAM, demo.OWN, f"line {i}").status == 200
    qtbot.waitUntil(lambda: window.thread.model.rowCount() >= 26, timeout=10000)
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)
    bar = window.thread.list_view.verticalScrollBar()
    qtbot.waitUntil(lambda: bar.maximum() > 0, timeout=2000)
    bar.setValue(bar.minimum())  # reading the first lines again
    assert sandbox.deliver(demo.SAM, demo.OWN, "down here").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == 1, timeout=5000)
    qtbot.wait(300)
    assert stored_unread(window, sam.id) == 1  # below, out of sight
    assert divider_above(window) == "down here"
    bar.setValue(bar.maximum())
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)
    qtbot.waitUntil(lambda: badge(window, sam.id) == 0, timeout=2000)


def _divider_row_top(window):
    """Where the "Unread messages" divider's row starts in the viewport (None: not laid out)."""
    view, model = window.thread.list_view, window.thread.model
    row = model.row_for(model.unread_from) if model.unread_from is not None else -1
    if row < 0:
        return None
    return view.visualRect(view.model().index(row, 0)).top()


@pytest.mark.parametrize("count", [20, 45])  # a screenful and more; more than a page (30)
def test_opening_a_conversation_with_more_unread_than_fit_starts_at_the_first_unread(
    demo_app, qtbot, count
):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    activate(qtbot, window)
    for i in range(count):  # while another conversation is open: unread
        assert sandbox.deliver(demo.SAM, demo.OWN, f"news {i}").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == count, timeout=15000)
    window.conversations.view.setFocus()
    open_conversation(qtbot, window, sam.id)  # the person clicks it
    view = window.thread.list_view
    qtbot.waitUntil(lambda: _divider_row_top(window) is not None, timeout=2000)
    qtbot.wait(100)
    assert divider_above(window) == "news 0"
    top = _divider_row_top(window)
    assert 0 <= top < view.viewport().height() // 4  # the first unread, near the top
    assert not view.at_bottom()
    qtbot.wait(300)
    assert stored_unread(window, sam.id) == count  # the newest are below, not seen yet
    bar = view.verticalScrollBar()
    bar.setValue(bar.maximum())  # read down to the newest
    qtbot.waitUntil(lambda: stored_unread(window, sam.id) == 0, timeout=3000)


def test_opening_a_conversation_whose_unread_fit_on_screen_shows_the_newest(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = conversation_of(window, demo.SAM)
    activate(qtbot, window)
    for i in range(2):
        assert sandbox.deliver(demo.SAM, demo.OWN, f"short {i}").status == 200
    qtbot.waitUntil(lambda: badge(window, sam.id) == 2, timeout=10000)
    open_conversation(qtbot, window, sam.id)
    view = window.thread.list_view
    qtbot.waitUntil(lambda: _divider_row_top(window) is not None, timeout=2000)
    qtbot.wait(100)
    assert divider_above(window) == "short 0"
    assert view.at_bottom()
