"""The open thread: a model that pages history from the store, the bubble delegate, the view."""

from __future__ import annotations

import datetime as dt
import math
import re
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from enum import IntEnum

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QEvent,
    QIdentityProxyModel,
    QItemSelectionModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    QTimer,
    QUrl,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QContextMenuEvent,
    QDesktopServices,
    QFont,
    QFontMetrics,
    QGuiApplication,
    QKeyEvent,
    QKeySequence,
    QMouseEvent,
    QPainter,
    QPaintEvent,
    QPalette,
    QPen,
    QTextCharFormat,
    QTextLayout,
    QTextLine,
    QTextOption,
)
from PySide6.QtWidgets import (
    QAbstractItemView,
    QFrame,
    QHBoxLayout,
    QLabel,
    QListView,
    QMenu,
    QPushButton,
    QStackedWidget,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.models import Direction, Message, Status
from voipdesk.core.phone import display
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE

SAFE_SCHEMES = frozenset({"http", "https", "mailto", "tel"})
_URL = re.compile(
    r"(?:https?://|www\.)[^\s<>\"'`]+|mailto:[^\s<>\"'`]+|tel:\+?[0-9][0-9().\-]*[0-9]",
    re.IGNORECASE,
)
_TRAILING = ".,;:!?'\"»"
# Statuses that keep their own status line even inside a run of bubbles.
_ATTENTION = frozenset({Status.FAILED, Status.UNKNOWN, Status.PENDING})
_ACTIONS = {Status.FAILED: "Retry", Status.PENDING: "Retry now", Status.UNKNOWN: "Send again"}


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


# -- text helpers ------------------------------------------------------------------------------
def safe_url(text: str) -> QUrl | None:
    """The URL to open for text found in a message, or None unless it is http(s)/mailto/tel."""
    candidate = text.strip()
    if candidate.lower().startswith("www."):
        candidate = "http://" + candidate
    url = QUrl(candidate)
    scheme = url.scheme().lower()
    if not url.isValid() or scheme not in SAFE_SCHEMES:
        return None
    if scheme in ("http", "https") and not url.host():
        return None
    return url


def find_links(text: str) -> list[tuple[int, int, QUrl]]:
    """(start, length, url) of each safe link in a message body."""
    links = []
    for match in _URL.finditer(text):
        raw = match.group(0)
        while raw and (
            raw[-1] in _TRAILING or (raw[-1] == ")" and raw.count(")") > raw.count("("))
        ):
            raw = raw[:-1]
        url = safe_url(raw)
        if url is not None:
            links.append((match.start(), len(raw), url))
    return links


def status_text(message: Message) -> str:
    """What the user reads about an outgoing message's state (empty for incoming)."""
    if message.direction is Direction.IN:
        return ""
    status = message.status
    if status is Status.FAILED:
        reason = (message.error_text or "").strip()
        return f"Not sent — {reason}" if reason else "Not sent"
    if status is Status.QUEUED and (message.error_text or "").strip():
        return f"Sent — {message.error_text.strip()}"  # e.g. accepted, but no message id
    return {
        Status.SENDING: "Sending…",
        Status.PENDING: "Waiting to send",
        Status.QUEUED: "Sent",
        Status.DELIVERED: "Delivered",
        Status.UNKNOWN: "May not have been sent",
    }.get(status, "")


def meta_text(message: Message) -> tuple[str, tuple[int, int] | None]:
    """The line under a bubble and the (start, length) of its action link, if any."""
    text = dt.datetime.fromtimestamp(message.timestamp).strftime("%H:%M")
    status = status_text(message)
    if status:
        text += " · " + status
    action = _ACTIONS.get(message.status) if message.direction is Direction.OUT else None
    if action is None:
        return text, None
    text += " · "
    return text + action, (len(text), len(action))


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
        show_meta = after is None or self._breaks(message, after) or message.status in _ATTENTION
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


class _ViewProxy(QIdentityProxyModel):
    """The thread as the view sees it. QAbstractItemView fetches more whenever the LAST row is
    visible, which in a chat is always, and would pull in the whole history; older pages are
    loaded by ThreadView when the user reaches the top instead."""

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return False


# -- the delegate ------------------------------------------------------------------------------
@dataclass
class _Text:
    layout: QTextLayout
    height: float
    width: float
    links: list[tuple[int, int, QUrl]] = field(default_factory=list)


@dataclass
class _Geometry:
    height: int
    outgoing: bool
    day_text: str | None
    day_top: int
    bubble_top: int
    bubble_size: QSize
    parts: list[tuple[_Text, float]]  # text blocks in the bubble and their y inside it
    meta: _Text | None
    meta_top: int
    meta_box: int  # the width the meta line wraps in (right-aligned in it when outgoing)
    action: tuple[int, int] | None


def _layout_text(body: str) -> str:
    """QTextLayout breaks lines only at U+2028, not at newlines."""
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\u2028")


def _lay_out(
    text: str,
    font: QFont,
    width: float,
    formats: list | None = None,
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> _Text:
    layout = QTextLayout(text, font)
    option = QTextOption(align)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    if formats:
        layout.setFormats(formats)
    layout.setCacheEnabled(True)
    layout.beginLayout()
    y = 0.0
    natural = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, y))
        y += line.height()
        natural = max(natural, line.naturalTextWidth())
    layout.endLayout()
    return _Text(layout, y, natural)


