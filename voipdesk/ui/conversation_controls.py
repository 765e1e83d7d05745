"""What a person can decide about a conversation from the thread header's ⋯ menu and the list's
right-click menu: mute it, mark it unread, block its number (and unblock it); and the question
before texting someone who opted out (texted STOP). The decisions live in the services
(services/flags.py); this module asks, and shows what changed."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QPoint, Qt
from PySide6.QtWidgets import QMenu, QMessageBox

from voipdesk.core.models import Conversation, Message
from voipdesk.core.optout import opt_out_change
from voipdesk.core.phone import display
from voipdesk.ui.conversations import ConversationRole
from voipdesk.ui.labels import plain_message_box
from voipdesk.ui.window_actions import opened

if TYPE_CHECKING:
    from voipdesk.services import Services
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.main_window import MainWindow


class ConversationControls(QObject):
    """Mute, mark unread, block for one window; asks before texting someone who opted out."""

    def __init__(self, window: MainWindow, services: Services, bridge: ServicesBridge) -> None:
        super().__init__(window)
        self.window, self.services, self.flags = window, services, services.flags
        self.box: QMessageBox | None = None  # the question open now (tests answer it)
        self._confirmed = False  # the next send to an opted-out person was confirmed
        thread = window.thread
        thread.fill_menu = lambda menu: self.fill(menu, thread.conversation)
        thread.is_blocked = lambda number: number in self.flags.blocked
        view = window.conversations.view
        view.setContextMenuPolicy(Qt.ContextMenuPolicy.CustomContextMenu)
        view.customContextMenuRequested.connect(self._list_menu)
        self.flags.changed.connect(self._flags_changed)
        bridge.incoming.connect(self._incoming)

    # -- menus ----------------------------------------------------------------------------------
    def name(self, conversation: Conversation) -> str:
        return conversation.display_name or display(
            conversation.peer_number, self.window.settings.effective_country
        )

    def fill(self, menu: QMenu, conversation: Conversation | None) -> None:
        """The options for a conversation, into `menu`."""
        if conversation is None:
            return
        muted = conversation.id in self.flags.muted
        mute = menu.addAction("Unmute notifications" if muted else "Mute notifications")
        mute.triggered.connect(lambda: self.set_muted(conversation, not muted))
        unread = menu.addAction("Mark as unread")
        unread.triggered.connect(lambda: self.mark_unread(conversation))
        menu.addSeparator()
        name = self.name(conversation)
        if conversation.peer_number in self.flags.blocked:
            unblock = menu.addAction(f"Unblock {name}")
            unblock.triggered.connect(lambda: self.unblock(conversation.peer_number))
        else:
            block = menu.addAction(f"Block {name}…")
            block.triggered.connect(lambda: self.ask_block(conversation))

    def menu_for(self, conversation: Conversation) -> QMenu:
        menu = QMenu(self.window)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.fill(menu, conversation)
        return menu

    def _list_menu(self, pos: QPoint) -> None:
        view = self.window.conversations.view
        conversation = view.indexAt(pos).data(ConversationRole.Conversation)
        if conversation is not None:
            self.menu_for(conversation).popup(view.viewport().mapToGlobal(pos))

    # -- actions --------------------------------------------------------------------------------
    def set_muted(self, conversation: Conversation, muted: bool) -> None:
        self.services.spawn(self.flags.set_muted(conversation.id, muted))

    def mark_unread(self, conversation: Conversation) -> None:
        """Unread until it is opened again: the open conversation closes, as on a phone."""
        window = self.window
        if window.conversation_id == conversation.id:
            window._save_draft(conversation.id, window.compose.draft())
            window.thread.set_conversation(None)
            window.compose.hide()
            window.conversations.view.selectionModel().clear()
        self.services.spawn(self.flags.mark_unread(conversation.id))

    def ask_block(self, conversation: Conversation) -> None:
        name = self.name(conversation)
        box = plain_message_box(
            QMessageBox.Icon.Question,
            f"Block {name}?",
            f"Block {name}?",
            QMessageBox.StandardButton.Cancel,
            self.window,
        )
        box.setInformativeText(
            "Their texts are still kept, but they will not notify you, count as unread or show "
            "in your conversations. You can unblock them in Settings → Blocked."
        )
        block = box.addButton("Block", QMessageBox.ButtonRole.DestructiveRole)
        box.setDefaultButton(QMessageBox.StandardButton.Cancel)
        box.buttonClicked.connect(
            lambda button: button is block and self.block(conversation.peer_number)
        )
        self.box = opened(box)

    def block(self, number: str) -> None:
        self.services.spawn(self.flags.block(number))

    def unblock(self, number: str) -> None:
        self.services.spawn(self.flags.unblock(number))

    def _flags_changed(self) -> None:
        open_one = self.window.thread.conversation
        if open_one is not None and open_one.peer_number in self.flags.blocked:
            # its row goes: nothing current, or the list would open the row that moves up
            self.window.conversations.view.selectionModel().clear()
        self.window.conversation_model.refresh()  # blocked ones leave, unblocked ones return
        self.window.thread.refresh_header()

    def _incoming(self, messages: list[Message]) -> None:
        open_id = self.window.conversation_id
        if any(
            m.conversation_id == open_id and opt_out_change(m.body) is not None for m in messages
        ):
            self.window.thread.refresh_header()  # STOP or START: the line under the header

    # -- texting someone who opted out ----------------------------------------------------------
    def ask_before_sending(self, conversation: Conversation, sender: str, text: str) -> bool:
        """True when the send waits for the person's answer (they opted out): "Send anyway"
        sends it through the window again, "Don't send" puts the text back in the box."""
        if not conversation.opted_out or self._confirmed:
            self._confirmed = False
            return False
        name = self.name(conversation)
        box = plain_message_box(
            QMessageBox.Icon.Warning,
            f"{name} opted out",
            f"{name} texted STOP: they asked not to get texts from this number.",
            QMessageBox.StandardButton.NoButton,
            self.window,
        )
        box.setInformativeText("Send this message anyway?")
        send = box.addButton("Send anyway", QMessageBox.ButtonRole.AcceptRole)
        keep = box.addButton("Don't send", QMessageBox.ButtonRole.RejectRole)
        box.setDefaultButton(keep)
        box.setEscapeButton(keep)

        def answered(button) -> None:
            if button is send and self.window.conversation_id == conversation.id:
                self._confirmed = True
                self.window._send(sender, text)
            elif not self.window.compose.draft():
                self.window.compose.set_draft(text)  # nothing typed is lost

        box.buttonClicked.connect(answered)
        self.box = opened(box)
        return True
