"""The tray icon: unread count, notifications for new messages, Open and Quit.

Notifications do not go through the tray icon (QSystemTrayIcon.showMessage has no click action
on StatusNotifier desktops and sends the text as markup): they take one path, tray or not
(voipdesk.ui.desktop_notes), and a click opens the conversation."""

from __future__ import annotations

from PySide6.QtCore import QObject, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from voipdesk.ui import theme
from voipdesk.ui.desktop_notes import DesktopNotes


def badge_icon(base: QIcon, count: int, size: int = 64) -> QIcon:
    """The app icon with an unread-count pill in its corner."""
    pixmap = base.pixmap(size, size)
    if count <= 0:
        return QIcon(pixmap)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    text = str(count) if count < 100 else "99+"
    font = QFont()
    font.setBold(True)
    font.setPixelSize(int(size * 0.36))
    painter.setFont(font)
    width = max(int(size * 0.5), painter.fontMetrics().horizontalAdvance(text) + 12)
    rect = QRect(size - width, 0, width, int(size * 0.5))
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(QColor("#e5484d"))
    painter.drawRoundedRect(rect, rect.height() / 2, rect.height() / 2)
    painter.setPen(theme.accent_text())
    painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, text)
    painter.end()
    return QIcon(pixmap)


class Tray(QObject):
    """Wraps QSystemTrayIcon; harmless where the desktop has no tray."""

    openRequested = Signal()
    quitRequested = Signal()
    notificationClicked = Signal(int)  # conversation id

    def __init__(self, icon: QIcon, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._icon = icon
        self.available = QSystemTrayIcon.isSystemTrayAvailable()
        self.icon = QSystemTrayIcon(icon, self)
        self.icon.setToolTip("voipdesk")
        menu = QMenu()
        open_action = QAction("Open voipdesk", menu)
        open_action.triggered.connect(self.openRequested)
        quit_action = QAction("Quit voipdesk", menu)
        quit_action.triggered.connect(self.quitRequested)
        menu.addAction(open_action)
        menu.addSeparator()
        menu.addAction(quit_action)
        self._menu = menu
        self.icon.setContextMenu(menu)
        self.icon.activated.connect(self._activated)
        self.unread = 0
        self.notes = DesktopNotes(self._notification_clicked)  # tray or not, one path
        if self.available:
            self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.openRequested.emit()

    def set_unread(self, count: int) -> None:
        if count == self.unread:
            return  # (the badge is drawn anew only when its number changes)
        self.unread = count
        self.icon.setIcon(badge_icon(self._icon, count))
        self.icon.setToolTip(f"voipdesk — {count} unread" if count else "voipdesk")

    def notify(self, title: str, text: str, conversation_id: int | None) -> None:
        """A desktop notification; clicking it opens the conversation."""
        self.notes.notify(title, text, conversation_id)

    def _notification_clicked(self, conversation_id: int | None) -> None:
        if conversation_id is not None:
            self.notificationClicked.emit(conversation_id)
        else:
            self.openRequested.emit()

    def close(self) -> None:
        """Hide the icon and end notifications still waiting for a click (at shut-down)."""
        self.icon.hide()
        self.notes.close()
