"""Look and feel shared by every widget: the accent, avatar colours, sizes, relative times."""

from __future__ import annotations

import datetime as dt
import hashlib

from PySide6.QtGui import QColor, QGuiApplication, QPalette

ACCENT = QColor("#2f7cf6")  # outgoing bubbles, selection, unread badge
BUBBLE_RADIUS = 14
BUBBLE_MAX_FRACTION = 0.70
SAME_SIDE_GAP = 4
TURN_GAP = 12
ROW_HEIGHT = 64
AVATAR_SIZE = 40
_AVATAR_HUES = (4, 28, 45, 90, 140, 175, 200, 225, 260, 290, 320, 345)


def is_dark(palette: QPalette | None = None) -> bool:
    palette = palette or QGuiApplication.palette()
    return palette.color(QPalette.ColorRole.Window).lightness() < 128


def accent_text() -> QColor:
    """Text on the accent colour."""
    return QColor("#ffffff")


def incoming_bubble(palette: QPalette | None = None) -> QColor:
    """A neutral bubble that works on light and dark windows."""
    palette = palette or QGuiApplication.palette()
    base = palette.color(QPalette.ColorRole.Window)
    return base.lighter(135) if is_dark(palette) else base.darker(108)


def muted_text(palette: QPalette | None = None) -> QColor:
    palette = palette or QGuiApplication.palette()
    color = QColor(palette.color(QPalette.ColorRole.WindowText))
    color.setAlphaF(0.6)
    return color


def error_text(palette: QPalette | None = None) -> QColor:
    return QColor("#ff7b72") if is_dark(palette) else QColor("#c62828")


def avatar_color(number: str) -> QColor:
    """A stable colour per number (the same on every start)."""
    digest = hashlib.sha256(number.encode()).digest()
    hue = _AVATAR_HUES[digest[0] % len(_AVATAR_HUES)]
    return QColor.fromHsl(hue, 150, 115)


def initials(name: str | None, number: str) -> str:
    """Up to two letters from a name; the last two digits of a number without one."""
    if name:
        parts = [p for p in name.replace("-", " ").split() if p[:1].isalnum()]
        letters = "".join(p[0] for p in parts[:2]).upper()
        if letters:
            return letters
    digits = [c for c in number if c.isdigit()]
    return "".join(digits[-2:]) or "#"


def relative_time(ts: float, now: float | None = None) -> str:
    """“14:05” today, “Yesterday”, a weekday this week, else a short date."""
    when = dt.datetime.fromtimestamp(ts)
    today = dt.datetime.fromtimestamp(now).date() if now else dt.date.today()
    days = (today - when.date()).days
    if days <= 0:
        return when.strftime("%H:%M")
    if days == 1:
        return "Yesterday"
    if days < 7:
        return when.strftime("%A")
    if when.year == today.year:
        return f"{when.day} {when.strftime('%b')}"
    return f"{when.day} {when.strftime('%b %Y')}"


def day_label(ts: float, now: float | None = None) -> str:
    """The centred day separator: “Today”, “Yesterday”, or a date."""
    when = dt.datetime.fromtimestamp(ts).date()
    today = dt.datetime.fromtimestamp(now).date() if now else dt.date.today()
    days = (today - when).days
    if days == 0:
        return "Today"
    if days == 1:
        return "Yesterday"
    if days < 7:
        return when.strftime("%A")
    if when.year == today.year:
        return f"{when.strftime('%A')}, {when.day} {when.strftime('%B')}"
    return f"{when.day} {when.strftime('%B %Y')}"
