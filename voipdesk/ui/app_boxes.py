"""The app's own message boxes: asking before quitting, and settings that could not be used.
Both open with open() and answer by signal (no nested event loop under qasync)."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget

from voipdesk.ui.labels import plain_message_box


def ask_to_quit(parent: QWidget, quit_: Callable[[], None], reasons: list[str]) -> QMessageBox:
    """Say what quitting would stop (`reasons`); quit_() runs only after the user chose Quit."""
    box = QMessageBox(parent)
    box.setIcon(QMessageBox.Icon.Question)
    box.setWindowTitle("Quit")  # the desktop adds " — voipdesk"
    box.setText("Quit voipdesk?")
    box.setTextFormat(Qt.TextFormat.PlainText)
    box.setInformativeText("\n\n".join(reasons))
    # Wide enough that the explanation reads as a paragraph, not a narrow column.
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 380px; }")
    quit_button = box.addButton("Quit", QMessageBox.ButtonRole.AcceptRole)
    box.addButton(QMessageBox.StandardButton.Cancel)
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.finished.connect(lambda _r: quit_() if box.clickedButton() is quit_button else None)
    box.open()
    return box


def settings_problems_box(parent: QWidget, problems: list[str]) -> QMessageBox:
    """What could not be used from settings.json, said once at start (not blocking)."""
    box = plain_message_box(
        QMessageBox.Icon.Warning,
        "Some settings could not be used",
        "Some of your settings could not be used, so voipdesk started without them.",
        QMessageBox.StandardButton.Ok,
        parent,
    )
    box.setInformativeText("\n\n".join(problems))
    box.setStyleSheet("QLabel#qt_msgbox_informativelabel { min-width: 420px; }")
    box.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
    box.open()
    return box
