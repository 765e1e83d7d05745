import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QInputMethodEvent
from PySide6.QtWidgets import QApplication

from voipdesk.core.segments import is_gsm, measure
from voipdesk.ui.compose import ComposeBox, length_text

OWN1, OWN2 = "+447700900001", "+447700900002"

# The offscreen platform warns when a top-level window is shown; that is not our bug.
pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)


@pytest.fixture
def box(qtbot):
    widget = ComposeBox(country="GB")
    qtbot.addWidget(widget)
    widget.set_numbers([OWN1, OWN2], OWN1)
    widget.resize(640, 120)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def test_enter_sends_text_and_selected_from(qtbot, box):
    box.from_combo.setCurrentIndex(1)
    qtbot.keyClicks(box.editor, "Hello there")
    with qtbot.waitSignal(box.sendRequested, timeout=1000) as sent:
        qtbot.keyClick(box.editor, Qt.Key.Key_Return)
    assert sent.args == [OWN2, "Hello there"]
    assert box.draft() == ""


def test_keypad_enter_and_send_button_send(qtbot, box):
    qtbot.keyClicks(box.editor, "one")
    with qtbot.waitSignal(box.sendRequested, timeout=1000) as sent:
        qtbot.keyClick(box.editor, Qt.Key.Key_Enter, Qt.KeyboardModifier.KeypadModifier)
    assert sent.args == [OWN1, "one"]
    qtbot.keyClicks(box.editor, "two")
    with qtbot.waitSignal(box.sendRequested, timeout=1000) as sent:
        qtbot.mouseClick(box.send_button, Qt.MouseButton.LeftButton)
    assert sent.args == [OWN1, "two"]


def test_shift_enter_inserts_newline_without_sending(qtbot, box):
    qtbot.keyClicks(box.editor, "first")
    with qtbot.assertNotEmitted(box.sendRequested):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return, Qt.KeyboardModifier.ShiftModifier)
        qtbot.keyClicks(box.editor, "second")
    assert box.draft() == "first\nsecond"


def test_blank_text_does_not_send(qtbot, box):
    qtbot.keyClicks(box.editor, "   ")
    assert not box.send_button.isEnabled()
    with qtbot.assertNotEmitted(box.sendRequested):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return)
    assert box.draft() == "   "


def test_input_method_composition_does_not_send(qtbot, box):
    QApplication.sendEvent(box.editor, QInputMethodEvent("ni", []))
    with qtbot.assertNotEmitted(box.sendRequested):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return)
    commit = QInputMethodEvent()
    commit.setCommitString("你")
    QApplication.sendEvent(box.editor, commit)
    with qtbot.waitSignal(box.sendRequested, timeout=1000) as sent:
        qtbot.keyClick(box.editor, Qt.Key.Key_Return)
    assert sent.args == [OWN1, "你"]


def test_reason_disables_sending(qtbot, box):
    box.set_enabled_reason("Sending is paused: your API token was refused.")
    qtbot.keyClicks(box.editor, "hello")
    assert not box.send_button.isEnabled()
    assert "API token" in box.send_button.toolTip()
    assert box.reason_label.isVisibleTo(box)
    with qtbot.assertNotEmitted(box.sendRequested):
        qtbot.keyClick(box.editor, Qt.Key.Key_Return)
    box.set_enabled_reason(None)
    assert box.send_button.isEnabled()
    assert not box.reason_label.isVisibleTo(box)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("a" * 160, "160 / 160 · 1 SMS"),
        ("a" * 161, "161 characters · 2 SMS"),
        ("ж" * 70, "70 / 70 · 1 SMS (Unicode)"),
        ("ж" * 71, "71 characters · 2 SMS (Unicode)"),
    ],
    ids=["gsm-160", "gsm-161", "unicode-70", "unicode-71"],
)
def test_counter(box, text, expected):
    box.set_draft(text)
    assert box.counter.text() == expected
    assert box.counter.isVisibleTo(box)


def test_counter_for_empty_text():
    assert length_text("") == "0 / 160"


def test_replace_link_makes_text_gsm_and_can_be_undone(qtbot, box):
    text = "“Quoted” " + "a" * 160  # the curly quotes make it Unicode: 3 SMS instead of 2
    assert measure(text).segments == 3
    box.set_draft(text)
    assert box.replace_button.isVisibleTo(box)
    assert box.replace_button.text() == "Replace special characters (saves 1 SMS)"
    qtbot.mouseClick(box.replace_button, Qt.MouseButton.LeftButton)
    assert box.draft() == '"Quoted" ' + "a" * 160
    assert is_gsm(box.draft())
    assert box.counter.text() == "169 characters · 2 SMS"
    assert not box.replace_button.isVisibleTo(box)
    box.editor.undo()
    assert box.draft() == text


def test_no_replace_link_when_nothing_is_saved(box):
    box.set_draft("“short”")  # Unicode, but 1 SMS either way
    assert not box.replace_button.isVisibleTo(box)
    box.set_draft("Hello 🙂 “there” " + "a" * 100)  # an emoji has no GSM look-alike
    assert not box.replace_button.isVisibleTo(box)


def test_from_selector_only_with_several_numbers(box):
    assert box.from_combo.isVisibleTo(box)
    assert box.from_combo.count() == 2
    assert box.from_combo.itemText(0) == "From 07700 900001"
    box.set_numbers([OWN2], OWN2)
    assert not box.from_combo.isVisibleTo(box)
    assert box.sender_number() == OWN2
    box.set_numbers([OWN1, OWN2], OWN2)
    assert box.from_combo.isVisibleTo(box)
    assert box.sender_number() == OWN2


def test_draft_changed_fires_after_typing_but_not_for_set_draft(qtbot, box):
    with qtbot.waitSignal(box.draftChanged, timeout=2000) as changed:
        qtbot.keyClicks(box.editor, "draft text")
    assert changed.args == ["draft text"]
    with qtbot.assertNotEmitted(box.draftChanged, wait=700):
        box.set_draft("loaded from another thread")
    assert box.draft() == "loaded from another thread"


def test_editor_grows_to_six_lines_then_scrolls(qtbot, box):
    one = box.editor.height()
    box.set_draft("line\n" * 2 + "line")
    three = box.editor.height()
    box.set_draft("line\n" * 5 + "line")
    six = box.editor.height()
    box.set_draft("line\n" * 11 + "line")
    twelve = box.editor.height()
    assert one < three < six
    assert twelve == six
    assert box.editor.verticalScrollBar().maximum() > 0


def test_no_scroll_bar_until_the_seventh_line(qtbot, box):
    for lines in range(1, 7):
        box.set_draft("\n".join(["line"] * lines))
        qtbot.wait(1)
        assert box.editor.verticalScrollBar().maximum() == 0, lines
    box.set_draft("\n".join(["line"] * 7))
    qtbot.wait(1)
    assert box.editor.verticalScrollBar().maximum() > 0
