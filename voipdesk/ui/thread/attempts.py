"""How often an outgoing message was tried, and when last: said under a bubble that is not sent,
so a Retry that fails again visibly changes what the bubble says."""

from __future__ import annotations

import datetime as dt
import time

from voipdesk.core.models import Direction, Message


def tried_text(message: Message, now: float | None = None) -> str:
    """What follows "Not sent": " · tried 3 times, last at 14:05" (another day: "last on 3 Dec
    at 14:05"), or "" for a message tried once (its time is the bubble's own)."""
    if message.direction is not Direction.OUT or message.attempts <= 1:
        return ""
    at = message.last_attempt_at if message.last_attempt_at is not None else message.created_at
    when = dt.datetime.fromtimestamp(at)
    today = dt.datetime.fromtimestamp(time.time() if now is None else now).date()
    clock = when.strftime("%H:%M")
    if when.date() == today:
        last = f"last at {clock}"
    else:
        last = f"last on {when.day} {when:%b} at {clock}"
    return f" · tried {message.attempts} times, {last}"
