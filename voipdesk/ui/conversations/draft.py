"""The "Draft: …" preview of a conversation with an unsent draft (as Signal shows it)."""

from __future__ import annotations

from PySide6.QtCore import QRect, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette

from voipdesk.ui import theme

LABEL = "Draft:"


def draft_preview(draft: str | None) -> str:
    """The preview line for a draft ("" without one), on one line."""
    text = " ".join((draft or "").split())
    return f"{LABEL} {text}" if text else ""


def paint_draft(
    painter: QPainter, rect: QRect, font: QFont, palette: QPalette, draft: str | None
) -> bool:
    """Paint "Draft: text…" in `rect` (the label in the error colour, like Signal's); False
    when there is no draft (the usual preview is painted then)."""
    text = " ".join((draft or "").split())
    if not text:
        return False
    label_font = QFont(font)
    label_font.setItalic(True)
    label_fm = QFontMetrics(label_font)
    label_width = label_fm.horizontalAdvance(LABEL + " ")
    align = Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter
    painter.setFont(label_font)
    painter.setPen(theme.error_text(palette))
    painter.drawText(rect, align, LABEL)
    rest = rect.adjusted(label_width, 0, 0, 0)
    painter.setFont(font)
    painter.setPen(theme.muted_text(palette))
    fm = QFontMetrics(font)
    painter.drawText(rest, align, fm.elidedText(text, Qt.TextElideMode.ElideRight, rest.width()))
    return True
