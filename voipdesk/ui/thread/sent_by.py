"""The line under a team member's bubble on the shared inbox ("Sent by Ana · 14:05 ·
Delivered"), fitted to the bubble's width: a long name is shortened with "…", so the time and
the status stay on that one line instead of wrapping under it (or breaking inside the name)."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtGui import QFontMetrics

from voipdesk.core.models import Direction, Message
from voipdesk.ui.thread.text import NEW_LINE

SLACK = 4  # px: QTextLayout's line and QFontMetrics' advance differ by a pixel or two
KEEP = "Maxim"  # at least this much of a name is kept (then it wraps, as any long line)


def fit_sender(
    text: str, action: tuple[int, int] | None, message: Message, metrics: QFontMetrics, width: int
) -> tuple[str, tuple[int, int] | None]:
    """The meta text (and its action range) with the sender's name elided so that its first
    line fits in `width` px; as given when it fits, or when it is not a team member's."""
    name = message.sent_by
    prefix = f"Sent by {name}"
    if not name or message.direction is not Direction.OUT or not text.startswith(prefix):
        return text, action
    first = text.split(NEW_LINE, 1)[0]
    if metrics.horizontalAdvance(first) + SLACK <= width:
        return text, action
    rest = metrics.horizontalAdvance(first[len(prefix) :]) + metrics.horizontalAdvance("Sent by ")
    room = max(width - SLACK - rest, metrics.horizontalAdvance(KEEP + "…"))
    short = metrics.elidedText(name, Qt.TextElideMode.ElideRight, room)
    if short == name:
        return text, action
    if action is not None:
        action = (action[0] - (len(name) - len(short)), action[1])
    return f"Sent by {short}{text[len(prefix) :]}", action
