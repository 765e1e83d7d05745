"""The left pane: search box, New message, the conversations, search results, empty state."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QItemSelectionModel, QModelIndex, QObject, Qt, QTimer, Signal
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QAbstractItemView,
    QApplication,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListView,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.models import Message
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.conversations.delegate import ConversationDelegate
from voipdesk.ui.conversations.model import ConversationListModel, ConversationRole
from voipdesk.ui.conversations.numbers import NumberFilter
from voipdesk.ui.labels import plain_label
from voipdesk.ui.listmodel import UniformListView
from voipdesk.ui.search import SearchResultDelegate, SearchResultsModel


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
        # With several own numbers: All numbers / one of them, and a tag on each row.
        self.number_filter = NumberFilter(model, self.view, store)

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
        layout.addWidget(self.number_filter)
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
        for signal in (self.search_model.rowsInserted, self.search_model.settled):
            signal.connect(self._update_results)
        self._select_when_loaded: int | None = None
        model.rowsInserted.connect(
            lambda: self._select_when_loaded is not None and self.select(self._select_when_loaded)
        )
        self._update_page()

    # -- public ---------------------------------------------------------------------------------
    def focus_search(self) -> None:
        """Put the cursor in the search box (Ctrl+F)."""
        self.search_box.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_box.selectAll()

    def select(self, conversation_id: int) -> None:
        """Highlight a conversation without emitting conversationActivated."""
        self._select_when_loaded = None
        index = self.model.index_for(conversation_id)
        while not index.isValid() and self.model.canFetchMore(QModelIndex()):
            self.model.fetchMore(QModelIndex())
            index = self.model.index_for(conversation_id)
        if not index.isValid() and self.model.fetching:
            self._select_when_loaded = conversation_id  # its page is on its way: lit when it is
        # (Not in the list: a conversation without messages yet. No other row stays lit.)
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
        # While a query's answer is on its way the list stays (empty) rather than saying "No
        # messages match." for the moment the worker reads: only an answer says there are none.
        empty = self.search_model.rowCount() == 0 and not self.search_model.fetching
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
                    if not target.selectionModel().hasSelection():
                        # (Focus made the first row current without selecting it: nothing
                        # showed where Down had gone.)
                        current = target.currentIndex()
                        target.selectionModel().setCurrentIndex(
                            current if current.isValid() else target.model().index(0, 0),
                            QItemSelectionModel.SelectionFlag.ClearAndSelect,
                        )
                return key == Qt.Key.Key_Down
        return super().eventFilter(watched, event)
