"""Several own numbers in the conversation list: a filter above it (All numbers, or one of them,
as VoIP.ms SMS has) and, under All, a compact tag on each row's first line ("…0001") instead of
a "via 07700 900001" that took half of the preview line."""

from __future__ import annotations

from collections.abc import Iterable

from PySide6.QtCore import QModelIndex, QRect, Qt, QTimer
from PySide6.QtGui import QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QComboBox, QHBoxLayout, QListView, QWidget

from voipdesk.core.models import Conversation
from voipdesk.core.phone import display
from voipdesk.store.store import Store
from voipdesk.ui import theme
from voipdesk.ui.conversations.model import ConversationListModel

ALL = "All numbers"
MIN_TAG_DIGITS = 4
FILL_ROWS = 30  # under a filter, pages are loaded until this many rows show (or none are left)


def short_tags(numbers: Iterable[str]) -> dict[str, str]:
    """Each number's shortest ending (at least four digits) that no other number shares, as
    "…0001"."""
    digits = {n: "".join(ch for ch in n if ch.isdigit()) for n in numbers}
    tags = {}
    for number, own in digits.items():
        others = [d for n, d in digits.items() if n != number]
        length = min(MIN_TAG_DIGITS, len(own))
        while length < len(own) and any(d.endswith(own[-length:]) for d in others):
            length += 1
        tags[number] = "…" + own[-length:]
    return tags


def paint_tag(painter: QPainter, line: QRect, tag: str, palette: QPalette) -> int:
    """Paint a tag right-aligned in `line` (in the painter's current font) as a small outlined
    pill; return the width it took, gap included."""
    fm = QFontMetrics(painter.font())
    width = fm.horizontalAdvance(tag) + 10
    height = fm.height() + 2
    pill = QRect(line.right() + 1 - width, line.center().y() - height // 2 + 1, width, height)
    color = theme.muted_text(palette)
    border = theme.tinted(color, 0.5)
    painter.setPen(border)
    painter.setBrush(Qt.BrushStyle.NoBrush)
    painter.drawRoundedRect(pill.adjusted(0, 0, -1, -1), height / 2, height / 2)
    painter.setPen(color)
    painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, tag)
    return width + 6