def _underline(ranges: Iterable[tuple[int, int]]) -> list:
    formats = []
    underline = QTextCharFormat()
    underline.setFontUnderline(True)
    for start, length in ranges:
        fmt = QTextLayout.FormatRange()
        fmt.start, fmt.length, fmt.format = start, length, underline
        formats.append(fmt)
    return formats


def _position_in(text: _Text, point: QPointF) -> int | None:
    """The character under point (relative to the layout's origin), if any."""
    for i in range(text.layout.lineCount()):
        line = text.layout.lineAt(i)
        if line.naturalTextRect().contains(point):
            return line.xToCursor(point.x(), QTextLine.CursorPosition.CursorOnCharacter)
    return None


LIVE_PAGES = 3  # pages kept above the newest message while it is in view and more arrive

# Row heights kept (a few bytes each): more than a ThreadModel window, so laying out the
# window again never re-measures a row. Laid-out text (kilobytes a row) is kept only for the
# rows painted recently: a screen's worth many times over.
_HEIGHT_CACHE = 4000
_LAYOUT_CACHE = 200


def _touch(cache: dict, key: tuple):
    """cache[key] (None when missing), now the most recently used."""
    value = cache.pop(key, None)
    if value is not None:
        cache[key] = value
    return value


def _remember(cache: dict, key: tuple, value: object, limit: int) -> None:
    if len(cache) >= limit:
        del cache[next(iter(cache))]  # the least recently used
    cache[key] = value


