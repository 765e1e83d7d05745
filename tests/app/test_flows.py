"""What a user does in the real window (demo account, real listener, sandbox over HTTP)."""

import pytest
from PySide6.QtCore import Qt

from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.services import SendingState
from voipdesk.ui.thread import MessageRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def bodies(window):
    model = window.thread.model
    return [
        model.data(model.index(r, 0), MessageRole.Message).body for r in range(model.rowCount())
    ]


def test_a_changed_webhook_url_stays_loud_until_the_new_one_is_copied(demo_app, qtbot):
    window, services = demo_app.window, demo_app.services
    services.receiver.set(url_changed=True)  # as after a restart without a static domain
    assert window.url_banner.isVisible()
    assert "webhook URL changed" in window.url_banner.label.text()
    # Sending can be paused at the same time: both are said, neither hides the other.
    demo_app.bridge.sendingChanged.emit(SendingState("VoIP Number refused your API token."))
    assert window.url_banner.isVisible() and window.banner.isVisible()
    window.url_banner.button.click()
    dialog = window._connection_dialog
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    assert window.connection_panel.banner.isVisible()
    dialog.reject()  # closed without copying: still loud
    assert window.url_banner.isVisible()
    assert services.receiving.url_changed
    window.url_banner.button.click()
    qtbot.waitUntil(dialog.isVisible, timeout=2000)
    window.connection_panel.copy_new_button.click()
    dialog.reject()
    assert not services.receiving.url_changed
    assert not window.url_banner.isVisible()
    assert window.banner.isVisible()  # the paused banner is its own


def test_first_start_welcome_hides_the_status_bar_until_set_up(aio, tmp_path, monkeypatch, qtbot):
    from voipdesk.app import Controller, make_application

    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    try:
        window = controller.window
        assert window.pages.currentWidget() is window.welcome
        assert not window.statusBar().isVisible()
        assert not window.compose.isVisible()
        window.show_welcome(False)
        assert window.statusBar().isVisible()
        assert not window.compose.isVisible()  # nothing to write into before a conversation
    finally:
        aio(controller.shutdown())


def _shown(window, kind):
    return next((d for d in window.findChildren(kind) if d.isVisible()), None)


def test_a_new_message_dialog_opens_without_blocking_and_its_ok_opens_the_conversation(
    demo_app, qtbot
):
    from voipdesk.ui.new_message import NewMessageDialog

    window = demo_app.window
    window.actions.new_message()  # returns at once: no nested event loop
    dialog = _shown(window, NewMessageDialog)
    assert dialog is not None and dialog.isModal()
    qtbot.keyClicks(dialog.to_edit, "07700 900777")
    dialog.text_edit.setPlainText("hello there")
    qtbot.keyClick(dialog.to_edit, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: "hello there" in bodies(window), timeout=3000)
    conversation = window.services.store.conversation(window.conversation_id)
    assert conversation.peer_number == "+447700900777"


def test_naming_a_number_opens_a_dialog_and_its_ok_stores_the_name(demo_app, qtbot):
    from PySide6.QtWidgets import QInputDialog

    window = demo_app.window
    sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
    open_conversation(qtbot, window, sam.id)
    window.actions.rename_contact(demo.SAM)
    dialog = _shown(window, QInputDialog)
    assert dialog is not None
    qtbot.waitUntil(lambda: dialog.textValue() == "Sam Demo", timeout=3000)  # read on a worker
    dialog.setTextValue("  Samuel  ")
    dialog.accept()
    qtbot.waitUntil(lambda: window.services.store.contact_name(demo.SAM) == "Samuel", timeout=3000)
    qtbot.waitUntil(lambda: window.thread.title.text() == "Samuel", timeout=3000)  # the header


def test_quit_asks_first_without_a_nested_loop_and_only_quit_quits(demo_app, qtbot, monkeypatch):
    from PySide6.QtWidgets import QMessageBox

    ended: list[bool] = []
    monkeypatch.setattr(demo_app, "_end_run", lambda: ended.append(True))
    demo_app.confirm_quit = True
    window = demo_app.window
    # Something to lose (a message on its way out), so Quit asks (tests/app/test_quit.py).
    sam = next(c for c in window.services.store.conversations() if c.peer_number == demo.SAM)
    open_conversation(qtbot, window, sam.id)
    demo_app.sandbox.inject("delay", seconds=5)
    window.compose.editor.setPlainText("on its way")
    qtbot.keyClick(window.compose.editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: any(m.body == "on its way" for m in window.services.store.outbox()))
    for choice in ("Cancel", "Quit"):
        demo_app.request_quit()  # returns at once: the box is window-modal
        qtbot.waitUntil(lambda: _shown(demo_app.window, QMessageBox) is not None)
        box = _shown(demo_app.window, QMessageBox)
        assert box is not None and box.text() == "Quit voipdesk?"
        button = next(b for b in box.buttons() if b.text().replace("&", "") == choice)
        button.click()
        qtbot.waitUntil(lambda box=box: not box.isVisible(), timeout=2000)
        assert ended == ([True] if choice == "Quit" else [])
