"""Bubble text layout: laying text out with QTextLayout, where a point falls in it, and the
size and layout caches the delegate keeps."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QSize, Qt, QUrl
from PySide6.QtGui import QFont, QTextCharFormat, QTextLayout, QTextLine, QTextOption


@dataclass
class Text:
    layout: QTextLayout
    height: float
    width: float
    text: str  # as laid out; ranges and positions below are indices into it (Python's)
    links: list[tuple[int, int, QUrl]] = field(default_factory=list)


# Qt's text layout counts UTF-16 units, Python counts code points: a character beyond the
# Basic Multilingual Plane (emoji, flags, skin tones) is one to Python and two to Qt.
_ASTRAL = re.compile("[\U00010000-\U0010ffff]")


def to_utf16(text: str, index: int) -> int:
    """Qt's position of Python's text[index]."""
    return index + len(_ASTRAL.findall(text, 0, index))


def from_utf16(text: str, position: int) -> int:
    """Python's index of the character at Qt's `position`."""
    if _ASTRAL.search(text) is None:
        return position
    units = 0
    for index, char in enumerate(text):
        units += 2 if ord(char) > 0xFFFF else 1
        if units > position:
            return index
    return len(text)


@dataclass
class Geometry:
    height: int
    outgoing: bool
    day_text: str | None
    day_top: int
    bubble_top: int
    bubble_size: QSize
    parts: list[tuple[Text, float]]  # text blocks in the bubble and their y inside it
    meta: Text | None
    meta_top: int
    meta_box: int  # the width the meta line wraps in (right-aligned in it when outgoing)
    action: tuple[int, int] | None
    unread_top: int | None = None  # where the "Unread messages" divider is, if it is here
    media: list = field(default_factory=list)  # an MMS's attachments (ui/thread/media.Block)


def layout_text(body: str) -> str:
    """QTextLayout breaks lines only at U+2028, not at newlines."""
    return body.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\u2028")


def lay_out(
    text: str,
    font: QFont,
    width: float,
    underline: Sequence[tuple[int, int]] = (),
    align: Qt.AlignmentFlag = Qt.AlignmentFlag.AlignLeft,
) -> Text:
    """Lay out `text` in lines of `width`, underlining the (start, length) ranges given in
    Python's indices."""
    layout = QTextLayout(text, font)
    option = QTextOption(align)
    option.setWrapMode(QTextOption.WrapMode.WrapAtWordBoundaryOrAnywhere)
    layout.setTextOption(option)
    if underline:  # (most bubbles have no link: no format, no scan of the text for it)
        layout.setFormats(underline_formats(text, underline))
    layout.setCacheEnabled(True)
    layout.beginLayout()
    y = 0.0
    natural = 0.0
    while True:
        line = layout.createLine()
        if not line.isValid():
            break
        line.setLineWidth(width)
        line.setPosition(QPointF(0, y))
        y += line.height()
        natural = max(natural, line.naturalTextWidth())
    layout.endLayout()
    return Text(layout, y, natural, text)


def underline_formats(text: str, ranges: Iterable[tuple[int, int]]) -> list:
    formats = []
    underline = QTextCharFormat()
    underline.setFontUnderline(True)
    astral = _ASTRAL.search(text) is not None
    for start, length in ranges:
        fmt = QTextLayout.FormatRange()
        if astral:
            start, length = to_utf16(text, start), to_utf16(text, start + length)
            length -= start
        fmt.start, fmt.length, fmt.format = start, length, underline
        formats.append(fmt)
    return formats


def position_in(text: Text, point: QPointF) -> int | None:
    """The index (Python's) of the character under point (relative to the layout's origin)."""
    for i in range(text.layout.lineCount()):
        line = text.layout.lineAt(i)
        if line.naturalTextRect().contains(point):
            position = line.xToCursor(point.x(), QTextLine.CursorPosition.CursorOnCharacter)
            return from_utf16(text.text, position)
    return None


# Row heights kept (a few bytes each): more than a ThreadModel window, so laying out the
# window again never re-measures a row. Laid-out text (kilobytes a row) is kept only for the
# rows painted recently: a screen's worth many times over.
HEIGHT_CACHE = 4000
LAYOUT_CACHE = 200


def touch(cache: dict, key: tuple):
    """cache[key] (None when missing), now the most recently used."""
    value = cache.pop(key, None)
    if value is not None:
        cache[key] = value
    return value


def remember(cache: dict, key: tuple, value: object, limit: int) -> None:
    if len(cache) >= limit:
        del cache[next(iter(cache))]  # the least recently used
    cache[key] = value
