"""Selecting in the thread marks the bubble, not the whole row, and a click beside the bubbles
lets go of the selection."""

from __future__ import annotations

import pytest
from PySide6.QtCore import QPoint, Qt
from PySide6.QtGui import QColor

from tests.ui.thread_support import settle, show_thread
from voipdesk.ui import theme
from voipdesk.ui.thread import ThreadView

pytestmark = pytest.mark.qt_log_ignore(
    r"^This plugin does not support (propagateSizeHints|raise|grabbing)"
)

ALICE = "+447700900111"


def _show(qtbot, seed) -> tuple[ThreadView, int]:
    seed.inbound(ALICE, "Are we still on for lunch?")
    mine = seed.outgoing(ALICE, "Yes! 12:30")
    view = show_thread(qtbot, seed.store, mine.conversation_id, size=(600, 400))
    settle(qtbot, view)
    return view, mine.id


def _rects(view: ThreadView, message_id: int):
    lv = view.list_view
    index = lv.model().index(view.row_for(message_id), 0)
    row = lv.visualRect(index)
    bubble = view.delegate._bubble_rect(view.delegate.geometry(index), row)
    return row, bubble


def test_a_clicked_bubble_is_marked_and_the_rest_of_its_row_is_not(qtbot, seed):
    view, mine = _show(qtbot, seed)
    row, bubble = _rects(view, mine)
    viewport = view.list_view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=bubble.center())
    assert len(view.list_view.selectionModel().selectedIndexes()) == 1
    image = viewport.grab().toImage()
    background = view.list_view.palette().color(viewport.backgroundRole())
    # Far from the (right-hand) bubble, the row keeps the thread's background.
    beside = image.pixelColor(QPoint(row.left() + 40, bubble.center().y()))
    assert beside == background, (beside.name(), background.name())
    # Just outside the bubble there is a mark that says it is selected.
    ring = image.pixelColor(QPoint(bubble.left() - 3, bubble.center().y()))
    assert ring != background and _near(ring, theme.ACCENT, background)


def test_a_click_beside_the_bubbles_clears_the_selection(qtbot, seed):
    view, mine = _show(qtbot, seed)
    row, bubble = _rects(view, mine)
    viewport = view.list_view.viewport()
    qtbot.mouseClick(viewport, Qt.MouseButton.LeftButton, pos=bubble.center())
    assert view.list_view.selectionModel().selectedIndexes()
    qtbot.mouseClick(
        viewport, Qt.MouseButton.LeftButton, pos=QPoint(row.left() + 40, bubble.center().y())
    )
    assert not view.list_view.selectionModel().selectedIndexes()


def _near(color: QColor, accent: QColor, background: QColor) -> bool:
    """Closer to the accent than the background is."""

    def distance(a: QColor, b: QColor) -> int:
        return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())

    return distance(color, accent) < distance(background, accent)
