"""The bands above the thread in the demo, as a person sees them: the demo notice reads well in
an 800 px wide window."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

import pytest

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
