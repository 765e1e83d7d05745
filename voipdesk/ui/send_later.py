"""Send later: the clock button beside Send, and the dialog that picks when (and, for a
scheduled message being edited, what). The dialog is in ui/send_later_dialog.py, loaded when first
opened: the button is in the first window, the dialog is not."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QPointF, QSize, Qt
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import QToolButton, QWidget


def clock_icon(color: QColor, size: int = 20) -> QIcon:
    """A clock face drawn for the palette's text colour (no icon theme is needed)."""
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        centre = QPointF(size / 2, size / 2)
        radius = size / 2 - 2
        painter.drawEllipse(centre, radius, radius)
        painter.drawLine(centre, QPointF(centre.x(), centre.y() - radius * 0.6))
        painter.drawLine(centre, QPointF(centre.x() + radius * 0.45, centre.y() + radius * 0.2))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class _LaterButton(QToolButton):
    """Its clock is drawn in the text colour, again when light and dark switch."""

    def draw_icon(self) -> None:
        # (the active colour even while disabled: Qt greys the disabled icon from it)
        active = QPalette.ColorGroup.Active
        self.setIcon(clock_icon(self.palette().color(active, QPalette.ColorRole.ButtonText)))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.draw_icon()


def later_button(parent: QWidget | None = None) -> QToolButton:
    """The button beside Send that opens the Send later dialog."""
    button = _LaterButton(parent)
    button.setAccessibleName("Send later")
    button.setToolTip("Send later: pick a date and time")
    button.setAutoRaise(True)
    button.setIconSize(QSize(20, 20))
    button.draw_icon()
    return button
