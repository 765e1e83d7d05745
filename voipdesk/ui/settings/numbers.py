"""The user's own numbers in the settings dialog: the list (the default first), a field to add
one (Enter adds it), Remove and Make default."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QEvent, QObject, Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import InvalidNumber, display, normalize


class NumbersEditor(QWidget):
    """Edits a list of numbers (E.164, the default first), shown in the national format of
    country(): call refresh() once country() can answer, and again when it changes."""

    # What is wrong with the number typed, to show beside the field; "" once it is edited.
    problem = Signal(str)

    def __init__(
        self, numbers: list[str], country: Callable[[], str], parent: QWidget | None = None
    ) -> None:
        super().__init__(parent)
        self._numbers = list(numbers)
        self._country = country
        self.numbers_list = QListWidget()
        self.numbers_list.setAccessibleName("Your numbers")
        self.numbers_list.setFixedHeight(self.numbers_list.fontMetrics().lineSpacing() * 5 + 8)
        self.make_default_button = QPushButton("Make default")
        self.make_default_button.setAccessibleName("Make the selected number the default")
        self.remove_button = QPushButton("Remove")
        self.remove_button.setAccessibleName("Remove the selected number")
        side = QVBoxLayout()
        side.setSpacing(6)
        side.addWidget(self.make_default_button)
        side.addWidget(self.remove_button)
        # No stretch items here: one would make the form hand this row all spare height.
        side.setAlignment(Qt.AlignmentFlag.AlignTop)
        list_row = QHBoxLayout()
        list_row.setSpacing(8)
        list_row.addWidget(self.numbers_list, 1, Qt.AlignmentFlag.AlignTop)
        list_row.addLayout(side)
        self.number_edit = QLineEdit()
        self.number_edit.setAccessibleName("Number to add")
        self.number_edit.setPlaceholderText("Add a number, like 07700 900123 or +1 202 555 0100")
        self.number_edit.setClearButtonEnabled(True)
        self.add_button = QPushButton("Add")
        self.add_button.setAccessibleName("Add this number")
        add_row = QHBoxLayout()
        add_row.setSpacing(8)
        add_row.addWidget(self.number_edit, 1)
        add_row.addWidget(self.add_button)
        layout = QVBoxLayout()
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addLayout(list_row)
        layout.addLayout(add_row)
        self.setLayout(layout)  # (children join the focus chain in the layout's order)
        self.number_edit.installEventFilter(self)
        for button in (self.make_default_button, self.remove_button, self.add_button):
            button.setAutoDefault(False)
        self.add_button.clicked.connect(self.add_typed)
        self.remove_button.clicked.connect(self._remove)
        self.make_default_button.clicked.connect(self._make_default)
        self.numbers_list.currentRowChanged.connect(lambda _row: self._update_buttons())
        self.number_edit.textChanged.connect(lambda _t: self.problem.emit(""))

    def numbers(self) -> list[str]:
        """The numbers as edited so far (E.164, the default first)."""
        return list(self._numbers)

    def add_typed(self) -> bool:
        """Add what is typed in the number field; False (with problem emitted) if it is bad."""
        typed = self.number_edit.text().strip()
        if not typed:
            return True
        try:
            number = normalize(typed, self._country())
        except InvalidNumber as exc:
            self.problem.emit(str(exc))
            self.number_edit.setFocus()
            return False
        if number not in self._numbers:
            self._numbers.append(number)
        self.number_edit.clear()
        self.refresh(select=number)
        return True

    def _remove(self) -> None:
        row = self.numbers_list.currentRow()
        if 0 <= row < len(self._numbers):
            del self._numbers[row]
            self.refresh(
                select=self._numbers[min(row, len(self._numbers) - 1)] if self._numbers else None
            )

    def _make_default(self) -> None:
        row = self.numbers_list.currentRow()
        if 0 < row < len(self._numbers):
            self._numbers.insert(0, self._numbers.pop(row))
            self.refresh(select=self._numbers[0])

    def refresh(self, select: str | None = None) -> None:
        """Show the numbers again (in the country's national format), selecting `select`."""
        self.numbers_list.clear()
        country = self._country()
        for index, number in enumerate(self._numbers):
            text = display(number, country) + ("   Default" if index == 0 else "")
            item = QListWidgetItem(text)
            item.setData(Qt.ItemDataRole.UserRole, number)
            item.setToolTip(number)
            if index == 0:
                font = item.font()
                font.setBold(True)
                item.setFont(font)
            self.numbers_list.addItem(item)
        if not self._numbers:
            self.numbers_list.addItem(QListWidgetItem("No numbers yet: add yours below."))
            self.numbers_list.item(0).setFlags(Qt.ItemFlag.NoItemFlags)
        elif select in self._numbers:
            self.numbers_list.setCurrentRow(self._numbers.index(select))
        self._update_buttons()

    def _update_buttons(self) -> None:
        row = self.numbers_list.currentRow()
        valid = 0 <= row < len(self._numbers)
        self.remove_button.setEnabled(valid)
        self.make_default_button.setEnabled(valid and row > 0)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        # Enter in the number field adds the number instead of pressing OK.
        if (
            watched is self.number_edit
            and event.type() == QEvent.Type.KeyPress
            and isinstance(event, QKeyEvent)
            and event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter)
        ):
            self.add_typed()
            return True
        return super().eventFilter(watched, event)
