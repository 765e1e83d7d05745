"""The QApplication and the first paint: what the window needs before anything slow is loaded."""

from __future__ import annotations

import functools
import sys
from typing import TYPE_CHECKING

from PySide6.QtCore import QEventLoop, Qt, QTimer
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QApplication

from voipdesk.paths import resource
from voipdesk.ui.live_scheme import follow_color_scheme

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow


def make_application(argv: list[str] | None = None) -> QApplication:
    """The QApplication with our name, icon and stylesheet (reused when one exists)."""
    app = QApplication.instance() or QApplication(argv if argv is not None else sys.argv[:1])
    app.setApplicationName("voipdesk")
    app.setApplicationDisplayName("voipdesk")
    app.setOrganizationName("voipdesk")
    QGuiApplication.setDesktopFileName("voipdesk")
    app.setWindowIcon(app_icon())
    style = resource("style.qss")
    if style.exists():
        app.setStyleSheet(style.read_text("utf-8"))
    follow_color_scheme(app)  # light/dark switches at run time reach every widget
    return app  # type: ignore[return-value]


@functools.cache
def app_icon() -> QIcon:
    """The app's icon, made once: Qt's SVG icon engine reads (and compresses) the file each time
    an icon is made from it, and the application and the window both show it at start."""
    return QIcon(str(resource("voipdesk.svg")))


def wait_until_painted(window: MainWindow, timeout_ms: int = 1000) -> None:
    """Run Qt's own loop until the window has painted once (or timeout_ms has passed: a window
    that is never exposed must not stop the start). Keyboard and mouse input waits meanwhile;
    it reaches the window once the services are attached."""
    if window.painted:
        return
    waiting = QEventLoop()
    window.firstPainted.connect(waiting.quit, Qt.ConnectionType.QueuedConnection)
    give_up = QTimer(singleShot=True, interval=timeout_ms)
    give_up.timeout.connect(waiting.quit)
    give_up.start()
    waiting.exec(QEventLoop.ProcessEventsFlag.ExcludeUserInputEvents)
    give_up.stop()
    window.firstPainted.disconnect(waiting.quit)
