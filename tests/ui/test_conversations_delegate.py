"""The conversation row painter: which own number a row is on."""

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QImage, QPainter, QPalette
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

from tests.ui.conversations_support import ALICE, BOB, make_list
from voipdesk.ui.conversations import ConversationList

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

OTHER_OWN = "+447700900002"


class _RecordingPainter(QPainter):
    """Paints as usual and remembers every string drawn."""

    def __init__(self, device) -> None:
        super().__init__(device)
        self.texts: list[str] = []

    def drawText(self, *args):
        self.texts.extend(a for a in args if isinstance(a, str))
        return super().drawText(*args)


def _paint_row(widget: ConversationList, row: int) -> tuple[list[str], QImage]:
    view = widget.view
    index = widget.model.index(row, 0)
    rect = view.visualRect(index)
    image = QImage(rect.size(), QImage.Format.Format_ARGB32)
    image.fill(view.palette().color(QPalette.ColorRole.Base))
    painter = _RecordingPainter(image)
    option = QStyleOptionViewItem()
    option.initFrom(view.viewport())
    option.rect = QRect(0, 0, rect.width(), rect.height())
    option.font = view.font()
    option.state &= ~QStyle.StateFlag.State_MouseOver
    view.itemDelegate().paint(painter, option, index)
    painter.end()
    return painter.texts, image


def test_rows_say_which_own_number_they_are_on_when_there_are_several(qtbot, seed, clock):
    at = clock.now
    seed.inbound(ALICE, "same words", at=at)
    seed.inbound(ALICE, "same words", own=OTHER_OWN, at=at)
    widget = make_list(qtbot, seed.store)
    assert widget.model.rowCount() == 2
    (texts_a, image_a), (texts_b, image_b) = _paint_row(widget, 0), _paint_row(widget, 1)
    assert image_a != image_b  # the two rows no longer look identical
    drawn = {*texts_a, *texts_b}
    assert "…0001" in drawn and "…0002" in drawn  # a compact tag of each own number
    assert all("same words" in t for t in texts_a + texts_b if "same" in t)  # preview still there
    accessible = widget.model.index(0, 0).data(Qt.ItemDataRole.AccessibleTextRole)
    assert "via 07700 90000" in accessible


def test_rows_say_nothing_about_the_own_number_when_there_is_one(qtbot, seed, three):
    widget = make_list(qtbot, seed.store)
    texts, _image = _paint_row(widget, 0)
    assert texts and not any(t.startswith("…") for t in texts)
    # A first message from a second own number: every row now says which number it is on.
    message = seed.inbound(BOB, "from my work number", own=OTHER_OWN)
    widget.model.apply([message])
    for row in range(widget.model.rowCount()):
        texts, _image = _paint_row(widget, row)
        assert any(t.startswith("…000") for t in texts), texts
