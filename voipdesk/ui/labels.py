"""Plain-text labels and message boxes: text that can come from a message, a contact, a
provider's answer or a settings file is shown as text, never as HTML (QLabel's default,
AutoText, renders anything that looks like markup)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QMessageBox, QWidget

PLAIN = Qt.TextFormat.PlainText


def plain_label(text: str = "", *, wrap: bool = False, name: str | None = None) -> QLabel:
    """A QLabel that shows `text` literally; `name` is its accessible name."""
    label = QLabel(text)
    label.setTextFormat(PLAIN)
    label.setWordWrap(wrap)
    if name:
        label.setAccessibleName(name)
    return label


def plain_message_box(
    icon: QMessageBox.Icon,
    title: str,
    text: str,
    buttons: QMessageBox.StandardButton,
    parent: QWidget | None = None,
) -> QMessageBox:
    """A QMessageBox whose text (and informative text, set later) is shown literally."""
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(PLAIN)
    return box
