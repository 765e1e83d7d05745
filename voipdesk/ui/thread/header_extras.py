"""What a thread's header has besides the name: the ⋯ button with the conversation's options
(mute, block…; filled by ui/conversation_controls.py each time it opens), and the line under the
header that says what holds for the whole conversation: the person opted out (texted STOP), or
the number is blocked. Plain text; the line is hidden when nothing holds."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtGui import QFont, QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QMenu, QToolButton, QWidget

from voipdesk.core.models import Conversation
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label


def note_for(conversation: Conversation, name: str, *, blocked: bool) -> str:
    """What the line says about a conversation ("" for nothing)."""
    if blocked:
        return (
            f"You blocked {name}. Their texts are kept but raise no notification and stay out "
            "of your conversations. Unblock them from this conversation's ⋯ menu or in "
            "Settings → Blocked."
        )
    if conversation.opted_out:
        return (
            f"{name} texted STOP: they asked not to get texts from this number. voipdesk asks "
            "before sending to them, until they text START."
        )
    return ""


class NoteLine(QFrame):
    """A calm band under the header (the palette's AlternateBase, muted text)."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAutoFillBackground(True)
        self.setBackgroundRole(QPalette.ColorRole.AlternateBase)
        self.label = plain_label(wrap=True, name="About this conversation")
        self.label.setFont(theme.small_font(self.label.font()))
        layout = QHBoxLayout(self)
        layout.setContentsMargins(16, 6, 16, 6)
        layout.addWidget(self.label)
        self.hide()

    def set_text(self, text: str) -> None:
        self.label.setText(text)
        self.setVisible(bool(text))


def menu_button(fill: Callable[[QMenu], None], parent: QWidget | None = None) -> QToolButton:
    """The ⋯ button; `fill(menu)` puts the options in each time it opens."""
    button = QToolButton(parent)
    button.setText("⋯")
    font = QFont(button.font())
    font.setPointSizeF(font.pointSizeF() * 1.5)
    font.setBold(True)
    button.setFont(font)
    button.setToolTip("Conversation options")
    button.setAccessibleName("Conversation options")
    button.setAutoRaise(True)
    menu = QMenu(button)
    button.options_menu = menu  # (not setMenu(): that draws a drop-down arrow beside the dots)

    def refill() -> None:
        menu.clear()
        fill(menu)

    def show() -> None:
        refill()
        below = button.mapToGlobal(QPoint(button.width(), button.height()))
        menu.popup(QPoint(below.x() - menu.sizeHint().width(), below.y()))

    button.clicked.connect(show)
    return button
