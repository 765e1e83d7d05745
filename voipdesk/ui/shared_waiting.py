"""The window a desk on the shared inbox shows while the shared database does not answer at
start (issue #11, item 5): a sentence saying why and that voipdesk keeps trying, and Quit. The
conversations window takes its place as soon as the database answers; until then nothing can
be read or sent (sending is refused: there is no compose box, and the sentence says so)."""

from __future__ import annotations

from PySide6.QtCore import Signal
from PySide6.QtGui import QCloseEvent, QIcon
from PySide6.QtWidgets import QHBoxLayout, QPushButton, QVBoxLayout, QWidget

from voipdesk.ui.labels import plain_label
from voipdesk.ui.shared_connection import database_words

KEEPS_TRYING = (
    "voipdesk keeps trying every few seconds: your conversations appear here as soon as it "
    "answers. Nothing can be sent until then."
)


class SharedWaitingWindow(QWidget):
    """Says that the shared inbox cannot be reached yet; closing it quits."""

    quitRequested = Signal()

    def __init__(self, where: str, icon: QIcon) -> None:
        super().__init__()
        self.setWindowTitle("voipdesk — shared inbox")
        self.setWindowIcon(icon)
        self.setAccessibleName("Shared inbox unreachable")
        layout = QVBoxLayout(self)
        layout.setContentsMargins(24, 24, 24, 24)
        # (as a person says it: the full address, said without its password, is in the
        # sentence that says why it does not answer)
        self.title = plain_label(
            f"Connecting to the shared inbox: {database_words(where)}…", wrap=True
        )
        font = self.title.font()
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.title.setFont(font)
        self.label = plain_label("", wrap=True)
        self.label.hide()
        layout.addWidget(self.title)
        layout.addWidget(self.label)
        layout.addStretch(1)
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        self.quit_button = QPushButton("Quit")
        self.quit_button.clicked.connect(self.quitRequested.emit)
        buttons.addWidget(self.quit_button)
        layout.addLayout(buttons)
        self.resize(640, 280)

    def say(self, sentence: str) -> None:
        """The database did not answer: why, and that voipdesk keeps trying."""
        self.title.setText("The shared inbox cannot be reached")
        self.label.setText(f"{sentence.rstrip()}\n\n{KEEPS_TRYING}")
        self.label.show()

    def closeEvent(self, event: QCloseEvent) -> None:
        self.quitRequested.emit()
        super().closeEvent(event)
