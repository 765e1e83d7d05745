"""ThreadModel: maps the rows of a MessageWindow to the roles the delegate reads."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Signal,
)

from voipdesk.core.models import Direction, Message
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE
from voipdesk.ui.reading import AT_ONCE, Reader
from voipdesk.ui.thread.text import meta_text
from voipdesk.ui.thread.window import MessageWindow, WindowEvents


class MessageRole(IntEnum):
    """Data roles of ThreadModel."""

    Message = _ROLE_BASE
    Id = _ROLE_BASE + 1
    Body = _ROLE_BASE + 2
    Direction = _ROLE_BASE + 3
    Status = _ROLE_BASE + 4
    Timestamp = _ROLE_BASE + 5
    ErrorText = _ROLE_BASE + 6
    Attachments = _ROLE_BASE + 7
    ShowDaySeparator = _ROLE_BASE + 8  # first message of its day
    ShowMeta = _ROLE_BASE + 9  # time/status go under this bubble
    RunStart = _ROLE_BASE + 10  # first of a run from the same side
    Render = _ROLE_BASE + 11  # a RenderInfo: everything the delegate needs, in one call


@dataclass(frozen=True, slots=True)
class RenderInfo:
    """One row as the delegate draws it."""

    message: Message
    day_text: str | None  # the day separator above this bubble, if any
    run_start: bool
    show_meta: bool
    is_last: bool
    meta: tuple[str, tuple[int, int] | None] | None  # meta_text() when show_meta
    unread_divider: bool = False  # "Unread messages" above this bubble (the first unread)

    @property
    def key(self) -> tuple:
        """Everything that decides the row's size."""
        m = self.message
        return (
            m.id,
            m.body,
            m.attachments,
            m.direction,
            self.day_text,
            self.run_start,
            self.meta,
            self.is_last,
            self.unread_divider,
        )


