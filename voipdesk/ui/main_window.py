"""The main window: conversations on the left, the open thread and compose box on the right."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from PySide6.QtCore import QEvent, Signal
from PySide6.QtGui import QCloseEvent, QIcon, QPaintEvent, QPalette
from PySide6.QtWidgets import (
    QMainWindow,
    QSplitter,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk.ui import theme
from voipdesk.ui.compose import ComposeBox
from voipdesk.ui.conversations import ConversationList, ConversationListModel
from voipdesk.ui.hidden_banners import BuiltWhenAsked, built, offline_banner, paused_banner
from voipdesk.ui.notice_bar import NoticeBar
from voipdesk.ui.read_marking import ReadMarker
from voipdesk.ui.reading import AT_ONCE, Reader
from voipdesk.ui.receiving_view import ReceivingView
from voipdesk.ui.screen_fit import fitting_size
from voipdesk.ui.thread import ThreadView
from voipdesk.ui.thread.scheduled import ScheduledPanel
from voipdesk.ui.window_actions import WindowActions
from voipdesk.ui.window_events import WindowEvents
from voipdesk.ui.window_opening import WindowOpening

if TYPE_CHECKING:
    from PySide6.QtWidgets import QDialog

    from voipdesk.services import Services
    from voipdesk.settings import Settings
    from voipdesk.store import Store
    from voipdesk.ui.bridge import ServicesBridge
    from voipdesk.ui.connection import ConnectionPanel
    from voipdesk.ui.welcome import WelcomePage


class MainWindow(WindowOpening, WindowEvents, QMainWindow):
    """The window a user lives in. Holds no state of its own beyond what is shown.

    It is built and painted from the store and the settings alone, before the services exist
    (their imports, asyncio and httpx, would double the time to the first paint); `attach`
    then connects it to them. Opening conversations, with the compose box following them, is
    in ui/window_opening.py; taking in the services' events, in ui/window_events.py."""

    quitRequested = Signal()
    setupRequested = Signal()
    demoRequested = Signal()
    accountRequested = Signal()  # from the demo: set up a real account (ui/leave_demo.py)
    settingsRequested = Signal()
    receivingSetupRequested = Signal()  # Settings, open at the Receiving tab
    firstPainted = Signal()  # the window has been painted once (start-up waits for it)
    hiddenToTray = Signal()  # closed while the tray keeps the app running
    painted = False
    banner = BuiltWhenAsked(paused_banner)  # sending is paused (ui/hidden_banners.py)
    offline_banner = BuiltWhenAsked(offline_banner)  # messages wait for VoIP Number

    def __init__(
        self,
        store: Store,
        settings: Settings,
        icon: QIcon,
        *,
        demo: bool = False,
        reads: Reader = AT_ONCE,
    ) -> None:
        super().__init__()
        self.store = store
        self.reads = reads  # the store's reads (the services' Reads once attached)
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
        self.resize(fitting_size(1040, 700))
        self.setMinimumSize(640, 480)
        country = settings.effective_country

        self.pages = QStackedWidget()
        # Built when first shown, like the connection dialog: neither is in the first paint of
        # a set-up app, and building them would delay it.
        self._welcome: WelcomePage | None = None

        self.conversation_model = ConversationListModel(store, country=country, reads=reads)
        self.conversations = ConversationList(self.conversation_model, store)
        self.thread = ThreadView(store, country=country)
        self.thread.delegate.set_media_folder(settings.data_dir / "media")  # MMS pictures
        self.thread.several_own_numbers = lambda: (
            self.conversation_model.several_own_numbers or len(self.own_numbers()) > 1
        )
        self.thread.own_numbers = self.own_numbers
        self.conversation_model.ownNumbersChanged.connect(self.thread.refresh_header)
        self.read_marker = ReadMarker(self)  # when the open conversation counts as read
        self.compose = ComposeBox(country=country)
        self.scheduled = ScheduledPanel(store)  # Send later: at the end of the thread
        self.thread.reads = self.scheduled.reads = self.conversations.search_model.reads = reads
        self.receiving = ReceivingView(self, demo=demo)
        self.receiving.testRequested.connect(self._test_receiving)
        self.receiving.setupRequested.connect(self.receivingSetupRequested)
        self.receiving_button = self.receiving.button

        right = QWidget()
        right_layout = QVBoxLayout(right)
        right_layout.setContentsMargins(0, 0, 0, 0)
        right_layout.setSpacing(0)
        banners = QVBoxLayout()  # a hairline between the two when both show (built when asked)
        banners.setSpacing(1)
        right_layout.addLayout(banners)
        self.banners = banners
        self.demo_notice: QWidget | None = None
        if demo:  # (beside its buttons, or above them in a narrow window)
            from voipdesk.ui.demo_notice import DemoNotice  # (the demo's alone)
            from voipdesk.ui.leave_demo import account_button

            self.demo_notice = DemoNotice(account_button(self))
            right_layout.addWidget(self.demo_notice)
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
        bridge.sendRefused.connect(self._send_refused)
        bridge.contactsChanged.connect(self._contacts_changed)
        self.thread.retryRequested.connect(services.resend)
        self.thread.discardRequested.connect(services.discard)
        self.scheduled.attach(services, bridge, self.compose, lambda: self.thread.conversation)
        self.scheduled.save_draft = self._save_draft
        from voipdesk.ui.scheduled_list import ScheduledInList

        self.scheduled_list = ScheduledInList(self, bridge)  # ones only scheduled, listed too
        from voipdesk.ui.conversation_controls import ConversationControls

        self.controls = ConversationControls(self, services, bridge)  # mute, block, opt-outs
        for reader in (
            self,
            self.thread,
            self.conversation_model,
            self.conversations.search_model,
            self.scheduled,
        ):
            reader.reads = services.reads  # the store's reads: on a worker from now on
        self.read_marker.check_soon()  # opened before there were services
        if services.shared_inbox is not None:  # a desk on the shared inbox
            from voipdesk.ui.shared_desk import SharedDesk

            self.shared_desk = SharedDesk(self, bridge)

    # -- pages --------------------------------------------------------------------------------
    @property
    def welcome(self) -> WelcomePage:
        if self._welcome is None:
            from voipdesk.ui.welcome import WelcomePage  # (not in a set-up app's first paint)

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
        stored conversation is on (as the list last read them: no store call)."""
        return list(dict.fromkeys([*self.settings.numbers, *self.conversation_model.own_numbers]))

    # -- receiving ----------------------------------------------------------------------------
    @property
    def url_banner(self) -> QWidget:
        return self.receiving.url_banner

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
    # -- looks --------------------------------------------------------------------------------
    def _apply_colors(self) -> None:
        if self.demo_notice is not None:
            notice = self.demo_notice.palette()
            notice.setColor(QPalette.ColorRole.Window, theme.tinted(theme.ACCENT, 0.14))
            self.demo_notice.setPalette(notice)
        for name in ("banner", "offline_banner"):
            if built(self, name):
                getattr(self, name).apply_colors()
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
