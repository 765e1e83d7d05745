"""A window's first size, kept within the screen it opens on: on a small screen (a 1366×768
laptop with a taskbar, a 800×600 remote desktop) a window taller or wider than the desktop's
free area would open with its edges (Send, the status line) out of reach."""

from __future__ import annotations

from PySide6.QtCore import QSize
from PySide6.QtGui import QGuiApplication

# What the desktop's title bar and frame take around the window (not counted in its size).
FRAME = QSize(16, 40)


def fitting_size(width: int, height: int) -> QSize:
    """(width, height), or less where the primary screen's free area (without taskbars and
    the window's frame) is smaller."""
    screen = QGuiApplication.primaryScreen()
    if screen is None:
        return QSize(width, height)
    free = screen.availableGeometry().size() - FRAME
    return QSize(min(width, max(free.width(), 1)), min(height, max(free.height(), 1)))