# -- the model ---------------------------------------------------------------------------------
class ThreadModel(QAbstractListModel, WindowEvents):
    """One conversation's messages, oldest first, as a Qt model: the rows of a MessageWindow
    (which pages are loaded, their run and day flags) mapped to roles. The window's changes
    arrive here as WindowEvents and leave as Qt's insert/remove/reset/dataChanged signals."""

    pageArrived = Signal()  # a page asked for (fetchMore, fetch_newer, ...) is in

    def __init__(
        self,
        store: Store,
        conversation_id: int,
        *,
        page: int = 60,
        window_pages: int = 10,
        first: list[Message] | None = None,
        reader: Reader = AT_ONCE,
        parent: QObject | None = None,
    ) -> None:
        """`first`: the newest page, already read (else it is asked for through `reader`)."""
        super().__init__(parent)
        # RenderInfo per message id; a row's entry is dropped whenever it or a neighbour changes
        # (the window says so through changed()), and all of them at midnight ("Today").
        self._renders: dict[int, RenderInfo] = {}
        self._renders_until = 0.0
        self.unread_from: int | None = None  # the first unread message (the divider's place)
        self._window = MessageWindow(
            store,
            conversation_id,
            page=page,
            window_pages=window_pages,
            run_break=theme.RUN_BREAK_SECONDS,
            events=self,
            first=first,
            reader=reader,
        )

    @property
    def conversation_id(self) -> int:
        return self._window.conversation_id

    @property
    def window(self) -> MessageWindow:
        return self._window

    # -- lookups ------------------------------------------------------------------------------
    def row_for(self, message_id: int) -> int:
        """The row of a loaded message, or -1."""
        return self._window.row_for(message_id)

    def message(self, row: int) -> Message | None:
        return self._window.message(row)

    def message_by_id(self, message_id: int) -> Message | None:
        return self._window.message_by_id(message_id)

    def has_older(self) -> bool:
        return self._window.has_older()

    def has_newer(self) -> bool:
        """Whether the thread goes on below the last loaded row (the window is not at the end)."""
        return self._window.has_newer()

    def set_unread_from(self, message_id: int | None) -> None:
        """Put the "Unread messages" divider above this message (None: no divider)."""
        old, self.unread_from = self.unread_from, message_id
        for changed in {old, message_id} - {None}:
            self._renders.pop(changed, None)
            row = self._window.row_for(changed)
            if row >= 0:
                self.changed(row)

    # -- Qt model interface ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._window)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(role): QByteArray(role.name.encode()) for role in MessageRole})
        return names

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> object:
        row = index.row()
        message = self._window.message(row)
        if not index.isValid() or index.column() != 0 or message is None:
            return None
        if role == MessageRole.Render:
            return self._render(row, message)
        if role == _DISPLAY or role == MessageRole.Body:
            return message.body
        if role == MessageRole.Message:
            return message
        if role == MessageRole.Id:
            return message.id
        if role == MessageRole.Direction:
            return message.direction.value
        if role == MessageRole.Status:
            return message.status.value
        if role == MessageRole.Timestamp:
            return message.timestamp
        if role == MessageRole.ErrorText:
            return message.error_text
        if role == MessageRole.Attachments:
            return list(message.attachments)
        if role == MessageRole.ShowDaySeparator:
            return self._window.day_start(row)
        if role == MessageRole.RunStart:
            return self._window.run_start(row)
        if role == MessageRole.ShowMeta:
            return self._render(row, message).show_meta
        if role == _ACCESSIBLE:
            who = "You" if message.direction is Direction.OUT else "They"
            text, _action = meta_text(message)
            text = text.replace("\u2028", ". ")  # (the advice's own line)
            body = message.body
            if not body:  # an MMS without text
                from voipdesk.core.media import preview_word

                body = preview_word(message.attachments)
            said = f"{who}: {body}. {text}"
            return f"Unread messages. {said}" if message.id == self.unread_from else said
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._window.can_fetch_older()

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        """Ask for the next older page; it goes above what is loaded when it arrives (dropping
        the newest rows when the window is full) and pageArrived tells it."""
        if not parent.isValid():
            self._window.fetch_older()

    # -- the window's operations ------------------------------------------------------------------
    def fetch_newer(self) -> None:
        """Load the next newer page below what is loaded (dropping the oldest rows when the
        window is full); the way back down after the window moved up."""
        self._window.fetch_newer()

    def show_newest(self) -> None:
        """Go back to the newest page (the user sent a message while reading old history)."""
        self._window.show_newest()

    def drop_older(self, keep: int) -> None:
        """Keep only the newest `keep` rows (the older ones page back in when scrolled to)."""
        self._window.drop_older(keep)

    def remove(self, message_id: int) -> None:
        """Take a message out (it was discarded)."""
        self._window.remove(message_id)

    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed: the window takes them as given (see
        MessageWindow.apply); other threads are ignored."""
        self._window.apply(messages)

    def ensure_loaded(self, message_id: int, done: Callable[[bool], None] | None = None) -> bool:
        """Make message_id one of the rows (see MessageWindow.ensure_loaded): done(found) when
        it is; returns whether it is one of the rows on return."""
        return self._window.ensure_loaded(message_id, done)

    def close(self) -> None:
        """Let go of the thread: a page still on its way is dropped when it comes."""
        self._window.close()

    # -- the row as the delegate draws it ---------------------------------------------------------
    def _render(self, row: int, message: Message) -> RenderInfo:
        now = time.time()
        if now >= self._renders_until:
            self._renders.clear()
            tomorrow = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time())
            self._renders_until = tomorrow.timestamp()
        cached = self._renders.get(message.id)
        if cached is not None:
            return cached
        window = self._window
        show_meta = window.show_meta(row)
        info = self._renders[message.id] = RenderInfo(
            message=message,
            day_text=theme.day_label(message.timestamp) if window.day_start(row) else None,
            run_start=window.run_start(row),
            show_meta=show_meta,
            is_last=window.is_last(row),
            meta=meta_text(message) if show_meta else None,
            unread_divider=message.id == self.unread_from,
        )
        return info

    # -- WindowEvents: the window's changes as Qt's signals ----------------------------------------
    def about_to_insert(self, first: int, last: int) -> None:
        self.beginInsertRows(QModelIndex(), first, last)

    def inserted(self) -> None:
        self.endInsertRows()

    def about_to_remove(self, first: int, last: int) -> None:
        self.beginRemoveRows(QModelIndex(), first, last)
        for row in range(first, last + 1):
            message = self._window.message(row)
            if message is not None:
                self._renders.pop(message.id, None)

    def removed(self) -> None:
        self.endRemoveRows()

    def about_to_reset(self) -> None:
        self.beginResetModel()

    def was_reset(self) -> None:
        self._renders.clear()
        self.endResetModel()

    def arrived(self) -> None:
        self.pageArrived.emit()

    def changed(self, row: int) -> None:
        message = self._window.message(row)
        if message is not None:
            self._renders.pop(message.id, None)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def changed_rows(self, rows: list[int]) -> None:
        """These rows changed (e.g. their pictures arrived): one dataChanged over their span,
        so the view lays its rows out again once, not once per row."""
        for row in rows:
            message = self._window.message(row)
            if message is not None:
                self._renders.pop(message.id, None)
        self.dataChanged.emit(self.index(min(rows), 0), self.index(max(rows), 0))
