"""The "New message" dialog: who to text (a number or a contact), from which number, and what."""

from __future__ import annotations

import itertools

from PySide6.QtCore import QEvent, QStringListModel, Qt
from PySide6.QtWidgets import (
    QComboBox,
    QCompleter,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.phone import InvalidNumber, display, normalize
from voipdesk.ui import theme
from voipdesk.ui.compose import MessageEdit, length_text
from voipdesk.ui.labels import plain_label
from voipdesk.ui.send_later import later_button
from voipdesk.ui.send_later_dialog import SendLaterDialog


class NewMessageDialog(QDialog):
    """Asks for a recipient; accepts national numbers for `country` and contact names."""

    def __init__(
        self,
        country: str,
        contacts: dict[str, str],
        numbers: list[str],
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self.setWindowTitle("New message")
        self._country = country
        self._numbers = list(numbers)
        self._recipient = ""
        # What the completer offers, and what each entry means.
        self._by_label: dict[str, str] = {}
        self._by_name: dict[str, str] = {}
        self._names: dict[str, str] = {}
        self._offered = QStringListModel(self)

        self.to_edit = QLineEdit()
        self.to_edit.setAccessibleName("To")
        self.to_edit.setPlaceholderText("Name or number, like 07700 900123")
        self.to_edit.setClearButtonEnabled(True)
        completer = QCompleter(self._offered, self)
        completer.setCaseSensitivity(Qt.CaseSensitivity.CaseInsensitive)
        completer.setFilterMode(Qt.MatchFlag.MatchContains)
        completer.setCompletionMode(QCompleter.CompletionMode.PopupCompletion)
        self.to_edit.setCompleter(completer)
        self.to_hint = self._label()
        self.to_hint.setAccessibleName("Recipient")
        self.to_error = self._label()
        self.to_error.setAccessibleName("Problem with the recipient")
        self.to_error.hide()

        self.from_combo = QComboBox()
        self.from_combo.setAccessibleName("Send from number")
        for number in self._numbers:
            self.from_combo.addItem(display(number, country), number)

        # Enter sends and Shift+Enter starts a new line, as in the main compose box.
        self.text_edit = MessageEdit(fit=False)
        self.text_edit.setAccessibleName("Message text")
        self.text_edit.setPlaceholderText("Message (optional: leave empty to just open the chat)")
        self.text_edit.setFixedHeight(self.text_edit.height_for(4))
        self.text_edit.submitted.connect(self.accept)
        self.counter = self._label()
        self.counter.setAccessibleName("Message length")
        self.counter.setAlignment(Qt.AlignmentFlag.AlignRight)

        form = QFormLayout()
        form.setFieldGrowthPolicy(QFormLayout.FieldGrowthPolicy.AllNonFixedFieldsGrow)
        to_box = QVBoxLayout()
        to_box.setSpacing(2)
        to_box.addWidget(self.to_edit)
        to_box.addWidget(self.to_error)
        to_box.addWidget(self.to_hint)
        form.addRow(self._row_label("&To", self.to_edit), to_box)
        if len(self._numbers) > 1:
            form.addRow(self._row_label("&From", self.from_combo), self.from_combo)
        else:
            self.from_combo.hide()
        text_box = QVBoxLayout()
        text_box.setSpacing(2)
        text_box.addWidget(self.text_edit)
        text_box.addWidget(self.counter)
        self.attachment_note = self._label()  # a picture pasted or dropped: why it is not sent
        self.attachment_note.hide()
        self.text_edit.attachmentRefused.connect(self._attachment_refused)
        text_box.addWidget(self.attachment_note)
        # Alt+T / Alt+M jump to the field. The buddy is set before the label is laid out: set
        # later, the label keeps a width measured with the “&” and its last letter is cut.
        form.addRow(self._row_label("&Message", self.text_edit), text_box)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        # Send later, as beside the main compose box's Send: the clock picks when.
        self.later_button = later_button()
        self.buttons.addButton(self.later_button, QDialogButtonBox.ButtonRole.ActionRole)
        self.later_button.clicked.connect(self._send_later)
        self._send_at: float | None = None
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(16, 16, 16, 12)
        layout.setSpacing(12)
        layout.addLayout(form)
        layout.addWidget(self.buttons)
        self.setMinimumWidth(480)

        chain = [self.to_edit, self.from_combo, self.text_edit, self.buttons]
        if len(self._numbers) <= 1:
            chain.remove(self.from_combo)
        for first, second in itertools.pairwise(chain):
            self.setTabOrder(first, second)

        self.to_edit.textChanged.connect(self._to_changed)
        self.text_edit.textChanged.connect(self._text_changed)
        self.set_contacts(contacts)
        self._to_changed()
        self._text_changed()
        self._apply_colors()

    # -- results --------------------------------------------------------------------------------
    def set_contacts(self, contacts: dict[str, str]) -> None:
        """The names the To field offers and understands (they may arrive after the dialog
        opened: they are read on a worker); what is typed meanwhile is read again."""
        self._by_label, self._by_name, self._names = {}, {}, {}
        country = self._country
        for number, name in sorted(contacts.items(), key=lambda item: item[1].casefold()):
            name = (name or "").strip()
            shown = display(number, country)
            if name:
                self._by_label[f"{name} ({shown})"] = number
                self._by_name.setdefault(name.casefold(), number)
                self._names[number] = name
            else:
                self._by_label[shown] = number
        self._offered.setStringList(list(self._by_label))
        if self.to_edit.text():
            self._to_changed()

    def recipient(self) -> str:
        """The recipient in E.164 (after accept)."""
        return self._recipient

    def sender(self) -> str:  # shadows QObject.sender(); this dialog never needs that
        """The own number to send from."""
        data = self.from_combo.currentData()
        return str(data) if data else ""

    def text(self) -> str:
        """The message (may be empty: then only the conversation opens)."""
        return self.text_edit.toPlainText().strip()

    def send_at(self) -> float | None:
        """When to send it (unix seconds; None: now), picked with the clock button."""
        return self._send_at

    # -- behaviour ------------------------------------------------------------------------------
    def resolve(self, typed: str) -> tuple[str, str | None]:
        """(E.164, contact name or None) for what was typed; raises InvalidNumber."""
        typed = typed.strip()
        if typed in self._by_label:
            number = self._by_label[typed]
        elif typed.casefold() in self._by_name:
            number = self._by_name[typed.casefold()]
        elif any(ch.isalpha() for ch in typed) and not any(ch.isdigit() for ch in typed):
            raise InvalidNumber(
                f"No contact is called “{typed}”, and it is not a phone number either."
            )
        else:
            number = normalize(typed, self._country)
        return number, self._names.get(number)

    def accept(self) -> None:
        if self._check_recipient():
            super().accept()

    def _check_recipient(self) -> bool:
        try:
            number, _name = self.resolve(self.to_edit.text())
        except InvalidNumber as exc:
            self.to_error.setText(str(exc))
            self.to_error.show()
            self._grow_to_fit()
            self.to_edit.setFocus()
            self.to_edit.selectAll()
            return False
        self._recipient = number
        return True

    def _send_later(self) -> None:
        """The clock: pick when (the recipient is checked first); Schedule ends this dialog."""
        if not self.text() or not self._check_recipient():
            return
        self.later_dialog = SendLaterDialog(self)

        def picked() -> None:
            self._send_at = self.later_dialog.when()
            super(NewMessageDialog, self).accept()

        self.later_dialog.accepted.connect(picked)
        self.later_dialog.open()

    def _attachment_refused(self, sentence: str) -> None:
        self.attachment_note.setText(sentence)
        self.attachment_note.show()
        self._grow_to_fit()

    def _grow_to_fit(self) -> None:
        """A top-level dialog keeps its size when a wrapped sentence appears in it, and Qt then
        squeezes the rows below onto each other: grow to the height the rows need at this
        width."""
        layout = self.layout()
        layout.activate()
        needed = layout.totalHeightForWidth(self.width())
        if needed > self.height():
            self.resize(self.width(), needed)

    def _to_changed(self) -> None:
        self.to_error.hide()
        typed = self.to_edit.text().strip()
        hint = ""
        if typed:
            try:
                number, name = self.resolve(typed)
            except InvalidNumber:
                hint = ""
            else:
                shown = display(number, self._country)
                hint = f"To {name}, {shown}" if name else f"To {shown}"
        self.to_hint.setText(hint)
        self.to_hint.setVisible(bool(hint))

    def _text_changed(self) -> None:
        text = self.text_edit.toPlainText()
        self.counter.setText(length_text(text))
        self.ok_button.setText("Send" if text.strip() else "Open conversation")
        self.later_button.setEnabled(bool(text.strip()))

    @staticmethod
    def _row_label(text: str, buddy: QWidget) -> QLabel:
        label = QLabel(text)
        label.setBuddy(buddy)
        # Drawn with the mnemonic underlined, “To” loses its kerning and needs a little more
        # room than measured; without it the “o” is cut.
        label.setMinimumWidth(label.sizeHint().width() + 3)
        return label

    @staticmethod
    def _label() -> QLabel:
        return plain_label(wrap=True)

    def _apply_colors(self) -> None:
        palette = self.palette()
        theme.set_text_color(self.to_error, theme.error_text(palette))
        theme.set_text_color(self.to_hint, theme.muted_text(palette))
        theme.set_text_color(self.counter, theme.muted_text(palette))
        theme.set_text_color(self.attachment_note, theme.muted_text(palette))

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()
