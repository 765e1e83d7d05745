"""Moving between conversations with the keyboard while typing in the compose box."""

import pytest
from PySide6.QtCore import Qt

from voipdesk.ui.conversations import ConversationRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

CTRL, SHIFT, ALT = (
    Qt.KeyboardModifier.ControlModifier,
    Qt.KeyboardModifier.ShiftModifier,
    Qt.KeyboardModifier.AltModifier,
)


def list_ids(window):
    model = window.conversation_model
    return [model.index(r, 0).data(ConversationRole.Id) for r in range(model.rowCount())]


def typing_in(window, qtbot):
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    editor = window.compose.editor
    editor.setFocus()
    qtbot.waitUntil(editor.hasFocus, timeout=2000)
    return editor


def shown(window):
    """The conversation the window shows, once nothing is on its way."""
    return None if window.thread.opening else window.conversation_id


def test_keys_in_the_compose_box_move_between_conversations(demo_app, qtbot):
    window = demo_app.window
    ids = list_ids(window)
    assert len(ids) >= 4 and window.conversation_id == ids[0]
    keys = [
        (Qt.Key.Key_Tab, CTRL, ids[1]),
        (Qt.Key.Key_Down, ALT, ids[2]),
        (Qt.Key.Key_Up, ALT, ids[1]),
        (Qt.Key.Key_Backtab, CTRL | SHIFT, ids[0]),
        (Qt.Key.Key_3, CTRL, ids[2]),
        (Qt.Key.Key_1, CTRL, ids[0]),
    ]
    for key, modifiers, expected in keys:
        editor = typing_in(window, qtbot)
        qtbot.keyClick(editor, key, modifiers)
        qtbot.waitUntil(lambda e=expected: shown(window) == e, timeout=3000)
        assert window.conversations.selected_conversation_id() == expected
        assert window.compose.editor.hasFocus()  # still typing
    assert window.compose.editor.toPlainText() == ""  # no tab or digit typed into it


def test_a_draft_stays_with_its_conversation_when_switching_by_keyboard(demo_app, qtbot):
    window = demo_app.window
    ids = list_ids(window)
    editor = typing_in(window, qtbot)
    qtbot.keyClicks(editor, "half a thought")
    qtbot.keyClick(editor, Qt.Key.Key_Down, ALT)
    qtbot.waitUntil(lambda: shown(window) == ids[1], timeout=3000)
    assert editor.toPlainText() == ""
    qtbot.keyClick(editor, Qt.Key.Key_Up, ALT)
    qtbot.waitUntil(lambda: shown(window) == ids[0], timeout=3000)
    assert editor.toPlainText() == "half a thought"
