"""The conversation list: a paged model over the store, its row delegate, and the side panel."""

from __future__ import annotations

import bisect
import dataclasses
import time
from collections.abc import Iterable
from enum import IntEnum

from PySide6.QtCore import (
    QEvent,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QRect,
    QSize,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.models import Conversation, Direction, Message
from voipdesk.core.phone import display
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE
from voipdesk.ui.listmodel import PagedListModel, UniformListView
from voipdesk.ui.search import SearchResultDelegate, SearchResultsModel


class ConversationRole(IntEnum):
    """Data roles of ConversationListModel."""

    Conversation = _ROLE_BASE
    Id = _ROLE_BASE + 1
    PeerNumber = _ROLE_BASE + 2
    DisplayName = _ROLE_BASE + 3
    LastBody = _ROLE_BASE + 4
    Timestamp = _ROLE_BASE + 5
    Unread = _ROLE_BASE + 6
    Via = _ROLE_BASE + 7  # the own number, formatted, when the user texts from several; else None


def _sort_key(conversation: Conversation) -> tuple[float, int]:
    # The store's order (last_ts DESC, id DESC) as an ascending key, for bisect.
    return (-conversation.last_timestamp, -conversation.id)


def preview_text(conversation: Conversation) -> str:
    """The one-line preview of a conversation's last message."""
    body = " ".join(conversation.last_body.split()) or "Attachment"
    return f"You: {body}" if conversation.last_direction is Direction.OUT else body


class ConversationListModel(PagedListModel):
    """Conversations newest first, loaded from the store a page at a time."""

    PAGE = 200
    ROLES = ConversationRole
    severalOwnNumbersChanged = Signal()  # several_own_numbers flipped

    def __init__(self, store: Store, *, country: str = "GB", parent: QObject | None = None):
        super().__init__(parent)
        self._store = store
        self.country = country
        self._rows: list[Conversation] = []
        # Own numbers among the conversations: with more than one, rows say which they are on
        # (the same person texted from two numbers is two conversations).
        self._own_numbers: set[str] = set(store.own_numbers())
        self.fetchMore(QModelIndex())

    # -- Qt model interface ---------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> object:
        conversation = self.row_at(index)
        if conversation is None:
            return None
        if role == _DISPLAY or role == ConversationRole.DisplayName:
            return self.display_name(conversation)
        if role == ConversationRole.Conversation:
            return conversation
        if role == ConversationRole.Id:
            return conversation.id
        if role == ConversationRole.PeerNumber:
            return conversation.peer_number
        if role == ConversationRole.LastBody:
            return conversation.last_body
        if role == ConversationRole.Timestamp:
            return conversation.last_timestamp
        if role == ConversationRole.Unread:
            return conversation.unread_count
        if role == ConversationRole.Via:
            return self.via(conversation)
        if role == _ACCESSIBLE:
            unread = f", {conversation.unread_count} unread" if conversation.unread_count else ""
            when = theme.relative_time(conversation.last_timestamp)
            via = self.via(conversation)
            on = f", via {via}" if via else ""
            return (
                f"{self.display_name(conversation)}{unread}{on}, {when}: "
                f"{preview_text(conversation)}"
            )
        return None

    def _next_page(self) -> list[Conversation]:
        page = self._store.conversations(limit=self.PAGE, offset=len(self._rows))
        self._at_end = len(page) < self.PAGE
        known = {c.id for c in self._rows}  # rows that moved up since the offset was counted
        return [c for c in page if c.id not in known]

    # -- lookups ----------------------------------------------------------------------------------
    def display_name(self, conversation: Conversation) -> str:
        """The contact's name, else the number formatted for people."""
        return conversation.display_name or display(conversation.peer_number, self.country)

    @property
    def several_own_numbers(self) -> bool:
        return len(self._own_numbers) > 1

    def via(self, conversation: Conversation) -> str | None:
        """The own number a conversation is on, formatted, when the user has several; else None."""
        if not self.several_own_numbers:
            return None
        return display(conversation.own_number, self.country)

    def _update_own_numbers(self) -> None:
        before = self.several_own_numbers
        self._own_numbers = set(self._store.own_numbers())
        if before != self.several_own_numbers:
            if self._rows:
                self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))
            self.severalOwnNumbersChanged.emit()

    def row_of(self, conversation_id: int) -> int:
        """The row of a loaded conversation, or -1."""
        for row, conversation in enumerate(self._rows):
            if conversation.id == conversation_id:
                return row
        return -1

    def index_for(self, conversation_id: int) -> QModelIndex:
        """The index of a loaded conversation (invalid when it is not loaded)."""
        row = self.row_of(conversation_id)
        return self.index(row, 0) if row >= 0 else QModelIndex()

    def conversation(self, row: int) -> Conversation | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    # -- keeping up with the store ----------------------------------------------------------------
    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed: update their conversations in place and move them to
        where they now sort (the top, for a new message). Selection and scrolling survive."""
        seen: list[int] = []
        for message in messages:
            if message.conversation_id not in seen:
                seen.append(message.conversation_id)
        self.update_conversations(seen)

    def update_conversations(self, conversation_ids: Iterable[int]) -> None:
        """Re-read these conversations from the store and put each where it now belongs."""
        recount = False
        for conversation_id in conversation_ids:
            recount = self._sync(conversation_id) or recount
        if recount:
            self._update_own_numbers()

    def _sync(self, conversation_id: int) -> bool:
        """Returns whether the set of own numbers in use may have changed."""
        fresh = self._store.conversation(conversation_id)
        row = self.row_of(conversation_id)
        if fresh is None or fresh.last_message_id is None:
            if row >= 0:
                self._remove(row)
            return self.several_own_numbers  # the last conversation on a number may have gone
        recount = fresh.own_number not in self._own_numbers
        others = self._rows[:row] + self._rows[row + 1 :] if row >= 0 else self._rows
        target = bisect.bisect_left(others, _sort_key(fresh), key=_sort_key)
        if target >= len(others) and not self._at_end:
            # It now sorts below what is loaded; the next page brings it (and keeps paging exact).
            if row >= 0:
                self._remove(row)
            return recount
        if row < 0:
            self.beginInsertRows(QModelIndex(), target, target)
            self._rows.insert(target, fresh)
            self.endInsertRows()
            return recount
        self._rows[row] = fresh
        if target != row:
            destination = target if target < row else target + 1
            self.beginMoveRows(QModelIndex(), row, row, QModelIndex(), destination)
            self._rows.insert(target, self._rows.pop(row))
            self.endMoveRows()
        index = self.index(target, 0)
        self.dataChanged.emit(index, index)
        return recount

    def _remove(self, row: int) -> None:
        self.beginRemoveRows(QModelIndex(), row, row)
        del self._rows[row]
        self.endRemoveRows()

    def refresh(self) -> None:
        """Re-read every loaded conversation (unread counts, last messages, order) without a
        reset, so the selection survives."""
        wanted = max(len(self._rows) + (self.PAGE if self._at_end else 0), self.PAGE)
        fresh = self._store.conversations(limit=wanted, offset=0)
        self._at_end = len(fresh) < wanted
        self._reconcile(fresh)
        self._update_own_numbers()

    def set_contacts_changed(self) -> None:
        """Contact names changed: show the new ones."""
        names = self._store.contacts()
        changed = False
        for row, conversation in enumerate(self._rows):
            name = names.get(conversation.peer_number)
            if name != conversation.display_name:
                self._rows[row] = dataclasses.replace(conversation, display_name=name)
                changed = True
        if changed:
            self.dataChanged.emit(self.index(0, 0), self.index(len(self._rows) - 1, 0))

    def _reconcile(self, fresh: list[Conversation]) -> None:
        by_id = {c.id: c for c in fresh}
        for row in reversed(range(len(self._rows))):
            if self._rows[row].id not in by_id:
                self._remove(row)
        known = {c.id for c in self._rows}
        missing = [c for c in fresh if c.id not in known]
        if missing:
            first = len(self._rows)
            self.beginInsertRows(QModelIndex(), first, first + len(missing) - 1)
            self._rows.extend(missing)
            self.endInsertRows()
        old = self._rows
        previous = {c.id: c for c in old}
        order = [c.id for c in fresh]
        if [c.id for c in old] != order:
            self.layoutAboutToBeChanged.emit()
            new_row = {cid: row for row, cid in enumerate(order)}
            before = self.persistentIndexList()
            after = [
                self.index(new_row[old[p.row()].id], 0) if p.isValid() else QModelIndex()
                for p in before
            ]
            self._rows = list(fresh)
            self.changePersistentIndexList(before, after)
            self.layoutChanged.emit()
        else:
            self._rows = list(fresh)
        changed = [row for row, c in enumerate(self._rows) if previous.get(c.id) != c]
        if changed:
            self.dataChanged.emit(self.index(min(changed), 0), self.index(max(changed), 0))


class ConversationDelegate(QStyledItemDelegate):
    """Paints a conversation row: avatar, name, last message, time, unread pill."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, theme.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        conversation = index.data(ConversationRole.Conversation)
        if conversation is None:
            return
        name = index.data(ConversationRole.DisplayName) or ""
        palette: QPalette = option.palette
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        theme.paint_row_background(painter, option)

        margin = 12
        size = theme.AVATAR_SIZE
        avatar = QRect(rect.left() + margin, rect.top() + (rect.height() - size) // 2, size, size)
        theme.paint_avatar(painter, avatar, conversation.peer_number, conversation.display_name)

        unread = conversation.unread_count
        left = avatar.right() + 1 + margin
        right = rect.right() - margin
        name_font = QFont(option.font)
        name_font.setBold(unread > 0)
        body_font = QFont(option.font)
        small = theme.small_font(option.font)
        name_fm, body_fm, small_fm = (
            QFontMetrics(name_font),
            QFontMetrics(body_font),
            QFontMetrics(small),
        )
        gap = 4
        top = rect.top() + (rect.height() - name_fm.height() - gap - body_fm.height()) // 2
        text_color = palette.color(QPalette.ColorRole.Text)
        muted = theme.muted_text(palette)

        when = theme.relative_time(conversation.last_timestamp, time.time())
        when_width = small_fm.horizontalAdvance(when)
        line1 = QRect(left, top, right - left, name_fm.height())
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(name_font)
        painter.setPen(text_color)
        name_rect = line1.adjusted(0, 0, -(when_width + 8), 0)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name_fm.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )

        line2 = QRect(left, top + name_fm.height() + gap, right - left, body_fm.height())
        if unread:
            badge = "99+" if unread > 99 else str(unread)
            pill_h = small_fm.height() + 2
            pill_w = max(pill_h, small_fm.horizontalAdvance(badge) + 12)
            pill = QRect(
                line2.right() - pill_w + 1, line2.center().y() - pill_h // 2, pill_w, pill_h
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.ACCENT)
            painter.drawRoundedRect(pill, pill_h / 2, pill_h / 2)
            bold_small = QFont(small)
            bold_small.setBold(True)
            painter.setFont(bold_small)
            painter.setPen(theme.accent_text())
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            line2.setRight(pill.left() - 8)
        via = index.data(ConversationRole.Via)
        if via:
            # Which of the user's numbers this conversation is on, small and muted at the end of
            # the preview line (the preview gives way first; the number is never cut).
            via_text = f"via {via}"
            via_width = small_fm.horizontalAdvance(via_text)
            if via_width < line2.width() // 2 + 40:
                painter.setFont(small)
                painter.setPen(muted)
                painter.drawText(
                    line2, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, via_text
                )
                line2.setRight(line2.right() - via_width - 8)
        painter.setFont(body_font)
        painter.setPen(text_color if unread else muted)
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            body_fm.elidedText(
                preview_text(conversation), Qt.TextElideMode.ElideRight, line2.width()
            ),
        )
        painter.restore()


