"""Where receiving stands, in the main window: the status-bar button with its coloured dot, the
banner for a changed webhook URL, and the Connection dialog (built when first shown; the
panel's module, ui/connection.py, loads with the first status, after the first paint)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QSize, Qt, Signal
from PySide6.QtGui import QColor, QIcon, QPainter, QPixmap
from PySide6.QtWidgets import QDialog, QDialogButtonBox, QPushButton, QVBoxLayout, QWidget

from voipdesk.ui import theme
from voipdesk.ui.hidden_banners import BuiltWhenAsked, built, url_banner

if TYPE_CHECKING:
    from voipdesk.receiver.status import ReceivingStatus
    from voipdesk.ui.connection import ConnectionPanel


class ReceivingView(QObject):
    """Shows a ReceivingStatus in the window; does no I/O itself."""

    testRequested = Signal()  # the panel's Test: the window runs it and calls set_test_result
    setupRequested = Signal()  # Settings, open at the Receiving tab
    urlAcknowledged = Signal()  # the new webhook URL was copied and the panel closed
    url_banner = BuiltWhenAsked(url_banner)  # the webhook URL changed (ui/hidden_banners.py)

    def __init__(self, window: QWidget, *, demo: bool = False) -> None:
        super().__init__(window)
        self.window = window
        self.demo = demo
        self.status: ReceivingStatus | None = None  # none reported yet
        self._connection: tuple[ConnectionPanel, QDialog] | None = None
        self._url_copied = False
        self.button = QPushButton("Receiving: starting…")
        self.button.setFlat(True)
        self.button.setAccessibleName("Receiving status")
        self.button.setToolTip("Show the connection: webhook URL and Test")
        self.button.setCursor(Qt.CursorShape.PointingHandCursor)
        self.button.clicked.connect(self.show_connection)

    def set_status(self, status: ReceivingStatus) -> None:
        from voipdesk.ui.connection import URL_CHANGED_TEXT, ConnectionPanel

        demo_ok = self.demo and status.ok
        self.button.setText("Demo: receiving from the sandbox" if demo_ok else status.summary)
        self.status = status
        self.paint_dot()
        if self._connection is not None and isinstance(self._connection[0], ConnectionPanel):
            self._connection[0].set_status(status)
        if status.url_changed:
            self.url_banner.show_text(URL_CHANGED_TEXT, "Show new URL")
        else:
            if built(self, "url_banner"):
                self.url_banner.hide()
            self._url_copied = False

    def _url_copy_clicked(self) -> None:
        status = self.status
        if status is not None and status.url_changed:
            self._url_copied = True

    def _connection_closed(self) -> None:
        # The loud warning stays until the user has copied the new URL and closed the panel.
        if self._url_copied:
            self._url_copied = False
            self.urlAcknowledged.emit()

    # -- the Connection dialog ------------------------------------------------------------------
    @property
    def connection_panel(self) -> ConnectionPanel:
        return self._connection_parts()[0]

    @property
    def connection_dialog(self) -> QDialog:
        return self._connection_parts()[1]

    def _connection_parts(self) -> tuple[ConnectionPanel, QDialog]:
        if self._connection is None:
            from voipdesk.ui.connection import ConnectionPanel

            panel = ConnectionPanel()
            panel.set_demo(self.demo)
            panel.testRequested.connect(self.testRequested)
            panel.setupRequested.connect(self._set_up_receiving)
            self._connection = panel, self._build_connection_dialog(panel)
            panel.copy_button.clicked.connect(self._url_copy_clicked)
            panel.copy_new_button.clicked.connect(self._url_copy_clicked)
            if self.status is not None:
                panel.set_status(self.status)
        return self._connection

    def _build_connection_dialog(self, panel: QWidget) -> QDialog:
        # Built once, with the panel in it from the start (moving a coloured panel into a
        # dialog later re-polishes it under the app's style sheet).
        dialog = QDialog(self.window)
        dialog.setWindowTitle("Connection")
        layout = QVBoxLayout(dialog)
        layout.setContentsMargins(8, 8, 12, 12)
        layout.addWidget(panel, 1)
        buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        buttons.rejected.connect(dialog.reject)
        layout.addWidget(buttons)
        dialog.setMinimumWidth(560)
        dialog.finished.connect(lambda _result: self._connection_closed())
        return dialog

    def use_panel(self, panel: QWidget) -> None:
        """Show `panel` in the Connection dialog instead of the receiving panel (a desk on the
        shared inbox: the server receives; there is no listener, tunnel or URL here)."""
        self._connection = panel, self._build_connection_dialog(panel)  # type: ignore[assignment]

    def show_connection(self) -> None:
        dialog = self.connection_dialog
        if not dialog.isVisible():
            width = max(dialog.width(), 640)
            height = dialog.layout().heightForWidth(width)  # wrapped lines included
            dialog.resize(width, max(height, dialog.sizeHint().height()) + 8)
        dialog.show()
        dialog.raise_()
        dialog.activateWindow()

    def _set_up_receiving(self) -> None:
        self.connection_dialog.hide()  # the dialog would sit on top of Settings
        self.setupRequested.emit()

    # -- looks ----------------------------------------------------------------------------------
    def paint_dot(self) -> None:
        status = self.status
        if status is None:
            return
        from voipdesk.receiver.status import TunnelState
        from voipdesk.ui.connection import STARTING_COLOR

        palette = self.window.palette()
        if status.ok:
            color = theme.success_text(palette)
            if status.tunnel_state is TunnelState.DISABLED and not self.demo:
                color = theme.muted_text(palette)
        elif status.listener_running and status.tunnel_state is TunnelState.STARTING:
            color = QColor(STARTING_COLOR)
        else:
            color = theme.error_text(palette)
        self.show_dot(color)

    def show_dot(self, color: QColor) -> None:
        """The status-bar button's dot in this colour."""
        from voipdesk.ui.connection import status_dot

        dpr = self.window.devicePixelRatioF()
        dot = status_dot(color, dpr=dpr)
        # The dot with room after it, so it does not touch the words.
        icon = QPixmap(round(16 * dpr), round(10 * dpr))
        icon.setDevicePixelRatio(dpr)
        icon.fill(Qt.GlobalColor.transparent)
        painter = QPainter(icon)
        painter.drawPixmap(2, 0, dot)
        painter.end()
        self.button.setIconSize(QSize(16, 10))
        self.button.setIcon(QIcon(icon))

    def apply_colors(self) -> None:
        if built(self, "url_banner"):
            self.url_banner.apply_colors()
        self.paint_dot()
