"""Send later: the clock button beside Send, and the dialog that picks when (and, for a
scheduled message being edited, what)."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QEvent, QPointF, QSize, Qt, QTimer
from PySide6.QtGui import QColor, QIcon, QPainter, QPalette, QPen, QPixmap
from PySide6.QtWidgets import (
    QButtonGroup,
    QDialog,
    QDialogButtonBox,
    QHBoxLayout,
    QRadioButton,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.scheduled import local_zone_name, when_text
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label

MORNING = 9  # "Tomorrow 9:00"


def clock_icon(color: QColor, size: int = 20) -> QIcon:
    """A clock face drawn for the palette's text colour (no icon theme is needed)."""
    icon = QIcon()
    for scale in (1, 2):
        pixmap = QPixmap(size * scale, size * scale)
        pixmap.setDevicePixelRatio(scale)
        pixmap.fill(Qt.GlobalColor.transparent)
        painter = QPainter(pixmap)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(color, 1.6)
        pen.setCapStyle(Qt.PenCapStyle.RoundCap)
        painter.setPen(pen)
        centre = QPointF(size / 2, size / 2)
        radius = size / 2 - 2
        painter.drawEllipse(centre, radius, radius)
        painter.drawLine(centre, QPointF(centre.x(), centre.y() - radius * 0.6))
        painter.drawLine(centre, QPointF(centre.x() + radius * 0.45, centre.y() + radius * 0.2))
        painter.end()
        icon.addPixmap(pixmap)
    return icon


class _LaterButton(QToolButton):
    """Its clock is drawn in the text colour, again when light and dark switch."""

    def draw_icon(self) -> None:
        # (the active colour even while disabled: Qt greys the disabled icon from it)
        active = QPalette.ColorGroup.Active
        self.setIcon(clock_icon(self.palette().color(active, QPalette.ColorRole.ButtonText)))

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self.draw_icon()


def later_button(parent: QWidget | None = None) -> QToolButton:
    """The button beside Send that opens the Send later dialog."""
    button = _LaterButton(parent)
    button.setAccessibleName("Send later")
    button.setToolTip("Send later: pick a date and time")
    button.setAutoRaise(True)
    button.setIconSize(QSize(20, 20))
    button.draw_icon()
    return button


def readable_radio(button: QRadioButton) -> None:
    """On a dark palette, Fusion draws an unchecked radio circle as the Base colour ringed by
    the Window colour darkened: nearly black on the dark window. Its ring is drawn from the
    Window role, so a lighter one there (and a Button-coloured fill) makes the circle show."""
    palette = button.palette()
    if not theme.is_dark(palette):
        return
    palette.setColor(QPalette.ColorRole.Window, palette.color(QPalette.ColorRole.PlaceholderText))
    palette.setColor(QPalette.ColorRole.Base, palette.color(QPalette.ColorRole.Button))
    button.setPalette(palette)


def presets(now: dt.datetime) -> list[tuple[str, dt.datetime]]:
    """The quick choices, in the computer's local time: (label, when), soonest first."""
    hour = (now + dt.timedelta(hours=1)).replace(second=0, microsecond=0)
    choices = [("In 1 hour", hour)]
    evening = now.replace(hour=18, minute=0, second=0, microsecond=0)
    if evening - now >= dt.timedelta(hours=2):
        choices.append(("This evening", evening))
    morning = (now + dt.timedelta(days=1)).replace(hour=MORNING, minute=0, second=0, microsecond=0)
    choices.append(("Tomorrow morning", morning))
    days = (7 - now.weekday()) % 7 or 7  # the next Monday
    monday = (now + dt.timedelta(days=days)).replace(
        hour=MORNING, minute=0, second=0, microsecond=0
    )
    if days > 1:  # (when tomorrow is Monday, that is the choice above)
        choices.append(("Monday morning", monday))
    return choices


