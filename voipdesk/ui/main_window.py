"""The main window: conversations on the left, the open thread and compose box on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Qt, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QDialog,
    QFrame,
    QHBoxLayout,
    QMainWindow,
    QPushButton,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.models import Conversation, Message
from voipdesk.core.phone import display
from voipdesk.ui import theme
from voipdesk.ui.banner import Banner
from voipdesk.ui.compose import ComposeBox
from voipdesk.ui.connection import ConnectionPanel
from voipdesk.ui.conversations import ConversationList, ConversationListModel
from voipdesk.ui.labels import plain_label
from voipdesk.ui.leave_demo import account_button
from voipdesk.ui.notice_bar import ICON_SIZE, NoticeBar
from voipdesk.ui.read_marking import ReadMarker
from voipdesk.ui.receiving_view import ReceivingView
from voipdesk.ui.thread import ThreadView
from voipdesk.ui.thread.scheduled import ScheduledPanel
from voipdesk.ui.welcome import WelcomePage
from voipdesk.ui.window_actions import WindowActions

if TYPE_CHECKING:
    from voipdesk.services import SendingState, Services
    from voipdesk.settings import Settings
    from voipdesk.store import Store
    from voipdesk.ui.bridge import ServicesBridge


class MainWindow(QMainWindow):
    """The window a user lives in. Holds no state of its own beyond what is shown.

    It is built and painted from the store and the settings alone, before the services exist
    (their imports, asyncio and httpx, would double the time to the first paint); `attach`
    then connects it to them."""

    quitRequested = Signal()
    setupRequested = Signal()
    demoRequested = Signal()
    accountRequested = Signal()  # from the demo: set up a real account (ui/leave_demo.py)
    settingsRequested = Signal()
    receivingSetupRequested = Signal()  # Settings, open at the Receiving tab
    firstPainted = Signal()  # the window has been painted once (start-up waits for it)
    hiddenToTray = Signal()  # closed while the tray keeps the app running
    painted = False

    def __init__(
        self, store: Store, settings: Settings, icon: QIcon, *, demo: bool = False
    ) -> None:
        super().__init__()
        self.store = store
        self.settings = settings
        self.services: Services | None = None  # until attach()
        self._compose_for: int | None = None  # the conversation the compose box writes to
        self._opened_by_person = True  # how the conversation being opened was asked for
        self._wanted: int | None = None  # the conversation asked for last
        self._waiting: list[tuple[int, Any]] = []  # opened() waiting: (id, asyncio.Future)
        self.demo = demo
        self.setWindowIcon(icon)
        # The desktop adds " — voipdesk" to a title that does not end with it.
        self.setWindowTitle("Demo — voipdesk" if demo else "voipdesk")
        self.resize(1040, 700)
        self.setMinimumSize(640, 480)
        country = settings.effective_country

        self.pages = QStackedWidget()
        # Built when first shown, like the connection dialog: neither is in the first paint of
        # a set-up app, and building them would delay it.
        self._welcome: WelcomePage | None = None

        self.conversation_model = ConversationListModel(store, country=country)
        self.conversations = ConversationList(self.conversation_model, store)
        self.thread = ThreadView(store, country=country)
        self.thread.delegate.media.set_folder(settings.data_dir / "media")  # MMS pictures
        self.thread.several_own_numbers = lambda: (
            self.conversation_model.several_own_numbers or len(self.own_numbers()) > 1
        )
        self.thread.own_numbers = self.own_numbers
        self.conversation_model.severalOwnNumbersChanged.connect(self.thread.refresh_header)
        self.read_marker = ReadMarker(self)  # when the open conversation counts as read
        self.compose = ComposeBox(country=country)
        self.scheduled = ScheduledPanel(store)  # Send later: at the end of the thread
        self.banner = Banner()  # sending is paused
        self.banner.setAccessibleName("Sending paused")
        self.banner.button.clicked.connect(lambda: self.settingsRequested.emit())
        self.receiving = ReceivingView(self, demo=demo)
        self.receiving.testRequested.connect(self._test_receiving)
        self.receiving.setupRequested.connect(self.receivingSetupRequested)
        self.url_banner = self.receiving.url_banner
        self.receiving_button = self.receiving.button

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        banners = QVBoxLayout()  # a hairline between the two when both show
        banners.setSpacing(1)
        banners.addWidget(self.url_banner)
        banners.addWidget(self.banner)
        right_layout.addLayout(banners)
        self.demo_notice: QWidget | None = None
        if demo:
            hint = plain_label(
                "You're trying voipdesk with a demo account. Text Sam Demo and a reply "
                "arrives a moment later, through the same path as a real message.",
                wrap=True,
                name="Demo notice",
            )
            notice = QFrame()
            notice.setAutoFillBackground(True)
            notice_layout = QHBoxLayout(notice)
            notice_layout.setContentsMargins(12, 8, 12, 8)
            notice_layout.addWidget(hint, 1)
            got_it = QPushButton("Got it")
            got_it.setAccessibleName("Hide the demo notice")
            got_it.setAutoDefault(False)
            got_it.clicked.connect(notice.hide)
            notice_layout.addWidget(account_button(self), 0, Qt.AlignmentFlag.AlignVCenter)
            notice_layout.addWidget(got_it, 0, Qt.AlignmentFlag.AlignVCenter)
            self.demo_notice = notice
            right_layout.addWidget(notice)
        right_layout.addWidget(self.thread, 1)
        right_layout.addWidget(self.scheduled)
        right_layout.addWidget(self.compose)
        self.splitter = QSplitter()
        self.splitter.addWidget(self.conversations)
        self.splitter.addWidget(right)
        self.splitter.setStretchFactor(1, 1)
        self.splitter.setSizes([330, 710])
        self.splitter.setChildrenCollapsible(False)
        self.pages.addWidget(self.splitter)
        self.setCentralWidget(self.pages)

        self.setStatusBar(NoticeBar())  # notices pass here, with their level
        self.statusBar().addPermanentWidget(self.receiving_button)
        self.statusBar().messageChanged.connect(
            lambda text: None if text else self.statusBar().setToolTip("")
        )
        self.actions = WindowActions(self)
        self.actions.build_menus()
        self._wire()
        self.compose.setEnabled(False)
        self.compose.hide()  # nothing to write into until a conversation is open
        self.update_numbers()
        self._apply_colors()

    # -- building -----------------------------------------------------------------------------
    def _wire(self) -> None:
        self.conversations.conversationActivated.connect(self.open_conversation)
        self.conversations.searchResultActivated.connect(self._open_search_hit)
        self.conversations.newMessageRequested.connect(self.actions.new_message)
        self.compose.sendRequested.connect(self._send)
        self.compose.draftChanged.connect(self._draft_changed)
        self.thread.renameRequested.connect(self.actions.rename_contact)
        self.thread.otherNumberRequested.connect(self.text_from_another_number)
        self.thread.opened.connect(self._conversation_opened)

    def attach(self, services: Services, bridge: ServicesBridge) -> None:
        """Connect the painted window to the running parts of the app (once): their events
        arrive through the bridge's signals, actions go to the services."""
        self.services = services
        bridge.messagesChanged.connect(self._messages_changed)
        bridge.incoming.connect(self._incoming)
        bridge.messagesRemoved.connect(self._messages_removed)
        bridge.conversationRead.connect(self.conversation_model.mark_read)
        bridge.receivingChanged.connect(self.receiving.set_status)
        self.receiving.urlAcknowledged.connect(services.acknowledge_url_change)
        bridge.sendingChanged.connect(self._sending_changed)
        bridge.notice.connect(self.show_notice)
        bridge.sendFailed.connect(self._send_failed)
        bridge.contactsChanged.connect(self._contacts_changed)
        self.thread.retryRequested.connect(services.resend)
        self.thread.discardRequested.connect(services.discard)
        self.scheduled.attach(services, bridge, self.compose, lambda: self.thread.conversation)
        self.scheduled.save_draft = self._save_draft
        from voipdesk.ui.scheduled_list import ScheduledInList

        self.scheduled_list = ScheduledInList(self, bridge)  # ones only scheduled, listed too
        from voipdesk.ui.conversation_controls import ConversationControls

        self.controls = ConversationControls(self, services, bridge)  # mute, block, opt-outs
        for reader in (self.thread, self.conversation_model, self.conversations.search_model):
            reader.reads = services.reads  # the store's reads: on a worker from now on
        self.read_marker.check_soon()  # opened before there were services

    # -- pages --------------------------------------------------------------------------------
    @property
    def welcome(self) -> WelcomePage:
        if self._welcome is None:
            self._welcome = WelcomePage()
            self._welcome.setupRequested.connect(self._set_up)
            self._welcome.demoRequested.connect(self.demoRequested)
            self.pages.addWidget(self._welcome)
        return self._welcome

    def showing_welcome(self) -> bool:
        return self._welcome is not None and self.pages.currentWidget() is self._welcome

    def _set_up(self) -> None:
        # Settings opens over the window as it will be (the list, the status bar), not over
        # an empty page: the welcome's words sit right behind the dialog.
        self.show_welcome(False)
        self.setupRequested.emit()

    def back_to_welcome_if_new(self) -> None:
        """Settings closed without saving, and still no account: the welcome page again."""
        settings = self.services.settings if self.services is not None else self.settings
        if self._welcome is not None and not settings.effective_account_id and not settings.numbers:
            self.show_welcome(True)

    def show_welcome(self, on: bool) -> None:
        self.pages.setCurrentWidget(self.welcome if on else self.splitter)
        # Before there is an account, “Receiving on …” in the corner only puzzles.
        self.statusBar().setVisible(not on)

    def update_numbers(self) -> None:
        # Inside a thread the compose box sends from the thread's number, and only from it:
        # another number is another conversation (the header's “Text from another number”).
        conversation = self.thread.conversation
        numbers = [conversation.own_number] if conversation else list(self.settings.numbers)
        if numbers:
            self.compose.set_numbers(numbers[:1], numbers[0])
        self.thread.refresh_header()

    def own_numbers(self) -> list[str]:
        """The user's numbers: those in Settings (the default first), then any other that a
        stored conversation is on."""
        return list(dict.fromkeys([*self.settings.numbers, *self.store.own_numbers()]))

    # -- conversations ------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int | None:
        """The open conversation (the thread's: it is the one owner)."""
        return self.thread.conversation_id

    @property
    def wanted_conversation_id(self) -> int | None:
        """The conversation on its way while one is being opened, else the open one (what a
        step to the next conversation starts from)."""
        return self._wanted if self.thread.opening else self.conversation_id

    def open_conversation(self, conversation_id: int, *, by_person: bool = True) -> None:
        """Open a conversation: the thread reads it and shows it when it arrives, and then
        (_conversation_opened) the compose box follows, with its draft. `by_person` False when
        the app opens it for them (at start): then it is not read until they act in the window."""
        again = conversation_id == self.conversation_id
        self._opened_by_person, self._wanted = by_person, conversation_id
        if not again:
            self.thread.delegate.match = (None, "")
        self.thread.set_conversation(conversation_id)
        if again and self.thread.conversation is not None:
            self._conversation_opened(self.thread.conversation, None)

    def _conversation_opened(self, conversation: Conversation, draft: str | None) -> None:
        """The thread shows `conversation`: the compose box is for it now (`draft` not None:
        a newly opened one, whose draft the list keeps; None keeps the text being written)."""
        conversation_id = conversation.id
        for wanted, shown in self._waiting:  # (start_conversation waits for it)
            if not shown.done():
                shown.set_result(conversation if wanted == conversation_id else None)
        previous, self._compose_for = self._compose_for, conversation_id
        if previous not in (None, conversation_id) and self.services is not None:
            self._save_draft(previous, self.compose.draft())
        self.scheduled.set_conversation(conversation_id)
        self.compose.set_numbers([conversation.own_number], conversation.own_number)
        if draft is not None:
            self.compose.set_draft(self.conversation_model.drafts.get(conversation_id, ""))
        self.compose.setEnabled(True)
        self.compose.show()
        self.compose.focus_editor()
        self.conversations.select(conversation_id)
        self.read_marker.opened(conversation.unread_count, by_person=self._opened_by_person)

    def _open_search_hit(self, conversation_id: int, message_id: int) -> None:
        self.open_conversation(conversation_id)
        # The words searched for are marked in the bubble while the conversation stays open.
        self.thread.delegate.match = (message_id, self.conversations.search_model.query)
        self.thread.show_message(message_id)

    def _send(self, sender: str, text: str) -> None:
        conversation = self.thread.conversation
        if conversation is None:
            return
        if self.controls.ask_before_sending(conversation, conversation.own_number, text):
            return  # they texted STOP: sent only if the person says so
        self._save_draft(conversation.id, "")
        # Always from the thread's own number: nothing in the thread changes it.
        self.services.send(conversation.own_number, conversation.peer_number, text)

    def _draft_changed(self, text: str) -> None:
        if self.conversation_id is not None:
            self._save_draft(self.conversation_id, text)

    def _save_draft(self, conversation_id: int, text: str) -> None:
        self.conversation_model.set_draft(conversation_id, text)  # "Draft: …" in the list
        self.services.set_draft(conversation_id, text)

    def _messages_changed(self, messages: list[Message]) -> None:
        self.conversation_model.apply(messages)
        self.thread.apply(messages)
        open_id = self.conversation_id
        if (
            open_id is not None
            and not self.thread.opening  # (the list shows the one on its way)
            and self.conversations.selected_conversation_id() != open_id
        ):
            # a conversation opened before its first message put it in the list (a new
            # conversation, or the same person from another own number): highlight it now
            self.conversations.select(open_id)
        settings = self.settings
        # (Not settings.configured: that reads the keyring, on the GUI thread, per message.)
        if self.showing_welcome() and settings.effective_account_id:
            self.show_welcome(False)

    def _messages_removed(self, messages: list[Message]) -> None:
        # The conversation's preview now comes from a message the list was not given: read it.
        self.conversation_model.update_conversations({m.conversation_id for m in messages})
        for message in messages:
            self.thread.remove_message(message.id)

    def _send_failed(self, message: Message) -> None:
        # The open thread already says it under the bubble; saying it twice only adds noise.
        if message.conversation_id == self.conversation_id:
            return
        reason = message.error_text or "The message was not sent."
        who = incoming_title(message, self.services)
        self.show_notice("warning", f"Not sent to {who}: {reason}")

    def is_reading(self, conversation_id: int) -> bool:
        """The user has this thread in front of them right now."""
        return (
            self.conversation_id == conversation_id
            and self.isVisible()
            and self.isActiveWindow()
            and not self.isMinimized()
        )

    def _incoming(self, messages: list[Message]) -> None:
        self.read_marker.incoming(messages)

    def _contacts_changed(self) -> None:
        self.conversations.set_contacts_changed()
        self.thread.refresh_header()  # (one on its way brings its own header)

    # -- actions ------------------------------------------------------------------------------
    async def start_conversation(self, own: str, peer: str, text: str) -> None:
        conversation_id = await self.services.open_conversation(own, peer)
        # Open it first, then send: the bubble appears at once and its status follows, instead
        # of the window waiting for the provider's answer.
        self.show_welcome(False)
        opened = await self._opened(conversation_id)
        if not text.strip():
            return
        if opened is not None and self.controls.ask_before_sending(opened, own, text):
            return  # they texted STOP: sent only if the person says so
        self.services.send(own, peer, text)

    async def _opened(self, conversation_id: int) -> Conversation | None:
        """Open a conversation and wait until it is shown (None: another was asked for
        meanwhile, or it did not come)."""
        import asyncio  # (not before the first paint: start-up imports it later)

        shown = asyncio.get_running_loop().create_future()
        self._waiting.append((conversation_id, shown))
        self.open_conversation(conversation_id)
        try:
            return await asyncio.wait_for(shown, 10)
        except TimeoutError:
            return None
        finally:
            self._waiting = [(c, f) for c, f in self._waiting if f is not shown]

    def text_from_another_number(self, own: str) -> None:
        """Open (or create) the conversation with the open thread's person on another of the
        user's numbers; text typed and not sent moves along with the user."""
        conversation = self.thread.conversation
        if conversation is None or self.services is None or own == conversation.own_number:
            return
        typed = self.compose.draft()
        self.compose.set_draft("")  # (the thread being left keeps no copy of it)
        self.services.spawn(self._open_other(own, conversation.peer_number, typed))

    async def _open_other(self, own: str, peer: str, typed: str) -> None:
        conversation_id = await self.services.open_conversation(own, peer)
        if typed.strip() and not self.conversation_model.drafts.get(conversation_id, "").strip():
            self._save_draft(conversation_id, typed)  # (it opens with it: nothing flickers)
        self.show_welcome(False)
        await self._opened(conversation_id)

    # -- receiving ----------------------------------------------------------------------------
    @property
    def connection_panel(self) -> ConnectionPanel:
        return self.receiving.connection_panel

    @property
    def _connection_dialog(self) -> QDialog:
        return self.receiving.connection_dialog

    def show_connection(self) -> None:
        self.receiving.show_connection()

    def _test_receiving(self) -> None:
        async def run() -> None:
            ok, text = await self.services.test_receiving()
            self.connection_panel.set_test_result(ok, text)

        self.services.spawn(run())

    # -- sending paused -------------------------------------------------------------------------
    def _sending_changed(self, state: SendingState) -> None:
        if state.paused:
            self.banner.show_text(f"Sending is paused. {state.paused_because}", "Open Settings")
        else:
            self.banner.hide()

    def show_notice(self, level: str, text: str, timeout: int = 12000) -> None:
        """An app-level notice (the services' one channel): in the status bar, for a while, with
        its level's icon and colour, shortened with “…” to the room it has (the whole sentence
        in its tooltip) rather than cut off mid-word by the receiving status."""
        bar = self.statusBar()
        room = bar.width() - self.receiving_button.sizeHint().width() - 48 - 2 * ICON_SIZE
        shown = bar.fontMetrics().elidedText(text, Qt.TextElideMode.ElideRight, max(room, 120))
        bar.show_notice(level, shown, timeout)
        bar.setToolTip(text if shown != text else "")

    # -- looks --------------------------------------------------------------------------------
    def _apply_colors(self) -> None:
        if self.demo_notice is not None:
            notice = self.demo_notice.palette()
            notice.setColor(QPalette.ColorRole.Window, theme.tinted(theme.ACCENT, 0.14))
            self.demo_notice.setPalette(notice)
        self.banner.apply_colors()
        self.receiving.apply_colors()

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        if not self.painted:
            self.painted = True
            self.firstPainted.emit()

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()

    # -- lifecycle ----------------------------------------------------------------------------
    close_to_tray = True  # set by the app from settings and tray availability

    def closeEvent(self, event: QCloseEvent) -> None:
        if self.close_to_tray:
            event.ignore()
            self.hide()
            self.hiddenToTray.emit()
        else:
            event.ignore()
            self.quitRequested.emit()


def incoming_title(message: Message, services: Services) -> str:
    name = services.store.contact_name(message.peer_number)
    return name or display(message.peer_number, services.settings.effective_country)
