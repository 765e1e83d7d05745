"""Look and feel shared by every widget: the accent, avatar colours, sizes, relative times."""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

try:  # CPython's own SHA-256 loads in under a ms; hashlib loads OpenSSL first (~3 ms at start)
    from _sha256 import sha256
except ImportError:  # (another Python: the same digest from hashlib)
    from hashlib import sha256

from PySide6.QtCore import QRect, QRectF, Qt
from PySide6.QtGui import QColor, QFont, QGuiApplication, QPainter, QPalette, QPixmap, QRegion
from PySide6.QtWidgets import QStyle, QStyleOptionViewItem

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


def unsent_bubble(palette: QPalette | None = None) -> QColor:
    """The fill of an outgoing bubble that was not sent (or may not have been): the accent,
    faded into the window colour, so it reads as "not sent" beside full accent bubbles."""
    color = QColor(ACCENT)
    color.setAlphaF(0.30 if is_dark(palette) else 0.16)
    return color


def muted_text(palette: QPalette | None = None) -> QColor:
    palette = palette or QGuiApplication.palette()
    color = QColor(palette.color(QPalette.ColorRole.WindowText))
    color.setAlphaF(0.6)
    return color


def error_text(palette: QPalette | None = None) -> QColor:
    return QColor("#ff7b72") if is_dark(palette) else QColor("#c62828")


def avatar_color(number: str) -> QColor:
    """A stable colour per number (the same on every start)."""
    digest = sha256(number.encode()).digest()
    hue = _AVATAR_HUES[digest[0] % len(_AVATAR_HUES)]
    return QColor.fromHsl(hue, 150, 115)


def initials(name: str | None, number: str) -> str:
    """Up to two letters from a name; "" for a number without one (drawn as a silhouette:
    two digits would read like a count)."""
    if name:
        parts = [p for p in name.replace("-", " ").split() if p[:1].isalnum()]
        return "".join(p[0] for p in parts[:2]).upper()
    return ""


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


# -- shared by the conversation list, search results and the thread ----------------------------
BUBBLE_PADDING_H = 12
BUBBLE_PADDING_V = 8
THREAD_SIDE_MARGIN = 12
RUN_BREAK_SECONDS = 15 * 60  # a pause this long starts a new run of bubbles (and shows the time)
SEARCH_DEBOUNCE_MS = 150


def selection_fill(palette: QPalette | None = None) -> QColor:
    """The background of a selected row: the accent, softened so text stays readable."""
    color = QColor(ACCENT)
    color.setAlphaF(0.32 if is_dark(palette) else 0.16)
    return color


def hover_fill(palette: QPalette | None = None) -> QColor:
    """The background of a row under the mouse."""
    palette = palette or QGuiApplication.palette()
    color = QColor(palette.color(QPalette.ColorRole.WindowText))
    color.setAlphaF(0.06)
    return color


def fill(painter: QPainter, rect: QRect, color: QColor) -> None:
    """painter.fillRect(rect, color), the same pixels, without PySide's search among
    fillRect's overloads: its first call builds QGradient's enums (~2 ms of the first paint)."""
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(color)
    painter.drawRect(rect)
    painter.restore()


def paint_row_background(painter: QPainter, option: QStyleOptionViewItem) -> None:
    """A list row's background: the selection, else the hover, else nothing (the view's)."""
    if option.state & QStyle.StateFlag.State_Selected:
        fill(painter, option.rect, selection_fill(option.palette))
    elif option.state & QStyle.StateFlag.State_MouseOver:
        fill(painter, option.rect, hover_fill(option.palette))


def small_font(font: QFont) -> QFont:
    """The font for times, statuses and other secondary text."""
    small = QFont(font)
    size = font.pointSizeF()
    if size > 0:
        small.setPointSizeF(max(size * 0.85, 7.0))
    else:
        small.setPixelSize(max(round(font.pixelSize() * 0.85), 9))
    return small


def paint_avatar(painter: QPainter, rect: QRect, number: str, name: str | None) -> None:
    """A round avatar: the number's colour with initials in white."""
    painter.save()
    painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(avatar_color(number))
    painter.drawEllipse(rect)
    font = QFont(painter.font())
    font.setBold(True)
    font.setPixelSize(max(round(rect.height() * 0.38), 8))
    painter.setFont(font)
    painter.setPen(accent_text())
    letters = initials(name, number)
    if letters:
        painter.drawText(rect, Qt.AlignmentFlag.AlignCenter, letters)
    else:  # someone not in the contacts: a person's silhouette, as messaging apps show
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(accent_text())
        w, h = rect.width(), rect.height()
        head = QRectF(rect.left() + w * 0.35, rect.top() + h * 0.2, w * 0.3, h * 0.3)
        painter.drawEllipse(head)
        shoulders = QRectF(rect.left() + w * 0.2, rect.top() + h * 0.62, w * 0.6, h * 0.5)
        painter.setClipRegion(QRegion(rect, QRegion.RegionType.Ellipse))
        painter.drawEllipse(shoulders)
    painter.restore()


def avatar_pixmap(
    number: str, name: str | None, size: int = AVATAR_SIZE, dpr: float = 1.0
) -> QPixmap:
    """paint_avatar on a transparent pixmap, for labels."""
    pixmap = QPixmap(round(size * dpr), round(size * dpr))
    pixmap.setDevicePixelRatio(dpr)
    pixmap.fill(Qt.GlobalColor.transparent)
    painter = QPainter(pixmap)
    paint_avatar(painter, QRect(0, 0, size, size), number, name)
    painter.end()
    return pixmap


# -- text colours for dialogs and panels (added with the compose box and dialogs) -----------------
if TYPE_CHECKING:
    from PySide6.QtWidgets import QWidget


def success_text(palette: QPalette | None = None) -> QColor:
    """“It worked” green that stays readable on light and dark windows."""
    return QColor("#56d364") if is_dark(palette) else QColor("#1a7f37")


def set_text_color(widget: QWidget, color: QColor) -> None:
    """Colour a widget's text through its palette (no style sheet, so the system style stays)."""
    palette = widget.palette()
    for role in (QPalette.ColorRole.WindowText, QPalette.ColorRole.ButtonText):
        palette.setColor(role, color)
    widget.setPalette(palette)


def tinted(color: QColor, alpha: float) -> QColor:
    """`color` with transparency, for banner and notice backgrounds over the window colour."""
    tint = QColor(color)
    tint.setAlphaF(alpha)
    return tint
