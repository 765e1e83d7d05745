"""The desktop switches between light and dark while voipdesk runs: the real window, the dialogs
(one opened before the switch, one after) and the app's own colours follow it at once, and back.

The switch arrives the way Qt delivers a desktop's: a new application palette, which Qt hands to
the windows with QEvent.ApplicationPaletteChange (the offscreen platform has no desktop theme to
switch, so the palette a dark desktop hands Qt is set, as tests/screenshots.py does)."""

import os

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from collections import Counter

import pytest
from PySide6.QtCore import QPoint, QRect
from PySide6.QtGui import QColor, QGuiApplication, QImage, QPalette
from PySide6.QtWidgets import QApplication, QLabel, QWidget

from tests.ui.palettes import contrast, dark_palette
from tests.ui.thread_support import open_conversation
from voipdesk import demo
from voipdesk.core.models import Direction
from voipdesk.services.sending import SendingState
from voipdesk.ui import theme
from voipdesk.ui.notice_bar import WARNING, level_tint
from voipdesk.ui.offline_banner import OfflineBanner
from voipdesk.ui.settings import SettingsDialog
from voipdesk.ui.thread.model import MessageRole

pytestmark = pytest.mark.qt_log_ignore("This plugin does not support")


def crop(top: QWidget, widget: QWidget) -> QImage:
    """What `widget` shows, as painted in its top-level window (backgrounds it does not fill
    itself included)."""
    image = top.grab().toImage()
    return image.copy(QRect(widget.mapTo(top, QPoint(0, 0)), widget.size()))


def background_and_text(image: QImage) -> tuple[QColor, float]:
    """The commonest colour of the image (its background) and the contrast of the pixel that
    stands out most from it (its text)."""
    counts: Counter[int] = Counter()
    for y in range(0, image.height()):
        for x in range(0, image.width()):
            counts[image.pixel(x, y)] += 1
    background = QColor.fromRgb(counts.most_common(1)[0][0])
    best = max(contrast(QColor.fromRgb(rgb), background) for rgb in counts)
    return background, best


def assert_reads(top: QWidget, widget: QWidget, scheme: str, what: str) -> None:
    background, ratio = background_and_text(crop(top, widget))
    if scheme == "dark":
        assert background.lightness() < 110, f"{what}: background {background.name()} on dark"
    else:
        assert background.lightness() > 150, f"{what}: background {background.name()} on light"
    assert ratio >= 4.5, f"{what}: text contrast {ratio:.1f} on {background.name()} ({scheme})"


def a_label(dialog: QWidget) -> QLabel:
    labels = [
        label
        for label in dialog.findChildren(QLabel)
        if label.isVisible() and label.text().strip() and label.width() > 60
    ]
    assert labels
    return labels[0]


def incoming_bubble_fill(window) -> QColor:
    view = window.thread
    lv, delegate = view.list_view, view.delegate
    model = lv.model()
    rows = [
        model.index(row, 0)
        for row in range(model.rowCount())
        if model.index(row, 0).data(MessageRole.Direction) == Direction.IN
    ]
    assert rows, "the demo conversation has a message from Sam"
    index = rows[-1]
    rect = lv.visualRect(index)
    bubble = delegate._bubble_rect(delegate.geometry(index), rect)
    point = QPoint(bubble.left() + 4, bubble.center().y())  # in its padding, clear of text
    image = window.grab().toImage()
    return image.pixelColor(lv.viewport().mapTo(window, point))


def pixel_in(top: QWidget, widget: QWidget, x: int, y: int) -> QColor:
    return top.grab().toImage().pixelColor(widget.mapTo(top, QPoint(x, y)))


def dot_color(button) -> QColor:
    image = button.icon().pixmap(16, 10).toImage()
    colors = Counter(
        image.pixel(x, y)
        for y in range(image.height())
        for x in range(image.width())
        if image.pixelColor(x, y).alpha() == 255
    )
    return QColor.fromRgb(colors.most_common(1)[0][0])


def close(a: QColor, b: QColor, tolerance: int = 12) -> bool:
    return all(abs(x - y) <= tolerance for x, y in zip(a.getRgb()[:3], b.getRgb()[:3], strict=True))


