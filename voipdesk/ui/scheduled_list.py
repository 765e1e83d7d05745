"""Conversations that have only a scheduled message (Send later to someone not texted yet) in
the conversation list: one scheduled in the app at once, one scheduled from the command line
(`voipdesk send --at`, another process) when the person comes back to the window."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QObject

from voipdesk.ui.reading import Latest

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow


class ScheduledInList(QObject):
    """Keeps the list in step with scheduled messages."""

    def __init__(self, window: MainWindow, bridge) -> None:
        super().__init__(window)
        self.window = window
        self._read = Latest()  # conversations with only a scheduled message (read on a worker)
        bridge.scheduledChanged.connect(self.changed)
        window.installEventFilter(self)

    def changed(self, conversation_id: int) -> None:
        w = self.window
        w.conversation_model.update_conversations([conversation_id])
        if conversation_id == w.conversation_id:
            w.conversations.select(conversation_id)  # (it may have just joined the list)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate and self.window.store is not None:
            store, model = self.window.store, self.window.conversation_model
            self._read.ask(model.reads, store.scheduled_only, self._scheduled_only_are)
        return False

    def _scheduled_only_are(self, conversation_ids: list[int]) -> None:
        model = self.window.conversation_model
        new = [c for c in conversation_ids if model.row_of(c) < 0]
        if new:
            model.update_conversations(new)
