"""The muted glyph in a conversation row: a small bell struck through, drawn (no font needed)."""

from __future__ import annotations

from PySide6.QtCore import QPointF, QRectF, Qt
from PySide6.QtGui import QColor, QPainter, QPainterPath, QPen


def paint_muted(painter: QPainter, rect: QRectF, color: QColor) -> None:
    """A bell with a slash, fitted into the square `rect`."""
    s = min(rect.width(), rect.height())
    x, y = rect.left() + (rect.width() - s) / 2, rect.top() + (rect.height() - s) / 2
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    pen = QPen(color, max(1.2, s / 11))
    pen.setCapStyle(Qt.PenCapStyle.RoundCap)
    pen.setJoinStyle(Qt.PenJoinStyle.RoundJoin)
    painter.setPen(pen)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    bell = QPainterPath()
    bell.moveTo(x + s * 0.2, y + s * 0.72)
    bell.lineTo(x + s * 0.8, y + s * 0.72)
    bell.cubicTo(x + s * 0.7, y + s * 0.6, x + s * 0.74, y + s * 0.45, x + s * 0.72, y + s * 0.38)
    bell.cubicTo(x + s * 0.7, y + s * 0.14, x + s * 0.3, y + s * 0.14, x + s * 0.28, y + s * 0.38)
    bell.cubicTo(x + s * 0.26, y + s * 0.45, x + s * 0.3, y + s * 0.6, x + s * 0.2, y + s * 0.72)
    painter.drawPath(bell)
    painter.drawLine(QPointF(x + s * 0.42, y + s * 0.85), QPointF(x + s * 0.58, y + s * 0.85))
    painter.drawLine(QPointF(x + s * 0.12, y + s * 0.12), QPointF(x + s * 0.88, y + s * 0.88))
    painter.restore()
