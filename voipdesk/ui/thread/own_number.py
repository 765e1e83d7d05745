"""A conversation is one own number and one person. What the thread header says about the own
number, the header's menu that texts the same person from another of the user's numbers (an
explicit step that opens that other conversation), and what a bubble says when the thread's
number could not send."""

from __future__ import annotations

from collections.abc import Callable

from PySide6.QtCore import QPoint
from PySide6.QtGui import QFont
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
    any other failure). Shown on a line of its own under the reason (ui/thread/text.py)."""
    if not cannot_send(message):
        return ""
    return f"Retry uses it again · ⋯ → {OTHER_NUMBER_MENU}"


def cannot_send(message: Message) -> bool:
    """The message failed because the thread's own number cannot send."""
    return message.direction is Direction.OUT and message.error_code in SENDER_CODES


class ConversationMenuButton(QToolButton):
    """The ⋯ button in the thread header: the conversation's options. Its menu offers the user's
    other numbers (picking one calls `on_pick(number)`), then what `fill(menu)` adds (mute,
    block…; ui/conversation_controls.py). Built afresh each time it opens."""

    def __init__(
        self,
        on_pick: Callable[[str], object],
        fill: Callable[[QMenu], None] = lambda _menu: None,
        parent: QWidget | None = None,
    ) -> None:
        super().__init__(parent)
        self._on_pick = on_pick
        self._fill = fill
        self._conversation: Conversation | None = None
        self._numbers: list[str] = []
        self._country = ""
        self.setText("⋯")
        font = QFont(self.font())
        font.setPointSizeF(font.pointSizeF() * 1.5)
        font.setBold(True)
        self.setFont(font)
        self.setAccessibleName("Conversation options")
        self.setToolTip("Conversation options")
        self.setAutoRaise(True)
        # Not setMenu(): that draws a drop-down arrow beside the dots, and its popup would run
        # a nested event loop.
        self.options_menu = QMenu(self)
        self.clicked.connect(self._show)
        self.hide()

    def refresh(self, conversation: Conversation | None, numbers: list[str], country: str) -> None:
        """The conversation shown and the user's numbers, in the order given."""
        self._conversation, self._numbers, self._country = conversation, numbers, country
        self.setVisible(conversation is not None)

    def refill(self) -> QMenu:
        menu = self.options_menu
        menu.clear()
        own = self._conversation.own_number if self._conversation is not None else None
        others = [n for n in self._numbers if n != own] if own is not None else []
        if others:
            sub = menu.addMenu(OTHER_NUMBER_MENU)
            for number in dict.fromkeys(others):
                action = sub.addAction(f"From {display(number, self._country)}")
                action.triggered.connect(lambda _checked=False, n=number: self._on_pick(n))
            menu.addSeparator()
        self._fill(menu)
        return menu

    def _show(self) -> None:
        menu = self.refill()
        below = self.mapToGlobal(QPoint(self.width(), self.height()))
        menu.popup(QPoint(below.x() - menu.sizeHint().width(), below.y()))

    def other_number_actions(self) -> dict[str, object]:
        """The submenu's actions by their text (for tests and accessibility checks)."""
        for action in self.refill().actions():
            if action.menu() is not None and action.text() == OTHER_NUMBER_MENU:
                return {a.text(): a for a in action.menu().actions()}
        return {}
