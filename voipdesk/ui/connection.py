"""The receiving panel: listener and tunnel state, the public webhook URL to paste, and a Test."""

from __future__ import annotations

from PySide6.QtCore import QEvent, Qt, QTimer, Signal
from PySide6.QtGui import QColor, QGuiApplication, QPainter, QPalette, QPixmap, QShowEvent
from PySide6.QtWidgets import (
    QFrame,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from voipdesk.receiver.status import NOT_STARTED, ReceivingStatus, TunnelState
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label

NUMBERS_PAGE = "app.voipnumber.net/numbers"
PASTE_TEXT = f"Paste this URL as the webhook of each of your numbers on {NUMBERS_PAGE}."
LOCAL_TEXT = (
    "This address works only on this computer, because the tunnel is turned off "
    "(Settings → Advanced). VoIP Number cannot reach it unless you forward the port yourself."
)
DEMO_TEXT = (
    "In the demo, the built-in sandbox delivers its messages to this address: "
    "there is nothing to paste."
)
URL_CHANGED_TEXT = (
    f"Your webhook URL changed. Until you paste the new URL on {NUMBERS_PAGE}, "
    "messages sent to your numbers will not arrive."
)
_TUNNEL_WORDS = {
    TunnelState.OFF: "Tunnel off",
    TunnelState.STARTING: "Tunnel starting",
    TunnelState.ONLINE: "Tunnel online",
    TunnelState.ERROR: "Tunnel problem",
    TunnelState.DISABLED: "Tunnel turned off",
}
STARTING_COLOR = "#d29922"  # amber: on its way
_AMBER = QColor(STARTING_COLOR)


def status_dot(color: QColor, size: int = 10, dpr: float = 1.0) -> QPixmap:
    """A small filled circle that shows a state at a glance."""
    pixmap = QPixmap(round(size * dpr), round(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    painter.setRenderHint(QPainter.RenderHint.Antialiasing)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawEllipse(0, 0, size, size)
    painter.end()
    return pixmap


def _plain_label(text: str = "", *, wrap: bool = True) -> QLabel:
    return plain_label(text, wrap=wrap)


class ConnectionPanel(QWidget):
    """Shows a ReceivingStatus; emits testRequested and setupRequested. Does no I/O itself."""

    testRequested = Signal()
    setupRequested = Signal()

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._status: ReceivingStatus | None = None
        self._test_state: bool | None = None  # True/False after a test; None: none or busy
        self._testing = False
        self._demo = False

        # The loud banner for a changed URL.
        self.banner = QFrame()
        self.banner.setAutoFillBackground(True)
        self.banner.setAccessibleName("Webhook URL changed")
        self.banner_label = _plain_label(URL_CHANGED_TEXT)
        font = self.banner_label.font()
        font.setBold(True)
        self.banner_label.setFont(font)
        self.copy_new_button = QPushButton("Copy new URL")
        self.copy_new_button.setAccessibleName("Copy the new webhook URL")
        banner_layout = QHBoxLayout(self.banner)
        banner_layout.setContentsMargins(12, 10, 12, 10)
        banner_layout.setSpacing(12)
        banner_layout.addWidget(self.banner_label, 1)
        banner_layout.addWidget(self.copy_new_button, 0, Qt.AlignmentFlag.AlignVCenter)
        self.banner.hide()

        # Listener and tunnel lines.
        self.listener_dot = QLabel()
        self.listener_label = _plain_label()
        self.listener_label.setAccessibleName("Listener state")
        self.tunnel_dot = QLabel()
        self.tunnel_label = _plain_label()
        self.tunnel_label.setAccessibleName("Tunnel state")
        states = QGridLayout()
        states.setHorizontalSpacing(8)
        states.setVerticalSpacing(6)
        states.setColumnStretch(1, 1)
        for row, (dot, label) in enumerate(
            ((self.listener_dot, self.listener_label), (self.tunnel_dot, self.tunnel_label))
        ):
            states.addWidget(dot, row, 0, Qt.AlignmentFlag.AlignTop)
            states.addWidget(label, row, 1)
            dot.setContentsMargins(0, 4, 0, 0)

        # The URL to paste.
        self.url_title = _plain_label("Your webhook URL", wrap=False)
        title_font = self.url_title.font()
        title_font.setBold(True)
        self.url_title.setFont(title_font)
        self.url_edit = QLineEdit()
        self.url_edit.setReadOnly(True)
        self.url_edit.setAccessibleName("Webhook URL")
        self.url_edit.setPlaceholderText("The URL appears here once the tunnel is online.")
        self.copy_button = QPushButton("Copy")
        self.copy_button.setAccessibleName("Copy the webhook URL")
        self.copy_button.setAutoDefault(False)
        url_row = QHBoxLayout()
        url_row.setSpacing(6)
        url_row.addWidget(self.url_edit, 1)
        url_row.addWidget(self.copy_button)
        self.instruction = _plain_label(PASTE_TEXT)
        self.instruction.setAccessibleName("What to do with the URL")

        # Test and setup.
        self.test_button = QPushButton("Test")
        self.test_button.setAccessibleName("Test receiving")
        self.test_button.setToolTip("Sends a test request to the public URL and checks it arrives.")
        self.test_button.setAutoDefault(False)
        self.test_icon = _plain_label(wrap=False)
        icon_font = self.test_icon.font()
        icon_font.setBold(True)
        icon_font.setPointSizeF(max(icon_font.pointSizeF(), 9.0) * 1.3)
        self.test_icon.setFont(icon_font)
        self.test_result = _plain_label()
        self.test_result.setAccessibleName("Test result")
        self.setup_button = QPushButton("Set up receiving")
        self.setup_button.setObjectName("primary")
        self.setup_button.setAccessibleName("Set up receiving")
        self.setup_button.setAutoDefault(False)
        self.setup_button.hide()
        test_row = QHBoxLayout()
        test_row.setSpacing(8)
        test_row.addWidget(self.setup_button)
        test_row.addWidget(self.test_button)
        test_row.addWidget(self.test_icon)
        test_row.addWidget(self.test_result, 1)

        layout = QVBoxLayout(self)
        layout.setContentsMargins(12, 12, 12, 12)
        layout.setSpacing(10)
        layout.addWidget(self.banner)
        layout.addLayout(states)
        layout.addSpacing(4)
        layout.addWidget(self.url_title)
        layout.addLayout(url_row)
        layout.addWidget(self.instruction)
        layout.addSpacing(4)
        layout.addLayout(test_row)
        layout.addStretch(1)

        self.setTabOrder(self.copy_new_button, self.url_edit)
        self.setTabOrder(self.url_edit, self.copy_button)
        self.setTabOrder(self.copy_button, self.setup_button)
        self.setTabOrder(self.setup_button, self.test_button)

        self.copy_button.clicked.connect(lambda: self.copy_url(self.copy_button))
        self.copy_new_button.clicked.connect(lambda: self.copy_url(self.copy_new_button))
        self.test_button.clicked.connect(self._test_clicked)
        self.setup_button.clicked.connect(self.setupRequested)
        self.set_status(NOT_STARTED)

    # -- public API -----------------------------------------------------------------------------
    def status(self) -> ReceivingStatus | None:
        return self._status

    def set_demo(self, demo: bool) -> None:
        """In the demo the sandbox is the provider: the instructions say so."""
        self._demo = demo
        if self._status is not None:
            self.set_status(self._status)

    def set_status(self, status: ReceivingStatus) -> None:
        """Show where receiving stands."""
        self._status = status
        if status.listener_running:
            port = f" (port {status.listener_port})" if status.listener_port else ""
            self.listener_label.setText(f"Listening on this computer{port}.")
        else:
            self.listener_label.setText(
                status.listener_error or "The listener on this computer is not running."
            )
        word = _TUNNEL_WORDS.get(status.tunnel_state, status.tunnel_state.capitalize())
        message = status.tunnel_message.strip()
        if not message:
            tunnel_text = word
        elif "tunnel" in message.lower():  # “The tunnel is off: …” says it all by itself
            tunnel_text = message
        else:
            tunnel_text = f"{word}: {message}"
        self.tunnel_label.setText(tunnel_text)
        local = status.tunnel_state is TunnelState.DISABLED
        self.url_title.setText("Webhook URL on this computer" if local else "Your webhook URL")
        self.instruction.setText(DEMO_TEXT if self._demo else LOCAL_TEXT if local else PASTE_TEXT)
        self.url_edit.setText(status.public_url or "")
        self.url_edit.setCursorPosition(0)
        self.copy_button.setEnabled(bool(status.public_url))
        self.copy_new_button.setEnabled(bool(status.public_url))
        self.banner.setVisible(status.url_changed)
        self.setup_button.setVisible(status.needs_setup)
        self.test_button.setEnabled(not self._testing and status.listener_running)
        self._apply_colors()

    def set_testing(self, busy: bool = True) -> None:
        """Show that a test is running (the Test button is disabled meanwhile)."""
        self._testing = busy
        self._test_state = None
        self.test_button.setText("Testing…" if busy else "Test")
        self.test_button.setEnabled(not busy)
        self.test_icon.setText("")
        self.test_result.setText("Checking the public URL…" if busy else "")
        self._apply_colors()

    def set_test_result(self, ok: bool, text: str) -> None:
        """Show what the test found, in green or red words."""
        self._testing = False
        self._test_state = ok
        self.test_button.setText("Test again")
        self.test_button.setEnabled(True)
        self.test_icon.setText("✓" if ok else "✕")
        self.test_result.setText(text)
        self._apply_colors()

    def copy_url(self, button: QPushButton | None = None) -> None:
        """Put the webhook URL on the clipboard."""
        url = self._status.public_url if self._status else None
        if not url:
            return
        QGuiApplication.clipboard().setText(url)
        if button is not None:
            label = button.text()
            if label != "Copied":
                button.setText("Copied")
                QTimer.singleShot(1500, button, lambda: button.setText(label))

    # -- internals ------------------------------------------------------------------------------
    def _test_clicked(self) -> None:
        self.set_testing(True)
        self.testRequested.emit()

    def _apply_colors(self) -> None:
        palette = self.palette()
        dpr = self.devicePixelRatioF()
        muted = theme.muted_text(palette)
        good, bad = theme.success_text(palette), theme.error_text(palette)
        status = self._status
        if status is not None:
            listener_color = good if status.listener_running else bad
            self.listener_dot.setPixmap(status_dot(listener_color, dpr=dpr))
            tunnel_color = {
                TunnelState.ONLINE: good,
                TunnelState.STARTING: _AMBER,
                TunnelState.ERROR: bad,
                TunnelState.DISABLED: muted,
                TunnelState.OFF: bad if status.needs_setup else muted,
            }.get(status.tunnel_state, muted)
            self.tunnel_dot.setPixmap(status_dot(tunnel_color, dpr=dpr))
            theme.set_text_color(
                self.listener_label,
                palette.color(QPalette.ColorRole.WindowText) if status.listener_running else bad,
            )
        theme.set_text_color(self.instruction, muted)
        result_color = muted if self._test_state is None else (good if self._test_state else bad)
        theme.set_text_color(self.test_result, result_color)
        theme.set_text_color(self.test_icon, result_color)
        banner = self.banner.palette()
        banner.setColor(QPalette.ColorRole.Window, theme.tinted(bad, 0.18))
        self.banner.setPalette(banner)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()

    def showEvent(self, event: QShowEvent) -> None:
        # With an application style sheet, moving this panel into a dialog re-polishes its
        # labels and can bring back the colour they had before their first polish (a red
        # “listener stopped” line while the listener runs); colour them again when shown.
        super().showEvent(event)
        self._apply_colors()
