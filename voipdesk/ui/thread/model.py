"""ThreadModel: a window of pages of one conversation, with the roles the delegate reads."""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable
from dataclasses import dataclass
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
)

from voipdesk.core.models import Direction, Message
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE
from voipdesk.ui.thread.text import ATTENTION, meta_text


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
        )


def _day(ts: float) -> tuple[int, int]:
    local = time.localtime(ts)
    return local.tm_year, local.tm_yday


# -- the model ---------------------------------------------------------------------------------
class ThreadModel(QAbstractListModel):
    """One conversation's messages, oldest first: a window of at most `window_pages` pages of
    the thread. It opens on the newest page; pages the user scrolls to are added at one end and
    the far end is dropped, so a scroll through years of history costs neither memory nor
    layout time (a QListView lays out every row it has)."""

    def __init__(
        self,
        store: Store,
        conversation_id: int,
        *,
        page: int = 60,
        window_pages: int = 10,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self._cid = conversation_id
        self._page = page
        self._window = page * max(window_pages, 2)
        self._rows: list[Message] = store.messages(conversation_id, limit=page)
        self._has_older = len(self._rows) == page
        self._has_newer = False  # newer messages exist below the window (it was moved up)
        self._fetching = False
        # row = _pos[id] + _shift, so prepending k rows is `_shift += k`, not a renumbering.
        self._shift = 0
        self._pos: dict[int, int] = {m.id: row for row, m in enumerate(self._rows)}
        self._days: dict[int, tuple[int, int]] = {}
        # RenderInfo per message id; a row's entry is dropped whenever it or a neighbour changes
        # (every such change goes through _changed), and all of them at midnight ("Today").
        self._renders: dict[int, RenderInfo] = {}
        self._renders_until = 0.0

    @property
    def conversation_id(self) -> int:
        return self._cid

    # -- lookups ------------------------------------------------------------------------------
    def row_for(self, message_id: int) -> int:
        """The row of a loaded message, or -1."""
        pos = self._pos.get(message_id)
        return -1 if pos is None else pos + self._shift

    def message(self, row: int) -> Message | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def message_by_id(self, message_id: int) -> Message | None:
        return self.message(self.row_for(message_id))

    def has_older(self) -> bool:
        return self._has_older

    def has_newer(self) -> bool:
        """Whether the thread goes on below the last loaded row (the window is not at the end)."""
        return self._has_newer

    # -- Qt model interface ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(role): QByteArray(role.name.encode()) for role in MessageRole})
        return names

    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> object:
        row = index.row()
        if not index.isValid() or index.column() != 0 or not 0 <= row < len(self._rows):
            return None
        message = self._rows[row]
        if role == MessageRole.Render:
            return self._render(row)
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
            return row == 0 or self._day_of(self._rows[row - 1]) != self._day_of(message)
        if role == MessageRole.RunStart:
            return row == 0 or self._breaks(self._rows[row - 1], message)
        if role == MessageRole.ShowMeta:
            return self._render(row).show_meta
        if role == _ACCESSIBLE:
            who = "You" if message.direction is Direction.OUT else "They"
            text, _action = meta_text(message)
            return f"{who}: {message.body}. {text}"
        return None

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return not parent.isValid() and self._has_older and not self._fetching

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        """Load the next older page and put it above what is loaded (dropping the newest rows
        when the window is full)."""
        if parent.isValid() or self._fetching or not self._has_older:
            return
        self._fetching = True
        try:
            before = self._rows[0].id if self._rows else None
            older = self._store.messages(self._cid, before_id=before, limit=self._page)
            self._prepend(older, has_older=len(older) == self._page)
            self._trim(keep_newest=False)
        finally:
            self._fetching = False

    def fetch_newer(self) -> None:
        """Load the next newer page below what is loaded (dropping the oldest rows when the
        window is full); the way back down after the window moved up."""
        if self._fetching or not self._has_newer:
            return
        self._fetching = True
        try:
            after = self._rows[-1].id if self._rows else 0
            newer = self._store.messages_after(self._cid, after, limit=self._page)
            self._has_newer = len(newer) == self._page
            self._append(newer)
            self._trim(keep_newest=True)
        finally:
            self._fetching = False

    def show_newest(self) -> None:
        """Go back to the newest page (the user sent a message while reading old history)."""
        if self._has_newer:
            rows = self._store.messages(self._cid, limit=self._page)
            self._reload(rows, has_older=len(rows) == self._page, has_newer=False)

    # -- derived flags ----------------------------------------------------------------------------
    def _day_of(self, message: Message) -> tuple[int, int]:
        day = self._days.get(message.id)
        if day is None:
            day = self._days[message.id] = _day(message.timestamp)
        return day

    def _breaks(self, before: Message, after: Message) -> bool:
        """Whether `after` starts a new run of bubbles."""
        return (
            before.direction is not after.direction
            or self._day_of(before) != self._day_of(after)
            or abs(after.timestamp - before.timestamp) > theme.RUN_BREAK_SECONDS
        )

    def _render(self, row: int) -> RenderInfo:
        message = self._rows[row]
        now = time.time()
        if now >= self._renders_until:
            self._renders.clear()
            tomorrow = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time())
            self._renders_until = tomorrow.timestamp()
        cached = self._renders.get(message.id)
        if cached is not None:
            return cached
        before = self._rows[row - 1] if row > 0 else None
        after = self._rows[row + 1] if row + 1 < len(self._rows) else None
        new_day = before is None or self._day_of(before) != self._day_of(message)
        show_meta = after is None or self._breaks(message, after) or message.status in ATTENTION
        info = self._renders[message.id] = RenderInfo(
            message=message,
            day_text=theme.day_label(message.timestamp) if new_day else None,
            run_start=before is None or self._breaks(before, message),
            show_meta=show_meta,
            is_last=after is None,
            meta=meta_text(message) if show_meta else None,
        )
        return info

    # -- changing -----------------------------------------------------------------------------
    def _prepend(self, older: list[Message], *, has_older: bool) -> None:
        self._has_older = has_older
        if not older:
            return
        count = len(older)
        self.beginInsertRows(QModelIndex(), 0, count - 1)
        self._rows[0:0] = older
        self._shift += count
        for row, message in enumerate(older):
            self._pos[message.id] = row - self._shift
        self.endInsertRows()
        if len(self._rows) > count:  # the old first row may lose its day separator / run start
            self._changed(count)

    def _append(self, newer: list[Message]) -> None:
        newer = [m for m in newer if m.id not in self._pos]
        if not newer:
            return
        first = len(self._rows)
        self.beginInsertRows(QModelIndex(), first, first + len(newer) - 1)
        for message in newer:
            self._pos[message.id] = len(self._rows) - self._shift
            self._rows.append(message)
        self.endInsertRows()
        if first > 0:  # the old last row may no longer end a run
            self._changed(first - 1)

    def _changed(self, row: int) -> None:
        self._renders.pop(self._rows[row].id, None)
        index = self.index(row, 0)
        self.dataChanged.emit(index, index)

    def drop_older(self, keep: int) -> None:
        """Keep only the newest `keep` rows (the older ones page back in when scrolled to)."""
        self._trim(keep_newest=True, limit=keep)

    def _trim(self, *, keep_newest: bool, limit: int | None = None) -> None:
        """Drop rows at one end beyond the window (or beyond `limit` rows)."""
        excess = len(self._rows) - (self._window if limit is None else max(limit, 1))
        if excess <= 0:
            return
        first = 0 if keep_newest else len(self._rows) - excess
        self.beginRemoveRows(QModelIndex(), first, first + excess - 1)
        gone = self._rows[first : first + excess]
        del self._rows[first : first + excess]
        for message in gone:
            del self._pos[message.id]
            self._days.pop(message.id, None)
            self._renders.pop(message.id, None)
        if keep_newest:
            self._shift -= excess
            self._has_older = True
        else:
            self._has_newer = True
        self.endRemoveRows()
        self._changed(0 if keep_newest else len(self._rows) - 1)  # the new edge row

    def _reload(self, rows: list[Message], *, has_older: bool, has_newer: bool) -> None:
        """Replace the window (a jump to elsewhere in the thread)."""
        self.beginResetModel()
        self._rows = rows
        self._has_older = has_older
        self._has_newer = has_newer
        self._shift = 0
        self._pos = {m.id: row for row, m in enumerate(rows)}
        self._days.clear()
        self._renders.clear()
        self.endResetModel()

    def remove(self, message_id: int) -> None:
        """Take a message out (it was discarded)."""
        row = self.row_for(message_id)
        if row < 0:
            return
        self.beginRemoveRows(QModelIndex(), row, row)
        self._renders.pop(message_id, None)
        del self._rows[row]
        self._shift = 0
        self._pos = {m.id: r for r, m in enumerate(self._rows)}
        self.endRemoveRows()
        for neighbour in (row - 1, row):
            if 0 <= neighbour < len(self._rows):
                self._changed(neighbour)

    def apply(self, messages: Iterable[Message]) -> None:
        """Messages were stored or changed. New ones of this thread are appended (local echo
        included); loaded ones are re-read and updated in place (or removed when discarded);
        other threads are ignored."""
        mine = sorted((m for m in messages if m.conversation_id == self._cid), key=lambda m: m.id)
        if not mine:
            return
        newest = self._rows[-1].id if self._rows else 0
        grow = False
        for message in mine:
            row = self.row_for(message.id)
            if row >= 0:
                fresh = self._store.message(message.id)
                if fresh is None or fresh.conversation_id != self._cid:
                    self.remove(message.id)
                elif fresh != self._rows[row]:
                    moved = fresh.timestamp != self._rows[row].timestamp
                    self._rows[row] = fresh
                    self._days.pop(fresh.id, None)
                    self._changed(row)
                    for neighbour in (row - 1, row + 1) if moved else ():
                        if 0 <= neighbour < len(self._rows):
                            self._changed(neighbour)
            elif message.id > newest:
                grow = True
        if grow and not self._has_newer:  # else it shows when the user scrolls down to it
            newer = self._store.messages_after(self._cid, newest, limit=self._window)
            stored = {m.id for m in newer}
            # A message handed to us but not readable yet still shows (local echo).
            newer += [m for m in mine if m.id > newest and m.id not in stored]
            self._append(sorted(newer, key=lambda m: m.id))
            self._trim(keep_newest=True)

    def ensure_loaded(self, message_id: int) -> bool:
        """Make message_id one of the rows: older pages are loaded down to it when they fit in
        the window, else the window moves to it. False if it is not in this thread."""
        if message_id in self._pos:
            return True
        message = self._store.message(message_id)
        if message is None or message.conversation_id != self._cid or self._fetching:
            return False
        self._fetching = True
        try:
            if self._rows and message_id > self._rows[-1].id and not self._has_newer:
                last = self._rows[-1].id
                self._append(self._store.messages_after(self._cid, last, limit=self._window))
                self._trim(keep_newest=True)
            elif self._rows and message_id < self._rows[0].id and self._has_older:
                self._load_back_to(message_id)
            if message_id not in self._pos:
                self._centre_on(message_id)
        finally:
            self._fetching = False
        return message_id in self._pos

    def _load_back_to(self, message_id: int) -> None:
        """Prepend older pages down to message_id, in one go, if they fit in the window."""
        gathered: list[Message] = []
        before = self._rows[0].id
        while len(gathered) + len(self._rows) < self._window:
            page = self._store.messages(self._cid, before_id=before, limit=self._page)
            gathered[0:0] = page
            has_older = len(page) == self._page
            if not has_older or page[0].id <= message_id:
                self._prepend(gathered, has_older=has_older)
                self._trim(keep_newest=False)
                return
            before = page[0].id

    def _centre_on(self, message_id: int) -> None:
        """Load the pages around message_id in place of the window."""
        half = self._page // 2
        older = self._store.messages(self._cid, before_id=message_id + 1, limit=half + 1)
        newer = self._store.messages_after(self._cid, message_id, limit=self._page - half)
        self._reload(
            older + newer,
            has_older=len(older) == half + 1,
            has_newer=len(newer) == self._page - half,
        )
