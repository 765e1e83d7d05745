"""A text arriving through the sandbox's webhook shows a desktop notification (a notification
server on a real session bus) with its text as typed; clicking it opens that conversation."""

import pytest

from voipdesk import demo

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

STRANGER = "+447700900555"


def test_a_notification_click_opens_the_conversation_it_is_about(
    session_bus, notification_server, demo_app, qtbot
):
    server = notification_server(["body", "body-markup", "actions"])
    window = demo_app.window
    assert demo_app.sandbox.deliver(STRANGER, demo.OWN, "<b>bold</b> & <i>it</i>").status == 200
    qtbot.waitUntil(
        lambda: len(server.shown) == 1 and not demo_app.tray.notes.sending, timeout=8000
    )
    shown = server.shown[0]
    assert shown.body == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;it&lt;/i&gt;"
    conversation = next(
        c for c in window.services.store.conversations() if c.peer_number == STRANGER
    )
    assert window.conversation_id != conversation.id
    server.click(shown)
    qtbot.waitUntil(lambda: window.conversation_id == conversation.id, timeout=5000)
    assert window.thread.model.rowCount() >= 1
