"""Notices in the status bar say how much they matter: information, a warning and an error each
have their own icon and colour, readable on light and dark palettes."""

from __future__ import annotations

import pytest
from palettes import contrast, dark_palette
from PySide6.QtGui import QGuiApplication, QPalette
from PySide6.QtWidgets import QApplication, QMainWindow

from voipdesk.services import events
from voipdesk.ui import notice_bar
from voipdesk.ui.notice_bar import ERROR, INFO, WARNING, NoticeBar

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    original = QGuiApplication.palette()
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    yield request.param
    QApplication.setPalette(original)


def test_the_levels_are_the_services_levels():
    assert (notice_bar.INFO, notice_bar.WARNING, notice_bar.ERROR) == (
        events.INFO,
        events.WARNING,
        events.ERROR,
    )


def test_each_level_has_its_own_icon_and_colour_on_light_and_dark(qtbot, palette):
    window = QMainWindow()
    qtbot.addWidget(window)
    bar = NoticeBar()
    window.setStatusBar(bar)
    window.resize(640, 400)
    window.show()
    qtbot.waitExposed(window)
    background = bar.palette().color(QPalette.ColorRole.Window)
    seen = {}
    for level in (INFO, WARNING, ERROR):
        bar.show_notice(level, f"a {level} notice", 5000)
        qtbot.waitUntil(bar.line.isVisible)
        assert bar.currentMessage() == f"a {level} notice" and bar.level == level
        color = bar.label.palette().color(QPalette.ColorRole.WindowText)
        assert contrast(color, background) >= 4.5, (level, color.name())  # readable
        icon = bar.icon.pixmap().toImage()
        assert not icon.isNull()
        seen[level] = (color.name(), icon)
        assert bar.line.accessibleName().startswith(
            {INFO: "Information", WARNING: "Warning", ERROR: "Error"}[level]
        )
    assert len({name for name, _icon in seen.values()}) == 3  # three colours
    images = [icon for _name, icon in seen.values()]
    assert images[0] != images[1] != images[2] != images[0]  # three icons
    bar.clearMessage()
    assert bar.currentMessage() == "" and not bar.line.isVisible()
