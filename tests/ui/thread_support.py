"""Showing a conversation in a ThreadView for a test (tests/ui/test_thread*.py)."""

from __future__ import annotations

from PySide6.QtCore import QPoint, QPointF

from voipdesk.ui import theme
from voipdesk.ui.thread import ThreadView


def show_thread(qtbot, store, cid: int, *, page: int = 60, size=(420, 500)) -> ThreadView:
    view = ThreadView(store, page=page)
    qtbot.addWidget(view)
    view.resize(*size)
    view.show()
    qtbot.waitExposed(view)
    view.set_conversation(cid)
    return view


def settle(qtbot, view: ThreadView) -> None:
    """Let pending (delayed) layouts run."""
    qtbot.wait(150)
    view.list_view.doItemsLayout()


def open_conversation(qtbot, window, cid: int) -> None:
    """Open a conversation in the main window and wait until it is shown (it is read first)."""
    window.open_conversation(cid)
    qtbot.waitUntil(lambda: window.conversation_id == cid and not window.thread.opening)


def utf16(text: str, index: int) -> int:
    """Qt's position (UTF-16 units) of Python's text[index]."""
    return len(text[:index].encode("utf-16-le")) // 2


def char_point(view: ThreadView, index, part_no: int, utf16_pos: int, across=0.5) -> QPoint:
    """A point on the character at utf16_pos of a bubble's text, in viewport coordinates:
    `across` of the way from its left edge (0.5: its middle), halfway down its line."""
    delegate, lv = view.delegate, view.list_view
    rect = lv.visualRect(index)
    geometry = delegate.geometry(index)
    part, top = geometry.parts[part_no]
    for i in range(part.layout.lineCount()):
        line = part.layout.lineAt(i)
        if line.textStart() <= utf16_pos < line.textStart() + line.textLength():
            x0 = line.cursorToX(utf16_pos)[0]
            x1 = line.cursorToX(part.layout.nextCursorPosition(utf16_pos))[0]
            bubble = delegate._bubble_rect(geometry, rect)
            return QPointF(
                bubble.left() + theme.BUBBLE_PADDING_H + x0 + (x1 - x0) * across,
                bubble.top() + theme.BUBBLE_PADDING_V + top + line.y() + line.height() / 2,
            ).toPoint()
    raise AssertionError(f"no line holds {utf16_pos}")
