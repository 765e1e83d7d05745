"""Selecting part of a message's text in the open thread and copying it, as in Signal Desktop or
Google Messages Web: press and drag inside a bubble's text, double-click a word, Shift+click to
extend; a click elsewhere or Escape lets go. One bubble at a time.

Positions are QTextLayout's (UTF-16 units, where an emoji counts two), so they fall where Qt
draws; Qt's cursor positions never split a flag, a skin tone or a letter from its accent."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QClipboard,
    QColor,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPalette,
    QTextCharFormat,
    QTextLayout,
)
from PySide6.QtWidgets import QApplication, QListView

from voipdesk.ui import theme
from voipdesk.ui.thread.layout import Text
from voipdesk.ui.thread.model import MessageRole
from voipdesk.ui.thread.text import NEW_LINE


# -- positions in a bubble's text ------------------------------------------------------------------
def text_origin(bubble: QRect, top: float) -> QPointF:
    """Where a text part whose top is `top` inside the bubble is drawn."""
    return QPointF(
        bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V + top
    )


def cursor_at(text: Text, point: QPointF) -> int:
    """The cursor position (UTF-16) nearest to point (relative to the text's origin): above
    the first line is the start, below the last the end, beside a line its start or end."""
    layout = text.layout
    count = layout.lineCount()
    if count == 0 or point.y() < 0:
        return 0
    for i in range(count):
        line = layout.lineAt(i)
        if point.y() < line.y() + line.height():
            return line.xToCursor(point.x(), line.CursorPosition.CursorBetweenCharacters)
    return len(layout.text().encode("utf-16-le")) // 2


def word_at(text: Text, position: int) -> tuple[int, int]:
    """The (start, end) of the word (or run of spaces or punctuation) holding the character at
    `position` (UTF-16)."""
    from PySide6.QtCore import QTextBoundaryFinder  # (~3 ms to make: not in the first paint)

    whole = text.layout.text()
    finder = QTextBoundaryFinder(QTextBoundaryFinder.BoundaryType.Word, whole)
    finder.setPosition(position)
    start = position if finder.isAtBoundary() else finder.toPreviousBoundary()
    finder.setPosition(position)
    end = finder.toNextBoundary()
    return max(start, 0), end if end >= 0 else len(whole.encode("utf-16-le")) // 2


def piece(text: Text, start: int, end: int) -> str:
    """text's UTF-16 units [start, end) as the person wrote them (line breaks as newlines)."""
    units = text.layout.text().encode("utf-16-le")
    return units[2 * start : 2 * end].decode("utf-16-le", "ignore").replace(NEW_LINE, "\n")


def _distance(a: QColor, b: QColor) -> int:
    return abs(a.red() - b.red()) + abs(a.green() - b.green()) + abs(a.blue() - b.blue())


@dataclass
class TextSelection:
    """The selected part of one message's text: from `anchor` (where the press was) to `cursor`
    (where the pointer is), UTF-16 positions in its body as laid out."""

    message_id: int | None = None
    anchor: int = 0
    cursor: int = 0

    def span(self) -> tuple[int, int]:
        return min(self.anchor, self.cursor), max(self.anchor, self.cursor)

    def holds(self, message_id: int | None) -> bool:
        """Whether some of this message's text is selected."""
        return self.message_id is not None and message_id == self.message_id and self.any()

    def any(self) -> bool:
        return self.message_id is not None and self.anchor != self.cursor

    def clear(self) -> None:
        self.message_id, self.anchor, self.cursor = None, 0, 0

    def formats(
        self, message_id: int | None, palette: QPalette, fill: QColor
    ) -> list[QTextLayout.FormatRange]:
        """The selected range as QTextLayout.draw() paints it: the palette's Highlight behind
        HighlightedText; on a bubble the Highlight would vanish into (the accent-blue outgoing
        one), the two swap, so the selection still reads."""
        if not self.holds(message_id):
            return []
        back = palette.color(QPalette.ColorRole.Highlight)
        fore = palette.color(QPalette.ColorRole.HighlightedText)
        if _distance(back, fill) < 120:
            back, fore = fore, back
        fmt = QTextCharFormat()
        fmt.setBackground(back)
        fmt.setForeground(fore)
        selected = QTextLayout.FormatRange()
        start, end = self.span()
        selected.start, selected.length, selected.format = start, end - start, fmt
        return [selected]


# -- the mouse and keys ----------------------------------------------------------------------------
class SelectionMouse(QObject):
    """The list view's presses, drags, double-clicks and keys that select text; the view asks it
    first and carries on with rows and links when it says it did not take the event."""

    def __init__(self, view: QListView, row_for: Callable[[int], int]) -> None:
        super().__init__(view)
        self._view = view
        self._row_for = row_for  # a message's row (-1: not loaded)
        self._dragging = False  # a press in a bubble's text, the button still down
        self._press: QPoint | None = None  # where it was, while it may yet open a link
        # Dragging above or below the list scrolls it (a long message taller than the view),
        # the selection following, until the pointer comes back or the button is let go.
        self._pointer = QPoint()
        self._word_click: tuple[int, QPoint] | None = None  # a double-click's time and place
        self._scroll = QTimer(self)
        self._scroll.setInterval(40)
        self._scroll.timeout.connect(self._scroll_step)

    @property
    def selection(self) -> TextSelection:
        """What is selected, kept by the delegate (which paints it)."""
        return self._view.itemDelegate().selection  # type: ignore[attr-defined]

    # where a point is
    def _text_of(self, message_id: int | None) -> tuple[QModelIndex, Text, QPointF] | None:
        """The row, body text and its origin (viewport coordinates) of a message shown."""
        model = self._view.model()
        row = self._row_for(message_id) if message_id is not None else -1
        if model is None or row < 0:
            return None
        return self._text_at_index(model.index(row, 0))

    def _text_at_index(self, index: QModelIndex) -> tuple[QModelIndex, Text, QPointF] | None:
        delegate = self._view.itemDelegate()
        geometry = delegate.geometry(index)  # type: ignore[attr-defined]
        if geometry is None or not geometry.parts:
            return None
        text, top = geometry.parts[0]
        bubble = delegate._bubble_rect(geometry, self._view.visualRect(index))  # type: ignore[attr-defined]
        return index, text, text_origin(bubble, top)

    def text_under(self, pos: QPoint) -> tuple[QModelIndex, Text, QPointF] | None:
        """The message whose text lies under pos (inside its lines' box), if any."""
        index = self._view.indexAt(pos)
        if not index.isValid():
            return None
        found = self._text_at_index(index)
        if found is None:
            return None
        _index, text, origin = found
        box = QRectF(origin, QPointF(origin.x() + text.width, origin.y() + text.height))
        return found if box.adjusted(-2, -2, 2, 2).contains(QPointF(pos)) else None

    def _repaint(self, message_id: int | None) -> None:
        found = self._text_of(message_id)
        if found is not None:
            self._view.viewport().update(self._view.visualRect(found[0]))

    # what the view hands over
    def clear(self, *_args) -> None:
        message_id = self.selection.message_id
        self.selection.clear()
        self._dragging = False
        self._press = None
        self._scroll.stop()
        self._repaint(message_id)

    def press(self, event: QMouseEvent) -> None:
        """Any press: in a bubble's text (left button) it starts selecting there, or with Shift
        extends what is selected in that bubble; anywhere else it lets the selection go (a
        right-click in the selected bubble keeps it, for the menu's Copy)."""
        pos = event.position().toPoint()
        found = self.text_under(pos)
        message_id = found[0].data(MessageRole.Id) if found is not None else None
        left = event.button() == Qt.MouseButton.LeftButton
        if not left:
            if message_id != self.selection.message_id or not self.selection.any():
                self.clear()
            return
        if found is None:
            self.clear()
            return
        _index, text, origin = found
        if self._third_click(event, message_id):  # the whole message's text
            self.clear()
            self.selection.message_id, self.selection.anchor = message_id, 0
            self.selection.cursor = len(text.layout.text().encode("utf-16-le")) // 2
            self._repaint(message_id)
            return
        position = cursor_at(text, QPointF(pos) - origin)
        shift = bool(event.modifiers() & Qt.KeyboardModifier.ShiftModifier)
        if not (shift and message_id == self.selection.message_id):
            self.clear()
            self.selection.message_id, self.selection.anchor = message_id, position
        self.selection.cursor = position
        self._dragging = True
        self._press = pos
        self._repaint(message_id)

    def _third_click(self, event: QMouseEvent, message_id: int | None) -> bool:
        """Whether this press follows a double-click on the same words (a triple-click)."""
        word_click, self._word_click = self._word_click, None
        if word_click is None or message_id != self.selection.message_id:
            return False
        at, where = word_click
        near = (event.position().toPoint() - where).manhattanLength()
        soon = event.timestamp() - at <= QApplication.doubleClickInterval()
        return soon and near <= QApplication.startDragDistance()

    def extending(self, event: QMouseEvent) -> bool:
        """Whether a Shift+press went to extending the selection (not to the rows)."""
        return bool(
            event.modifiers() & Qt.KeyboardModifier.ShiftModifier
            and self._dragging
            and self.selection.any()
        )

    def move(self, event: QMouseEvent) -> bool:
        """A drag that started in a bubble's text: the selection follows the pointer (kept to
        that bubble). True when the move was taken."""
        if not self._dragging:
            return False
        pos = event.position().toPoint()
        if self._press is not None:
            if (pos - self._press).manhattanLength() < QApplication.startDragDistance():
                return True  # not yet a drag: a click on a link may still open it
            self._press = None
        self._pointer = pos
        height = self._view.viewport().height()
        if pos.y() < 0 or pos.y() >= height:
            self._scroll.start()
        else:
            self._scroll.stop()
        return self._follow()

    def _follow(self) -> bool:
        """The selection's moving end to where the pointer is (kept to its bubble)."""
        found = self._text_of(self.selection.message_id)
        if found is None:
            self._dragging = False
            self._scroll.stop()
            return False
        _index, text, origin = found
        self.selection.cursor = cursor_at(text, QPointF(self._pointer) - origin)
        self._repaint(self.selection.message_id)
        return True

    def _scroll_step(self) -> None:
        y, height = self._pointer.y(), self._view.viewport().height()
        beyond = y if y < 0 else y - height + 1
        if not self._dragging or y in range(height):
            self._scroll.stop()
            return
        bar = self._view.verticalScrollBar()
        bar.setValue(bar.value() + max(-40, min(40, beyond)))
        self._follow()

    def release(self) -> bool:
        """The button let go; True when it ended a drag (so it opens no link)."""
        dragged = self._dragging and self._press is None
        self._dragging = False
        self._press = None
        self._scroll.stop()
        self._offer_primary()
        return dragged

    def _offer_primary(self) -> None:
        """On X11 and Wayland desktops, what is selected is what a middle-click pastes."""
        clipboard = QApplication.clipboard()
        part = self.copied_text([])
        if part and clipboard.supportsSelection():
            clipboard.setText(part, QClipboard.Mode.Selection)

    def double_click(self, event: QMouseEvent) -> bool:
        """Selects the word under the pointer; True when there was one."""
        if event.button() != Qt.MouseButton.LeftButton:
            return False
        pos = event.position().toPoint()
        found = self.text_under(pos)
        if found is None:
            return False
        index, text, origin = found
        char = cursor_at(text, QPointF(pos) - origin)
        # The character under the pointer, not the gap nearest it: the word it belongs to.
        line_pos = QPointF(pos) - origin
        for i in range(text.layout.lineCount()):
            line = text.layout.lineAt(i)
            if line.y() <= line_pos.y() < line.y() + line.height():
                char = line.xToCursor(line_pos.x(), line.CursorPosition.CursorOnCharacter)
                break
        start, end = word_at(text, char)
        self.clear()
        self.selection.message_id = index.data(MessageRole.Id)
        self.selection.anchor, self.selection.cursor = start, end
        self._word_click = (event.timestamp(), pos)
        self._offer_primary()
        self._repaint(self.selection.message_id)
        return True

    def key(self, event: QKeyEvent) -> bool:
        """Escape lets the selection go (True when there was one); Ctrl+A too, as every message
        is selected instead."""
        if event.matches(QKeySequence.StandardKey.SelectAll):
            self.clear()
            return False
        if event.key() == Qt.Key.Key_Escape and self.selection.any():
            self.clear()
            return True
        return False

    def copied_text(self, selected_ids: list[int]) -> str | None:
        """The selected part, when there is one and no other message is selected besides."""
        selection = self.selection
        if not selection.any() or any(i != selection.message_id for i in selected_ids):
            return None
        found = self._text_of(selection.message_id)
        if found is None:
            return None
        return piece(found[1], *selection.span())
