"""Settings → Blocked: the blocked numbers, each with Unblock. Unblocking takes effect at once
(it is not part of what OK saves): the conversation comes back to the list. The numbers show at
once; their contact names are read on the reads worker and come in a moment later."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import Qt
from PySide6.QtGui import QPalette
from PySide6.QtWidgets import (
    QHBoxLayout,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import display
from voipdesk.ui.labels import plain_label
from voipdesk.ui.reading import Latest

if TYPE_CHECKING:
    from voipdesk.services import Services

EMPTY = (
    "No numbers are blocked. To block one, open its conversation and choose Block from the ⋯ "
    "menu, or right-click it in the list."
)
ABOUT = (
    "Texts from these numbers are kept, but they do not notify you, count as unread or show in "
    "your conversations."
)


class BlockedPage(QWidget):
    """The blocked numbers, named as in the conversation list."""

    def __init__(self, services: Services, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.services = services
        self._names: dict[str, str] = {}  # number -> contact name, once read
        self.about = plain_label(ABOUT, wrap=True)
        self.empty = plain_label(EMPTY, wrap=True)
        self.empty.setForegroundRole(QPalette.ColorRole.PlaceholderText)
        self.list = QListWidget()
        self.list.setAccessibleName("Blocked numbers")
        self.unblock_button = QPushButton("Unblock")
        self.unblock_button.clicked.connect(self._unblock)
        self.list.currentRowChanged.connect(lambda _row: self._update())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        buttons.addWidget(self.unblock_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.about)
        layout.addWidget(self.list, 1)
        layout.addLayout(buttons)
        layout.addWidget(self.empty)
        layout.addStretch(0)
        self._fill(sorted(services.flags.blocked, key=self._name))
        self.list.setCurrentRow(0)  # Unblock works at once on the one listed first
        self._update()
        read = self._names_read = Latest()
        self.destroyed.connect(lambda *_: read.drop())  # (closed before the names came)
        read.ask(services.reads, services.store.contacts, self._names_are)

    def _name(self, number: str) -> str:
        return self._names.get(number) or display(number, self.services.settings.effective_country)

    def _names_are(self, names: dict[str, str]) -> None:
        self._names = names
        current = self.list.currentItem()
        chosen = current.data(Qt.ItemDataRole.UserRole) if current is not None else None
        numbers = sorted(self.numbers(), key=self._name)
        self.list.clear()
        self._fill(numbers)
        if chosen in numbers:
            self.list.setCurrentRow(numbers.index(chosen))
        self._update()

    def _fill(self, numbers: list[str]) -> None:
        for number in numbers:
            self._add(number)

    def numbers(self) -> list[str]:
        return [self.list.item(r).data(Qt.ItemDataRole.UserRole) for r in range(self.list.count())]

    def _add(self, number: str) -> None:
        name = self._name(number)
        country = self.services.settings.effective_country
        shown = display(number, country)
        item = QListWidgetItem(name if name == shown else f"{name} · {shown}")
        item.setData(Qt.ItemDataRole.UserRole, number)
        self.list.addItem(item)

    def _update(self) -> None:
        has = self.list.count() > 0
        self.list.setVisible(has)
        self.about.setVisible(has)
        self.unblock_button.setVisible(has)
        self.empty.setVisible(not has)
        self.unblock_button.setEnabled(self.list.currentRow() >= 0)

    def unblock(self, number: str) -> None:
        for row in range(self.list.count()):
            if self.list.item(row).data(Qt.ItemDataRole.UserRole) == number:
                self.list.takeItem(row)
                self.list.setCurrentRow(min(row, self.list.count() - 1))
                break
        self.services.spawn(self.services.flags.unblock(number))
        self._update()

    def _unblock(self) -> None:
        item = self.list.currentItem()
        if item is not None:
            self.unblock(item.data(Qt.ItemDataRole.UserRole))
