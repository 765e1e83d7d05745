"""ThreadView: the open conversation's header, its messages and its empty and loading states."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import (
    QModelIndex,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QDesktopServices,
    QFont,
    QGuiApplication,
    QPainter,
    QPaintEvent,
    QPalette,
)
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QMenu,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.models import Conversation, Direction, Message, Status
from voipdesk.core.phone import display
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.reading import AT_ONCE, Latest, Reader
from voipdesk.ui.thread import delegate_parts
from voipdesk.ui.thread.delegate import BubbleDelegate
from voipdesk.ui.thread.header_extras import NoteLine, note_for
from voipdesk.ui.thread.listview import _MessageList, _ViewProxy
from voipdesk.ui.thread.model import MessageRole, ThreadModel
from voipdesk.ui.thread.opening import ThreadOpening
from voipdesk.ui.thread.own_number import ConversationMenuButton, own_number_text
from voipdesk.ui.thread.text import ACTIONS, find_links, safe_url, warm_up

LIVE_PAGES = 3  # pages kept above the newest message while it is in view and more arrive


class _Divider(QWidget):
    """A hairline in a shade of the text colour, so it suits light and dark palettes."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedHeight(1)

    def paintEvent(self, event: QPaintEvent) -> None:
        color = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        color.setAlphaF(0.15)
        painter = QPainter(self)
        theme.fill(painter, self.rect(), color)
        painter.end()