class NumberFilter(QWidget):
    """ "Show: All numbers ▾" above the conversation list, shown when conversations run on
    several own numbers. Picking one hides the others' rows (and the rows' tags)."""

    def __init__(
        self, model: ConversationListModel, view: QListView, store: Store, parent=None
    ) -> None:
        super().__init__(parent)
        self._model = model
        self._view = view
        self._store = store
        self._numbers: list[str] = []
        self._tags: dict[str, str] = {}
        self.combo = QComboBox()
        self.combo.setAccessibleName("Show conversations on")
        self.combo.setToolTip("Show the conversations on one of your numbers, or on all")
        self.combo.setSizeAdjustPolicy(QComboBox.SizeAdjustPolicy.AdjustToContents)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(8, 0, 8, 6)
        layout.addWidget(self.combo)
        layout.addStretch(1)
        self.combo.currentIndexChanged.connect(self._apply)
        model.rowsInserted.connect(self._rows_inserted)
        # Counted once a turn of the loop, after whatever changed the list in it: a burst of
        # texts is one count over the loaded rows, not one each, and never in the way of the
        # open thread taking the same texts in.
        self._recount = QTimer(self)
        self._recount.setSingleShot(True)
        self._recount.setInterval(0)
        self._recount.timeout.connect(self._count_unread)
        for signal in (model.dataChanged, model.rowsInserted, model.rowsRemoved):
            signal.connect(self._recount.start)
        model.modelReset.connect(self.refresh)
        model.ownNumbersChanged.connect(self.refresh)
        view.selectionModel().currentChanged.connect(self._current_changed)
        delegate = view.itemDelegate()
        delegate.number_tag = self.tag  # type: ignore[attr-defined]
        self.refresh()

    # -- what is chosen -------------------------------------------------------------------------
    @property
    def number(self) -> str | None:
        """The own number whose conversations show, or None for all."""
        data = self.combo.currentData()
        return str(data) if data else None

    def choose(self, number: str | None) -> None:
        index = self.combo.findData(number) if number else 0
        self.combo.setCurrentIndex(max(index, 0))

    def tag(self, conversation: Conversation) -> str | None:
        """The row's tag: under All with several numbers, the short form of its number."""
        if self.number is not None or len(self._numbers) < 2:
            return None
        return self._tags.get(conversation.own_number)

    # -- keeping up -----------------------------------------------------------------------------
    def refresh(self, *_args: object) -> None:
        """Rebuild the choices from the own numbers in use (as the list's model last read
        them), keeping the chosen one while it is still in use."""
        numbers = self._model.own_numbers
        chosen = self.number
        if numbers != self._numbers:
            self._numbers = numbers
            self._tags = short_tags(numbers)
            self.combo.blockSignals(True)
            try:
                self.combo.clear()
                self.combo.addItem(ALL, None)
                for number in numbers:
                    self.combo.addItem(display(number, self._model.country), number)
                self.combo.setCurrentIndex(max(self.combo.findData(chosen), 0) if chosen else 0)
            finally:
                self.combo.blockSignals(False)
        self.setVisible(len(numbers) > 1)
        self._apply()
        self._count_unread()

    def _count_unread(self, *_args: object) -> None:
        """Each number's choice says how many unread texts it has (among the loaded rows), so
        a text on a number the filter hides is not missed."""
        if len(self._numbers) < 2:
            return  # no filter shown
        unread = dict.fromkeys(self._numbers, 0)
        for row in range(self._model.rowCount()):
            conversation = self._model.conversation(row)
            if conversation is not None and conversation.own_number in unread:
                unread[conversation.own_number] += conversation.unread_count
        for index in range(1, self.combo.count()):
            number = self.combo.itemData(index)
            count = unread.get(number, 0)
            text = display(number, self._model.country) + (f" · {count} unread" if count else "")
            if self.combo.itemText(index) != text:
                self.combo.setItemText(index, text)

    def _rows_inserted(self, _parent: QModelIndex, first: int, last: int) -> None:
        rows = [self._model.conversation(r) for r in range(first, last + 1)]
        if any(c is not None and c.own_number not in self._numbers for c in rows):
            self.refresh()  # a number newly in use
            return
        chosen = self.number
        if chosen is not None:
            for row, conversation in zip(range(first, last + 1), rows, strict=True):
                hidden = conversation is not None and conversation.own_number != chosen
                self._view.setRowHidden(row, hidden)

    def _apply(self, *_args: object) -> None:
        chosen = self.number if len(self._numbers) > 1 else None
        model, view = self._model, self._view
        if chosen is not None:
            shown = sum(
                1 for r in range(model.rowCount()) if model.conversation(r).own_number == chosen
            )
            while shown < FILL_ROWS and model.canFetchMore(QModelIndex()):
                before = model.rowCount()
                model.fetchMore(QModelIndex())  # (inserted rows are hidden as they come)
                if model.rowCount() == before:
                    break
                shown = (
                    sum(
                        1
                        for r in range(before, model.rowCount())
                        if model.conversation(r).own_number == chosen
                    )
                    + shown
                )
        for row in range(model.rowCount()):
            conversation = model.conversation(row)
            hidden = chosen is not None and conversation.own_number != chosen
            if view.isRowHidden(row) != hidden:
                view.setRowHidden(row, hidden)
        # The tags come and go. A hidden view paints afresh when shown: no update then (at
        # start-up, PySide's first viewport() would build ~60 widget classes' types, ~17 ms).
        if view.isVisible():
            view.viewport().update()

    def _current_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        # A conversation opened from elsewhere (search, New message, another number) on a number
        # the filter hides: show all, rather than a list without the open conversation.
        if current.isValid() and self._view.isRowHidden(current.row()):
            self.choose(None)
