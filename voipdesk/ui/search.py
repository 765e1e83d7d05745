"""Message search results: a paged model over Store.search and the delegate that draws a hit."""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from enum import IntEnum

from PySide6.QtCore import (
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    QPointF,
    QRect,
    QSize,
    Qt,
)
from PySide6.QtGui import (
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QTextCharFormat,
    QTextLayout,
    QTextOption,
)
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from voipdesk.core.models import Direction, Message
from voipdesk.core.phone import display
from voipdesk.store.search import search_words
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.listmodel import ACCESSIBLE as _ACCESSIBLE
from voipdesk.ui.listmodel import DISPLAY as _DISPLAY
from voipdesk.ui.listmodel import ROLE_BASE as _ROLE_BASE
from voipdesk.ui.listmodel import PagedListModel

_SNIPPET_LEAD = 24  # characters of context kept before the first match


class SearchRole(IntEnum):
    """Data roles of SearchResultsModel."""

    Message = _ROLE_BASE
    Id = _ROLE_BASE + 1
    ConversationId = _ROLE_BASE + 2
    DisplayName = _ROLE_BASE + 3
    Snippet = _ROLE_BASE + 4
    Timestamp = _ROLE_BASE + 5
    PeerNumber = _ROLE_BASE + 6


def match_pattern(query: str) -> re.Pattern[str] | None:
    """A regex finding the query's words as word prefixes, as the store's search does."""
    words = search_words(query)
    if not words:
        return None
    alternatives = "|".join(re.escape(w) for w in sorted(set(words), key=len, reverse=True))
    return re.compile(rf"(?<!\w)(?:{alternatives})\w*", re.IGNORECASE)


def match_ranges(text: str, query: str) -> list[tuple[int, int]]:
    """(start, length) of every match of the query's words in text."""
    pattern = match_pattern(query)
    if pattern is None:
        return []
    return [(m.start(), m.end() - m.start()) for m in pattern.finditer(text)]


def snippet(body: str, query: str) -> str:
    """The body on one line, starting a little before the first match."""
    text = " ".join(body.split())
    pattern = match_pattern(query)
    found = pattern.search(text) if pattern else None
    if found is None or found.start() <= _SNIPPET_LEAD:
        return text
    start = text.rfind(" ", 0, found.start() - _SNIPPET_LEAD)
    start = start + 1 if start >= 0 else found.start() - _SNIPPET_LEAD
    return "…" + text[start:]


class SearchResultsModel(PagedListModel):
    """Messages matching a query, newest first, loaded a page at a time."""

    ROLES = SearchRole

    def __init__(
        self,
        store: Store,
        *,
        country: str = "GB",
        page: int = 50,
        parent: QObject | None = None,
    ) -> None:
        super().__init__(parent)
        self._store = store
        self.country = country
        self._page = page
        self._query = ""
        self._rows: list[Message] = []
        self._names: dict[str, str] = {}
        self._names_stale = True  # read on the next search, not on every one (thousands of rows)
        self._at_end = True  # no query yet

    @property
    def query(self) -> str:
        return self._query

    def set_query(self, text: str) -> None:
        """Search for text (every word, as a prefix); an empty text clears the results. The
        text shown (or on its way) already: nothing changes."""
        if text.strip() == self._query and self._query and (self._rows or self._paging.pending):
            return
        # Remove + insert rather than a reset: views keep their state, and nothing can fetch a
        # page of the old query while the rows go (the _fetching guard).
        self._fetching = True
        self._paging.drop()  # the answer for the query before, if still on its way
        try:
            if self._rows:
                self.beginRemoveRows(QModelIndex(), 0, len(self._rows) - 1)
                self._rows = []
                self.endRemoveRows()
            self._query = text.strip()
            self._at_end = not self._query
        finally:
            self._fetching = False
        self.fetchMore(QModelIndex())

    def contacts_changed(self) -> None:
        """Contact names changed: show the new ones (searching again)."""
        self._names_stale = True
        if self._query:
            query, self._query = self._query, ""  # (the same text: searched again all the same)
            self.set_query(query)

    def message(self, row: int) -> Message | None:
        return self._rows[row] if 0 <= row < len(self._rows) else None

    def contact_name(self, number: str) -> str | None:
        return self._names.get(number)

    def display_name(self, message: Message) -> str:
        return self._names.get(message.peer_number) or display(message.peer_number, self.country)

    # -- Qt model interface ---------------------------------------------------------------------
    def data(self, index: QModelIndex | QPersistentModelIndex, role: int = _DISPLAY) -> object:
        message = self.row_at(index)
        if message is None:
            return None
        if role == _DISPLAY or role == SearchRole.Snippet:
            return snippet(message.body, self._query)
        if role == SearchRole.Message:
            return message
        if role == SearchRole.Id:
            return message.id
        if role == SearchRole.ConversationId:
            return message.conversation_id
        if role == SearchRole.DisplayName:
            return self.display_name(message)
        if role == SearchRole.Timestamp:
            return message.timestamp
        if role == SearchRole.PeerNumber:
            return message.peer_number
        if role == _ACCESSIBLE:
            who = "You" if message.direction is Direction.OUT else self.display_name(message)
            when = theme.relative_time(message.timestamp)
            return f"{who}, {when}: {snippet(message.body, self._query)}"
        return None

    def _page_read(self) -> Callable[[], object]:
        store, query, limit = self._store, self._query, self._page
        before = self._rows[-1].id if self._rows else None
        names = self._names_stale  # (read with the results, not on every search)

        def read() -> tuple[list[Message], dict[str, str] | None]:
            found = store.search(query, limit=limit, before_id=before)
            return found, store.contacts() if names else None

        return read

    def _page_arrived(self, result: object) -> list[Message]:
        page, names = result  # type: ignore[misc]
        if names is not None:
            self._names, self._names_stale = names, False
        self._at_end = len(page) < self._page
        return page


