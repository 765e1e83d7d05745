"""Start-up of the real app: slow calls happen off the GUI thread, the window keeps painting."""

import itertools
import threading
import time

import pytest
from PySide6.QtCore import QTimer

from voipdesk import demo
from voipdesk.app import Controller, make_application
from voipdesk.sandbox import SandboxThread

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def test_demo_points_the_sandbox_at_the_listener_without_freezing(aio, tmp_path, monkeypatch):
    """SandboxThread.call blocks until the sandbox's loop answers; a slow one must not stop the
    GUI, and the demo's numbers must still end up delivering to our listener."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    calls: list[bool] = []  # True: called on the GUI thread
    real_call = SandboxThread.call

    def slow_call(self, fn, *args, **kwargs):
        if getattr(fn, "__name__", "") == "set_webhook":
            calls.append(threading.current_thread() is threading.main_thread())
            time.sleep(0.4)
        return real_call(self, fn, *args, **kwargs)

    monkeypatch.setattr(SandboxThread, "call", slow_call)
    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
    try:
        aio(controller.start())
        timer.stop()
        assert calls and not any(calls), "set_webhook was called from the GUI thread"
        # No gap in the GUI's timer as long as one slow call (0.4 s).
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert gaps and max(gaps) < 0.3
        url = controller.services.local_webhook_url()
        sandbox = controller.sandbox
        hooks = sandbox.call(lambda: dict(sandbox.sandbox.webhooks))
        assert hooks[demo.OWN] == url
    finally:
        timer.stop()
        aio(controller.shutdown())


def test_demo_sandbox_follows_a_new_webhook_secret(aio, tmp_path, monkeypatch, qtbot):
    """In the demo the sandbox stands in for the provider's Numbers page: after a new secret
    (a new URL) from Settings, Sam's answers still arrive."""
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    controller = Controller(make_application(), tmp_path, demo=True, confirm_quit=False)
    aio(controller.start())
    try:
        services, sandbox = controller.services, controller.sandbox
        old = services.local_webhook_url()
        services.settings.regenerate_webhook_secret()

        class Dialog:  # what SettingsDialog reports after OK
            def __init__(self, *args, **kwargs):
                pass

            def exec(self):
                return 1

            def changed_fields(self):
                return {"webhook_secret"}

        monkeypatch.setattr("voipdesk.ui.settings_dialog.SettingsDialog", Dialog)
        controller.open_settings()
        new = services.local_webhook_url()
        assert new != old
        qtbot.waitUntil(
            lambda: sandbox.call(lambda: dict(sandbox.sandbox.webhooks)).get(demo.OWN) == new,
            timeout=5000,
        )
        assert controller.window.statusBar().currentMessage() == "Settings saved."
    finally:
        aio(controller.shutdown())


def test_missing_token_banner_goes_once_the_token_is_entered(aio, tmp_path, monkeypatch, qtbot):
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    for name in ("VOIPDESK_ACCOUNT_ID", "VOIPDESK_API_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    from voipdesk.settings import Settings

    settings = Settings.load(tmp_path)
    settings.account_id = "acc-123"
    settings.numbers = ["+447700900123"]
    settings.save()
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    try:
        window = controller.window
        assert window.pages.currentWidget() is window.splitter
        assert window.banner.isVisible()
        assert "API token is not stored" in window.banner.label.text()
        assert window.banner.button.text() == "Open Settings"

        class Dialog:  # the user types the token and presses OK
            def __init__(self, settings, *args, **kwargs):
                self.settings = settings

            def exec(self):
                self.settings.set_secret("api_token", "tok-abcdef")
                return 1

            def changed_fields(self):
                return {"api_token"}

        monkeypatch.setattr("voipdesk.ui.settings_dialog.SettingsDialog", Dialog)
        window.banner.button.click()
        qtbot.waitUntil(lambda: not window.banner.isVisible(), timeout=3000)
    finally:
        aio(controller.shutdown())


def test_settings_that_could_not_be_used_are_shown_at_start(aio, tmp_path, monkeypatch, qtbot):
    from voipdesk.settings import Settings

    if not hasattr(Settings(), "problems"):
        pytest.skip("this Settings does not report problems")
    monkeypatch.setenv("VOIPDESK_TUNNEL", "none")
    (tmp_path / "settings.json").write_text('{"webhook_port": "eighty", "account_id": "acc"}')
    controller = Controller(make_application(), tmp_path, confirm_quit=False)
    aio(controller.start())
    try:
        box = controller.settings_problems_box
        assert box is not None
        qtbot.waitUntil(box.isVisible, timeout=2000)
        assert "webhook_port" in box.informativeText()
        assert box.text().startswith("Some of your settings could not be used")
        assert controller.window.isVisible()  # the window is not held up by the message
    finally:
        aio(controller.shutdown())
