"""The line above the thread in the demo: what the demo is, "Set up my account" and "Got it".

Beside its buttons while the text keeps a readable line length there; in a narrow window (800 px
wide, or large text) the text takes the whole width and the buttons go under it, at the right,
rather than squeezing the text into a tall column of short lines."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QResizeEvent
from PySide6.QtWidgets import QBoxLayout, QFrame, QHBoxLayout, QPushButton

from voipdesk.ui.labels import plain_label

TEXT = (
    "You're trying voipdesk with a demo account. Text Sam Demo and a reply "
    "arrives a moment later, through the same path as a real message."
)
MIN_LINE_CHARS = 50  # beside the buttons, the text keeps at least this many characters a line


class DemoNotice(QFrame):
    def __init__(self, account: QPushButton) -> None:
        super().__init__()
        self.setAutoFillBackground(True)
        self.hint = plain_label(TEXT, wrap=True, name="Demo notice")
        self.account = account
        self.got_it = QPushButton("Got it")
        self.got_it.setAccessibleName("Hide the demo notice")
        self.got_it.setAutoDefault(False)
        self.got_it.clicked.connect(self.hide)
        self.buttons = QHBoxLayout()
        self.buttons.setContentsMargins(0, 0, 0, 0)
        self.buttons.addWidget(account)
        self.buttons.addWidget(self.got_it)
        self.layout_ = QBoxLayout(QBoxLayout.Direction.LeftToRight, self)
        self.layout_.setContentsMargins(12, 8, 12, 8)
        self.layout_.addWidget(self.hint, 1)
        self.layout_.addLayout(self.buttons)
        self._arrange(beside=True)

    @property
    def stacked(self) -> bool:
        """True while the buttons are under the text."""
        return self.layout_.direction() == QBoxLayout.Direction.TopToBottom

    def _arrange(self, beside: bool) -> None:
        if beside:
            self.layout_.setDirection(QBoxLayout.Direction.LeftToRight)
            self.layout_.setAlignment(self.buttons, Qt.AlignmentFlag.AlignVCenter)
        else:
            self.layout_.setDirection(QBoxLayout.Direction.TopToBottom)
            self.layout_.setAlignment(self.buttons, Qt.AlignmentFlag.AlignRight)

    def resizeEvent(self, event: QResizeEvent) -> None:
        margins = self.layout_.contentsMargins()
        room = (
            event.size().width()
            - margins.left()
            - margins.right()
            - self.layout_.spacing()
            - self.buttons.sizeHint().width()
        )
        beside = room >= self.hint.fontMetrics().averageCharWidth() * MIN_LINE_CHARS
        if beside == self.stacked:
            self._arrange(beside)
        super().resizeEvent(event)
