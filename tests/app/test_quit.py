"""Quit (Ctrl+Q) asks only when quitting would stop something: receiving, or a message still on
its way out. Otherwise it quits at once. The real app, its real listener and the sandbox."""

import asyncio
import os
import socket

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication, QMessageBox

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.app import Controller, make_application
from voipdesk.settings import Settings

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def quit_asked(window):
    boxes = [b for b in window.findChildren(QMessageBox) if b.isVisible()]
    return boxes[0] if boxes else None


def press_ctrl_q(controller, qtbot):
    controller._quit = asyncio.Event()  # (made by main() when the app runs for real)
    window = controller.window
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow, timeout=2000)
    target = QApplication.focusWidget() or window
    qtbot.keyClick(target, Qt.Key.Key_Q, Qt.KeyboardModifier.ControlModifier)


@pytest.fixture
def asking_demo(demo_app):
    demo_app.confirm_quit = True  # as the app runs for real
    return demo_app


def test_quitting_the_demo_with_nothing_on_its_way_quits_at_once(asking_demo, qtbot):
    press_ctrl_q(asking_demo, qtbot)
    qtbot.waitUntil(asking_demo._quit.is_set)  # (once what is on its way has been read)
    assert quit_asked(asking_demo.window) is None


def test_quitting_while_a_message_is_being_sent_asks(asking_demo, qtbot):
    window, sandbox = asking_demo.window, asking_demo.sandbox
    sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
    open_conversation(qtbot, window, sam.id)
    sandbox.inject("delay", seconds=3)
    window.compose.editor.setPlainText("on its way")
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(m.body == "on its way" for m in window.services.store.outbox()))
    press_ctrl_q(asking_demo, qtbot)
    qtbot.waitUntil(lambda: quit_asked(window) is not None)  # (once the outbox has been read)
    box = quit_asked(window)
    assert box is not None and "still being sent" in box.informativeText()
    assert "cannot receive" not in box.informativeText()  # the demo's receiving is pretend
    assert not asking_demo._quit.is_set()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not asking_demo._quit.is_set()


def test_quitting_with_a_message_waiting_to_be_sent_asks(asking_demo, qtbot):
    from voipdesk.core.models import Status

    window, sandbox = asking_demo.window, asking_demo.sandbox
    sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
    open_conversation(qtbot, window, sam.id)
    sandbox.inject("http503", count=5)  # VoIP Number is down: it waits to be sent again
    window.compose.editor.setPlainText("try again later")
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(
        lambda: any(m.status is Status.PENDING for m in window.services.store.outbox()),
        timeout=5000,
    )
    press_ctrl_q(asking_demo, qtbot)
    qtbot.waitUntil(lambda: quit_asked(window) is not None)  # (once the outbox has been read)
    box = quit_asked(window)
    assert box is not None and "will not go out until you start" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not asking_demo._quit.is_set()


def _configured(tmp_path, port=None):
    settings = Settings.load(tmp_path)
    settings.account_id, settings.numbers = "acc-123", ["+447700900123"]
    settings.webhook_port = port
    settings.save()


@pytest.fixture
def account_app(aio, tmp_path, monkeypatch):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)

    def start(port=None):
        _configured(tmp_path, port)
        controller = Controller(make_application(), tmp_path)
        aio(controller.start())
        started.append(controller)
        return controller

    started = []
    yield start
    for controller in started:
        aio(controller.shutdown())


def test_quitting_while_receiving_asks_and_says_why(account_app, qtbot):
    controller = account_app()
    qtbot.waitUntil(lambda: controller.services.receiving.listener_running, timeout=5000)
    press_ctrl_q(controller, qtbot)
    qtbot.waitUntil(lambda: quit_asked(controller.window) is not None)
    box = quit_asked(controller.window)
    assert box is not None and "cannot receive" in box.informativeText()
    box.button(QMessageBox.StandardButton.Cancel).click()
    assert not controller._quit.is_set()


def test_quitting_when_nothing_can_arrive_anyway_quits_at_once(account_app, qtbot):
    with socket.socket() as taken:  # another program holds the webhook port: no listener
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        controller = account_app(taken.getsockname()[1])
        qtbot.waitUntil(lambda: bool(controller.services.receiving.listener_error), timeout=5000)
        press_ctrl_q(controller, qtbot)
        qtbot.waitUntil(controller._quit.is_set)
    assert quit_asked(controller.window) is None
