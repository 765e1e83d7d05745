"""A conversation is one own number and one person. What the thread header says about the own
number, the header's menu that texts the same person from another of the user's numbers (an
explicit step that opens that other conversation), and what a bubble says when the thread's
number could not send."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMenu, QToolButton, QWidget

from voipdesk.core.models import Conversation, Direction, Message
from voipdesk.core.phone import display
from voipdesk.provider.errors import SENDER_CODES

OTHER_NUMBER_MENU = "Text from another number"


def own_number_text(own: str, country: str) -> str:
    """The header's words for the number a conversation is on."""
    return f"your number {display(own, country)}"


def sender_advice(message: Message) -> str:
    """After "the number … cannot send": what Retry does and how to use another number ("" for
    any other failure)."""
    if message.direction is not Direction.OUT or message.error_code not in SENDER_CODES:
        return ""
    number = display(message.own_number, "")
    return (
        f"Retry sends from {number} again. To use another of your numbers: "
        f"⋯ (top right) → {OTHER_NUMBER_MENU}."
    )


class ConversationMenuButton(QToolButton):
    """The ⋯ button in the thread header. Its menu offers the user's other numbers; picking one
    calls `on_pick(number)`. Hidden when there is nothing to offer."""

    def __init__(self, on_pick: Callable[[str], object], parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._on_pick = on_pick
        self.setText("⋯")
        self.setAccessibleName("More for this conversation")
        self.setToolTip("More for this conversation")
        self.setPopupMode(QToolButton.ToolButtonPopupMode.InstantPopup)
        self.setToolButtonStyle(Qt.ToolButtonStyle.ToolButtonTextOnly)
        self.setAutoRaise(True)
        self.setMenu(QMenu(self))
        self.setStyleSheet("QToolButton::menu-indicator { image: none; width: 0px; }")
        self.hide()

    def refresh(self, conversation: Conversation | None, numbers: list[str], country: str) -> None:
        """Offer `numbers` other than the conversation's own, in the order given."""
        menu = self.menu()
        menu.clear()
        own = conversation.own_number if conversation is not None else None
        others = [n for n in numbers if n != own] if own is not None else []
        if others:
            sub = menu.addMenu(OTHER_NUMBER_MENU)
            for number in dict.fromkeys(others):
                action = sub.addAction(f"From {display(number, country)}")
                action.triggered.connect(lambda _checked=False, n=number: self._on_pick(n))
        self.setVisible(bool(others))

    def other_number_actions(self) -> dict[str, object]:
        """The submenu's actions by their text (for tests and accessibility checks)."""
        for action in self.menu().actions():
            if action.menu() is not None and action.text() == OTHER_NUMBER_MENU:
                return {a.text(): a for a in action.menu().actions()}
        return {}
