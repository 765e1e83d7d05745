"""Run by tests/app/test_status_notifier.py in a process of its own, on Qt's xcb platform under
Xvfb, with the session bus and StatusNotifier watcher that test put there before this process
started (Qt decides once per process whether a StatusNotifier tray exists, and connects to the
session bus once). Not collected on its own (its name is not test_*.py)."""

import os

import pytest
from PySide6.QtWidgets import QSystemTrayIcon

from tests.ui.dbus_support import WATCHER
from voipdesk import demo

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

STRANGER = "+447700900555"


@pytest.fixture
def session_bus():
    """The outer test's bus (this process has known it from its start)."""
    return os.environ["DBUS_SESSION_BUS_ADDRESS"]


@pytest.fixture
def registered(aio):
    """The items the outer test's watcher has registered, asked over the bus."""
    from dbus_fast.aio import MessageBus

    async def ask():
        bus = await MessageBus().connect()
        try:
            path = "/StatusNotifierWatcher"
            introspection = await bus.introspect(WATCHER, path)
            proxy = bus.get_proxy_object(WATCHER, path, introspection)
            watcher = proxy.get_interface(WATCHER)
            return list(await watcher.get_registered_status_notifier_items())
        finally:
            bus.disconnect()

    return lambda: aio(ask())


def test_on_a_status_notifier_desktop_a_text_notifies_once_as_typed_and_opens_on_click(
    session_bus, notification_server, demo_app, qtbot, registered
):
    assert os.environ["QT_QPA_PLATFORM"] == "xcb"
    assert QSystemTrayIcon.isSystemTrayAvailable()  # Qt found the watcher: a tray to go to
    tray = demo_app.tray
    assert tray.available and tray.icon.isVisible()
    qtbot.waitUntil(lambda: len(registered()) == 1, timeout=8000)  # its item is in the tray

    server = notification_server(["body", "body-markup", "actions"])
    window = demo_app.window
    assert demo_app.sandbox.deliver(STRANGER, demo.OWN, "<b>bold</b> & <i>it</i>").status == 200
    qtbot.waitUntil(lambda: len(server.shown) == 1 and not tray.notes.sending, timeout=8000)
    shown = server.shown[0]
    assert shown.body == "&lt;b&gt;bold&lt;/b&gt; &amp; &lt;i&gt;it&lt;/i&gt;"  # shows as typed
    conversation = demo_app.services.store.conversation_for(demo.OWN, STRANGER)
    assert window.conversation_id != conversation.id
    server.click(shown)
    qtbot.waitUntil(lambda: window.conversation_id == conversation.id, timeout=5000)
    assert window.thread.model.rowCount() >= 1
    assert len(server.shown) == 1  # one notification: the tray icon shows none of its own
