"""What a glance tells, on light and dark palettes: a disabled Send button looks disabled (grey,
not the accent a person would press)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from palettes import dark_palette
from PySide6.QtCore import QPoint
from PySide6.QtGui import QColor, QGuiApplication
from PySide6.QtWidgets import QApplication

from voipdesk.ui.application import make_application
from voipdesk.ui.compose import ComposeBox

pytestmark = pytest.mark.qt_log_ignore(r"^This plugin does not support")


@pytest.fixture(params=["light", "dark"])
def palette(request, qapp):
    make_application()  # the app's style sheet
    original = QGuiApplication.palette()
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    yield request.param
    QApplication.setPalette(original)


def fill_of(widget, child) -> QColor:
    """The colour painted inside `child` a little in from its left edge, halfway down (clear of
    its text and its rounded corners)."""
    image = widget.grab().toImage()
    point = child.mapTo(widget, QPoint(6, child.height() // 2))
    return image.pixelColor(point)


def test_a_disabled_send_button_looks_disabled_on_light_and_dark(qtbot, palette):
    box = ComposeBox(country="GB")
    qtbot.addWidget(box)
    box.resize(640, 120)
    box.show()
    qtbot.waitExposed(box)
    button = box.send_button
    box.editor.setPlainText("hello")
    assert button.isEnabled()
    enabled = fill_of(box, button)
    assert enabled.hsvSaturationF() > 0.6  # the accent: the one thing to press
    box.editor.setPlainText("")
    assert not button.isEnabled()
    disabled = fill_of(box, button)
    assert disabled.hsvSaturationF() < 0.12, disabled.name()  # grey, not a faded accent
