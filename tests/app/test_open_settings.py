"""Settings opened in the running app: the real dialog reads the keyring and saves on the app's
loop while it is open, and the app takes up what changed."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QTimer

from voipdesk.app import Controller, make_application
from voipdesk.settings import Settings
from voipdesk.ui.settings import SettingsDialog

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")

TOKEN = "tok-typed-in-settings-123"


def test_the_settings_dialog_saves_while_the_app_runs(aio, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.load(tmp_path)
    settings.account_id, settings.numbers = "acc-123", ["+447700900123"]
    settings.save()
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    try:
        window = controller.window
        assert "API token is not stored" in window.banner.label.text()
        seen: list[str] = []
        give_up = QTimer(singleShot=True, interval=10_000)  # never hang the suite

        def user() -> None:  # types the token once the dialog has read the keyring, presses OK
            dialogs = [d for d in window.findChildren(SettingsDialog) if d.isVisible()]
            if not dialogs or not dialogs[0].secrets_loaded():
                QTimer.singleShot(20, user)
                return
            dialog = dialogs[0]
            seen.append(dialog.token_field.edit.placeholderText())
            give_up.timeout.connect(dialog.reject)
            give_up.start()
            qtbot.keyClicks(dialog.token_field.edit, TOKEN)
            dialog.ok_button.click()

        QTimer.singleShot(0, user)
        window.banner.button.click()  # opens Settings (window-modal, no nested event loop)
        qtbot.waitUntil(lambda: controller.settings_dialog is None, timeout=15_000)
        give_up.stop()
        assert seen == ["Paste your API token"]
        assert window.statusBar().currentMessage() == "Settings saved."
        assert window.statusBar().level == "info"  # through the notice channel
        assert controller.services.settings.secret("api_token") == TOKEN
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=3000)
        assert controller.services.secret("api_token") == TOKEN  # read again, off the GUI thread
    finally:
        aio(controller.shutdown())
