"""The main window opens within the screen's free area: on a small screen (the offscreen test
platform's is 800×600) it is not wider or taller than the desktop, so Send and the status line
stay within reach."""

from __future__ import annotations

from PySide6.QtGui import QGuiApplication

from voipdesk.settings import Settings
from voipdesk.store import open_store
from voipdesk.ui.screen_fit import FRAME


def test_the_window_opens_within_a_small_screen(qtbot, tmp_path):
    from voipdesk.ui.application import app_icon
    from voipdesk.ui.main_window import MainWindow

    free = QGuiApplication.primaryScreen().availableGeometry()
    assert free.width() < 1040 or free.height() < 700  # a screen smaller than the usual size
    with open_store(tmp_path) as store:
        window = MainWindow(store, Settings.load(tmp_path), app_icon())
        qtbot.addWidget(window)
        window.show()
        qtbot.waitExposed(window)
        assert window.width() + FRAME.width() <= free.width()
        assert window.height() + FRAME.height() <= free.height()
        assert window.width() >= window.minimumWidth()
        window.close()
