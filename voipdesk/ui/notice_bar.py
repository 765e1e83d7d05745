"""The window's status bar, where app-level notices pass: each says how much it matters, with an
icon and a colour per level (information, warning, error) that read on light and dark palettes."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer
from PySide6.QtGui import QColor, QPalette
from PySide6.QtWidgets import QHBoxLayout, QLabel, QStatusBar, QStyle, QWidget

from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label

INFO, WARNING, ERROR = "info", "warning", "error"  # services.events' levels
_ICONS = {
    INFO: QStyle.StandardPixmap.SP_MessageBoxInformation,
    WARNING: QStyle.StandardPixmap.SP_MessageBoxWarning,
    ERROR: QStyle.StandardPixmap.SP_MessageBoxCritical,
}
_NAMES = {INFO: "Information", WARNING: "Warning", ERROR: "Error"}
ICON_SIZE = 16


def level_color(level: str, palette: QPalette) -> QColor:
    """The text colour of a notice of this level: the usual text for information, amber for a
    warning, red for an error (each a shade that reads on the palette's window colour)."""
    if level == ERROR:
        return theme.error_text(palette)
    if level == WARNING:
        return QColor("#f0b429") if theme.is_dark(palette) else QColor("#8a5300")
    return palette.color(QPalette.ColorRole.WindowText)


def level_tint(level: str, palette: QPalette) -> QColor:
    """The background of a band above the thread that says something at this level: the
    accent for information (the demo notice), amber for a warning (messages waiting), red for an
    error (sending paused), each seen through onto the window colour."""
    if level == ERROR:
        return theme.tinted(theme.error_text(palette), 0.16)
    if level == WARNING:
        return theme.tinted(QColor("#f0b429"), 0.20 if theme.is_dark(palette) else 0.28)
    return theme.tinted(theme.ACCENT, 0.14)


class NoticeBar(QStatusBar):
    """A QStatusBar whose passing line is a notice with its level: show_notice() puts it up for
    a while; currentMessage() and clearMessage() answer and act for it as for a plain message."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.level: str | None = None
        self._text = ""
        self.line = QWidget()
        layout = QHBoxLayout(self.line)
        layout.setContentsMargins(4, 0, 4, 0)
        layout.setSpacing(6)
        self.icon = QLabel()
        self.icon.setFixedSize(ICON_SIZE, ICON_SIZE)
        self.label = plain_label()
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
        layout.addWidget(self.icon)
        layout.addWidget(self.label, 1)
        self.addWidget(self.line, 1)
        self.line.hide()
        self._timer = QTimer(self)
        self._timer.setSingleShot(True)
        self._timer.timeout.connect(self.clearMessage)

    def show_notice(self, level: str, text: str, timeout: int = 0) -> None:
        """Show `text` (as given: the caller shortens it to the room there is) at `level`, for
        `timeout` ms (0: until the next one)."""
        self.level = level if level in _ICONS else INFO
        self._text = text
        self.label.setText(text)
        self.line.setAccessibleName(f"{_NAMES[self.level]}: {text}")
        self._apply_colors()
        self.line.show()
        if timeout > 0:
            self._timer.start(timeout)
        else:
            self._timer.stop()
        self.messageChanged.emit(text)

    def currentMessage(self) -> str:
        return self._text

    def clearMessage(self) -> None:
        self._timer.stop()
        self.line.hide()
        changed = bool(self._text)
        self._text, self.level = "", None
        if changed:
            self.messageChanged.emit("")

    def showMessage(self, text: str, timeout: int = 0) -> None:
        self.show_notice(INFO, text, timeout)

    def _apply_colors(self) -> None:
        if self.level is None:
            return
        palette = self.label.palette()
        palette.setColor(QPalette.ColorRole.WindowText, level_color(self.level, self.palette()))
        self.label.setPalette(palette)
        icon = self.style().standardIcon(_ICONS[self.level], None, self)
        self.icon.setPixmap(icon.pixmap(ICON_SIZE, ICON_SIZE))

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() in (QEvent.Type.PaletteChange, QEvent.Type.StyleChange):
            self._apply_colors()
