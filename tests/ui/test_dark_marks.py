"""Dark mode readability of what the thread and the Send later dialog draw: the unread
divider's line, the search match's fill, the unchecked radio circles (painted, then measured
as WCAG contrast against what is behind them)."""

import pytest
from palettes import contrast, dark_palette, luminance
from PySide6.QtCore import QRect
from PySide6.QtGui import QFont, QImage, QPainter, QPalette

from voipdesk.ui.send_later_dialog import SendLaterDialog
from voipdesk.ui.thread.marks import match_formats, paint_unread_divider

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)


def palette(scheme: str) -> QPalette:
    from PySide6.QtWidgets import QApplication

    return dark_palette() if scheme == "dark" else QApplication.style().standardPalette()


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_unread_divider_line_stands_out_from_the_thread(qtbot, scheme):
    pal = palette(scheme)
    base = pal.color(QPalette.ColorRole.Base)
    image = QImage(600, 60, QImage.Format.Format_RGB32)
    image.fill(base)
    painter = QPainter(image)
    paint_unread_divider(painter, QRect(0, 0, 600, 60), 0, QFont(), pal)
    painter.end()
    # The line's left half: the most contrasting pixel of the column 40 px in.
    best = max(contrast(image.pixelColor(40, y), base) for y in range(60))
    # On dark, as clear as its label (it was a faint 3.5:1); on light, the calm line it was.
    assert best >= (4.5 if scheme == "dark" else 2.0)


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_the_search_match_is_marked_but_not_glaring(qtbot, scheme):
    pal = palette(scheme)
    [found] = match_formats("the charts are here", "charts", pal)
    fill = found.format.background().color()
    text = found.format.foreground().color()
    assert contrast(fill, text) >= 4.5
    if scheme == "dark":  # a marker amber, dimmed on dark bubbles (no brighter than mid-grey)
        assert luminance(fill) <= 0.45
        bubble = pal.color(QPalette.ColorRole.Base).lighter(135)
        assert contrast(fill, bubble) >= 3.0


@pytest.mark.parametrize("scheme", ["light", "dark"])
def test_unchecked_radio_circles_in_send_later_are_visible(qtbot, scheme):
    from PySide6.QtWidgets import QApplication

    app = QApplication.instance()
    old = app.palette()
    app.setPalette(palette(scheme))
    try:
        dialog = SendLaterDialog()
        qtbot.addWidget(dialog)
        dialog.show()
        qtbot.waitExposed(dialog)
        button = next(b for b, _w in dialog.choices if not b.isChecked())
        image = button.grab().toImage()
        window = dialog.palette().color(QPalette.ColorRole.Window)
        # The indicator: the left square as tall as the button.
        side = min(image.height(), 20)
        top = (image.height() - side) // 2
        best = max(
            contrast(image.pixelColor(x, y), window)
            for x in range(side)
            for y in range(top, top + side)
        )
        # Dark: WCAG's 3:1 for a control's edge (it was 1.1:1); light: Fusion's own grey ring.
        assert best >= (3.0 if scheme == "dark" else 2.0)
    finally:
        app.setPalette(old)