class SendLaterDialog(QDialog):
    """Pick when to send: a few presets or any date and time, in the local time zone, which it
    names. With `text`, the message can be edited too (a scheduled message's Edit)."""

    def __init__(
        self,
        parent: QWidget | None = None,
        *,
        text: str | None = None,
        at: float | None = None,
        now: dt.datetime | None = None,
    ) -> None:
        super().__init__(parent)
        self._now = now  # fixed by tests; else the time the dialog is used
        start = self.now()
        self.setWindowTitle("Edit scheduled message" if text is not None else "Send later")
        layout = QVBoxLayout(self)
        layout.setSpacing(8)

        self.editor = None
        if text is not None:
            from voipdesk.ui.compose import MessageEdit

            self.editor = MessageEdit(fit=False)
            self.editor.setAccessibleName("Message text")
            self.editor.setPlainText(text)
            self.editor.setFixedHeight(self.editor.height_for(4))
            self.editor.submitted.connect(self.accept)
            self.editor.textChanged.connect(self._update)
            layout.addWidget(plain_label("Message", name="Message"))
            layout.addWidget(self.editor)

        layout.addWidget(plain_label("Send it", name="When to send it"))
        self.group = QButtonGroup(self)
        self.choices: list[tuple[QRadioButton, dt.datetime]] = []
        for label, when in presets(start):
            button = QRadioButton(f"{label} — {when_text(when.timestamp(), start.timestamp())}")
            readable_radio(button)
            self.group.addButton(button)
            self.choices.append((button, when))
            layout.addWidget(button)
        self.custom = QRadioButton("On a date and at a time of your choice:")
        readable_radio(self.custom)
        self.group.addButton(self.custom)
        layout.addWidget(self.custom)
        # (imported here: the compose box's clock button needs this module in the first paint,
        # and PySide takes ~5 ms to make the date-time editor's Python types)
        from PySide6.QtCore import QDateTime
        from PySide6.QtWidgets import QDateTimeEdit

        self.picker = QDateTimeEdit()
        self.picker.setAccessibleName("Date and time to send")
        self.picker.setCalendarPopup(True)
        self.picker.setDisplayFormat("ddd d MMM yyyy  HH:mm")
        initial = at if at is not None else self.choices[-1][1].timestamp()
        self.picker.setDateTime(QDateTime.fromSecsSinceEpoch(int(initial)))
        self.picker.dateTimeChanged.connect(lambda _t: self.custom.setChecked(True))
        self.picker.dateTimeChanged.connect(self._update)
        row = QHBoxLayout()
        row.setContentsMargins(22, 0, 0, 0)
        row.addWidget(self.picker)
        row.addStretch(1)
        layout.addLayout(row)
        self.zone = plain_label(
            f"Times are in this computer's time zone, {local_zone_name(start)}.",
            wrap=True,
            name="Time zone",
        )
        theme.set_text_color(self.zone, theme.muted_text(self.palette()))
        layout.addWidget(self.zone)
        self.problem = plain_label(wrap=True, name="Why this time cannot be used")
        theme.set_text_color(self.problem, theme.error_text(self.palette()))
        self.problem.hide()
        layout.addWidget(self.problem)

        self.buttons = QDialogButtonBox(
            QDialogButtonBox.StandardButton.Ok | QDialogButtonBox.StandardButton.Cancel
        )
        self.ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok.setText("Save" if text is not None else "Schedule")
        self.ok.setObjectName("primary")
        self.buttons.accepted.connect(self.accept)
        self.buttons.rejected.connect(self.reject)
        layout.addWidget(self.buttons)
        if at is not None:
            self.custom.setChecked(True)
        else:
            self._preset("Tomorrow morning").setChecked(True)
        self.group.buttonToggled.connect(lambda *_: self._update())
        self._update()
        # A custom time that passes while the dialog is open is said at once.
        self._tick = QTimer(self)
        self._tick.setInterval(15_000)
        self._tick.timeout.connect(self._update)
        self._tick.start()

    def _preset(self, label: str) -> QRadioButton:
        return next(b for b, _w in self.choices if b.text().startswith(label))

    def now(self) -> dt.datetime:
        return self._now or dt.datetime.now()

    def when(self) -> float:
        """The chosen time, unix seconds."""
        for button, at in self.choices:
            if button.isChecked():
                return at.timestamp()
        return float(self.picker.dateTime().toSecsSinceEpoch())

    def text(self) -> str:
        return self.editor.toPlainText().strip() if self.editor is not None else ""

    def problem_text(self) -> str | None:
        if self.editor is not None and not self.text():
            return "The message is empty."
        now = self.now().timestamp()
        if self.when() <= now:
            return f"{when_text(self.when(), now)} has passed. Pick a time in the future."
        return None

    def _update(self) -> None:
        problem = self.problem_text()
        self.problem.setText(problem or "")
        self.problem.setVisible(problem is not None)
        self.ok.setEnabled(problem is None)

    def accept(self) -> None:
        self._update()
        if self.ok.isEnabled():
            super().accept()
