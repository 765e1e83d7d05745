"""BubbleDelegate: lays out and paints messages as chat bubbles, caching sizes and layouts."""

from __future__ import annotations

import math

from PySide6.QtCore import (
    QModelIndex,
    QPoint,
    QPointF,
    QRect,
    QRectF,
    QSize,
    Qt,
    Signal,
)
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QPainter,
    QPalette,
    QPen,
)
from PySide6.QtWidgets import (
    QListView,
    QStyle,
    QStyledItemDelegate,
    QStyleOptionViewItem,
)

from voipdesk.core.models import Direction, Status
from voipdesk.ui import theme
from voipdesk.ui.thread.delegate_parts import DelegateParts
from voipdesk.ui.thread.layout import (
    HEIGHT_CACHE,
    LAYOUT_CACHE,
    Geometry,
    Text,
    lay_out,
    layout_text,
    position_in,
    remember,
    touch,
)
from voipdesk.ui.thread.marks import match_formats, paint_unread_divider, unread_height
from voipdesk.ui.thread.model import MessageRole, RenderInfo
from voipdesk.ui.thread.sent_by import fit_sender
from voipdesk.ui.thread.text import find_links


class BubbleDelegate(DelegateParts, QStyledItemDelegate):
    """Paints messages as chat bubbles. Text is laid out as plain text with QTextLayout; sizes
    are cached per message and width."""

    mediaShelfMade = Signal()  # the first MMS was laid out: its shelf is there to watch

    def __init__(self, view: QListView) -> None:
        super().__init__(view)
        self._view = view
        # Both least recently used first; keyed by RenderInfo.key.
        self._layouts: dict[tuple, Geometry] = {}
        self._heights: dict[tuple, int] = {}
        self._cache_width = -1
        self.layout_width: int | None = None  # set by the view for the length of a layout pass
        # Message id -> the height the last layout pass gave its row (every row, each pass).
        self.laid_out: dict[int | None, int] = {}
        self.highlight_id: int | None = None
        # The search result opened in this thread: its matching words are marked in its bubble.
        self.match: tuple[int | None, str] = (None, "")
        # selection and media (delegate_parts.py) are made when first needed.

    def clear_cache(self) -> None:
        self._layouts.clear()
        self._heights.clear()

    def available_width(self) -> int:
        """The width bubbles wrap against. It leaves room for the scroll bar whether or not it
        is showing, so the bar appearing does not re-wrap every bubble."""
        view = self._view
        extent = view.style().pixelMetric(QStyle.PixelMetric.PM_ScrollBarExtent, None, view)
        return max(view.width() - 2 * view.frameWidth() - extent, 160)

    def geometry(self, index: QModelIndex) -> Geometry | None:
        info: RenderInfo | None = index.data(MessageRole.Render)
        return None if info is None else self._geometry(info)

    def _geometry(self, info: RenderInfo) -> Geometry:
        width = self.layout_width or self.available_width()
        if width != self._cache_width:
            self.clear_cache()
            self._cache_width = width
        key = self._key(info)
        geometry = touch(self._layouts, key)
        if geometry is None:
            geometry = self._measure(info, info.meta, width)
            remember(self._layouts, key, geometry, LAYOUT_CACHE)
            remember(self._heights, key, geometry.height, HEIGHT_CACHE)
        return geometry

    def height(self, index: QModelIndex) -> int:
        """The row's height, without laying its text out again when it was measured before."""
        info: RenderInfo | None = index.data(MessageRole.Render)
        return 0 if info is None else self._height(info)

    def _height(self, info: RenderInfo) -> int:
        if (self.layout_width or self.available_width()) == self._cache_width:
            height = touch(self._heights, self._key(info))
            if height is not None:
                return height
        return self._geometry(info).height

    def _key(self, info: RenderInfo) -> tuple:
        attachments = info.message.attachments
        if not attachments:
            return info.key
        return (info.key, self.media.stamp(attachments, self._view.devicePixelRatioF()))

    def _measure(
        self, info: RenderInfo, meta: tuple[str, tuple[int, int] | None] | None, width: int
    ) -> Geometry:
        message = info.message
        font = self._view.font()
        small = theme.small_font(font)
        small_fm = QFontMetrics(small)
        max_bubble = int(width * theme.BUBBLE_MAX_FRACTION)
        inner = max_bubble - 2 * theme.BUBBLE_PADDING_H

        y = 0
        day_top = 0
        if info.day_text:
            day_top = y + 10
            y = day_top + small_fm.height() + 6 + 10
        else:
            y += theme.TURN_GAP if info.run_start else theme.SAME_SIDE_GAP
        unread_top = None
        if info.unread_divider:
            unread_top, y = y, y + unread_height(font)

        parts: list[tuple[Text, float]] = []
        inner_y = 0.0
        if message.body or not message.attachments:
            text = layout_text(message.body)
            links = find_links(text)
            body = lay_out(text, font, inner, [(s, n) for s, n, _u in links])
            body.links = links
            parts.append((body, inner_y))
            inner_y += body.height
        blocks = []
        widths = [part.width for part, _y in parts]
        if message.attachments:
            from voipdesk.ui.thread.media_blocks import width_of

            top = inner_y + 4 if inner_y else 0.0
            ratio = self._view.devicePixelRatioF()
            blocks = self.media.lay_out(message.attachments, font, inner, top, ratio)
            inner_y = max(inner_y, blocks[-1].rect.bottom())
            widths.append(width_of(blocks))
        content = max([*widths, 0.0])
        bubble = QSize(
            max(math.ceil(content) + 2 * theme.BUBBLE_PADDING_H, 2 * theme.BUBBLE_RADIUS),
            max(math.ceil(inner_y) + 2 * theme.BUBBLE_PADDING_V, 2 * theme.BUBBLE_RADIUS),
        )
        bubble_top = y
        y += bubble.height()

        meta_part = None
        meta_top = 0
        action = None
        if meta is not None:
            text, action = fit_sender(*meta, message, small_fm, max_bubble)
            meta_part = lay_out(
                text,
                small,
                max_bubble,
                [action] if action else (),
                Qt.AlignmentFlag.AlignRight
                if message.direction is Direction.OUT
                else Qt.AlignmentFlag.AlignLeft,
            )
            meta_top = y + 3
            y = meta_top + math.ceil(meta_part.height)
        if info.is_last:
            y += theme.TURN_GAP
        return Geometry(
            height=math.ceil(y),
            outgoing=message.direction is Direction.OUT,
            day_text=info.day_text,
            day_top=day_top,
            bubble_top=bubble_top,
            bubble_size=bubble,
            parts=parts,
            meta=meta_part,
            meta_top=meta_top,
            meta_box=max_bubble,
            action=action,
            unread_top=unread_top,
            media=blocks,
        )

    def sizeHint(self, option: QStyleOptionViewItem, index: QModelIndex) -> QSize:
        info: RenderInfo | None = index.data(MessageRole.Render)
        if info is None:
            return QSize(1, 0)
        height = self._height(info)
        if self.layout_width is not None:  # the view is laying its rows out: remember them
            self.laid_out[info.message.id] = height
        return QSize(1, height)

    # -- where things are inside an item ---------------------------------------------------------
    @staticmethod
    def _bubble_rect(geometry: Geometry, rect: QRect) -> QRect:
        size = geometry.bubble_size
        margin = theme.THREAD_SIDE_MARGIN
        x = rect.right() + 1 - margin - size.width() if geometry.outgoing else rect.left() + margin
        return QRect(x, rect.top() + geometry.bubble_top, size.width(), size.height())

    @staticmethod
    def _meta_origin(geometry: Geometry, rect: QRect, bubble: QRect) -> QPointF:
        assert geometry.meta is not None
        # Lines are aligned inside a box of meta_box width: its right edge under the bubble's
        # right edge for outgoing (right-aligned text), its left edge under the left otherwise.
        if geometry.outgoing:
            left = bubble.right() + 1 - 4 - geometry.meta_box
        else:
            left = bubble.left() + 4
        return QPointF(left, rect.top() + geometry.meta_top)

    def on_bubble(self, index: QModelIndex, pos: QPoint, rect: QRect) -> bool:
        """Whether pos falls on the row's bubble (its text or its line of time and status)."""
        geometry = self.geometry(index)
        if geometry is None:
            return False
        bubble = self._bubble_rect(geometry, rect)
        if bubble.contains(pos):
            return True
        if geometry.meta is None:
            return False
        origin = self._meta_origin(geometry, rect, bubble)
        meta = QRectF(origin.x(), origin.y(), geometry.meta_box, geometry.meta.height)
        return meta.contains(QPointF(pos))

    def hit_test(self, index: QModelIndex, pos: QPoint, rect: QRect) -> tuple[str, object] | None:
        """("url", QUrl) for a link under pos, ("action", message id) for Retry, else None."""
        geometry = self.geometry(index)
        if geometry is None:
            return None
        bubble = self._bubble_rect(geometry, rect)
        point = QPointF(pos)
        for part, top in geometry.parts:
            origin = QPointF(
                bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V + top
            )
            char = position_in(part, point - origin)
            if char is None:
                continue
            for start, length, url in part.links:
                if start <= char < start + length:
                    return ("url", url)
        inner = QPointF(
            bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V
        )
        if geometry.media:
            from voipdesk.ui.thread.media_blocks import hit

            target = hit(geometry.media, point - inner)
            if target is not None:
                return target
        if geometry.meta is not None and geometry.action is not None:
            char = position_in(geometry.meta, point - self._meta_origin(geometry, rect, bubble))
            start, length = geometry.action
            if char is not None and start <= char < start + length:
                return ("action", index.data(MessageRole.Id))
        return None

    # -- painting ----------------------------------------------------------------------------------
    def paint(self, painter: QPainter, option: QStyleOptionViewItem, index: QModelIndex) -> None:
        geometry = self.geometry(index)
        info: RenderInfo | None = index.data(MessageRole.Render)
        if geometry is None or info is None:
            return
        message = info.message
        palette: QPalette = option.palette
        rect: QRect = option.rect
        painter.save()
        painter.setRenderHint(QPainter.RenderHint.Antialiasing, True)

        small = theme.small_font(self._view.font())
        if geometry.day_text:
            fm = QFontMetrics(small)
            text_width = fm.horizontalAdvance(geometry.day_text)
            pill = QRect(0, 0, text_width + 20, fm.height() + 6)
            pill.moveCenter(
                QPoint(rect.center().x(), rect.top() + geometry.day_top + pill.height() // 2)
            )
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.hover_fill(palette))
            painter.drawRoundedRect(pill, pill.height() / 2, pill.height() / 2)
            painter.setFont(small)
            painter.setPen(theme.muted_text(palette))
            painter.drawText(pill, Qt.AlignmentFlag.AlignCenter, geometry.day_text)
        if geometry.unread_top is not None:
            paint_unread_divider(painter, rect, geometry.unread_top, self._view.font(), palette)

        bubble = self._bubble_rect(geometry, rect)
        outgoing = geometry.outgoing
        problem = outgoing and message.status in (Status.FAILED, Status.UNKNOWN)
        fill = QColor(theme.ACCENT) if outgoing else theme.incoming_bubble(palette)
        text_color = theme.accent_text() if outgoing else palette.color(QPalette.ColorRole.Text)
        outline: QPen | None = None
        if problem:
            # Not sent (or maybe not): a pale tint with an accent outline and the text in the
            # palette's colour, so it reads as "not sent" next to full accent bubbles.
            fill = theme.unsent_bubble(palette)
            text_color = palette.color(QPalette.ColorRole.Text)
            outline = QPen(theme.ACCENT, 1.5)
        elif message.status in (Status.SENDING, Status.PENDING):
            fill.setAlphaF(0.7)
        chosen = self._selection  # (None until some text is first selected)
        if option.state & QStyle.StateFlag.State_Selected and not (
            chosen and chosen.holds(message.id)
        ):
            # The bubble is what is selected: a soft halo around it, not a band across the row.
            # (Part of its text selected is marked in the text instead.)
            halo = QRectF(bubble).adjusted(-4, -4, 4, 4)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.selection_fill(palette))
            painter.drawRoundedRect(halo, theme.BUBBLE_RADIUS + 4, theme.BUBBLE_RADIUS + 4)
        if self.highlight_id == message.id:
            ring = QRectF(bubble).adjusted(-3, -3, 3, 3)
            painter.setPen(QPen(theme.ACCENT, 2))
            painter.setBrush(Qt.BrushStyle.NoBrush)
            painter.drawRoundedRect(ring, theme.BUBBLE_RADIUS + 3, theme.BUBBLE_RADIUS + 3)
        painter.setPen(Qt.PenStyle.NoPen)
        painter.setBrush(fill)
        painter.drawRoundedRect(QRectF(bubble), theme.BUBBLE_RADIUS, theme.BUBBLE_RADIUS)
        if outline is not None:
            painter.setPen(outline)
            painter.setBrush(Qt.BrushStyle.NoBrush)
            inset = QRectF(bubble).adjusted(0.75, 0.75, -0.75, -0.75)
            painter.drawRoundedRect(inset, theme.BUBBLE_RADIUS - 0.75, theme.BUBBLE_RADIUS - 0.75)

        painter.setPen(text_color)
        query = self.match[1] if self.match[0] == message.id else ""
        for part, top in geometry.parts:
            part.layout.draw(
                painter,
                QPointF(
                    bubble.left() + theme.BUBBLE_PADDING_H,
                    bubble.top() + theme.BUBBLE_PADDING_V + top,
                ),
                match_formats(part.text, query, palette)
                + (chosen.formats(message.id, palette, fill) if chosen else []),
            )
        if geometry.media:
            from voipdesk.ui.thread import media

            inner = QPointF(
                bubble.left() + theme.BUBBLE_PADDING_H, bubble.top() + theme.BUBBLE_PADDING_V
            )
            media.paint(
                painter, geometry.media, inner, self._view.font(), text_color, self.media.image
            )

        if problem:
            size = 18
            mark = QRect(bubble.left() - size - 6, bubble.center().y() - size // 2, size, size)
            painter.setPen(Qt.PenStyle.NoPen)
            painter.setBrush(theme.error_text(palette))
            painter.drawEllipse(mark)
            bold = QFont(small)
            bold.setBold(True)
            painter.setFont(bold)
            painter.setPen(QColor("#ffffff"))
            painter.drawText(mark, Qt.AlignmentFlag.AlignCenter, "!")
        if geometry.meta is not None:
            error = message.status is Status.FAILED and outgoing
            painter.setPen(theme.error_text(palette) if error else theme.muted_text(palette))
            geometry.meta.layout.draw(painter, self._meta_origin(geometry, rect, bubble))
        painter.restore()