def looks_right(window, dialogs, scheme: str) -> None:
    """Everything the person looks at reads in `scheme`."""
    palette = QGuiApplication.palette()
    assert theme.is_dark(palette) == (scheme == "dark")
    assert_reads(window, window.conversations, scheme, "the conversation list")
    assert_reads(window, window.thread.title, scheme, "the thread header's name")
    window.compose.editor.setPlainText("On my way")
    assert_reads(window, window.compose.editor, scheme, "the compose box")
    window.compose.editor.setPlainText("")
    for name, dialog in dialogs.items():
        assert_reads(dialog, a_label(dialog), scheme, f"a label in the dialog opened {name}")
    # A bubble from Sam: the neutral grey of this scheme, not the other one's.
    fill = incoming_bubble_fill(window)
    want = theme.incoming_bubble(palette)
    assert close(fill, want), f"Sam's bubble is {fill.name()}, {scheme} wants {want.name()}"
    # Send, disabled (nothing typed): a grey button in this scheme.
    send = window.compose.send_button
    assert not send.isEnabled()
    grey = pixel_in(window, send, 6, send.height() // 2)
    assert grey.hsvSaturationF() < 0.12, grey.name()
    assert (grey.lightness() < 110) == (scheme == "dark"), f"disabled Send {grey.name()}"
    # Send later, beside it: its clock drawn in this scheme's text colour (3:1 for a symbol).
    later = window.compose.later_button
    background, ratio = background_and_text(crop(window, later))
    assert ratio >= 3, f"the Send later clock: contrast {ratio:.1f} on {background.name()}"
    # The bands above the thread: the amber line of waiting messages, the demo notice.
    banner = window.offline_banner
    tint = banner.palette().color(QPalette.ColorRole.Window)
    assert tint == level_tint(WARNING, palette), f"waiting line tint {tint.name(QColor.HexArgb)}"
    amber = pixel_in(window, banner, 3, 3)
    assert 25 <= amber.hslHue() <= 55, amber.name()
    assert (amber.lightness() < 110) == (scheme == "dark"), f"waiting line {amber.name()}"
    notice = pixel_in(window, window.demo_notice, 3, 3)
    assert 200 <= notice.hslHue() <= 230, notice.name()
    assert (notice.lightness() < 110) == (scheme == "dark"), f"demo notice {notice.name()}"
    assert_reads(window, window.demo_notice.hint, scheme, "the demo notice's text")
    # The receiving dot in the status bar: this scheme's green.
    dot = dot_color(window.receiving.button)
    assert close(dot, theme.success_text(palette), 2), f"status dot {dot.name()} ({scheme})"


def switch(qtbot, palette: QPalette) -> None:
    QApplication.setPalette(palette)
    # Qt hands the windows the new palette with posted events: let them (and what follows) run.
    qtbot.wait(50)


def test_a_live_switch_between_light_and_dark_reaches_every_widget(demo_app, qtbot):
    light = QGuiApplication.palette()
    assert not theme.is_dark(light)
    window = demo_app.window
    try:
        window.showNormal()
        window.resize(1280, 800)
        qtbot.waitExposed(window)
        sam = next(c for c in demo_app.window.store.conversations() if c.peer_number == demo.SAM)
        open_conversation(qtbot, window, sam.id)
        window.offline_banner.set_state(
            SendingState(waiting=2, next_try_at=window.offline_banner.clock() + 600)
        )
        qtbot.waitUntil(lambda: window.receiving.status is not None)
        before = SettingsDialog(window.services.settings, parent=window, demo=True)
        qtbot.addWidget(before)
        before.show()
        qtbot.waitExposed(before)
        looks_right(window, {"before": before}, "light")

        switch(qtbot, dark_palette())
        after = SettingsDialog(window.services.settings, parent=window, demo=True)
        qtbot.addWidget(after)
        after.show()
        qtbot.waitExposed(after)
        looks_right(window, {"before": before, "after": after}, "dark")

        switch(qtbot, light)
        looks_right(window, {"before": before, "after": after}, "light")
    finally:
        QApplication.setPalette(light)
        window.offline_banner.set_state(SendingState())


def test_the_waiting_line_keeps_the_dark_amber_however_often_it_is_coloured(qtbot):
    """Started on a dark desktop, the line about waiting messages is coloured at start and again
    each time it changes: its amber stays the dark scheme's, not the light one's."""
    light = QGuiApplication.palette()
    QApplication.setPalette(dark_palette())
    try:
        window = QWidget()
        qtbot.addWidget(window)
        banner = OfflineBanner(window)
        for waiting in (1, 2, 3):
            banner.set_state(SendingState(waiting=waiting, next_try_at=banner.clock() + 600))
            tint = banner.palette().color(QPalette.ColorRole.Window)
            want = level_tint(WARNING, dark_palette())
            assert tint == want, f"{tint.name(QColor.HexArgb)}, not {want.name(QColor.HexArgb)}"
    finally:
        QApplication.setPalette(light)
