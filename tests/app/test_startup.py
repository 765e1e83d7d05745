"""Start-up of the real app: slow calls happen off the GUI thread, the window keeps painting."""

import itertools
import threading
import time

import pytest
from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QDialog

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

        class Dialog(QDialog):  # what SettingsDialog reports after OK
            def __init__(self, *args, **kwargs):
                super().__init__()

            def open(self):
                self.accept()

            def changed_fields(self):
                return {"webhook_secret"}

        monkeypatch.setattr("voipdesk.ui.settings.SettingsDialog", Dialog)
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

        class Dialog(QDialog):  # the user types the token and presses OK
            def __init__(self, settings, *args, **kwargs):
                super().__init__()
                self.settings = settings

            def open(self):
                self.settings.set_secret("api_token", "tok-abcdef")
                self.accept()

            def changed_fields(self):
                return {"api_token"}

        monkeypatch.setattr("voipdesk.ui.settings.SettingsDialog", Dialog)
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


def test_secrets_are_read_off_the_gui_thread_and_sending_waits_for_the_read(
    aio, tmp_path, monkeypatch, qtbot
):
    """A locked keyring can hold a read for seconds: the GUI keeps running meanwhile, the tunnel
    starts with the authtoken read, and a send right after a token change uses the new token."""
    from types import SimpleNamespace

    from voipdesk.services import Services
    from voipdesk.settings import Settings

    for name in ("VOIPDESK_TUNNEL", "VOIPDESK_API_TOKEN", "VOIPDESK_NGROK_AUTHTOKEN"):
        monkeypatch.delenv(name, raising=False)
    settings = Settings.load(tmp_path)
    settings.account_id, settings.numbers, settings.tunnel_mode = "acc", ["+447700900001"], "ngrok"
    stored = {"api_token": "tok-old", "ngrok_authtoken": "ngrok-secret"}
    reads: list[bool] = []  # True: read on the GUI thread

    def slow_get(name):
        reads.append(threading.current_thread() is threading.main_thread())
        time.sleep(0.4)
        return stored.get(name)

    monkeypatch.setattr(settings.secrets_store, "get", slow_get)

    started: list[str] = []

    class FakeTunnel:
        def __init__(self, *, authtoken, **_kwargs):
            self.authtoken = authtoken

        def start(self, port):
            started.append(self.authtoken)
            return SimpleNamespace(state="online", message="online", public_url="https://x.test")

        def stop(self):
            pass

    ticks: list[float] = []
    timer = QTimer()
    timer.timeout.connect(lambda: ticks.append(time.monotonic()))
    timer.start(20)
    services = Services(settings, tunnel_factory=FakeTunnel)
    try:
        assert reads == []  # building the services reads nothing
        aio(services.start())
        timer.stop()
        assert reads and not any(reads), "the keyring was read on the GUI thread"
        gaps = [b - a for a, b in itertools.pairwise(ticks)]
        assert gaps and max(gaps) < 0.3
        qtbot.waitUntil(lambda: started == ["ngrok-secret"], timeout=3000)
        assert services.client.api_token == "tok-old"

        used: list[str] = []

        async def send(own, peer, body):
            used.append(services.client.api_token)
            return SimpleNamespace(status="queued", provider_id="p-1", timestamp_s=1, raw="{}")

        monkeypatch.setattr(services.client, "send", send)
        stored["api_token"] = "tok-new"  # the user typed a new token in Settings
        services.settings_changed({"api_token"})
        echoed: list[str] = []
        services.messages_changed.connect(lambda ms: echoed.extend(m.status.value for m in ms))
        task = services.send("+447700900001", "+447700900100", "after the change")
        # The bubble shows at once; only the request waits for the keyring.
        qtbot.waitUntil(lambda: "sending" in echoed, timeout=2000)
        assert used == []
        qtbot.waitUntil(task.done, timeout=5000)
        assert used == ["tok-new"]
        assert not any(reads)
    finally:
        timer.stop()
        aio(services.stop())
