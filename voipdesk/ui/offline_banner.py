"""The app-wide line while messages wait because VoIP Number cannot be reached: how many, when
the next try is (counting down), and Retry now. It goes by itself once nothing waits."""

from __future__ import annotations

import math
import time
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QTimer
from PySide6.QtWidgets import QWidget

from voipdesk.ui.banner import Banner
from voipdesk.ui.notice_bar import WARNING, level_tint

if TYPE_CHECKING:  # (the services load after the first paint)
    from voipdesk.services import SendingState


def offline_text(state: SendingState, now: float) -> str:
    """The line, e.g. VoIP Number can't be reached. 2 messages will be sent when it can — next
    try in 40 s."""
    count = state.waiting
    what = "1 message" if count == 1 else f"{count} messages"
    if state.asked_to_wait:
        first = "VoIP Number asked voipdesk to wait."
        then = f"{what} will be sent then"
    else:
        first = "VoIP Number can't be reached."
        then = f"{what} will be sent when it can"
    return f"{first} {then} — {next_try_text(state.next_try_at, now)}."


def next_try_text(at: float | None, now: float) -> str:
    left = math.ceil((at or 0.0) - now)
    if left <= 0:
        return "trying again now"
    if left < 90:
        return f"next try in {left} s"
    if left < 3600:
        return f"next try in {math.ceil(left / 60)} min"
    return f"next try at {time.strftime('%H:%M', time.localtime(at))}"


class OfflineBanner(Banner):
    """Shown while the outbox holds messages waiting for VoIP Number (set_state)."""

    def __init__(
        self, parent: QWidget | None = None, *, clock: Callable[[], float] = time.time
    ) -> None:
        super().__init__(parent)
        self.setAccessibleName("VoIP Number can't be reached")
        self.clock = clock
        self.state: SendingState | None = None
        self._tick = QTimer(self)  # the countdown to the next try, while shown
        self._tick.setInterval(1000)
        self._tick.timeout.connect(self._refresh)

    def apply_colors(self) -> None:
        # A warning, not an error (nothing is lost, voipdesk keeps trying), and a band of its
        # own: not the blue of the demo notice that may sit right under it.
        palette = self.palette()
        palette.setColor(self.backgroundRole(), level_tint(WARNING, self.scheme()))
        self.setPalette(palette)

    def set_state(self, state: SendingState) -> None:
        """Show the line while messages wait (and sending is not paused for another reason)."""
        if state.waiting and not state.paused:
            self.state = state
            self.show_text(offline_text(state, self.clock()), "Retry now")
            self._tick.start()
        else:
            self.state = None
            self._tick.stop()
            self.hide()

    def _refresh(self) -> None:
        if self.state is not None:
            self.label.setText(offline_text(self.state, self.clock()))
