"""The tray for one running app: the unread count, and a notification per incoming message the
user is not reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer

from voipdesk.core.models import Message
from voipdesk.ui.main_window import incoming_title

if TYPE_CHECKING:
    from voipdesk.services import Services
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.main_window import MainWindow
    from voipdesk.ui.tray import Tray


class TrayLink(QObject):
    """Keeps the tray's unread count and notifications in step with the services and window."""

    def __init__(
        self, tray: Tray, window: MainWindow, services: Services, bridge: ServicesBridge
    ) -> None:
        super().__init__(tray)
        self.tray, self.window, self.services = tray, window, services
        self._unread_soon = QTimer(self)
        self._unread_soon.setSingleShot(True)
        self._unread_soon.setInterval(0)
        self._unread_soon.timeout.connect(self._recount_unread)
        bridge.incoming.connect(self._notify)
        bridge.messagesChanged.connect(lambda _m: self.update_unread())
        window.unreadChanged.connect(self.update_unread)

    def update_unread(self) -> None:
        """Recount the unread messages for the tray, once per turn of the loop however many
        changes asked (a message arriving asks two or three times)."""
        self._unread_soon.start()

    def _recount_unread(self) -> None:
        self.tray.set_unread(self.services.store.unread_total())

    def _notify(self, messages: list[Message]) -> None:
        if not self.services.settings.notifications:
            return
        for message in messages:
            if self.window.is_reading(message.conversation_id):
                continue
            body = message.body or ("Picture message" if message.type == "mms" else "")
            self.tray.notify(incoming_title(message, self.services), body, message.conversation_id)
