"""The Connection dialog's content on a desk on the shared inbox (issue #11, item 5): who
receives the team's texts (the server, not this computer), when the server was last seen, and
which database the desk is on (host and database, never the password). Only what applies: no
webhook URL, tunnel or Test, hidden or otherwise. Does no I/O: ui/shared_desk.py tells it."""

from __future__ import annotations

from collections.abc import Callable
from urllib.parse import parse_qsl, urlsplit

from PySide6.QtCore import QEvent, QObject, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QPalette, QShowEvent
from PySide6.QtWidgets import QGridLayout, QLabel, QWidget

from voipdesk.ui import theme
from voipdesk.ui.banner import Banner
from voipdesk.ui.connection import status_dot
from voipdesk.ui.labels import plain_label
from voipdesk.ui.notice_bar import WARNING, level_color, level_tint

WIDTH = 560  # the panel's width in the Connection dialog (its minimum; it is shown at 640)

# How a line looks: "good" (green dot), "unsure" (amber), "bad" (red dot and red words).
GOOD, UNSURE, BAD = "good", "unsure", "bad"


def unsure_color(palette: QPalette) -> QColor:
    """The server not seen for a while (it may have stopped): a warning's amber, in a shade
    that stands out on the palette's window colour (the notices' warning colour)."""
    return level_color(WARNING, palette)


class UnreachableLine(Banner):
    """The line above the thread while the shared store cannot be reached: a warning, not an
    error (nothing is lost, voipdesk keeps trying), tinted as the line about VoIP Number is
    (ui/offline_banner.py)."""

    def apply_colors(self) -> None:
        palette = self.palette()
        palette.setColor(self.backgroundRole(), level_tint(WARNING, self.scheme()))
        self.setPalette(palette)


def database_words(where: str) -> str:
    """The shared database as a person says it: "voipdesk on db.example.com (as ana)", from
    a URL said without its password (store's `path`); a socket folder is "this computer"."""
    parts = urlsplit(where)
    query = dict(parse_qsl(parts.query))
    name = parts.path.lstrip("/") or query.get("dbname") or parts.username or "voipdesk"
    host = parts.hostname or query.get("host") or ""
    if not host or host.startswith("/") or host in ("localhost", "127.0.0.1", "::1"):
        host = "this computer"
    elif parts.port:
        host = f"{host}:{parts.port}"
    user = parts.username or query.get("user")
    return f"{name} on {host}" + (f" (as {user})" if user else "")


def database_line(where: str, offline: str | None) -> tuple[str, str]:
    """What the dialog says of the database, and how it looks."""
    words = database_words(where)
    if offline:
        return (
            f"The shared database {words} cannot be reached right now: voipdesk keeps "
            "trying. What you see may be out of date until it answers.",
            BAD,
        )
    return f"Shared database: {words}.", GOOD


class SharedConnectionPanel(QWidget):
    """Three lines, each with a coloured dot: this desk and who receives, the server's last
    heartbeat, the database."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setAccessibleName("Shared inbox connection")
        self.receiving_label = plain_label(wrap=True, name="Who receives")
        self.server_label = plain_label(wrap=True, name="Server state")
        self.database_label = plain_label(wrap=True, name="Shared database")
        self._looks: dict[QLabel, str] = {}
        self._dots: dict[QLabel, QLabel] = {}
        grid = QGridLayout(self)
        grid.setContentsMargins(12, 12, 12, 12)
        grid.setHorizontalSpacing(8)
        grid.setVerticalSpacing(10)
        grid.setColumnStretch(1, 1)
        for row, label in enumerate((self.receiving_label, self.server_label, self.database_label)):
            dot = QLabel()
            dot.setContentsMargins(0, 4, 0, 0)
            grid.addWidget(dot, row, 0, Qt.AlignmentFlag.AlignTop)
            grid.addWidget(label, row, 1)
            self._dots[label] = dot
            self._looks[label] = GOOD

    def dot_of(self, label: QLabel) -> QLabel:
        return self._dots[label]

    def sizeHint(self) -> QSize:
        # As tall as the lines are at the dialog's width (a wrapped label's own hint is for a
        # narrow column: three lines of it left a tall gap above the dialog's Close button).
        width = max(super().sizeHint().width(), WIDTH)
        return QSize(width, self.heightForWidth(width))

    def set_line(self, label: QLabel, text: str, look: str) -> None:
        """One line's words and look (GOOD, UNSURE or BAD)."""
        label.setText(text)
        self._looks[label] = look
        self._apply_colors()

    def _apply_colors(self) -> None:
        palette, dpr = self.palette(), self.devicePixelRatioF()
        colors = {
            GOOD: theme.success_text(palette),
            UNSURE: unsure_color(palette),
            BAD: theme.error_text(palette),
        }
        for label, look in self._looks.items():
            self._dots[label].setPixmap(status_dot(colors[look], dpr=dpr))
            words = colors[BAD] if look == BAD else palette.color(QPalette.ColorRole.WindowText)
            theme.set_text_color(label, words)

    def changeEvent(self, event: QEvent) -> None:  # follow light/dark switches
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()

    def showEvent(self, event: QShowEvent) -> None:  # (re-polished under the app's style sheet)
        super().showEvent(event)
        self._apply_colors()


class PaletteFollower(QObject):
    """Calls `changed` when a widget's palette changes (light/dark switches)."""

    def __init__(self, widget: QWidget, changed: Callable[[], None]) -> None:
        super().__init__(widget)
        self._changed = changed
        widget.installEventFilter(self)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:
        if event.type() == QEvent.Type.PaletteChange:  # after the widget's own handling of it
            QTimer.singleShot(0, self, self._changed)
        return False
