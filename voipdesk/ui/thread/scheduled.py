"""The open conversation's scheduled messages, at the end of the thread (above the compose box):
each as a bubble with its time and zone, and Edit / Send now / Cancel until it is sent."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QEvent, QRect, QRectF, Qt, QTimer, Signal
from PySide6.QtGui import QPainter, QPaintEvent, QPalette, QPen, QResizeEvent
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QScrollArea,
    QToolButton,
    QVBoxLayout,
    QWidget,
)

from voipdesk.core.scheduled import Scheduled, when_text
from voipdesk.store import Store
from voipdesk.ui import theme
from voipdesk.ui.labels import plain_label
from voipdesk.ui.reading import AT_ONCE, Latest, Reader
from voipdesk.ui.send_later import clock_icon

if TYPE_CHECKING:
    from voipdesk.ui.send_later_dialog import SendLaterDialog

MAX_HEIGHT_FRACTION = 0.4  # of the window: the thread above stays readable


class _Bubble(QFrame):
    """A scheduled message's text: an outgoing bubble drawn with a dashed outline (not sent)."""

    def __init__(self, text: str) -> None:
        super().__init__()
        self.label = plain_label(text, wrap=True, name="Scheduled message")
        self.label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(
            theme.BUBBLE_PADDING_H,
            theme.BUBBLE_PADDING_V,
            theme.BUBBLE_PADDING_H,
            theme.BUBBLE_PADDING_V,
        )
        layout.addWidget(self.label)

    def paintEvent(self, event: QPaintEvent) -> None:
        painter = QPainter(self)
        painter.setRenderHint(QPainter.RenderHint.Antialiasing)
        pen = QPen(theme.ACCENT, 1.5, Qt.PenStyle.DashLine)
        painter.setPen(pen)
        painter.setBrush(theme.unsent_bubble(self.palette()))
        rect = QRectF(self.rect()).adjusted(0.75, 0.75, -0.75, -0.75)
        painter.drawRoundedRect(rect, theme.BUBBLE_RADIUS, theme.BUBBLE_RADIUS)


class ScheduledItem(QWidget):
    """One scheduled message: its bubble, then "Scheduled · Tomorrow 09:00 CET" and the
    actions."""

    editRequested = Signal(int)
    sendNowRequested = Signal(int)
    cancelRequested = Signal(int)

    def __init__(self, scheduled: Scheduled, *, paused: bool = False) -> None:
        super().__init__()
        self.scheduled = scheduled
        self.paused = paused  # sending is paused (Settings): a due one waits
        self.bubble = _Bubble(scheduled.body)
        bubble_row = QHBoxLayout()
        bubble_row.setContentsMargins(0, 0, 0, 0)
        bubble_row.addStretch(1)
        bubble_row.addWidget(self.bubble)
        self.when = plain_label(self.when_line(), name="When it will be sent")
        self.icon = plain_label(name="Scheduled")
        meta = QHBoxLayout()
        meta.setContentsMargins(0, 0, 4, 0)
        meta.setSpacing(6)
        meta.addStretch(1)
        meta.addWidget(self.icon)
        meta.addWidget(self.when)
        self.edit_button = self._action("Edit", "Edit the scheduled message", self.editRequested)
        self.send_button = self._action("Send now", "Send it now", self.sendNowRequested)
        self.cancel_button = self._action(
            "Cancel", "Cancel it (its text goes back to the compose box)", self.cancelRequested
        )
        self.dots = []
        for n, button in enumerate((self.edit_button, self.send_button, self.cancel_button)):
            if n:
                self.dots.append(plain_label("·"))
                meta.addWidget(self.dots[-1])
            meta.addWidget(button)
        layout = QVBoxLayout(self)
        layout.setContentsMargins(0, 4, 0, 4)
        layout.setSpacing(3)
        layout.addLayout(bubble_row)
        layout.addLayout(meta)
        self._apply_colors()

    def when_line(self) -> str:
        at = self.scheduled.send_at
        if self.paused and at <= time.time():
            return f"Due {when_text(at)}, sent once sending can resume ·"
        return f"Scheduled · {when_text(at)} ·"

    def _action(self, text: str, name: str, signal) -> QToolButton:
        button = QToolButton()
        button.setText(text)
        button.setAutoRaise(True)
        button.setCursor(Qt.CursorShape.PointingHandCursor)
        button.setAccessibleName(name)
        button.clicked.connect(lambda: signal.emit(self.scheduled.id))
        return button

    def set_bubble_width(self, width: int) -> None:
        """Wide enough for its text, as a thread's bubbles are, up to their largest width."""
        most = max(120, int(width * theme.BUBBLE_MAX_FRACTION)) - 2 * theme.BUBBLE_PADDING_H
        label = self.bubble.label
        natural = label.fontMetrics().boundingRect(
            QRect(0, 0, most, 100_000), Qt.TextFlag.TextWordWrap, label.text()
        )
        label.setFixedWidth(min(most, natural.width() + 2))

    def _apply_colors(self) -> None:
        palette = self.palette()
        muted = theme.muted_text(palette)
        for label in (self.when, *self.dots):
            theme.set_text_color(label, muted)
        self.icon.setPixmap(clock_icon(muted, 14).pixmap(14, 14))
        link = palette.color(QPalette.ColorRole.Link)
        for button in (self.edit_button, self.send_button, self.cancel_button):
            theme.set_text_color(button, link)

    def changeEvent(self, event: QEvent) -> None:
        super().changeEvent(event)
        if event.type() == QEvent.Type.PaletteChange:
            self._apply_colors()