def _plain_label(text: str, *, muted: bool = False) -> QLabel:
    label = plain_label(text, wrap=True)
    label.setAlignment(Qt.AlignmentFlag.AlignCenter)
    if muted:
        label.setForegroundRole(QPalette.ColorRole.PlaceholderText)
    return label


def _list_background(page: QWidget) -> None:
    """Paint a page standing in for a list in the list's colour (Base), not the window's."""
    page.setBackgroundRole(QPalette.ColorRole.Base)
    page.setAutoFillBackground(True)


class ConversationList(QWidget):
    """The left pane: search box, New message, the conversations (or search results)."""

    conversationActivated = Signal(int)  # conversation id
    searchResultActivated = Signal(int, int)  # conversation id, message id
    newMessageRequested = Signal()

    def __init__(
        self,
        model: ConversationListModel,
        store: Store,
        *,
        country: str | None = None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.model = model
        self.search_model = SearchResultsModel(store, country=country or model.country, parent=self)
        self._selecting = False

        self.search_box = QLineEdit()
        self.search_box.setObjectName("searchBox")  # the rounded field of style.qss
        self.search_box.setPlaceholderText("Search messages")
        self.search_box.setAccessibleName("Search messages")
        self.search_box.setClearButtonEnabled(True)
        self.search_box.installEventFilter(self)
        self.new_button = QPushButton("New message")
        self.new_button.setAccessibleName("New message")
        self.new_button.setToolTip("Start a conversation with a new number")
        self.new_button.clicked.connect(self.newMessageRequested)
        top = QHBoxLayout()
        top.setContentsMargins(8, 8, 8, 8)
        top.setSpacing(8)
        top.addWidget(self.search_box, 1)
        top.addWidget(self.new_button)

        self.view = UniformListView()
        self.view.setAccessibleName("Conversations")
        self.view.setModel(model)
        self.view.setItemDelegate(ConversationDelegate(self.view))
        self.view.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.view.setMouseTracking(True)
        self.view.setFrameShape(QListView.Shape.NoFrame)
        # A click opens the conversation and puts the cursor in its compose box, so the list
        # takes focus from the keyboard only (Tab): focus passing through it on each click
        # repainted every visible row twice (an item view repaints all on focus in and out).
        self.view.setFocusPolicy(Qt.FocusPolicy.TabFocus)
        self.view.clicked.connect(self._activate)
        self.view.activated.connect(self._activate)
        self.view.selectionModel().currentChanged.connect(self._current_changed)

        self.results_view = UniformListView()
        self.results_view.setAccessibleName("Search results")
        self.results_view.setModel(self.search_model)
        self.results_view.setItemDelegate(SearchResultDelegate(self.results_view))
        self.results_view.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.results_view.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.results_view.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.results_view.setMouseTracking(True)
        self.results_view.setFrameShape(QListView.Shape.NoFrame)
        self.results_view.clicked.connect(self._activate_result)
        self.results_view.activated.connect(self._activate_result)
        self.no_results = _plain_label("No messages match.", muted=True)
        results_page = QWidget()
        _list_background(results_page)  # "No messages match." on the list's white, not grey
        results_layout = QVBoxLayout(results_page)
        results_layout.setContentsMargins(0, 0, 0, 0)
        results_layout.addWidget(self.no_results)
        results_layout.addWidget(self.results_view, 1)

        self.empty = QWidget()
        _list_background(self.empty)  # the same background as the list it stands in for
        empty_layout = QVBoxLayout(self.empty)
        empty_layout.addStretch(1)
        empty_layout.addWidget(_plain_label("No conversations yet."))
        self.empty_button = QPushButton("New message")
        self.empty_button.setObjectName("primary")  # the one next step on this page
        self.empty_button.setAccessibleName("Start a new conversation")
        self.empty_button.clicked.connect(self.newMessageRequested)
        empty_layout.addWidget(self.empty_button, 0, Qt.AlignmentFlag.AlignHCenter)
        empty_layout.addStretch(2)

        self.pages = QStackedWidget()
        self.pages.addWidget(self.view)
        self.pages.addWidget(results_page)
        self.pages.addWidget(self.empty)
        self._results_page = results_page

        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(0)
        layout.addLayout(top)
        layout.addWidget(self.pages, 1)

        self._debounce = QTimer(self)
        self._debounce.setSingleShot(True)
        self._debounce.setInterval(theme.SEARCH_DEBOUNCE_MS)
        self._debounce.timeout.connect(self._run_search)
        self.search_box.textChanged.connect(self._search_text_changed)
        for signal in (model.rowsInserted, model.rowsRemoved, model.modelReset):
            signal.connect(self._update_page)
        model.rowsAboutToBeRemoved.connect(self._quiet)
        model.modelAboutToBeReset.connect(self._quiet)
        model.rowsRemoved.connect(self._loud)
        model.modelReset.connect(self._loud)
        for signal in (self.search_model.rowsInserted, self.search_model.rowsRemoved):
            signal.connect(self._update_results)
        self._update_page()

    # -- public ---------------------------------------------------------------------------------
    def focus_search(self) -> None:
        """Put the cursor in the search box (Ctrl+F)."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def select(self, conversation_id: int) -> None:
        """Highlight a conversation without emitting conversationActivated."""
        index = self.model.index_for(conversation_id)
        while not index.isValid() and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
            index = self.model.index_for(conversation_id)
        if not index.isValid():
            return
        self._selecting = True
        try:
            self.view.setCurrentIndex(index)
            self.view.scrollTo(index)
        finally:
            self._selecting = False

    def selected_conversation_id(self) -> int | None:
        index = self.view.currentIndex()
        return index.data(ConversationRole.Id) if index.isValid() else None

    def apply(self, messages: list[Message]) -> None:
        self.model.apply(messages)

    def set_contacts_changed(self) -> None:
        self.model.set_contacts_changed()
        self.search_model.contacts_changed()

    def is_searching(self) -> bool:
        return self.pages.currentWidget() is self._results_page

    # -- behaviour ------------------------------------------------------------------------------
    def _activate(self, index: QModelIndex) -> None:
        conversation_id = index.data(ConversationRole.Id)
        if conversation_id is not None:
            self.conversationActivated.emit(conversation_id)

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # Mouse presses are reported by clicked(); select() and rows going away (the current
        # one removed) emit nothing; this is for moving through the list with the keyboard.
        if self._selecting or QApplication.mouseButtons() != Qt.MouseButton.NoButton:
            return
        if current.isValid():
            self._activate(current)

    def _quiet(self, *_args: object) -> None:
        self._selecting = True

    def _loud(self, *_args: object) -> None:
        self._selecting = False

    def _activate_result(self, index: QModelIndex) -> None:
        message = self.search_model.message(index.row())
        if message is not None:
            self.searchResultActivated.emit(message.conversation_id, message.id)

    def _search_text_changed(self, text: str) -> None:
        if text.strip():
            self._debounce.start()
        else:
            self._debounce.stop()
            self.search_model.set_query("")
            self._update_page()

    def _run_search(self) -> None:
        self.search_model.set_query(self.search_box.text())
        self._update_page()

    def _update_page(self, *_args: object) -> None:
        if self.search_box.text().strip():
            self.pages.setCurrentWidget(self._results_page)
            self._update_results()
        elif self.model.rowCount() == 0:
            self.pages.setCurrentWidget(self.empty)
        else:
            self.pages.setCurrentWidget(self.view)

    def _update_results(self, *_args: object) -> None:
        empty = self.search_model.rowCount() == 0
        self.no_results.setVisible(empty)
        self.results_view.setVisible(not empty)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if watched is self.search_box and event.type() == QEvent.Type.KeyPress:
            key = event.key()
            if key == Qt.Key.Key_Escape:
                self.search_box.clear()
                self.view.setFocus(Qt.FocusReason.OtherFocusReason)
                return True
            if key in (Qt.Key.Key_Down, Qt.Key.Key_Return, Qt.Key.Key_Enter):
                self._debounce.stop()
                if self.search_box.text().strip():
                    self._run_search()
                    target = self.results_view
                else:
                    target = self.view
                if target.model().rowCount() and key == Qt.Key.Key_Down:
                    target.setFocus(Qt.FocusReason.OtherFocusReason)
                    if not target.currentIndex().isValid():
                        target.setCurrentIndex(target.model().index(0, 0))
                return key == Qt.Key.Key_Down
        return super().eventFilter(watched, event)