class BubbleDelegate(QStyledItemDelegate):
    """Paints messages as chat bubbles. Text is laid out as plain text with QTextLayout; sizes
    are cached per message and width."""

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view
        # Both least recently used first; keyed by RenderInfo.key.
        self._layouts: dict[tuple, _Geometry] = {}
        self._heights: dict[tuple, int] = {}
        self._cache_width = -1
        self.layout_width: int | None = None  # set by the view for the length of a layout pass
        # Message id -> the height the last layout pass gave its row (every row, each pass).
        self.laid_out: dict[int | None, int] = {}
        self.highlight_id: int | None = None

    def clear_cache(self) -> None:
        self._layouts.clear()
        self._heights.clear()

    def available_width(self) -> int:
        """The width bubbles wrap against. It leaves room for the scroll bar whether or not it
        is showing, so the bar appearing does not re-wrap every bubble."""
        view = self._view
        extent = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
        return max(view.width() - 2 * view.frameWidth() - extent, 160)

    def geometry(self, index: QModelIndex) -> _Geometry | None:
        info: RenderInfo | None = index.data(MessageRole.Render)
        return None if info is None else self._geometry(info)

    def _geometry(self, info: RenderInfo) -> _Geometry:
        width = self.layout_width or self.available_width()
        if width != self._cache_width:
            self.clear_cache()
            self._cache_width = width
        key = info.key
        geometry = _touch(self._layouts, key)
        if geometry is None:
            geometry = self._measure(info, info.meta, width)
            _remember(self._layouts, key, geometry, _LAYOUT_CACHE)
            _remember(self._heights, key, geometry.height, _HEIGHT_CACHE)
        return geometry

    def height(self, index: QModelIndex) -> int:
        """The row's height, without laying its text out again when it was measured before."""
        info: RenderInfo | None = index.data(MessageRole.Render)
        return 0 if info is None else self._height(info)

    def _height(self, info: RenderInfo) -> int:
        if (self.layout_width or self.available_width()) == self._cache_width:
            height = _touch(self._heights, info.key)
            if height is not None:
                return height
        return self._geometry(info).height

    def _measure(
        self, info: RenderInfo, meta: tuple[str, tuple[int, int] | None] | None, width: int
    ) -> _Geometry:
        message = info.message
        font = self._view.font()
        small = theme.small_font(font)
        small_fm = QFontMetrics(small)
        max_bubble = int(width * theme.BUBBLE_MAX_FRACTION)
        inner = max_bubble - 2 * theme.BUBBLE_PADDING_H

        y = 0
        day_top = 0
        if info.day_text:
            day_top = y + 10
            y = day_top + small_fm.height() + 6 + 10
        else:
            y += theme.TURN_GAP if info.run_start else theme.SAME_SIDE_GAP

        parts: list[tuple[_Text, float]] = []
        inner_y = 0.0
        if message.body or not message.attachments:
            text = _layout_text(message.body)
            links = find_links(text)
            body = _lay_out(text, font, inner, _underline((s, n) for s, n, _u in links))
            body.links = links
            parts.append((body, inner_y))
            inner_y += body.height
        for number, link in enumerate(message.attachments, 1):
            url = safe_url(link)
            name = url.fileName() if url is not None else ""
            label = f"Attachment {number}" + (f": {name}" if name else "")
            if inner_y:
                inner_y += 4
            part = _lay_out(label, font, inner, _underline([(0, len(label))]) if url else None)
            if url is not None:
                part.links = [(0, len(label), url)]
            parts.append((part, inner_y))
            inner_y += part.height
        content = max((part.width for part, _y in parts), default=0.0)
        bubble = QSize(
            max(math.ceil(content) + 2 * theme.BUBBLE_PADDING_H, 2 * theme.BUBBLE_RADIUS),
            max(math.ceil(inner_y) + 2 * theme.BUBBLE_PADDING_V, 2 * theme.BUBBLE_RADIUS),
        )
        bubble_top = y
        y += bubble.height()

        meta_part = None
        meta_top = 0
        action = None
        if meta is not None:
            text, action = meta
            meta_part = _lay_out(
                text,
                small,
                max_bubble,
                _underline([action]) if action else None,
                Qt.AlignmentFlag.AlignRight
                if message.direction is Direction.OUT
                else Qt.AlignmentFlag.AlignLeft,
            )
            meta_top = y + 3
            y = meta_top + math.ceil(meta_part.height)
        if info.is_last:
            y += theme.TURN_GAP
        return _Geometry(
            height=math.ceil(y),
            outgoing=message.direction is Direction.OUT,
            day_text=info.day_text,
            day_top=day_top,
            bubble_top=bubble_top,
            bubble_size=bubble,
            parts=parts,
            meta=meta_part,
            meta_top=meta_top,
            meta_box=max_bubble,
            action=action,
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        info: RenderInfo | None = index.data(MessageRole.Render)
        if info is None:
            return QSize(1, 0)
        height = self._height(info)
        if self.layout_width is not None:  # the view is laying its rows out: remember them
            self.laid_out[info.message.id] = height
        return QSize(1, height)

    # -- where things are inside an item ---------------------------------------------------------
    @staticmethod
    def _bubble_rect(geometry: _Geometry, rect: QRect) -> QRect:
        size = geometry.bubble_size
        margin = theme.THREAD_SIDE_MARGIN
        x = rect.right() + 1 - margin - size.width() if geometry.outgoing else rect.left() + margin
        return QRect(x, rect.top() + geometry.bubble_top, size.width(), size.height())

    @staticmethod
    def _meta_origin(geometry: _Geometry, rect: QRect, bubble: QRect) -> QPointF:
        assert geometry.meta is not None
        # Lines are aligned inside a box of meta_box width: its right edge under the bubble's
        # right edge for outgoing (right-aligned text), its left edge under the left otherwise.
        if geometry.outgoing:
            left = bubble.right() + 1 - 4 - geometry.meta_box
        else:
            left = bubble.left() + 4
        return QPointF(left, rect.top() + geometry.meta_top)

    def hit_test(self, index: QModelIndex, pos: QPoint, rect: QRect) -> tuple[str, object] | None:
        """("url", QUrl) for a link under pos, ("action", message id) for Retry, else None."""
        geometry = self.geometry(index)
        if geometry is None:
            return None
        bubble = self._bubble_rect(geometry, rect)
        point = QPointF(pos)
        for part, top in geometry.parts:
            origin = QPointF(
                bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V + top
            )
            char = _position_in(part, point - origin)
            if char is None:
                continue
            for start, length, url in part.links:
                if start <= char < start + length:
                    return ("url", url)
        if geometry.meta is not None and geometry.action is not None:
            char = _position_in(geometry.meta, point - self._meta_origin(geometry, rect, bubble))
            start, length = geometry.action
            if char is not None and start <= char < start + length:
                return ("action", index.data(MessageRole.Id))
        return None

    # -- painting ----------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        geometry = self.geometry(index)
        info: RenderInfo | None = index.data(MessageRole.Render)
        if geometry is None or info is None:
            return
        message = info.message
        palette: QPalette = option.palette
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        if option.state & QStyle.StateFlag.State_Selected:
            painter.fillRect(rect, theme.selection_fill(palette))

        small = theme.small_font(self._view.font())
        if geometry.day_text:
            fm = QFontMetrics(small)
            text_width = fm.horizontalAdvance(geometry.day_text)
            pill = QRect(0, 0, text_width + 20, fm.height() + 6)
            pill.moveCenter(
                QPoint(rect.center().x(), rect.top() + geometry.day_top + pill.height() // 2)
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.hover_fill(palette))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(small)
            painter.setPen(theme.muted_text(palette))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, geometry.day_text)

        bubble = self._bubble_rect(geometry, rect)
        outgoing = geometry.outgoing
        problem = outgoing and message.status in (Status.FAILED, Status.UNKNOWN)
        fill = QColor(theme.ACCENT) if outgoing else theme.incoming_bubble(palette)
        text_color = theme.accent_text() if outgoing else palette.color(QPalette.ColorRole.Text)
        outline: QPen | None = None
        if problem:
            # Not sent (or maybe not): a pale tint with an accent outline and the text in the
            # palette's colour, so it reads as "not sent" next to full accent bubbles.
            fill = theme.unsent_bubble(palette)
            text_color = palette.color(QPalette.ColorRole.Text)
            outline = QPen(theme.ACCENT, 1.5)
        elif message.status in (Status.SENDING, Status.PENDING):
            fill.setAlphaF(0.7)
        if self.highlight_id == message.id:
            ring = QRectF(bubble).adjusted(-3, -3, 3, 3)
            painter.setPen(QPen(theme.ACCENT, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, theme.BUBBLE_RADIUS + 3, theme.BUBBLE_RADIUS + 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(bubble), theme.BUBBLE_RADIUS, theme.BUBBLE_RADIUS)
        if outline is not None:
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = QRectF(bubble).adjusted(0.75, 0.75, -0.75, -0.75)
            painter.drawRoundedRect(inset, theme.BUBBLE_RADIUS - 0.75, theme.BUBBLE_RADIUS - 0.75)

        painter.setPen(text_color)
        for part, top in geometry.parts:
            part.layout.draw(
                painter,
                QPointF(
                    bubble.left() + theme.BUBBLE_PADDING_H,
                    bubble.top() + theme.BUBBLE_PADDING_V + top,
                ),
            )

        if problem:
            size = 18
            mark = QRect(bubble.left() - size - 6, bubble.center().y() - size // 2, size, size)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.error_text(palette))
            painter.drawEllipse(mark)
            bold = QFont(small)
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "!")
        if geometry.meta is not None:
            error = message.status is Status.FAILED and outgoing
            painter.setPen(theme.error_text(palette) if error else theme.muted_text(palette))
            geometry.meta.layout.draw(painter, self._meta_origin(geometry, rect, bubble))
        painter.restore()


# -- the view ----------------------------------------------------------------------------------
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
        self._load_soon = QTimer(self)  # (before anything below can trigger a layout)
        self._load_soon.setSingleShot(True)
        self._load_soon.setInterval(0)
        self._load_soon.timeout.connect(self._load_near_edges)
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

    def doItemsLayout(self) -> None:
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

    def mousePressEvent(self, event: QMouseEvent) -> None:
        left = event.button() == Qt.MouseButton.LeftButton
        self._pressed = self._link_at(event.position().toPoint()) if left else None
        super().mousePressEvent(event)

    def mouseReleaseEvent(self, event: QMouseEvent) -> None:
        pressed, self._pressed = self._pressed, None
        super().mouseReleaseEvent(event)
        if (
            pressed is not None
            and event.button() == Qt.MouseButton.LeftButton
            and self._link_at(event.position().toPoint()) == pressed
        ):
            self._owner.follow(pressed)

    def mouseMoveEvent(self, event: QMouseEvent) -> None:
        if self._link_at(event.position().toPoint()) is not None:
            self.viewport().setCursor(Qt.CursorShape.PointingHandCursor)
        else:
            self.viewport().unsetCursor()
        super().mouseMoveEvent(event)

    def keyPressEvent(self, event: QKeyEvent) -> None:
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

    def paintEvent(self, event: QPaintEvent) -> None:
        super().paintEvent(event)
        model = self.model()
        if model is not None and model.rowCount() == 0 and self._owner.conversation_id:
            painter = QPainter(self.viewport())
            painter.setPen(theme.muted_text(self.palette()))
            painter.drawText(
                self.viewport().rect(), Qt.AlignmentFlag.AlignCenter, "No messages yet."
            )
            painter.end()


class _Divider(QWidget):
    """A hairline in a shade of the text colour, so it suits light and dark palettes."""

    def __init__(self) -> None:
        super().__init__()
        self.setFixedHeight(1)

    def paintEvent(self, event: QPaintEvent) -> None:
        color = QColor(self.palette().color(QPalette.ColorRole.WindowText))
        color.setAlphaF(0.15)
        painter = QPainter(self)
        painter.fillRect(self.rect(), color)
        painter.end()


def _label(text: str = "") -> QLabel:
    label = QLabel(text)
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setTextInteractionFlags(Qt.TextInteractionFlag.NoTextInteraction)
    return label


class ThreadView(QWidget):
    """The open conversation: header and bubbles. The compose box is placed under it by the
    window."""

    retryRequested = Signal(int)  # message id
    discardRequested = Signal(int)  # message id
    renameRequested = Signal(str)  # peer number (E.164)

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
        self._peer: str | None = None
        # Opens a safe link; replaceable (tests record instead of launching a browser).
        self.open_url: Callable[[QUrl], object] = QDesktopServices.openUrl
        # Whether conversations run on several own numbers (then the header says which one);
        # the window answers it from the conversation list, which already knows.
        self.several_own_numbers: Callable[[], bool] = lambda: False

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
        line = _Divider()

        self.list_view = _MessageList(self)
        self.delegate = BubbleDelegate(self.list_view)
        self.list_view.setItemDelegate(self.delegate)
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
    def model(self) -> ThreadModel | None:
        return self._model

    def row_for(self, message_id: int) -> int:
        return self._model.row_for(message_id) if self._model is not None else -1

    @property
    def page(self) -> int:
        """Messages loaded at a time."""
        return self._page

    def set_conversation(self, conversation_id: int | None) -> None:
        """Open a conversation at its newest message (None shows the empty state). Opening the
        one already open only refreshes the header (e.g. after a rename)."""
        if conversation_id is not None and conversation_id == self.conversation_id:
            self.refresh_header()
            return
        old = self._model
        conversation = self._store.conversation(conversation_id) if conversation_id else None
        self._model = None
        if conversation is not None:
            self._model = ThreadModel(self._store, conversation.id, page=self._page, parent=self)
        self.list_view.stick_to_bottom()
        self._proxy.setSourceModel(self._model)
        if old is not None:
            old.deleteLater()
        self.pages.setCurrentWidget(self._thread_page if self._model else self.empty_label)
        self.refresh_header()
        if self._model is not None and self.list_view.isVisible():
            # (Not yet shown, at start-up: the first paint lays it out once, at its real width.)
            self.list_view.doItemsLayout()
            self.load_older()

    def reload(self) -> None:
        """Re-open the current conversation from the store."""
        conversation_id = self.conversation_id
        self.set_conversation(None)
        self.set_conversation(conversation_id)

    def refresh_header(self) -> None:
        conversation = (
            self._store.conversation(self.conversation_id) if self.conversation_id else None
        )
        if conversation is None:
            self._peer = None
            return
        self._peer = conversation.peer_number
        number = display(conversation.peer_number, self.country)
        name = conversation.display_name
        self.title.setText(name or number)
        details = [number] if name else []
        if self.several_own_numbers():
            details.append(f"via {display(conversation.own_number, self.country)}")
        self.subtitle.setText(" · ".join(details))
        self.subtitle.setVisible(bool(details))
        self.avatar.setPixmap(
            theme.avatar_pixmap(
                conversation.peer_number, name, theme.AVATAR_SIZE, self.devicePixelRatioF()
            )
        )
        self._set_name_button(named=bool(name))

    def apply(self, messages: list[Message]) -> None:
        """Messages were stored or changed; the open thread shows them (others are ignored).
        A message the user just sent brings the view to the bottom, wherever it was."""
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
            model.fetchMore(QModelIndex())
            view.doItemsLayout()

    def load_newer(self, margin: int = 0) -> None:
        """At the bottom of a window that has moved up (within `margin` px of it): load the
        next newer page, keeping the message being read where it is."""
        model = self._model
        view = self.list_view
        bar = view.verticalScrollBar()
        for _ in range(20):
            if model is None or not model.has_newer() or bar.value() < bar.maximum() - margin:
                return
            view.record_anchor()
            model.fetch_newer()
            view.doItemsLayout()

    def show_message(self, message_id: int) -> bool:
        """Scroll to a message (loading older pages as needed) and highlight it briefly."""
        if self._model is None or not self._model.ensure_loaded(message_id):
            return False
        view = self.list_view
        view.doItemsLayout()
        index = self._proxy.index(self._model.row_for(message_id), 0)
        view.selectionModel().setCurrentIndex(index, QItemSelectionModel.SelectionFlag.NoUpdate)
        view.scrollTo(index, QAbstractItemView.ScrollHint.PositionAtCenter)
        view.record_anchor()
        self.delegate.highlight_id = message_id
        view.viewport().update()
        self._highlight_timer.start()
        return True

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
        """Copy the selected messages' text (plain text, oldest first)."""
        messages = self.selected_messages()
        if messages:
            QGuiApplication.clipboard().setText("\n".join(m.body for m in messages))

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
        action = _ACTIONS.get(message.status)
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

    def _set_name_button(self, *, named: bool) -> None:
        """The button's words and its accessible name together, so a screen reader says what
        the user sees."""
        self.name_button.setText("Rename…" if named else "Name…")
        self.name_button.setAccessibleName("Rename contact" if named else "Name contact")

    def _rename(self) -> None:
        if self._peer:
            self.renameRequested.emit(self._peer)