class ScheduledPanel(QScrollArea):
    """The scheduled messages of the open conversation, soonest first; hidden when none.
    Reads them from the store (a few indexed rows) when the conversation or they change."""

    def __init__(self, store: Store, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.store = store
        self.reads: Reader = AT_ONCE  # the services' Reads once attached (answers later)
        self._read = Latest()  # the read of the open conversation's scheduled messages
        self.conversation_id: int | None = None
        self.items: list[ScheduledItem] = []
        self.services = None
        self._compose = None
        self.setAccessibleName("Scheduled messages")
        self.setWidgetResizable(True)
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.inner.setBackgroundRole(QPalette.ColorRole.Base)
        self.inner.setAutoFillBackground(True)
        self.column = QVBoxLayout(self.inner)
        self.column.setContentsMargins(
            theme.THREAD_SIDE_MARGIN, 2, theme.THREAD_SIDE_MARGIN, theme.TURN_GAP // 2
        )
        self.column.setSpacing(2)
        self.setWidget(self.inner)
        self._retell = QTimer(self)
        self._retell.setSingleShot(True)
        self._retell.timeout.connect(self._retell_lines)
        self.hide()

    # -- what it shows -----------------------------------------------------------------------
    def set_conversation(self, conversation_id: int | None) -> None:
        if conversation_id != self.conversation_id:
            self._show([])  # another conversation's stay not while this one's are read
        self.conversation_id = conversation_id
        self.refresh()

    def changed(self, conversation_id: int) -> None:
        if conversation_id == self.conversation_id:
            self.refresh()

    def refresh(self) -> None:
        """Read the open conversation's scheduled messages again (on a worker: what is shown
        stays until they arrive)."""
        cid, store = self.conversation_id, self.store
        if cid is None:
            self._read.drop()
            self._show([])
            return

        def arrived(waiting: list[Scheduled]) -> None:
            if cid == self.conversation_id:
                self._show(waiting)

        self._read.ask(self.reads, lambda: store.scheduled_in(cid), arrived)

    def _show(self, waiting: list[Scheduled]) -> None:
        for item in self.items:
            item.setParent(None)
            item.deleteLater()
        self.items = []
        for scheduled in waiting:
            item = ScheduledItem(scheduled, paused=self._paused())
            item.editRequested.connect(self.edit)
            item.sendNowRequested.connect(self.send_now)
            item.cancelRequested.connect(self.cancel)
            self.column.addWidget(item)
            self.items.append(item)
        self.setVisible(bool(self.items))
        self._retell_at_next_due()
        self._fit()

    def _paused(self) -> bool:
        services = self.services
        return services is not None and services.sending.paused

    def _retell_at_next_due(self) -> None:
        """At the soonest one's time, each line is said again: a due message that waits for
        sending to resume says so (one sent at its time leaves the panel instead)."""
        self._retell.stop()
        ahead = [i.scheduled.send_at - time.time() for i in self.items]
        ahead = [a for a in ahead if a > 0]
        if ahead:
            self._retell.start(int(min(min(ahead) + 0.5, 3600) * 1000))

    def _retell_lines(self) -> None:
        paused = self._paused()
        for item in self.items:
            item.paused = paused
            item.when.setText(item.when_line())
        self._retell_at_next_due()

    def _content_width(self) -> int:
        parent = self.parentWidget()
        width = self.viewport().width() if self.isVisible() else (parent or self).width()
        return max(160, width)

    def _fit(self) -> None:
        """As tall as its messages (their text wrapped at the panel's width), up to a part of
        the window; scrolls beyond that."""
        width = self._content_width()
        for item in self.items:
            item.set_bubble_width(width - 2 * theme.THREAD_SIDE_MARGIN)
        column = self.column
        height = (
            column.totalHeightForWidth(width)
            if column.hasHeightForWidth()
            else column.totalSizeHint().height()
        )
        window = self.window()
        limit = int(window.height() * MAX_HEIGHT_FRACTION) if window is not self else 240
        self.setFixedHeight(max(0, min(height, limit)))

    def resizeEvent(self, event: QResizeEvent) -> None:
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            QTimer.singleShot(0, self, self._fit)

    # -- actions -------------------------------------------------------------------------------
    def attach(self, services, bridge, compose, conversation: Callable[[], object]) -> None:
        """Wire the compose box's clock button, the actions and the services' changes."""
        self.services = services
        self._compose = compose
        # A conversation's draft changed (the window's: the list shows "Draft: …" from it).
        self.save_draft: Callable[[int, str], None] = services.set_draft
        self._conversation = conversation
        bridge.scheduledChanged.connect(self.changed)
        bridge.sendingChanged.connect(lambda _state: self._retell_lines())
        compose.later_button.clicked.connect(self.schedule_from_compose)
        # One scheduled from the command line (`voipdesk send --at`) shows when the person
        # comes back to the window.
        self.window().installEventFilter(self)

    def eventFilter(self, watched, event: QEvent) -> bool:
        if event.type() == QEvent.Type.WindowActivate and self.conversation_id is not None:
            self.refresh()
        return False

    def dialog(self, **kwargs) -> SendLaterDialog:
        """The dialog (tests answer it; a modal exec() would block them)."""
        from voipdesk.ui.send_later_dialog import SendLaterDialog  # (not in the first window)

        return SendLaterDialog(self.window(), **kwargs)

    def schedule_from_compose(self) -> None:
        compose, conversation = self._compose, self._conversation()
        if conversation is None or not compose.can_send():
            return
        dialog = self.dialog()

        def done() -> None:
            text = compose.draft().strip()
            if not text:
                return
            self.services.scheduling.schedule(
                compose.sender_number(), conversation.peer_number, text, dialog.when()
            )
            compose.set_draft("")
            self.save_draft(conversation.id, "")
            compose.focus_editor()

        dialog.accepted.connect(done)
        dialog.open()

    def _find(self, scheduled_id: int) -> Scheduled | None:
        return next((i.scheduled for i in self.items if i.scheduled.id == scheduled_id), None)

    def edit(self, scheduled_id: int) -> None:
        scheduled = self._find(scheduled_id)
        if scheduled is None:
            return
        dialog = self.dialog(text=scheduled.body, at=scheduled.send_at)
        dialog.accepted.connect(
            lambda: self.services.scheduling.edit(scheduled_id, dialog.text(), dialog.when())
        )
        dialog.open()

    def send_now(self, scheduled_id: int) -> None:
        self.services.scheduling.send_now(scheduled_id)

    def cancel(self, scheduled_id: int) -> None:
        """Cancelled: nothing is lost, its text goes back to an empty compose box."""
        scheduled = self._find(scheduled_id)
        self.services.scheduling.cancel(scheduled_id)
        compose = self._compose
        if scheduled is not None and compose is not None and not compose.draft().strip():
            compose.set_draft(scheduled.body)
            self.save_draft(scheduled.conversation_id, scheduled.body)
            compose.focus_editor()
