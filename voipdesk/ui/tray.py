"""The tray icon: unread count, notifications for new messages, Open and Quit.

Desktops without a tray (GNOME by default) still get notifications: through `notify-send`
(libnotify) on the session bus, run as a QProcess so nothing waits on the GUI thread, with an
“Open” action that opens the conversation like a click on the tray's own message does."""

from __future__ import annotations

import html
import os
import shutil

from PySide6.QtCore import QObject, QProcess, QRect, Qt, Signal
from PySide6.QtGui import QAction, QColor, QFont, QGuiApplication, QIcon, QPainter
from PySide6.QtWidgets import QMenu, QSystemTrayIcon

from voipdesk.paths import resource
from voipdesk.ui import theme

MAX_LIVE_NOTIFICATIONS = 3  # notify-send processes waiting for a click; older ones give way
NOTIFICATION_MS = 8000


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
        self._last_conversation: int | None = None
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
        self.icon.messageClicked.connect(self._message_clicked)
        self.unread = 0
        self._processes: list[QProcess] = []
        self.notifier = None if self.available else self.find_notifier()
        if self.available:
            self.icon.show()

    def _activated(self, reason: QSystemTrayIcon.ActivationReason) -> None:
        if reason in (
            QSystemTrayIcon.ActivationReason.Trigger,
            QSystemTrayIcon.ActivationReason.DoubleClick,
        ):
            self.openRequested.emit()

    def _message_clicked(self) -> None:
        if self._last_conversation is not None:
            self.notificationClicked.emit(self._last_conversation)
        else:
            self.openRequested.emit()

    def set_unread(self, count: int) -> None:
        if count == self.unread:
            return  # (the badge is drawn anew only when its number changes)
        self.unread = count
        self.icon.setIcon(badge_icon(self._icon, count))
        self.icon.setToolTip(f"voipdesk — {count} unread" if count else "voipdesk")

    def notify(self, title: str, text: str, conversation_id: int | None) -> None:
        """A desktop notification; clicking it opens the conversation."""
        self._last_conversation = conversation_id
        body = text if len(text) <= 200 else text[:199] + "…"
        if self.available and QSystemTrayIcon.supportsMessages():
            self.icon.showMessage(
                title, body, QSystemTrayIcon.MessageIcon.Information, NOTIFICATION_MS
            )
        elif self.notifier is not None:
            self._notify_send(title, body, conversation_id)

    # -- notifications without a tray ----------------------------------------------------------
    @staticmethod
    def find_notifier() -> str | None:
        """notify-send, when there is a desktop session to show its notifications."""
        if QGuiApplication.platformName() in ("offscreen", "minimal"):
            return None
        if not os.environ.get("DBUS_SESSION_BUS_ADDRESS"):
            return None
        return shutil.which("notify-send")

    def _notify_send(self, title: str, body: str, conversation_id: int | None) -> None:
        while len(self._processes) >= MAX_LIVE_NOTIFICATIONS:
            self._end(self._processes.pop(0))
        process = QProcess(self)
        process.setProcessChannelMode(QProcess.ProcessChannelMode.SeparateChannels)
        args = [
            "--app-name=voipdesk",
            f"--icon={resource('voipdesk.svg')}",
            f"--expire-time={NOTIFICATION_MS}",
            "--category=im.received",
            "--action=default=Open",
            "--",
            title,
            # notification servers read the body as markup (links, <b>, &amp;): message text
            # is text, so it goes escaped; the summary is plain text by the specification
            html.escape(body, quote=False),
        ]
        process.finished.connect(
            lambda _code, _status: self._notification_done(process, conversation_id)
        )
        process.errorOccurred.connect(
            lambda _error: self._notification_done(process, None, clicked=False)
        )
        self._processes.append(process)
        process.start(str(self.notifier), args)

    def _notification_done(
        self, process: QProcess, conversation_id: int | None, *, clicked: bool = True
    ) -> None:
        if process not in self._processes:
            return
        self._processes.remove(process)
        answer = bytes(process.readAllStandardOutput().data()).decode(errors="replace").strip()
        process.deleteLater()
        if clicked and answer == "default":  # the user clicked the notification (or Open)
            if conversation_id is not None:
                self.notificationClicked.emit(conversation_id)
            else:
                self.openRequested.emit()

    @staticmethod
    def _end(process: QProcess) -> None:
        # Killed, but not deleteLater()'d: deleting a just-killed QProcess from here crashed the
        # next run of the event loop (SIGBUS). It is the tray's child and goes with the tray.
        process.blockSignals(True)
        if process.state() != QProcess.ProcessState.NotRunning:
            process.kill()
            process.waitForFinished(500)

    def close(self) -> None:
        """Hide the icon and end notifications still waiting for a click (at shut-down)."""
        self.icon.hide()
        for process in self._processes:
            self._end(process)
        self._processes.clear()
