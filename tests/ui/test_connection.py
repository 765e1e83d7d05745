import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import dataclasses

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QGuiApplication, QPalette

from tests.receiver.test_status import ONLINE, URL
from voipdesk.receiver.status import ReceivingStatus
from voipdesk.ui import theme
from voipdesk.ui.connection import URL_CHANGED_TEXT, ConnectionPanel

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)


@pytest.fixture
def panel(qtbot):
    widget = ConnectionPanel()
    qtbot.addWidget(widget)
    widget.set_status(ONLINE)
    widget.resize(620, 360)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def text_color(widget) -> str:
    return widget.palette().color(QPalette.ColorRole.WindowText).name()


def test_shows_listener_tunnel_and_url(panel):
    assert panel.listener_label.text() == "Listening on this computer (port 53121)."
    assert panel.tunnel_label.text() == "Tunnel online: Online through ngrok."
    assert panel.url_edit.text() == URL
    assert panel.url_edit.isReadOnly()
    assert "app.voipnumber.net/numbers" in panel.instruction.text()
    assert not panel.banner.isVisibleTo(panel)
    assert not panel.setup_button.isVisibleTo(panel)


def test_copy_puts_the_url_on_the_clipboard(qtbot, panel):
    QGuiApplication.clipboard().setText("something else")
    qtbot.mouseClick(panel.copy_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == URL
    assert panel.copy_button.text() == "Copied"
    qtbot.waitUntil(lambda: panel.copy_button.text() == "Copy", timeout=3000)


def test_url_changed_shows_the_banner_with_copy(qtbot, panel):
    panel.set_status(dataclasses.replace(ONLINE, url_changed=True))
    assert panel.banner.isVisibleTo(panel)
    assert panel.banner_label.text() == URL_CHANGED_TEXT
    QGuiApplication.clipboard().setText("")
    qtbot.mouseClick(panel.copy_new_button, Qt.MouseButton.LeftButton)
    assert QGuiApplication.clipboard().text() == URL
    panel.set_status(ONLINE)
    assert not panel.banner.isVisibleTo(panel)


def test_test_button_busy_then_result_in_words_and_colour(qtbot, panel):
    with qtbot.waitSignal(panel.testRequested, timeout=1000):
        qtbot.mouseClick(panel.test_button, Qt.MouseButton.LeftButton)
    assert not panel.test_button.isEnabled()
    assert panel.test_button.text() == "Testing…"
    panel.set_test_result(False, "The tunnel refused the connection: check your authtoken.")
    assert panel.test_button.isEnabled()
    assert panel.test_result.text() == "The tunnel refused the connection: check your authtoken."
    assert panel.test_icon.text() == "✕"
    assert text_color(panel.test_result) == theme.error_text(panel.palette()).name()
    panel.set_test_result(True, "A test message reached voipdesk through the public URL.")
    assert panel.test_icon.text() == "✓"
    assert text_color(panel.test_result) == theme.success_text(panel.palette()).name()


def test_setup_requested_when_there_is_no_authtoken(qtbot, panel):
    missing = ReceivingStatus(
        listener_running=True,
        listener_port=53121,
        listener_error=None,
        tunnel_state="error",
        tunnel_message="There is no ngrok authtoken yet.",
        public_url=None,
        authtoken_missing=True,
    )
    panel.set_status(missing)
    assert panel.setup_button.isVisibleTo(panel)
    assert panel.url_edit.text() == ""
    assert not panel.copy_button.isEnabled()
    with qtbot.waitSignal(panel.setupRequested, timeout=1000):
        qtbot.mouseClick(panel.setup_button, Qt.MouseButton.LeftButton)
    # The tunnel's own words are enough too, when the flag is not set.
    panel.set_status(dataclasses.replace(missing, authtoken_missing=False))
    assert panel.setup_button.isVisibleTo(panel)


def test_listener_down_is_shown_in_the_error_colour(panel):
    down = ReceivingStatus(
        listener_running=False,
        listener_port=None,
        listener_error="Port 53121 is used by another program; choose another in Settings.",
        tunnel_state="off",
        tunnel_message="Not started.",
        public_url=None,
    )
    panel.set_status(down)
    assert panel.listener_label.text() == down.listener_error
    assert text_color(panel.listener_label) == theme.error_text(panel.palette()).name()
    assert not panel.test_button.isEnabled()


def test_tunnel_sentence_is_not_said_twice(panel):
    panel.set_status(
        dataclasses.replace(
            ONLINE,
            tunnel_state="disabled",
            tunnel_message="The tunnel is off: only this computer can reach the listener.",
        )
    )
    assert panel.tunnel_label.text() == (
        "The tunnel is off: only this computer can reach the listener."
    )
    panel.set_status(
        dataclasses.replace(
            ONLINE, tunnel_state="starting", tunnel_message="Downloading ngrok (once)…"
        )
    )
    assert panel.tunnel_label.text() == "Tunnel starting: Downloading ngrok (once)…"


def test_a_local_url_is_not_offered_for_pasting(panel):
    local = dataclasses.replace(
        ONLINE,
        tunnel_state="disabled",
        tunnel_message="The tunnel is off: only this computer can reach the listener.",
        public_url="http://127.0.0.1:53121/webhook/Zq3xv1ZpQm9YkQ2l8d0sT0wH1Xn4c7Vb",
    )
    panel.set_status(local)
    assert panel.url_title.text() == "Webhook URL on this computer"
    assert "works only on this computer" in panel.instruction.text()
    assert "Paste this URL" not in panel.instruction.text()
    panel.set_demo(True)
    assert "sandbox delivers" in panel.instruction.text()
    panel.set_demo(False)
    panel.set_status(ONLINE)
    assert panel.url_title.text() == "Your webhook URL"
    assert panel.instruction.text().startswith("Paste this URL as the webhook")


def test_colours_survive_moving_into_a_dialog_under_the_app_style_sheet(qtbot, qapp):
    """The app's style sheet re-polishes labels when the panel moves into its dialog; a running
    listener must not come back in the error colour it had before the first status."""
    from PySide6.QtWidgets import QDialog, QVBoxLayout

    from voipdesk.paths import resource

    before = qapp.styleSheet()
    qapp.setStyleSheet(resource("style.qss").read_text("utf-8"))
    try:
        panel = ConnectionPanel()  # starts as "not started": the listener line is red
        qapp.processEvents()  # its labels get polished with that colour, as in the app
        panel.set_status(ONLINE)
        dialog = QDialog()
        qtbot.addWidget(dialog)
        QVBoxLayout(dialog).addWidget(panel)
        dialog.show()
        qtbot.waitExposed(dialog)
        normal = panel.palette().color(QPalette.ColorRole.WindowText).name()
        assert text_color(panel.listener_label) == normal
        assert text_color(panel.listener_label) != theme.error_text(panel.palette()).name()
    finally:
        qapp.setStyleSheet(before)
