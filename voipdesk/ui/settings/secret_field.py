"""A secret's field in the settings dialog: masked, with a Show toggle."""

from __future__ import annotations

from PySide6.QtWidgets import QHBoxLayout, QLineEdit, QPushButton, QWidget


class SecretField(QWidget):
    """A masked line edit with a Show toggle. The stored value appears only when Show is pressed."""

    def __init__(self, stored: str | None, placeholder: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._stored = stored or ""
        self._revealed = False
        self.edit = QLineEdit()
        self.edit.setEchoMode(QLineEdit.EchoMode.Password)
        self.edit.setPlaceholderText(placeholder)
        self.show_button = QPushButton("Show")
        self.show_button.setCheckable(True)
        self.show_button.setAutoDefault(False)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.setSpacing(6)
        layout.addWidget(self.edit, 1)
        layout.addWidget(self.show_button)
        self.setFocusProxy(self.edit)
        self.show_button.toggled.connect(self._toggled)

    def set_accessible_name(self, name: str) -> None:
        self.edit.setAccessibleName(name)
        self.show_button.setAccessibleName(f"Show {name}")

    def set_stored(self, stored: str | None, placeholder: str) -> None:
        """The value read from the keyring (read off the GUI thread, so it arrives later)."""
        self._stored = stored or ""
        self.edit.setPlaceholderText(placeholder)
        self.show_button.setEnabled(True)

    def change(self) -> tuple[bool, str | None]:
        """(changed, new value); a value that was shown and then cleared means “remove it”."""
        text = self.edit.text().strip()
        if text:
            return text != self._stored, text
        return (self._revealed and bool(self._stored)), None

    def _toggled(self, on: bool) -> None:
        if on and not self.edit.text() and self._stored:
            self.edit.setText(self._stored)
            self._revealed = True
        self.edit.setEchoMode(QLineEdit.EchoMode.Normal if on else QLineEdit.EchoMode.Password)
        self.show_button.setText("Hide" if on else "Show")
