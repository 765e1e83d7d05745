"""The services' events as Qt signals, for the window and the app to connect to."""

from __future__ import annotations

from PySide6.QtCore import QObject, Signal

from voipdesk.services import Services


class ServicesBridge(QObject):
    """Re-emits each of the services' events as a signal. The services emit on the thread that
    runs their asyncio loop, which under qasync is the GUI thread, so the signals arrive there."""

    messagesChanged = Signal(list)  # list[Message]: stored or changed (local echo included)
    incoming = Signal(list)  # list[Message]: newly received inbound messages
    messagesRemoved = Signal(list)  # list[Message]: discarded
    unreadChanged = Signal(int)  # the unread total
    conversationRead = Signal(int, int, object)  # id, how many were unread, newest id then
    receivingChanged = Signal(object)  # ReceivingStatus
    sendingChanged = Signal(object)  # SendingState: can we send now, and if not why
    notice = Signal(str, str)  # level, sentence: the one channel for app-level notices
    # A message the user just sent failed. Its reason is shown under its bubble; the window
    # repeats it as a notice only when that conversation is not the one in front.
    sendFailed = Signal(object)  # Message
    sendRefused = Signal(object)  # SendRefused: not stored, so not sent; its text goes back
    contactsChanged = Signal()
    scheduledChanged = Signal(int)  # conversation id: its scheduled messages changed
    databaseDamaged = Signal(object)  # StoreDamaged: receiving and writing stopped (once)
    # A desk on the shared inbox (services/shared_inbox.py): what it shows is read again; these
    # conversations changed on another desk; the shared store cannot (the sentence) or can
    # (None) be reached.
    sharedReload = Signal()
    sharedConversationsChanged = Signal(list)  # list[int]
    sharedStateChanged = Signal(object)  # str | None

    def __init__(self, services: Services, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self.services = services
        services.messages_changed.connect(self.messagesChanged.emit)
        services.incoming.connect(self.incoming.emit)
        services.messages_removed.connect(self.messagesRemoved.emit)
        services.unread.changed.connect(self.unreadChanged.emit)
        services.unread.conversation_read.connect(self.conversationRead.emit)
        services.receiving_changed.connect(self.receivingChanged.emit)
        services.sending_changed.connect(self.sendingChanged.emit)
        services.notice.connect(self.notice.emit)
        services.send_failed.connect(self.sendFailed.emit)
        services.send_refused.connect(self.sendRefused.emit)
        services.contacts_changed.connect(self.contactsChanged.emit)
        services.scheduling.changed.connect(self.scheduledChanged.emit)
        services.database_damaged.connect(self.databaseDamaged.emit)
        shared = services.shared_inbox
        if shared is not None:
            shared.reload.connect(self.sharedReload.emit)
            shared.conversations_changed.connect(self.sharedConversationsChanged.emit)
            shared.state_changed.connect(self.sharedStateChanged.emit)
