"""While messages wait because VoIP Number cannot be reached, the window says so app-wide: how
many wait and when the next try is, with Retry now; the line goes once nothing waits. The real
app, the embedded sandbox over real HTTP and its fault modes."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import re

import pytest
from PySide6.QtCore import Qt

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.core.models import Status

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def send(qtbot, window, text):
    window.compose.editor.setPlainText(text)
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)


def statuses(window, bodies):
    found = {}
    for conversation in window.services.store.conversations():
        for message in window.services.store.messages(conversation.id):
            if message.body in bodies:
                found[message.body] = message.status
    return found


def offline_line(window):
    banner = window.offline_banner
    return banner.label.text() if banner.isVisible() else None


def test_waiting_messages_are_told_app_wide_and_retry_now_sends_them(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    window.services.outbox.backoff = (600.0, 900.0)  # the outbox's own next try: minutes away
    conversations = window.services.store.conversations()
    sam = next(c for c in conversations if c.peer_number == demo.SAM)
    other = next(c for c in conversations if c.peer_number != demo.SAM)
    open_conversation(qtbot, window, sam.id)
    assert offline_line(window) is None
    sandbox.inject("http503", 2, retry_after="")  # VoIP Number is down for two requests
    send(qtbot, window, "first while down")
    send(qtbot, window, "second while down")
    bodies = {"first while down", "second while down"}
    qtbot.waitUntil(
        lambda: set(statuses(window, bodies).values()) == {Status.PENDING}, timeout=5000
    )
    # Looking at another conversation, the person still learns that their messages wait.
    open_conversation(qtbot, window, other.id)
    qtbot.waitUntil(
        lambda: offline_line(window) is not None and "2 messages" in offline_line(window)
    )
    line = offline_line(window)
    assert line.startswith("VoIP Number can't be reached.")
    assert "2 messages will be sent when it can" in line
    assert re.search(r"next try in (9|10) min", line), line
    assert window.offline_banner.button.text() == "Retry now"

    # VoIP Number is back: Retry now sends both at once, and the line goes by itself.
    qtbot.mouseClick(window.offline_banner.button, Qt.MouseButton.LeftButton)
    sent = {Status.QUEUED, Status.DELIVERED}
    qtbot.waitUntil(lambda: set(statuses(window, bodies).values()) <= sent, timeout=5000)
    qtbot.waitUntil(lambda: offline_line(window) is None, timeout=2000)


def test_one_message_waiting_while_voip_number_asks_to_wait(demo_app, qtbot):
    window, sandbox = demo_app.window, demo_app.sandbox
    sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
    open_conversation(qtbot, window, sam.id)
    sandbox.inject("http429", retry_after="120")
    send(qtbot, window, "slow down")
    qtbot.waitUntil(lambda: offline_line(window) is not None, timeout=5000)
    line = offline_line(window)
    assert line.startswith("VoIP Number asked voipdesk to wait.")
    assert "1 message will be sent then — next try in 2 min" in line
    # Discarding it leaves nothing waiting: the line goes.
    message = next(m for m in window.services.store.messages(sam.id) if m.body == "slow down")
    window.services.discard(message.id)
    qtbot.waitUntil(lambda: offline_line(window) is None, timeout=3000)
