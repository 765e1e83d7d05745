"""The list of bubbles: scroll anchoring, paging at the edges, keys and clicks."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import (
    QAbstractProxyModel,
    QEvent,
    QIdentityProxyModel,
    QItemSelectionModel,
    QModelIndex,
    QPersistentModelIndex,
    QPoint,
    Qt,
    QTimer,
)
from PySide6.QtGui import (
    QContextMenuEvent,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QResizeEvent,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QListView,
)

from voipdesk.ui import theme
from voipdesk.ui.thread.delegate import BubbleDelegate
from voipdesk.ui.thread.model import MessageRole

if TYPE_CHECKING:
    from voipdesk.ui.thread.selection import SelectionMouse
    from voipdesk.ui.thread.view import ThreadView


class _ViewProxy(QIdentityProxyModel):
    """The thread as the view sees it. QAbstractItemView fetches more whenever the LAST row is
    visible, which in a chat is always, and would pull in the whole history; older pages are
    loaded by ThreadView when the user reaches the top instead."""

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return False


class _MessageList(QListView):
    """The list of bubbles. Every layout keeps the user's place: at the bottom it stays at the
    bottom; elsewhere the message at the top of the viewport stays where it was (so loading
    older pages above, resizing or a status change never moves what is being read)."""

    def __init__(self, owner: ThreadView) -> None:
        super().__init__(owner)
        self._owner = owner
        self._anchor: tuple[bool, int | None, int] = (True, None, 0)
        self._in_layout = False
        self._pressed: tuple[str, object] | None = None
        self._selecting: SelectionMouse | None = None  # part of a message's text (selecting)
        self._load_soon = QTimer(self)  # (before anything below can trigger a layout)
        self._load_soon.setSingleShot(True)
        self._load_soon.setInterval(0)
        self._load_soon.timeout.connect(self._load_near_edges)
        # Rows out of view whose height changed (a picture arrived or failed): laid out with the
        # next layout (a page arriving), or after this pause, once for all of them.
        self._relayout_soon = QTimer(self)
        self._relayout_soon.setSingleShot(True)
        self._relayout_soon.setInterval(250)
        self._relayout_soon.timeout.connect(self.scheduleDelayedItemsLayout)
        self.setVerticalScrollMode(QAbstractItemView.ScrollMode.ScrollPerPixel)
        self.setUniformItemSizes(False)
        # Batched layout clamps the scroll position to the first batch's height on every
        # relayout (measured: bottom of a 500-row list jumps to row ~100 after one insert).
        # The model holds only loaded pages, so one pass over them is cheap and exact.
        self.setLayoutMode(QListView.LayoutMode.SinglePass)
        self.setBatchSize(100)
        self.setWordWrap(True)  # makes QListView re-lay out when the width changes
        self.setSelectionMode(QAbstractItemView.SelectionMode.ExtendedSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setMouseTracking(True)
        self.setAccessibleName("Messages")
        self.setBackgroundRole(QPalette.ColorRole.Base)
        self.setAutoFillBackground(True)
        self.verticalScrollBar().valueChanged.connect(self._scrolled)

    def _load_near_edges(self) -> None:
        margin = self.verticalScrollBar().pageStep()
        self._owner.load_older(margin)
        self._owner.load_newer(margin)

    def at_bottom(self) -> bool:
        bar = self.verticalScrollBar()
        return bar.value() >= bar.maximum() - 4

    def stick_to_bottom(self) -> None:
        self._anchor = (True, None, 0)

    def start_at(self, message_id: int) -> None:
        """Show this message's row at the top (the first unread, when a conversation opens),
        unless the rows from it to the newest fit: then the bottom stays in view."""
        self._anchor = (False, message_id, 0)
        if self.isVisible():
            self.doItemsLayout()

    def record_anchor(self) -> None:
        """Remember which message is at the top of the viewport, and where."""
        model = self._owner.model
        if self.at_bottom() and (model is None or not model.has_newer()):
            self._anchor = (True, None, 0)  # at the live end: stay there
            return
        index = self.indexAt(QPoint(self.viewport().width() // 2, 0))
        if not index.isValid():
            index = self.indexAt(QPoint(self.viewport().width() // 2, theme.TURN_GAP))
        if index.isValid():
            self._anchor = (False, index.data(MessageRole.Id), self.visualRect(index).top())

    def _restore(self, anchor: tuple[bool, int | None, int]) -> None:
        at_bottom, message_id, offset = anchor
        if at_bottom:
            self.scrollToBottom()
            return
        row = self._owner.row_for(message_id) if message_id is not None else -1
        if row < 0:
            return
        rect = self.visualRect(self.model().index(row, 0))
        bar = self.verticalScrollBar()
        bar.setValue(bar.value() + rect.top() - offset)

    def visible_rows(self) -> range:
        """The rows in the viewport (as last laid out; all of them when that is unclear)."""
        viewport = self.viewport()
        x = viewport.width() // 2
        top = self.indexAt(QPoint(x, 0))
        bottom = self.indexAt(QPoint(x, viewport.height() - 1))
        model = self.model()
        count = model.rowCount() if model is not None else 0
        return range(
            top.row() if top.isValid() else 0, (bottom.row() if bottom.isValid() else count - 1) + 1
        )

    def relayout_soon(self) -> None:
        """Rows out of view changed height: lay out again with the next layout, or soon."""
        self._relayout_soon.start()

    def doItemsLayout(self) -> None:
        self._relayout_soon.stop()
        anchor = self._anchor
        self._in_layout = True
        delegate = self.itemDelegate()
        if isinstance(delegate, BubbleDelegate):
            delegate.layout_width = delegate.available_width()
            delegate.laid_out.clear()
        try:
            super().doItemsLayout()
            self._align_bottom()
            self._restore(anchor)
        finally:
            self._in_layout = False
            if isinstance(delegate, BubbleDelegate):
                delegate.layout_width = None
        self.record_anchor()
        # Like a scroll, a layout that leaves the viewport within a screen of either end of
        # what is loaded loads the next page there: the first one at start-up, when the
        # conversation was opened before the window showed, fills a screen one page does not.
        self._load_soon.start()

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:
        # Qt's list mode relays out every loaded row on any change (QListModeViewBase::
        # dataChanged). A status change ("Sending…" to "Sent", "Delivered") mostly leaves its
        # row as tall as it was: then only that row is repainted, without the relayout. (The
        # height it was laid out at is the delegate's record, not visualRect(): that would run
        # a pending layout now, in the middle of a send, rather than on the next turn.)
        delegate = self.itemDelegate()
        model = self.model()
        same = (
            isinstance(delegate, BubbleDelegate)
            and model is not None
            and top_left.isValid()
            and bottom_right.row() - top_left.row() < 8
            and all(
                delegate.laid_out.get(index.data(MessageRole.Id)) == delegate.height(index)
                for index in (
                    model.index(row, 0) for row in range(top_left.row(), bottom_right.row() + 1)
                )
            )
        )
        if same:
            QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))
        else:
            super().dataChanged(top_left, bottom_right, list(roles))

    def _align_bottom(self) -> None:
        # A short thread sits at the bottom, next to the compose box, as in messaging apps.
        available = self.height() - 2 * self.frameWidth()
        top = max(0, available - self.contentsSize().height())
        if top != self.viewportMargins().top():
            self.setViewportMargins(0, top, 0, 0)

    def _scrolled(self, value: int) -> None:
        if self._in_layout:
            return
        self.record_anchor()
        # Within a screen of either end of what is loaded, load the next page there before
        # the user reaches it (on the next turn of the event loop: not inside a scroll).
        bar = self.verticalScrollBar()
        near = bar.pageStep()
        if value <= bar.minimum() + near or value >= bar.maximum() - near:
            self._load_soon.start()

    # -- input -----------------------------------------------------------------------------------
    def _link_at(self, pos: QPoint) -> tuple[str, object] | None:
        index = self.indexAt(pos)
        if not index.isValid():
            return None
        delegate = self.itemDelegate()
        assert isinstance(delegate, BubbleDelegate)
        return delegate.hit_test(index, pos, self.visualRect(index))

    def setModel(self, model) -> None:
        super().setModel(model)
        if isinstance(model, QAbstractProxyModel):  # another conversation: nothing selected
            model.sourceModelChanged.connect(self._clear_selected_text)

    @property
    def selecting(self) -> SelectionMouse:
        """The mouse and keys selecting a message's text (ui/thread/selection.py), made at the
        first press, move or key: the first paint does not wait for its import."""
        if self._selecting is None:
            from voipdesk.ui.thread.selection import SelectionMouse

            self._selecting = SelectionMouse(self, self._owner.row_for)
        return self._selecting

    def _clear_selected_text(self, *_args) -> None:
        if self._selecting is not None:
            self._selecting.clear()

    def mousePressEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        left = event.button() == Qt.MouseButton.LeftButton
        self.selecting.press(event)
        if self.selecting.extending(event):  # Shift+click in the bubble whose text is selected
            event.accept()
            return
        self._pressed = self._link_at(pos) if left else None
        if left and self._pressed is None and not self._on_bubble(pos):
            # Beside the bubbles (a day separator, the empty side of a row, below the last
            # message): nothing is picked, and what was selected is let go.
            self.clearSelection()
            event.accept()
            return
        # A press never scrolls the list (Qt would bring a partly shown bubble into view half a
        # second later, moving the text under a pointer that may be starting to select it).
        self.setAutoScroll(False)
        super().mousePressEvent(event)
        self.setAutoScroll(True)

    def _on_bubble(self, pos: QPoint) -> bool:
        index = self.indexAt(pos)
        if not index.isValid():
            return False
        delegate = self.itemDelegate()
        assert isinstance(delegate, BubbleDelegate)
        return delegate.on_bubble(index, pos, self.visualRect(index))

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pressed, self._pressed = self._pressed, None
        dragged = self.selecting.release()  # a drag that started on a link selects instead
        super().mouseReleaseEvent(event)
        if (
            pressed is not None
            and not dragged
            and event.button() == Qt.MouseButton.LeftButton
            and self._link_at(event.position().toPoint()) == pressed
        ):
            self._owner.follow(pressed)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        pos = event.position().toPoint()
        if self.selecting.move(event):
            self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
            event.accept()
            return
        if self._link_at(pos) is not None:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        elif self.selecting.text_under(pos) is not None:
            self.viewport().setCursor(Qt.CursorShape.IBeamCursor)
        else:
            self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def mouseDoubleClickEvent(self, event: QMouseEvent) -> None:
        if self.selecting.double_click(event):  # a word in a bubble's text
            event.accept()
            return
        super().mouseDoubleClickEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
        if self.selecting.key(event):  # Escape lets the selected text go
            event.accept()
            return
        if event.matches(QKeySequence.StandardKey.Copy):
            self._owner.copy_selection()
            event.accept()
            return
        super().keyPressEvent(event)

    def contextMenuEvent(self, event: QContextMenuEvent) -> None:
        index = self.indexAt(event.pos())
        if not index.isValid():
            return
        if not self.selectionModel().isSelected(index):
            self.selectionModel().setCurrentIndex(
                index, QItemSelectionModel.SelectionFlag.ClearAndSelect
            )
        menu = self._owner.context_menu_for(index.data(MessageRole.Id))
        if menu is not None:
            menu.popup(event.globalPos())

    def changeEvent(self, event: QEvent) -> None:
        if event.type() == QEvent.Type.FontChange:
            delegate = self.itemDelegate()
            if isinstance(delegate, BubbleDelegate):
                delegate.clear_cache()
        super().changeEvent(event)

    _width = 0  # the viewport's, as its last resize said

    def resizeEvent(self, event: QResizeEvent) -> None:  # (the viewport's resize)
        self._width = event.size().width()
        super().resizeEvent(event)

    def paintEvent(self, event: QPaintEvent) -> None:
        # No row paints near the sides (bubbles keep THREAD_SIDE_MARGIN, a selected one's halo
        # 4 px of it). Qt asks for a 1 px sliver at the left edge whenever the search box beside
        # the thread repaints (twice a search): that is the background alone, filled before
        # this runs, not a paint of every row.
        # (The width from resizeEvent: the first call of viewport() costs PySide ~9 ms, which
        # the first paint would wait for.)
        edge, area = theme.THREAD_SIDE_MARGIN - 6, event.rect()
        if area.right() < edge or (self._width and area.left() >= self._width - edge):
            return
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self._owner.conversation_id:
            painter = QPainter(self.viewport())
            painter.setPen(theme.muted_text(self.palette()))
            painter.drawText(
                self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "No messages yet."
            )
            painter.end()
