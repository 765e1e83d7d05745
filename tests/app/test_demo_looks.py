"""The bands above the thread in the demo, as a person sees them: the demo notice reads well in
an 800 px wide window, and the line about messages waiting for VoIP Number has a warning tint of
its own on light and dark, not the demo notice's blue right under it."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest
from PySide6.QtCore import QPoint
from PySide6.QtGui import QGuiApplication
from PySide6.QtWidgets import QApplication

from tests.ui.palettes import dark_palette
from voipdesk.services.sending import SendingState

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def sized(qtbot, window, width, height):
    window.showNormal()
    window.resize(width, height)
    qtbot.waitUntil(lambda: window.width() == width and window.demo_notice.width() > 0)


def lines_of(label) -> int:
    return round(label.height() / label.fontMetrics().lineSpacing())


def test_the_demo_notice_reads_well_in_an_800_px_wide_window(demo_app, qtbot):
    window = demo_app.window
    notice = window.demo_notice
    sized(qtbot, window, 800, 600)
    qtbot.waitUntil(lambda: lines_of(notice.hint) <= 3)  # not a column of 5 short lines
    assert notice.hint.width() >= 0.8 * notice.width()  # the text has the width...
    for button in (notice.account, notice.got_it):
        assert notice.rect().contains(button.geometry())  # ...and the buttons are whole
        assert button.geometry().top() >= notice.hint.geometry().bottom()  # under it
    sized(qtbot, window, 1280, 800)
    # wide: one band of at most two lines, the buttons beside the text
    qtbot.waitUntil(
        lambda: (
            notice.got_it.geometry().left() > notice.hint.geometry().right()
            and lines_of(notice.hint) <= 2
        )
    )


@pytest.fixture(params=["light", "dark"])
def scheme(request, demo_app):
    original = QGuiApplication.palette()
    if request.param == "dark":
        QApplication.setPalette(dark_palette())
    yield request.param
    QApplication.setPalette(original)


def band_color(window, band):
    image = window.grab().toImage()
    return image.pixelColor(band.mapTo(window, QPoint(3, 3)))


def test_the_waiting_line_has_a_warning_tint_apart_from_the_demo_notice(demo_app, scheme, qtbot):
    window = demo_app.window
    sized(qtbot, window, 1280, 800)
    banner = window.offline_banner
    banner.set_state(SendingState(waiting=2, next_try_at=banner.clock() + 600))
    qtbot.waitUntil(banner.isVisible)
    qtbot.waitUntil(lambda: banner.geometry().bottom() < window.demo_notice.geometry().top())
    waiting = band_color(window, banner)
    demo_notice = band_color(window, window.demo_notice)
    assert 25 <= waiting.hslHue() <= 55 and waiting.hslSaturationF() > 0.25, waiting.name()
    assert 200 <= demo_notice.hslHue() <= 230, demo_notice.name()  # the demo notice: blue
    banner.set_state(SendingState())
    assert not banner.isVisible()
