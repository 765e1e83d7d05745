"""What the app's lists share: role numbering, rows loaded a page at a time, and a view of
rows of one height that repaints only the rows that changed."""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import IntEnum
from typing import ClassVar

from PySide6.QtCore import (
    QAbstractListModel,
    QByteArray,
    QModelIndex,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtWidgets import QAbstractItemView, QListView

from voipdesk.ui.reading import AT_ONCE, Latest, Reader

log = logging.getLogger(__name__)

ROLE_BASE = int(Qt.ItemDataRole.UserRole) + 1
DISPLAY = int(Qt.ItemDataRole.DisplayRole)
ACCESSIBLE = int(Qt.ItemDataRole.AccessibleTextRole)


class PagedListModel(QAbstractListModel):
    """A flat list of rows that Qt asks for page by page (canFetchMore / fetchMore).

    A page is requested and arrives: `_page_read` returns the store read for the rows after those
    loaded, run through `reads` (on a worker once the services are attached), and the rows that
    `_page_arrived` makes of its answer are added when it comes (one page at a time). Subclasses
    set ROLES (their role enum, for roleNames) and keep `_at_end` up to date; `row_at` guards
    data() against foreign or stale indexes."""

    ROLES: ClassVar[type[IntEnum]]
    # A page's answer came (with rows or none) or its read failed: nothing is on its way now.
    settled = Signal()

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self._rows: list = []
        self._at_end = False
        self._fetching = False  # also set while rows are replaced, so nothing fetches meanwhile
        self.reads: Reader = AT_ONCE
        self._paging = Latest()  # the page on its way (dropped when the rows are replaced)

    def _page_read(self) -> Callable[[], object]:
        """The store read for the rows after those loaded (it runs on a worker thread)."""
        raise NotImplementedError

    def _page_arrived(self, result: object) -> list:
        """The rows to add from the read's answer; sets `_at_end` when there are no more."""
        raise NotImplementedError

    @property
    def fetching(self) -> bool:
        """Whether a page is on its way."""
        return self._paging.pending

    def row_at(self, index: QModelIndex | QPersistentModelIndex) -> object | None:
        if not index.isValid() or index.column() != 0 or not 0 <= index.row() < len(self._rows):
            return None
        return self._rows[index.row()]

    # -- Qt model interface ---------------------------------------------------------------------
    def rowCount(self, parent: QModelIndex | QPersistentModelIndex = QModelIndex()) -> int:  # noqa: B008
        return 0 if parent.isValid() else len(self._rows)

    def roleNames(self) -> dict[int, QByteArray]:
        names = dict(super().roleNames())
        names.update({int(role): QByteArray(role.name.encode()) for role in self.ROLES})
        return names

    def canFetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> bool:
        return (
            not parent.isValid()
            and not self._at_end
            and not self._fetching
            and not self._paging.pending
        )

    def fetchMore(self, parent: QModelIndex | QPersistentModelIndex) -> None:
        if not self.canFetchMore(parent):
            return
        self._paging.ask(self.reads, self._page_read(), self._put_page, self._page_failed)

    def _page_failed(self, exc: Exception) -> None:
        log.warning("a page for the window could not be read: %s", exc)
        self.settled.emit()

    def _put_page(self, result: object) -> None:
        self._fetching = True
        try:
            page = self._page_arrived(result)
            if page:
                first = len(self._rows)
                self.beginInsertRows(QModelIndex(), first, first + len(page) - 1)
                self._rows.extend(page)
                self.endInsertRows()
        finally:
            self._fetching = False
        self.settled.emit()


class UniformListView(QListView):
    """A QListView whose rows all have one height (setUniformItemSizes), where a row whose data
    changed is repainted alone.

    Qt's list mode answers every dataChanged with a relayout and a repaint of the whole viewport
    (QListModeViewBase::dataChanged calls doDelayedItemsLayout): with rows painted in Python,
    each message that arrived repainted every visible conversation. Rows of one height do not
    move when their data changes, so that relayout is skipped; the item view's own handling
    (editors, accessibility events, the update of the changed rows) still runs."""

    def __init__(self, parent=None) -> None:
        super().__init__(parent)
        self.setUniformItemSizes(True)

    def dataChanged(self, top_left, bottom_right, roles=()) -> None:
        QAbstractItemView.dataChanged(self, top_left, bottom_right, list(roles))
