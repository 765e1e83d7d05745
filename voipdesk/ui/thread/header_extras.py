"""What a thread's header has besides the name and the ⋯ button (own_number.py; its options
mute, block… are filled by ui/conversation_controls.py each time it opens): the line under the
header that says what holds for the whole conversation: the person opted out (texted STOP), or
the number is blocked. Plain text; the line is hidden when nothing holds."""

from __future__ import annotations

from PySide6.QtGui import QPalette
from PySide6.QtWidgets import QFrame, QHBoxLayout, QWidget

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
