"""The tray and desktop notifications: one path, tray or not, tested against a notification
server on a real D-Bus session bus (tests/ui/dbus_support.py)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import logging

import pytest
from PySide6.QtGui import QIcon

from voipdesk.paths import resource
from voipdesk.ui import tray as tray_module
from voipdesk.ui.tray import Tray

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support",
    r"systemTrayWindowChanged",  # a tray icon shown on the offscreen platform
)

MARKUP = '<a href="https://x.test">win</a> <b>now</b> & more'


@pytest.fixture
def make_tray(qtbot, monkeypatch):
    """make(tray=True): a Tray; with a tray, as on a StatusNotifier desktop (KDE, or GNOME with
    AppIndicator), whose QSystemTrayIcon can show messages itself."""
    made = []

    def make(tray: bool = True):
        monkeypatch.setattr(tray_module.QSystemTrayIcon, "isSystemTrayAvailable", lambda: tray)
        monkeypatch.setattr(tray_module.QSystemTrayIcon, "supportsMessages", lambda: tray)
        made.append(Tray(QIcon(str(resource("voipdesk.svg")))))
        return made[-1]

    yield make
    for tray in made:
        tray.close()


@pytest.mark.parametrize("with_tray", [True, False], ids=["tray", "no tray"])
def test_clicking_a_notification_opens_its_conversation(
    qtbot, aio, make_tray, notification_server, with_tray
):
    server = notification_server()
    tray = make_tray(with_tray)
    tray.notify("Sam Demo", "Running late, see you at 8", 42)
    qtbot.waitUntil(lambda: len(server.shown) == 1 and not tray.notes.sending, timeout=5000)
    shown = server.shown[0]
    assert (shown.app_name, shown.summary) == ("voipdesk", "Sam Demo")
    assert shown.body == "Running late, see you at 8"
    with qtbot.waitSignal(tray.notificationClicked, timeout=5000) as clicked:
        server.click(shown)
    assert clicked.args == [42]


@pytest.mark.parametrize("with_tray", [True, False], ids=["tray", "no tray"])
def test_a_server_that_renders_markup_gets_the_text_escaped(
    qtbot, aio, make_tray, notification_server, with_tray
):
    server = notification_server(["body", "body-markup", "actions"])
    tray = make_tray(with_tray)
    tray.notify("Sam <Demo>", MARKUP, 7)
    qtbot.waitUntil(lambda: len(server.shown) == 1, timeout=5000)
    # it renders body markup: the characters arrive escaped, so they show as typed
    assert server.shown[0].body == (
        '&lt;a href="https://x.test"&gt;win&lt;/a&gt; &lt;b&gt;now&lt;/b&gt; &amp; more'
    )
    assert server.shown[0].summary == "Sam <Demo>"  # the summary is plain text by the spec


def test_a_server_without_markup_gets_the_text_as_typed(qtbot, aio, make_tray, notification_server):
    server = notification_server(["body", "actions"])
    tray = make_tray()
    tray.notify("Sam Demo", MARKUP, 7)
    qtbot.waitUntil(lambda: len(server.shown) == 1, timeout=5000)
    assert server.shown[0].body == MARKUP


def test_a_notification_about_the_app_opens_the_window(qtbot, aio, make_tray, notification_server):
    server = notification_server()
    tray = make_tray()
    tray.notify("voipdesk is still running", "It keeps receiving your messages here.", None)
    qtbot.waitUntil(lambda: len(server.shown) == 1 and not tray.notes.sending, timeout=5000)
    with qtbot.waitSignal(tray.openRequested, timeout=5000):
        server.click(server.shown[0])


def test_without_a_notification_server_it_says_so_once_and_goes_on(
    qtbot, aio, make_tray, session_bus, caplog
):
    tray = make_tray()
    with caplog.at_level(logging.INFO, logger="voipdesk.ui.desktop_notes"):
        tray.notify("Sam Demo", "hello", 7)
        tray.notify("Sam Demo", "again", 7)
        qtbot.waitUntil(lambda: not tray.notes.sending, timeout=15000)
        tray.notify("Sam Demo", "and again", 7)
        qtbot.waitUntil(lambda: not tray.notes.sending, timeout=5000)
    lines = [r.getMessage() for r in caplog.records if r.name == "voipdesk.ui.desktop_notes"]
    assert len(lines) == 1 and "notifications off" in lines[0]


def test_without_a_session_bus_it_says_so_once(qtbot, aio, make_tray, monkeypatch, caplog):
    monkeypatch.delenv("DBUS_SESSION_BUS_ADDRESS", raising=False)
    tray = make_tray(False)
    with caplog.at_level(logging.INFO, logger="voipdesk.ui.desktop_notes"):
        tray.notify("Sam Demo", "hello", 7)
        tray.notify("Sam Demo", "again", 7)
        qtbot.waitUntil(lambda: not tray.notes.sending, timeout=5000)
    lines = [r.getMessage() for r in caplog.records if r.name == "voipdesk.ui.desktop_notes"]
    assert lines == ["desktop notifications off: no D-Bus session bus"]
