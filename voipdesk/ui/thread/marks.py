"""What the thread paints besides bubbles to help the reader: the "Unread messages" divider
above the first unread message, and the search match marked inside a bubble."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRect, QRectF, Qt
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextLayout,
)

from voipdesk.ui import theme
from voipdesk.ui.search import match_ranges
from voipdesk.ui.thread.layout import to_utf16

UNREAD_TEXT = "Unread messages"


def unread_font(font: QFont) -> QFont:
    bold = theme.small_font(font)
    bold.setBold(True)
    return bold


def unread_color(palette: QPalette) -> QColor:
    """The accent, lightened on dark windows so it reads on them."""
    return QColor(theme.ACCENT).lighter(140) if theme.is_dark(palette) else QColor(theme.ACCENT)


def unread_height(font: QFont) -> int:
    """The room the divider takes above its bubble."""
    return QFontMetrics(unread_font(font)).height() + 16


def paint_unread_divider(
    painter: QPainter, rect: QRect, top: int, font: QFont, palette: QPalette
) -> None:
    """A line across the thread with "Unread messages" in its middle (plain text)."""
    bold = unread_font(font)
    fm = QFontMetrics(bold)
    color = unread_color(palette)
    text_width = fm.horizontalAdvance(UNREAD_TEXT)
    middle = rect.top() + top + 8 + fm.height() / 2
    label = QRectF(0, 0, text_width + 4, fm.height())
    label.moveCenter(QPointF(rect.center().x(), middle))
    line = QColor(color)
    line.setAlphaF(0.85 if theme.is_dark(palette) else 0.55)  # (faint on dark at 0.55)
    painter.setPen(line)
    margin = theme.THREAD_SIDE_MARGIN
    gap = 12
    y = round(middle)
    if label.left() - gap > rect.left() + margin:
        painter.drawLine(rect.left() + margin, y, round(label.left()) - gap, y)
        painter.drawLine(round(label.right()) + gap, y, rect.right() - margin, y)
    painter.setFont(bold)
    painter.setPen(color)
    painter.drawText(label, Qt.AlignmentFlag.AlignCenter, UNREAD_TEXT)


# -- the search match ------------------------------------------------------------------------------
MATCH_FILL = QColor("#ffd54f")  # a marker-pen amber, as messaging apps mark a found word
MATCH_FILL_DARK = QColor("#c9a227")  # the same amber, dimmed: #ffd54f glares on dark bubbles
MATCH_TEXT = QColor("#1f1f1f")


def match_formats(
    text: str, query: str, palette: QPalette | None = None
) -> list[QTextLayout.FormatRange]:
    """The words of `query` found in `text`, as ranges QTextLayout.draw() paints marked (an
    amber fill with dark text, readable in either bubble colour); none without a query."""
    if not query:
        return []
    fmt = QTextCharFormat()
    fmt.setBackground(
        MATCH_FILL_DARK if palette is not None and theme.is_dark(palette) else MATCH_FILL
    )
    fmt.setForeground(MATCH_TEXT)
    formats = []
    for start, length in match_ranges(text, query):
        found = QTextLayout.FormatRange()
        end = to_utf16(text, start + length)
        found.start = to_utf16(text, start)
        found.length, found.format = end - found.start, fmt
        formats.append(found)
    return formats
