"""Conversations that have only a scheduled message (Send later to someone not texted yet) in
the conversation list: one scheduled in the app at once, one scheduled from the command line
(`voipdesk send --at`, another process) when the person comes back to the window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow


class ScheduledInList(QObject):
    """Keeps the list in step with scheduled messages."""

    def __init__(self, window: MainWindow, bridge) -> None:
        super().__init__(window)
        self.window = window
        bridge.scheduledChanged.connect(self.changed)
        window.installEventFilter(self)

    def changed(self, conversation_id: int) -> None:
        w = self.window
        w.conversation_model.update_conversations([conversation_id])
        if conversation_id == w.conversation_id:
            w.conversations.select(conversation_id)  # (it may have just joined the list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate and self.window.store is not None:
            model = self.window.conversation_model
            new = [c for c in self.window.store.scheduled_only() if model.row_of(c) < 0]
            if new:
                model.update_conversations(new)
        return False
