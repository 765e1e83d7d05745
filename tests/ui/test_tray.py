"""The tray and desktop notifications, including desktops without a tray (notify-send)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import stat

import pytest
from PySide6.QtGui import QIcon

from voipdesk.paths import resource
from voipdesk.ui import tray as tray_module
from voipdesk.ui.tray import Tray

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


def fake_notifier(folder, script: str):
    """A stand-in for notify-send: records its arguments, then runs `script`."""
    path = folder / "notify-send"
    log = folder / "args.txt"
    path.write_text(f'#!/bin/sh\nprintf "%s\\n" "$@" > "{log}"\n{script}\n')
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path, log


@pytest.fixture
def no_tray(qtbot, monkeypatch):
    monkeypatch.setattr(tray_module.QSystemTrayIcon, "isSystemTrayAvailable", lambda: False)
    made = []

    def make(notifier):
        tray = Tray(QIcon(str(resource("voipdesk.svg"))))
        tray.notifier = str(notifier)
        made.append(tray)
        return tray

    yield make
    for tray in made:
        tray.close()


def test_without_a_tray_a_click_on_the_notification_opens_the_conversation(
    qtbot, tmp_path, no_tray
):
    notifier, log = fake_notifier(tmp_path, 'echo "default"')  # what notify-send prints on click
    tray = no_tray(notifier)
    with qtbot.waitSignal(tray.notificationClicked, timeout=3000) as clicked:
        tray.notify("Sam Demo", "Running late, see you at 8", 42)
    assert clicked.args == [42]
    args = log.read_text().splitlines()
    assert args[-2:] == ["Sam Demo", "Running late, see you at 8"]
    assert "--action=default=Open" in args
    assert "--" in args  # a message starting with "-" is never read as an option


def test_a_notification_shows_message_text_as_text_not_markup(qtbot, tmp_path, no_tray):
    notifier, log = fake_notifier(tmp_path, 'echo "default"')
    tray = no_tray(notifier)
    with qtbot.waitSignal(tray.notificationClicked, timeout=3000):
        tray.notify("Sam <Demo>", '<a href="https://x.test">win</a> <b>now</b> & more', 7)
    args = log.read_text().splitlines()
    # the server renders body markup: the characters arrive escaped, so they show as typed
    assert (
        args[-1] == '&lt;a href="https://x.test"&gt;win&lt;/a&gt; &lt;b&gt;now&lt;/b&gt; &amp; more'
    )
    assert args[-2] == "Sam <Demo>"


def test_a_notification_that_times_out_opens_nothing(qtbot, tmp_path, no_tray):
    notifier, _log = fake_notifier(tmp_path, "exit 0")  # closed or expired: prints nothing
    tray = no_tray(notifier)
    with qtbot.assertNotEmitted(tray.notificationClicked, wait=500):
        tray.notify("Sam Demo", "hello", 7)
    qtbot.waitUntil(lambda: not tray._processes, timeout=2000)


def test_waiting_notifications_are_ended_at_quit_and_limited(qtbot, tmp_path, no_tray):
    notifier, _log = fake_notifier(tmp_path, "sleep 30")  # waits for a click that never comes
    tray = no_tray(notifier)
    for n in range(tray_module.MAX_LIVE_NOTIFICATIONS + 2):
        tray.notify("Sam Demo", f"message {n}", n)
    assert len(tray._processes) == tray_module.MAX_LIVE_NOTIFICATIONS
    processes = list(tray._processes)
    qtbot.waitUntil(lambda: all(p.processId() for p in processes), timeout=3000)
    tray.close()
    assert tray._processes == []
    assert all(p.state() == p.ProcessState.NotRunning for p in processes)


def test_no_notifier_without_a_desktop_session(monkeypatch):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    assert Tray.find_notifier() is None
