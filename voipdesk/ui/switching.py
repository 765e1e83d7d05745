"""Moving between conversations from the keyboard, wherever the focus is (the compose box too):
Ctrl+Tab / Ctrl+Shift+Tab and Alt+Down / Alt+Up go to the next / previous conversation in the
list, Ctrl+1 … Ctrl+9 to the first … ninth."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QAction, QKeySequence
from PySide6.QtWidgets import QMenu

if TYPE_CHECKING:
    from voipdesk.ui.main_window import MainWindow

NEXT = ("Ctrl+Tab", "Alt+Down")
PREVIOUS = ("Ctrl+Shift+Tab", "Ctrl+Shift+Backtab", "Alt+Up")


def add_switching(window: MainWindow, menu: QMenu) -> None:
    """Next/Previous conversation in `menu`, and Ctrl+1…9 on the window."""
    menu.addAction(_action(window, "&Next conversation", NEXT, lambda: step(window, 1)))
    menu.addAction(_action(window, "&Previous conversation", PREVIOUS, lambda: step(window, -1)))
    for number in range(1, 10):
        window.addAction(
            _action(
                window,
                f"Conversation {number}",
                (f"Ctrl+{number}",),
                lambda _checked=False, row=number - 1: go_to_row(window, row),
            )
        )


def _action(window: MainWindow, text: str, keys: tuple[str, ...], slot) -> QAction:
    action = QAction(text, window)
    action.setShortcuts([QKeySequence(key) for key in keys])
    action.setShortcutContext(Qt.ShortcutContext.WindowShortcut)
    action.triggered.connect(slot)
    return action


def step(window: MainWindow, by: int) -> None:
    """Open the conversation `by` rows below (above, when negative) the open one."""
    model = window.conversation_model
    wanted = window.wanted_conversation_id  # (several steps before the first one arrives)
    current = model.row_of(wanted) if wanted else -1
    row = current + by if current >= 0 else 0
    if row >= model.rowCount() and model.canFetchMore(QModelIndex()):
        model.fetchMore(QModelIndex())
    go_to_row(window, row)


def go_to_row(window: MainWindow, row: int) -> None:
    if window.showing_welcome():
        return
    conversation = window.conversation_model.conversation(row)
    if conversation is not None and conversation.id != window.wanted_conversation_id:
        window.open_conversation(conversation.id)