class SearchResultDelegate(QStyledItemDelegate):
    """Paints a hit: avatar, who, when, and the snippet with the matching words in bold."""

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, theme.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        message = index.data(SearchRole.Message)
        if message is None:
            return
        model = index.model()
        query = getattr(model, "query", "")
        palette: QPalette = option.palette
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        theme.paint_row_background(painter, option)
        margin = 12
        size = theme.AVATAR_SIZE
        name = index.data(SearchRole.DisplayName) or ""
        avatar = QRect(rect.left() + margin, rect.top() + (rect.height() - size) // 2, size, size)
        contact = (
            model.contact_name(message.peer_number) if hasattr(model, "contact_name") else None
        )
        theme.paint_avatar(painter, avatar, message.peer_number, contact)

        left = avatar.right() + 1 + margin
        right = rect.right() - margin
        font = QFont(option.font)
        small = theme.small_font(font)
        fm, small_fm = QFontMetrics(font), QFontMetrics(small)
        gap = 4
        top = rect.top() + (rect.height() - 2 * fm.height() - gap) // 2
        when = theme.relative_time(message.timestamp, time.time())
        line1 = QRect(left, top, right - left, fm.height())
        painter.setFont(small)
        painter.setPen(theme.muted_text(palette))
        painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        painter.setFont(font)
        painter.setPen(palette.color(QPalette.ColorRole.Text))
        name_rect = line1.adjusted(0, 0, -(small_fm.horizontalAdvance(when) + 8), 0)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            fm.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )

        prefix = "You: " if message.direction is Direction.OUT else ""
        whole = prefix + " ".join(message.body.split())
        if fm.horizontalAdvance(whole) <= right - left:  # it fits: no need to skip its start
            text = whole
        else:
            text = fm.elidedText(
                prefix + snippet(message.body, query), Qt.TextElideMode.ElideRight, right - left
            )
        layout = QTextLayout(text, font)
        option_ = QTextOption()
        option_.setWrapMode(QTextOption.WrapMode.NoWrap)
        layout.setTextOption(option_)
        bold = QTextCharFormat()
        bold.setFontWeight(QFont.Weight.Bold)
        formats = []
        for start, length in match_ranges(text, query):
            if start < len(prefix):
                continue
            fmt = QTextLayout.FormatRange()
            fmt.start, fmt.length, fmt.format = start, length, bold
            formats.append(fmt)
        layout.setFormats(formats)
        layout.beginLayout()
        line = layout.createLine()
        line.setLineWidth(right - left)
        layout.endLayout()
        painter.setPen(theme.muted_text(palette))
        painter.setClipRect(QRect(left, line1.bottom() + gap, right - left, fm.height() + 2))
        layout.draw(painter, QPointF(left, line1.bottom() + 1 + gap))
        painter.restore()
