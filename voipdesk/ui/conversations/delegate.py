"""Painting a conversation row: avatar, name, time, last message, unread pill, own number."""

from __future__ import annotations

import time

from PySide6.QtCore import QModelIndex, QRect, QRectF, QSize, Qt
from PySide6.QtGui import QFont, QFontMetrics, QPainter, QPalette
from PySide6.QtWidgets import QStyledItemDelegate, QStyleOptionViewItem

from voipdesk.core.models import Conversation
from voipdesk.ui import theme
from voipdesk.ui.conversations.draft import paint_draft
from voipdesk.ui.conversations.model import ConversationRole
from voipdesk.ui.conversations.muted_glyph import paint_muted
from voipdesk.ui.conversations.numbers import paint_tag


class ConversationDelegate(QStyledItemDelegate):
    """Paints a conversation row: avatar, name, last message, time, unread pill."""

    def number_tag(self, conversation: Conversation) -> str | None:
        """The short tag of the own number a row is on (set by the list's NumberFilter)."""
        return None

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        return QSize(200, theme.ROW_HEIGHT)

    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        conversation = index.data(ConversationRole.Conversation)
        if conversation is None:
            return
        name = index.data(ConversationRole.DisplayName) or ""
        palette: QPalette = option.palette
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)
        theme.paint_row_background(painter, option)

        margin = 12
        size = theme.AVATAR_SIZE
        avatar = QRect(rect.left() + margin, rect.top() + (rect.height() - size) // 2, size, size)
        theme.paint_avatar(painter, avatar, conversation.peer_number, conversation.display_name)

        unread = conversation.unread_count
        left = avatar.right() + 1 + margin
        right = rect.right() - margin
        name_font = QFont(option.font)
        name_font.setBold(unread > 0)
        body_font = QFont(option.font)
        small = theme.small_font(option.font)
        name_fm, body_fm, small_fm = (
            QFontMetrics(name_font),
            QFontMetrics(body_font),
            QFontMetrics(small),
        )
        gap = 4
        top = rect.top() + (rect.height() - name_fm.height() - gap - body_fm.height()) // 2
        text_color = palette.color(QPalette.ColorRole.Text)
        muted = theme.muted_text(palette)

        when = theme.relative_time(conversation.last_timestamp, time.time())
        when_width = small_fm.horizontalAdvance(when)
        line1 = QRect(left, top, right - left, name_fm.height())
        painter.setFont(small)
        painter.setPen(muted)
        painter.drawText(line1, Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter, when)
        name_rect = line1.adjusted(0, 0, -(when_width + 8), 0)
        tag = self.number_tag(conversation)
        if tag:  # which of the user's numbers, small beside the time; the name gives way
            name_rect.setRight(name_rect.right() - paint_tag(painter, name_rect, tag, palette))
        painter.setFont(name_font)
        painter.setPen(text_color)
        if conversation.muted:  # (no notifications for it)
            glyph = small_fm.height()
            paint_muted(
                painter,
                QRectF(name_rect.right() - glyph + 1, line1.center().y() - glyph / 2, glyph, glyph),
                muted,
            )
            name_rect.setRight(name_rect.right() - glyph - 6)
            painter.setPen(text_color)
        painter.drawText(
            name_rect,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            name_fm.elidedText(name, Qt.TextElideMode.ElideRight, name_rect.width()),
        )

        line2 = QRect(left, top + name_fm.height() + gap, right - left, body_fm.height())
        if unread:
            badge = "99+" if unread > 99 else str(unread)
            pill_h = small_fm.height() + 2
            pill_w = max(pill_h, small_fm.horizontalAdvance(badge) + 12)
            pill = QRect(
                line2.right() - pill_w + 1, line2.center().y() - pill_h // 2, pill_w, pill_h
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(muted if conversation.muted else theme.ACCENT)
            painter.drawRoundedRect(pill, pill_h / 2, pill_h / 2)
            bold_small = QFont(small)
            bold_small.setBold(True)
            painter.setFont(bold_small)
            # a muted conversation's pill is grey; its number in the list's own colour
            painter.setPen(
                palette.color(QPalette.ColorRole.Base)
                if conversation.muted
                else theme.accent_text()
            )
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, badge)
            line2.setRight(pill.left() - 8)
        if paint_draft(painter, line2, body_font, palette, index.data(ConversationRole.Draft)):
            painter.restore()
            return
        painter.setFont(body_font)
        painter.setPen(text_color if unread else muted)
        painter.drawText(
            line2,
            Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignVCenter,
            body_fm.elidedText(
                index.data(ConversationRole.Preview), Qt.TextElideMode.ElideRight, line2.width()
            ),
        )
        painter.restore()
