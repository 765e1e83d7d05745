"""A conversation with an unsent draft says "Draft: …" in the list (as Signal does), also after
a restart, until the draft is sent or cleared."""

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QImage, QPainter
from PySide6.QtWidgets import QStyleOptionViewItem

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.app import Controller, make_application

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def sam_of(window):
    return next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)


def row_said(window, conversation_id):
    """What the list row says to a screen reader (its preview included)."""
    model = window.conversation_model
    return model.index(model.row_of(conversation_id), 0).data(Qt.ItemDataRole.AccessibleTextRole)


def other_than(window, conversation_id):
    return next(c for c in window.services.store.conversations() if c.id != conversation_id)


def write_draft(window, qtbot, text):
    window.compose.editor.setFocus()
    qtbot.keyClicks(window.compose.editor, text)


def test_an_unsent_draft_shows_in_the_list_and_goes_once_sent(demo_app, qtbot):
    window = demo_app.window
    sam = sam_of(window)
    open_conversation(qtbot, window, sam.id)
    write_draft(window, qtbot, "see you at")
    open_conversation(qtbot, window, other_than(window, sam.id).id)
    said = row_said(window, sam.id)
    assert said.endswith(": Draft: see you at"), said
    # Back to Sam: the draft is in the compose box; sending it takes the marker away.
    open_conversation(qtbot, window, sam.id)
    assert window.compose.draft() == "see you at"
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: row_said(window, sam.id).endswith(": You: see you at"), timeout=3000)
    assert window.services.store.draft(sam.id) == ""  # gone with the message's own write


def test_the_draft_marker_is_painted_and_survives_a_restart(aio, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    app = make_application()
    first = Controller(app, tmp_path, demo=True, confirm_quit=False)
    aio(first.start())
    sam = sam_of(first.window)
    open_conversation(qtbot, first.window, sam.id)
    write_draft(first.window, qtbot, "left for later")
    aio(first.shutdown())  # (the open conversation's draft is saved on the way out)
    second = Controller(app, tmp_path, demo=True, confirm_quit=False)
    aio(second.start())
    try:
        window = second.window
        assert row_said(window, sam.id).endswith(": Draft: left for later")
        # The row is painted with the marker: its preview differs from the same row without it.
        model = window.conversation_model
        index = model.index(model.row_of(sam.id), 0)
        delegate = window.conversations.view.itemDelegate()

        def painted() -> QImage:
            image = QImage(420, 64, QImage.Format.Format_ARGB32)
            image.fill(0)
            option = QStyleOptionViewItem()
            option.rect = image.rect()
            option.palette = window.palette()
            option.font = window.font()
            painter = QPainter(image)
            delegate.paint(painter, option, index)
            painter.end()
            return image

        with_draft = painted()
        model.set_draft(sam.id, "")
        assert painted() != with_draft
    finally:
        aio(second.shutdown())
