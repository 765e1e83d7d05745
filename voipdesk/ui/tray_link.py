"""The tray for one running app: the unread count, and a notification per incoming message the
user is not reading."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject

from voipdesk.core.models import Message
from voipdesk.ui.window_events import with_title

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
        bridge.incoming.connect(self._notify)
        bridge.unreadChanged.connect(self.tray.set_unread)  # the services own the total

    def update_unread(self) -> None:
        """Show the unread total as the services last counted it."""
        self.tray.set_unread(self.services.unread.shown)

    def _notify(self, messages: list[Message]) -> None:
        if not self.services.settings.notifications:
            return
        for message in messages:
            if self.window.is_reading(message.conversation_id):
                continue
            if not self.services.flags.notifies(message):  # muted (blocked ones never come)
                continue
            body = message.body or ("Picture message" if message.type == "mms" else "")
            cid = message.conversation_id
            with_title(
                self.window.thread.reads,
                self.services,
                message,
                lambda title, body=body, cid=cid: self.tray.notify(title, body, cid),
            )
