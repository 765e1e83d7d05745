"""A strip above the thread for things the user must act on."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QApplication, QHBoxLayout, QPushButton, QWidget

from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label


class Banner(QWidget):
    """A strip above the thread for things the user must act on (paused sending, URL changes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = plain_label(wrap=True)
        self.button = QPushButton()
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def scheme(self) -> QPalette:
        """The palette the tint is worked out for: the app's, not this band's own, whose window
        colour is the tint already (as read back, an amber or red tint passes for "light")."""
        return QApplication.palette(self)

    def apply_colors(self) -> None:
        palette = self.palette()
        palette.setColor(self.backgroundRole(), theme.tinted(theme.error_text(self.scheme()), 0.16))
        self.setPalette(palette)

    def show_text(self, text: str, button: str) -> None:
        self.apply_colors()
        self.label.setText(text)
        self.button.setText(button)
        self.show()
