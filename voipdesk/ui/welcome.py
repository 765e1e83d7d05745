"""The first-run page: what voipdesk is, and two ways on (set up an account, or try the demo)."""

from __future__ import annotations

from PySide6.QtCore import QEvent, QSize, Qt, Signal
from PySide6.QtGui import QGuiApplication, QIcon
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QSizePolicy, QVBoxLayout, QWidget

from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label

ICON_SIZE = 96
COLUMN_WIDTH = 520


class WelcomePage(QWidget):
    """Shown in the main window until an account is set up."""

    setupRequested = Signal()
    demoRequested = Signal()

    def __init__(self, parent: QWidget | None = None, *, icon: QIcon | None = None) -> None:
        super().__init__(parent)
        # The app sets its window icon at start-up; use it rather than reading a file here.
        icon = icon if icon is not None else QGuiApplication.windowIcon()

        self.icon_label = QLabel()
        self.icon_label.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.icon_label.setMinimumHeight(ICON_SIZE)  # never squeezed (it was cut top and bottom)
        self.icon_label.setAccessibleName("voipdesk")
        self._icon = icon
        self.title = plain_label("Welcome to voipdesk")
        self.title.setAlignment(Qt.AlignmentFlag.AlignCenter)
        font = self.title.font()
        font.setPointSizeF(max(font.pointSizeF(), 9.0) * 1.8)
        font.setBold(True)
        self.title.setFont(font)
        self.intro = plain_label(
            "Text from your computer with your VoIP Number account. Your conversations, "
            "replies and delivery reports, just like on your phone.",
            wrap=True,
        )
        self.intro.setAlignment(Qt.AlignmentFlag.AlignCenter)
        intro_font = self.intro.font()
        intro_font.setPointSizeF(max(intro_font.pointSizeF(), 9.0) * 1.1)
        self.intro.setFont(intro_font)

        self.setup_button = QPushButton("Set up my account")
        self.setup_button.setObjectName("primary")
        self.setup_button.setAccessibleName("Set up my account")
        self.setup_button.setDefault(True)
        self.demo_button = QPushButton("Try the demo")
        self.demo_button.setAccessibleName("Try the demo")
        self.demo_button.setToolTip("A pretend account on this computer: nothing is sent.")
        for button in (self.setup_button, self.demo_button):
            button.setMinimumSize(QSize(200, 44))
            button.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
            button_font = button.font()
            button_font.setPointSizeF(max(button_font.pointSizeF(), 9.0) * 1.1)
            button.setFont(button_font)
        self.need = plain_label(
            "You'll need your Account ID and API token from app.voipnumber.net/settings",
            wrap=True,
        )
        self.need.setAlignment(Qt.AlignmentFlag.AlignCenter)
        self.need.setAccessibleName("What you need")

        buttons = QHBoxLayout()
        buttons.setSpacing(16)
        buttons.addStretch(1)
        buttons.addWidget(self.setup_button)
        buttons.addWidget(self.demo_button)
        buttons.addStretch(1)

        column = QWidget()
        # A fixed width: wrapped labels in a centred, width-limited column otherwise get a height
        # computed for another width and lose their last line.
        column.setFixedWidth(COLUMN_WIDTH)
        inner = QVBoxLayout(column)
        inner.setSpacing(14)
        inner.addWidget(self.icon_label)
        inner.addSpacing(6)
        inner.addWidget(self.title)
        inner.addWidget(self.intro)
        inner.addSpacing(14)
        inner.addLayout(buttons)
        inner.addSpacing(6)
        inner.addWidget(self.need)

        outer = QVBoxLayout(self)
        outer.setContentsMargins(24, 24, 24, 24)
        outer.addStretch(1)
        outer.addWidget(column, 0, Qt.AlignmentFlag.AlignHCenter)
        outer.addStretch(2)

        self.setTabOrder(self.setup_button, self.demo_button)
        self.setup_button.clicked.connect(self.setupRequested)
        self.demo_button.clicked.connect(self.demoRequested)
        self._apply_look()

    def _apply_look(self) -> None:
        theme.set_text_color(self.need, theme.muted_text(self.palette()))
        if self._icon.isNull():
            self.icon_label.hide()
        else:
            self.icon_label.setPixmap(
                self._icon.pixmap(QSize(ICON_SIZE, ICON_SIZE), self.devicePixelRatioF())
            )
            self.icon_label.show()

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_look()