def _label(text: str = "") -> QLabel:
    label = plain_label(text)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class ThreadView(ThreadOpening, QWidget):
    """The open conversation: header and bubbles. The compose box is placed under it by the
    window."""

    retryRequested = Signal(int)  # message id
    discardRequested = Signal(int)  # message id
    renameRequested = Signal(str)  # peer number (E.164)
    otherNumberRequested = Signal(str)  # text this person from that own number (E.164)
    # A conversation asked for by set_conversation is shown: (Conversation, its draft).
    opened = Signal(object, str)

    def __init__(
        self,
        store: Store,
        *,
        country: str = "GB",
        page: int = 30,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self.country = country
        # Messages per page: opening a thread measures one page of bubbles (two screens or
        # so), and every page loaded while scrolling is measured in the frame that needs it.
        self._page = page
        self._model: ThreadModel | None = None
        self._conversation: Conversation | None = None  # the open one, as last read
        # The store is read through it (pages, the conversation to open): answers come later.
        self._reads: Reader = AT_ONCE
        self._opening = Latest()  # the conversation asked for, on its way
        self._header_read = Latest()
        self._heard: list[tuple[str, object]] = []  # told while opening: applied once open
        self._show_when_open: int | None = None  # a message to show once it is open
        # Opens a safe link; replaceable (tests record instead of launching a browser).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        # Whether conversations run on several own numbers (then the header says which one);
        # the window answers it from the conversation list, which already knows.
        self.several_own_numbers: Callable[[], bool] = lambda: False
        # The user's own numbers, offered by the header's menu (“Text from another number”).
        self.own_numbers: Callable[[], list[str]] = lambda: []

        self.avatar = _label()
        self.avatar.setFixedSize(theme.AVATAR_SIZE, theme.AVATAR_SIZE)
        self.title = _label()
        title_font = QFont(self.title.font())
        title_font.setBold(True)
        self.title.setFont(title_font)
        self.subtitle = _label()
        self.subtitle.setFont(theme.small_font(self.subtitle.font()))
        self.subtitle.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.subtitle.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.name_button = QPushButton()
        self._set_name_button(named=False)
        self.name_button.setToolTip("Give this number a name")
        self.name_button.clicked.connect(self._rename)
        # Mute, block…: the window's conversation controls fill the menu and say who is blocked.
        self.fill_menu: Callable[[QMenu], None] = lambda _menu: None
        self.is_blocked: Callable[[str], bool] = lambda _number: False
        self.menu_button = ConversationMenuButton(
            self.otherNumberRequested.emit, lambda menu: self.fill_menu(menu)
        )
        names = QVBoxLayout()
        names.setSpacing(0)
        names.addStretch(1)
        names.addWidget(self.title)
        names.addWidget(self.subtitle)
        names.addStretch(1)
        header = QWidget()
        header_layout = QHBoxLayout(header)
        header_layout.setContentsMargins(12, 8, 12, 8)
        header_layout.setSpacing(12)
        header_layout.addWidget(self.avatar)
        header_layout.addLayout(names, 1)
        header_layout.addWidget(self.name_button)
        header_layout.addWidget(self.menu_button)
        self.note = NoteLine()  # opted out, blocked
        line = _Divider()

        self.list_view = _MessageList(self)
        self.delegate = BubbleDelegate(self.list_view)
        self.list_view.setItemDelegate(self.delegate)
        self.delegate.mediaShelfMade.connect(self._watch_media)  # at the first MMS
        self._proxy = _ViewProxy(self)
        self.list_view.setModel(self._proxy)
        self._highlight_timer = QTimer(self)
        self._highlight_timer.setSingleShot(True)
        self._highlight_timer.setInterval(1600)
        self._highlight_timer.timeout.connect(self._clear_highlight)

        thread_page = QWidget()
        thread_layout = QVBoxLayout(thread_page)
        thread_layout.setContentsMargins(0, 0, 0, 0)
        thread_layout.setSpacing(0)
        thread_layout.addWidget(header)
        thread_layout.addWidget(line)
        thread_layout.addWidget(self.note)
        thread_layout.addWidget(self.list_view, 1)
        self.empty_label = _label("Pick a conversation, or start a new one.")
        self.empty_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.empty_label.setWordWrap(True)
        self.empty_label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.pages = QStackedWidget()
        self.pages.addWidget(self.empty_label)
        self.pages.addWidget(thread_page)
        self._thread_page = thread_page
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.pages)

    # -- what is open ----------------------------------------------------------------------------
    @property
    def conversation_id(self) -> int | None:
        return self._model.conversation_id if self._model is not None else None

    @property
    def conversation(self) -> Conversation | None:
        """The open conversation as last read (its numbers never change)."""
        return self._conversation if self._model is not None else None

    @property
    def model(self) -> ThreadModel | None:
        return self._model

    @property
    def reads(self) -> Reader:
        return self._reads

    @reads.setter
    def reads(self, reads: Reader) -> None:
        self._reads = reads
        if self._model is not None:  # opened before (at start-up): its pages are read so too
            self._model.window.reader = reads
        if reads is not AT_ONCE:  # (at start-up, before the worker: not in the first paint)
            reads.request(warm_up, lambda _done: None)  # the link finder, before a link shows
            reads.request(delegate_parts.warm_up, lambda _done: None)  # an MMS's pictures

    def row_for(self, message_id: int) -> int:
        return self._model.row_for(message_id) if self._model is not None else -1

    @property
    def page(self) -> int:
        """Messages loaded at a time."""
        return self._page

    def _set_header(self, conversation: Conversation | None) -> None:
        self._conversation = conversation
        if conversation is None:
            return
        number = display(conversation.peer_number, self.country)
        name = conversation.display_name
        self.title.setText(name or number)
        details = [number] if name else []
        if self.several_own_numbers():
            details.append(own_number_text(conversation.own_number, self.country))
        self.subtitle.setText(" · ".join(details))
        self.subtitle.setVisible(bool(details))
        self.avatar.setPixmap(
            theme.avatar_pixmap(
                conversation.peer_number, name, theme.AVATAR_SIZE, self.devicePixelRatioF()
            )
        )
        self._set_name_button(named=bool(name))
        self.menu_button.refresh(conversation, self.own_numbers(), self.country)
        blocked = self.is_blocked(conversation.peer_number)
        self.note.set_text(note_for(conversation, name or number, blocked=blocked))

    def apply(self, messages: list[Message]) -> None:
        """Messages were stored or changed; the open thread shows them (others are ignored).
        A message the user just sent brings the view to the bottom, wherever it was."""
        if self._opening.pending:
            self._heard.append(("apply", messages))
        model = self._model
        if model is None:
            return
        newest = model.message(model.rowCount() - 1)
        if any(
            m.conversation_id == model.conversation_id
            and m.direction is Direction.OUT
            and m.status is Status.SENDING
            and (newest is None or m.id > newest.id)
            for m in messages
        ):
            self.list_view.stick_to_bottom()
            model.show_newest()
        live = self.list_view.at_bottom() and not model.has_newer()
        model.apply(messages)
        if live:
            # Reading the newest messages as more arrive: the rows far above, which every new
            # message would lay out again, are let go (they page back in when scrolled to).
            model.drop_older(self._page * LIVE_PAGES)

    def remove_message(self, message_id: int) -> None:
        if self._opening.pending:
            self._heard.append(("remove", message_id))
        if self._model is not None:
            self._model.remove(message_id)

    # -- scrolling -------------------------------------------------------------------------------
    def load_older(self, margin: int = 0) -> None:
        """At the top (within `margin` px of it): load the previous page, keeping the message
        being read where it is."""
        model = self._model
        view = self.list_view
        bar = view.verticalScrollBar()
        for _ in range(20):  # also fills a viewport that one page does not fill
            if model is None or not model.canFetchMore(QModelIndex()):
                return
            if bar.maximum() > 0 and bar.value() > bar.minimum() + margin:
                return
            view.record_anchor()
            model.fetchMore(QModelIndex())  # laid out when it arrives (_page_arrived)

    def load_newer(self, margin: int = 0) -> None:
        """At the bottom of a window that has moved up (within `margin` px of it): load the
        next newer page, keeping the message being read where it is."""
        model = self._model
        view = self.list_view
        bar = view.verticalScrollBar()
        for _ in range(20):
            if model is None or not model.has_newer() or bar.value() < bar.maximum() - margin:
                return
            if model.window.fetching:
                return
            view.record_anchor()
            model.fetch_newer()  # laid out when it arrives (_page_arrived)

    def _watch_media(self) -> None:
        from voipdesk.ui.thread import media

        media.watch(self)

    def _clear_highlight(self) -> None:
        self.delegate.highlight_id = None
        self.list_view.viewport().update()

    # -- actions ---------------------------------------------------------------------------------
    def selected_messages(self) -> list[Message]:
        view = self.list_view
        indexes = sorted(view.selectionModel().selectedIndexes(), key=lambda i: i.row())
        if not indexes and view.currentIndex().isValid():
            indexes = [view.currentIndex()]
        return [i.data(MessageRole.Message) for i in indexes]

    def copy_selection(self) -> None:
        """Copy the selected part of a message's text, else the selected messages' text (plain
        text, oldest first)."""
        messages = self.selected_messages()
        part = self.list_view.selecting.copied_text([m.id for m in messages])
        if part is not None:  # part of one message's text is selected: just that
            QGuiApplication.clipboard().setText(part)
            return
        if messages:
            texts = ("\n".join(t for t in (m.body, *m.attachments) if t) for m in messages)
            QGuiApplication.clipboard().setText("\n".join(texts))  # (an MMS: its links too)

    def context_menu_for(self, message_id: int) -> QMenu | None:
        """The right-click menu for a message (shown by the view; built here so it is testable)."""
        message = self._model.message_by_id(message_id) if self._model is not None else None
        if message is None:
            return None
        menu = QMenu(self)
        menu.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        selected = [m.id for m in self.selected_messages()]
        copy = menu.addAction("Copy")
        if message_id in selected:
            copy.triggered.connect(self.copy_selection)
        else:
            copy.triggered.connect(lambda: QGuiApplication.clipboard().setText(message.body))
        number = menu.addAction("Copy number")
        number.triggered.connect(lambda: QGuiApplication.clipboard().setText(message.peer_number))
        for _start, _length, url in find_links(message.body):
            shown = url.toDisplayString()[:40].replace("&", "&&")  # "&" would be a mnemonic
            link = menu.addAction(f"Copy link {shown}")
            link.triggered.connect(
                lambda _checked=False, u=url: QGuiApplication.clipboard().setText(u.toString())
            )
        action = ACTIONS.get(message.status)
        if message.direction is Direction.OUT and action is not None:
            menu.addSeparator()
            retry = menu.addAction(action)
            retry.triggered.connect(lambda: self.retryRequested.emit(message_id))
            discard = menu.addAction("Discard")
            discard.triggered.connect(lambda: self.discardRequested.emit(message_id))
        return menu

    def follow(self, target: tuple[str, object]) -> None:
        """A click on a link or on a Retry under a bubble."""
        kind, value = target
        if kind == "url" and isinstance(value, QUrl) and safe_url(value.toString()) is not None:
            self.open_url(value)
        elif kind == "action" and isinstance(value, int):
            self.retryRequested.emit(value)
        elif kind.startswith("media-") and isinstance(value, str):
            self.delegate.media.follow(kind, value, self.open_url)

    def _set_name_button(self, *, named: bool) -> None:
        """The button's words and its accessible name together, so a screen reader says what
        the user sees."""
        self.name_button.setText("Rename…" if named else "Name…")
        self.name_button.setAccessibleName("Rename contact" if named else "Name contact")

    def _rename(self) -> None:
        if self._conversation is not None:
            self.renameRequested.emit(self._conversation.peer_number)
