"""The main window: conversations on the left, the open thread and compose box on the right."""

from __future__ import annotations

from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QAction, QCloseEvent, QIcon, QKeySequence
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QFileDialog,
    QHBoxLayout,
    QInputDialog,
    QLabel,
    QMainWindow,
    QMessageBox,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk import __version__
from voipdesk.core.models import Message
from voipdesk.core.phone import display
from voipdesk.ui import theme
from voipdesk.ui.compose import ComposeBox
from voipdesk.ui.connection import ConnectionPanel, ReceivingStatus
from voipdesk.ui.conversations import ConversationList, ConversationListModel
from voipdesk.ui.services import Services
from voipdesk.ui.thread import ThreadView
from voipdesk.ui.welcome import WelcomePage


class Banner(QWidget):
    """A strip above the thread for things the user must act on (paused sending, URL changes)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(12, 8, 12, 8)
        self.label = QLabel()
        self.label.setTextFormat(Qt.TextFormat.PlainText)
        self.label.setWordWrap(True)
        self.button = QPushButton()
        layout.addWidget(self.label, 1)
        layout.addWidget(self.button)
        self.hide()

    def show_text(self, text: str, button: str) -> None:
        palette = self.palette()
        color = theme.error_text()
        color.setAlphaF(0.16)
        palette.setColor(self.backgroundRole(), color)
        self.setPalette(palette)
        self.label.setText(text)
        self.button.setText(button)
        self.show()


class MainWindow(QMainWindow):
    """The window a user lives in. Holds no state of its own beyond what is shown."""

    quitRequested = Signal()
    setupRequested = Signal()
    demoRequested = Signal()
    settingsRequested = Signal()

    def __init__(self, services: Services, icon: QIcon, *, demo: bool = False) -> None:
        super().__init__()
        self.services = services
        self.demo = demo
        self.setWindowIcon(icon)
        self.setWindowTitle("voipdesk — Demo" if demo else "voipdesk")
        self.resize(1040, 700)
        self.setMinimumSize(640, 420)
        self._conversation_id: int | None = None
        self._peer: str | None = None
        self._own: str | None = None
        country = services.settings.effective_country

        self.pages = QStackedWidget()
        self.welcome = WelcomePage()
        self.welcome.setupRequested.connect(self.setupRequested)
        self.welcome.demoRequested.connect(self.demoRequested)
        self.pages.addWidget(self.welcome)

        self.conversation_model = ConversationListModel(services.store, country=country)
        self.conversations = ConversationList(self.conversation_model, services.store)
        self.thread = ThreadView(services.store, country=country)
        self.compose = ComposeBox(country=country)
        self.banner = Banner()
        self.banner.button.clicked.connect(self._banner_action)
        self._banner_kind = ""

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        right_layout.addWidget(self.banner)
        if demo:
            hint = QLabel(
                "You're trying voipdesk with a demo account. Text Sam Demo and a reply "
                "arrives a moment later, through the same path as a real message."
            )
            hint.setTextFormat(Qt.TextFormat.PlainText)
            hint.setWordWrap(True)
            hint.setContentsMargins(12, 6, 12, 6)
            hint.setAccessibleName("Demo notice")
            right_layout.addWidget(hint)
        right_layout.addWidget(self.thread, 1)
        right_layout.addWidget(self.compose)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 710])
        self.splitter.setChildrenCollapsible(False)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

        self.connection_panel = ConnectionPanel()
        self.connection_panel.testRequested.connect(self._test_receiving)
        self.connection_panel.setupRequested.connect(self.settingsRequested)
        self.receiving_button = QPushButton("Receiving: starting…")
        self.receiving_button.setFlat(True)
        self.receiving_button.setAccessibleName("Receiving status")
        self.receiving_button.clicked.connect(self.show_connection)
        self.statusBar().addPermanentWidget(self.receiving_button)

        self._build_menus()
        self._wire()
        self.compose.setEnabled(False)
        self.update_numbers()

    # -- building -----------------------------------------------------------------------------
    def _build_menus(self) -> None:
        file_menu = self.menuBar().addMenu("&File")
        self.new_action = self._action(
            file_menu, "&New message…", QKeySequence.StandardKey.New, self.new_message
        )
        file_menu.addSeparator()
        self._action(file_menu, "&Import contacts…", None, self.import_contacts)
        self._action(file_menu, "&Export messages…", None, self.export_messages)
        file_menu.addSeparator()
        self._action(file_menu, "&Quit", QKeySequence.StandardKey.Quit, self.quitRequested.emit)
        edit_menu = self.menuBar().addMenu("&Edit")
        self._action(
            edit_menu, "&Find…", QKeySequence.StandardKey.Find, self.conversations.focus_search
        )
        self._action(edit_menu, "&Settings…", QKeySequence("Ctrl+,"), self.settingsRequested.emit)
        view_menu = self.menuBar().addMenu("&View")
        self._action(view_menu, "&Connection…", None, self.show_connection)
        help_menu = self.menuBar().addMenu("&Help")
        self._action(help_menu, "&About voipdesk", None, self._about)

    def _action(self, menu, text: str, shortcut, slot) -> QAction:
        action = QAction(text, self)
        if shortcut is not None:
            action.setShortcut(shortcut)
        action.triggered.connect(slot)
        menu.addAction(action)
        return action

    def _wire(self) -> None:
        s = self.services
        s.messagesChanged.connect(self._messages_changed)
        s.incoming.connect(self._incoming)
        s.receivingChanged.connect(self._receiving_changed)
        s.sendingPaused.connect(self._sending_paused)
        s.notice.connect(lambda text: self.statusBar().showMessage(text, 12000))
        s.contactsChanged.connect(self._contacts_changed)
        self.conversations.conversationActivated.connect(self.open_conversation)
        self.conversations.searchResultActivated.connect(self._open_search_hit)
        self.conversations.newMessageRequested.connect(self.new_message)
        self.compose.sendRequested.connect(self._send)
        self.compose.draftChanged.connect(self._draft_changed)
        self.thread.retryRequested.connect(s.resend)
        self.thread.discardRequested.connect(s.discard)
        self.thread.renameRequested.connect(self.rename_contact)

    # -- pages --------------------------------------------------------------------------------
    def show_welcome(self, on: bool) -> None:
        self.pages.setCurrentWidget(self.welcome if on else self.splitter)

    def update_numbers(self) -> None:
        settings = self.services.settings
        numbers = list(settings.numbers)
        if numbers:
            self.compose.set_numbers(numbers, numbers[0])

    # -- conversations ------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int | None:
        return self._conversation_id

    def open_conversation(self, conversation_id: int) -> None:
        conversation = self.services.store.conversation(conversation_id)
        if conversation is None:
            return
        if self._conversation_id is not None and self._conversation_id != conversation_id:
            self.services.set_draft(self._conversation_id, self.compose.draft())
        self._conversation_id = conversation_id
        self._peer, self._own = conversation.peer_number, conversation.own_number
        self.thread.set_conversation(conversation_id)
        numbers = list(self.services.settings.numbers) or [conversation.own_number]
        if conversation.own_number not in numbers:
            numbers.append(conversation.own_number)
        self.compose.set_numbers(numbers, conversation.own_number)
        self.compose.set_draft(self.services.store.draft(conversation_id))
        self.compose.setEnabled(True)
        self.compose.focus_editor()
        self.conversations.select(conversation_id)
        if conversation.unread_count:
            self._mark_read(conversation_id)

    def _mark_read(self, conversation_id: int) -> None:
        task = self.services.mark_read(conversation_id)
        task.add_done_callback(lambda _t: self._refresh_unread())

    def _refresh_unread(self) -> None:
        self.conversation_model.refresh()
        self.unreadChanged()

    def unreadChanged(self) -> None:
        pass

    def _open_search_hit(self, conversation_id: int, message_id: int) -> None:
        self.open_conversation(conversation_id)
        self.thread.show_message(message_id)

    def _send(self, sender: str, text: str) -> None:
        if self._peer is None:
            return
        self.services.send(sender, self._peer, text)
        if self._conversation_id is not None:
            self.services.set_draft(self._conversation_id, "")

    def _draft_changed(self, text: str) -> None:
        if self._conversation_id is not None:
            self.services.set_draft(self._conversation_id, text)

    def _messages_changed(self, messages: list[Message]) -> None:
        self.conversation_model.apply(messages)
        self.thread.apply(messages)
        if self.pages.currentWidget() is self.welcome and self.services.settings.configured:
            self.show_welcome(False)

    def is_reading(self, conversation_id: int) -> bool:
        """The user has this thread in front of them right now."""
        return (
            self._conversation_id == conversation_id
            and self.isVisible()
            and self.isActiveWindow()
            and not self.isMinimized()
        )

    def _incoming(self, messages: list[Message]) -> None:
        for conversation_id in {m.conversation_id for m in messages}:
            if self.is_reading(conversation_id):
                self._mark_read(conversation_id)
        self.unreadChanged()

    def _contacts_changed(self) -> None:
        self.conversations.set_contacts_changed()
        if self._conversation_id is not None:
            self.thread.set_conversation(self._conversation_id)

    # -- actions ------------------------------------------------------------------------------
    def new_message(self) -> None:
        from voipdesk.ui.new_message import NewMessageDialog

        settings = self.services.settings
        if not settings.numbers:
            QMessageBox.information(
                self,
                "Add your number first",
                "Add your VoIP Number SMS number in Settings before starting a conversation.",
            )
            self.settingsRequested.emit()
            return
        dialog = NewMessageDialog(
            settings.effective_country,
            self.services.store.contacts(),
            list(settings.numbers),
            parent=self,
        )
        if dialog.exec() != QDialog.DialogCode.Accepted:
            return
        self.services.spawn(
            self._start_conversation(dialog.sender(), dialog.recipient(), dialog.text())
        )

    async def _start_conversation(self, own: str, peer: str, text: str) -> None:
        conversation_id = await self.services.open_conversation(own, peer)
        if text.strip():
            await self.services._send(own, peer, text)
        self.show_welcome(False)
        self.open_conversation(conversation_id)

    def rename_contact(self, number: str) -> None:
        country = self.services.settings.effective_country
        current = self.services.store.contact_name(number) or ""
        name, ok = QInputDialog.getText(
            self, "Name this number", f"Name for {display(number, country)}:", text=current
        )
        if ok:
            self.services.set_contact(number, name.strip() or None)

    def import_contacts(self) -> None:
        path, _ = QFileDialog.getOpenFileName(
            self, "Import contacts", str(Path.home()), "Contacts (*.vcf *.csv);;All files (*)"
        )
        if path:
            self.services.spawn(self._import(Path(path)))

    async def _import(self, path: Path) -> None:
        try:
            count, problems = await self.services.import_contacts(path)
        except (OSError, ValueError) as exc:
            QMessageBox.warning(self, "Import contacts", str(exc))
            return
        text = f"Imported {count} contact names from {path.name}."
        if problems:
            text += f"\n\n{len(problems)} entries were skipped:\n" + "\n".join(problems[:10])
        QMessageBox.information(self, "Import contacts", text)

    def export_messages(self) -> None:
        path, chosen = QFileDialog.getSaveFileName(
            self,
            "Export messages",
            str(Path.home() / "voipdesk-messages.json"),
            "JSON (*.json);;CSV (*.csv)",
        )
        if path:
            fmt = "csv" if path.lower().endswith(".csv") or chosen.startswith("CSV") else "json"
            self.services.spawn(self._export(Path(path), fmt))

    async def _export(self, path: Path, fmt: str) -> None:
        try:
            count = await self.services.export(path, fmt)
        except OSError as exc:
            QMessageBox.warning(self, "Export messages", f"Could not write {path}: {exc}")
            return
        self.statusBar().showMessage(f"Exported {count} messages to {path}", 10000)

    # -- receiving ----------------------------------------------------------------------------
    def _receiving_changed(self, status: ReceivingStatus) -> None:
        self.receiving_button.setText(status.summary)
        self.connection_panel.set_status(status)
        if status.url_changed:
            self._show_banner(
                "url",
                "Your webhook URL changed. Until you paste the new URL on "
                "app.voipnumber.net/numbers, messages to your numbers will not arrive.",
                "Show URL",
            )
        elif self._banner_kind == "url":
            self.banner.hide()
            self._banner_kind = ""

    def show_connection(self) -> None:
        dialog = getattr(self, "_connection_dialog", None)
        if dialog is None:
            dialog = QDialog(self)
            dialog.setWindowTitle("Connection")
            layout = QVBoxLayout(dialog)
            layout.addWidget(self.connection_panel)
            buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
            buttons.rejected.connect(dialog.reject)
            layout.addWidget(buttons)
            dialog.resize(620, 380)
            self._connection_dialog = dialog
        dialog.show()
        dialog.raise_()

    def _test_receiving(self) -> None:
        async def run() -> None:
            ok, text = await self.services.test_receiving()
            self.connection_panel.set_test_result(ok, text)

        self.services.spawn(run())

    # -- sending paused -------------------------------------------------------------------------
    def _sending_paused(self, sentence: str) -> None:
        if sentence:
            self._show_banner("paused", f"Sending is paused. {sentence}", "Open Settings")
        elif self._banner_kind == "paused":
            self.banner.hide()
            self._banner_kind = ""

    def _show_banner(self, kind: str, text: str, button: str) -> None:
        self._banner_kind = kind
        self.banner.show_text(text, button)

    def _banner_action(self) -> None:
        if self._banner_kind == "paused":
            self.settingsRequested.emit()
        elif self._banner_kind == "url":
            self.services.acknowledge_url_change()
            self.show_connection()

    # -- lifecycle ----------------------------------------------------------------------------
    def _about(self) -> None:
        QMessageBox.about(
            self,
            "About voipdesk",
            f"voipdesk {__version__}\nText from your computer with your VoIP Number account.",
        )

    close_to_tray = True  # set by the app from settings and tray availability

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_to_tray:
            event.ignore()
            self.hide()
            self.hiddenToTray()
        else:
            event.ignore()
            self.quitRequested.emit()

    def hiddenToTray(self) -> None:
        pass


def incoming_title(message: Message, services: Services) -> str:
    name = services.store.contact_name(message.peer_number)
    return name or display(message.peer_number, services.settings.effective_country)
