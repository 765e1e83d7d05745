"""Avatars: a person's initials when they have a name; for a number with none, a person
silhouette, never two digits that read like a count."""

from __future__ import annotations

from PySide6.QtGui import QColor

from voipdesk.ui import theme


def test_named_people_get_their_initials():
    assert theme.initials("Alex Morgan", "+447700900123") == "AM"
    assert theme.initials("sam", "+447700900100") == "S"


def test_a_number_without_a_name_gets_no_letters_or_digits():
    assert theme.initials(None, "+447700900156") == ""
    assert theme.initials("", "+447700900100") == ""


def test_a_number_without_a_name_is_drawn_as_a_silhouette(qapp):
    size = 40
    image = theme.avatar_pixmap("+447700900156", None, size).toImage()
    background = theme.avatar_color("+447700900156")

    def is_white(x: int, y: int) -> bool:
        c = image.pixelColor(x, y)
        return c.red() > 230 and c.green() > 230 and c.blue() > 230

    def is_background(x: int, y: int) -> bool:
        c: QColor = image.pixelColor(x, y)
        return abs(c.red() - background.red()) + abs(c.green() - background.green()) < 20

    middle = size // 2
    assert is_white(middle, round(size * 0.36))  # the head
    assert is_background(middle, round(size * 0.58))  # the neck's gap under it
    assert is_white(middle, round(size * 0.80))  # the shoulders
    assert is_background(round(size * 0.2), round(size * 0.36))  # beside the head
