"""The blocks an MMS's attachments make in its bubble: a thumbnail, a file chip, or lines of
text (why a link is not shown, the link and a Retry); where a click on them goes, and how they
are painted. Plain text only, laid out with QTextLayout (ui/thread/layout.py): never HTML."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from PySide6.QtCore import QPointF, QRectF, QSizeF, Qt, QUrl
from PySide6.QtGui import QColor, QFont, QFontMetrics, QImage, QPainter, QPainterPath

from voipdesk.core import media as svc
from voipdesk.ui import theme
from voipdesk.ui.thread.layout import Text, lay_out, position_in

THUMB_MIN = 48  # a thin picture's short side is not drawn thinner than this
SHOWN = 20  # attachments shown in one bubble; more are counted ("and 3 more attachments")
LOADING = "loading"
GAP = 6  # between blocks in a bubble
CHIP_ICON = 32
CHIP_PAD = 8


@dataclass
class Entry:
    state: str  # LOADING or one of services.media's kinds
    media: svc.Media | None = None
    image: QImage | None = None  # the thumbnail (None again once dropped to save memory)
    version: int = 0
    size: QSizeF | None = None  # the thumbnail's logical size (kept when the image is dropped)
    ratio: float = 1.0  # the device pixel ratio it was made for


@dataclass
class Block:
    """One attachment inside a bubble, relative to the bubble's text origin."""

    url: str
    kind: str  # "image", "chip", "text"
    rect: QRectF
    title: str = ""
    detail: str = ""
    icon: str = ""
    text: Text | None = None
    muted: bool = False
    target: tuple[str, object] | None = None  # what a click anywhere on it does
    ranges: list[tuple[int, int, tuple[str, object]]] = field(default_factory=list)


def stack(
    entries: list[tuple[str, Entry]], more: int, font: QFont, width: int, top: float
) -> list[Block]:
    """The blocks of a bubble's attachments (url and state each), stacked from `top`, none
    wider than width; `more` links beyond them are counted in a last line."""
    blocks: list[Block] = []
    y = top
    for url, entry in entries:
        if blocks:
            y += GAP
        block = _block(url, entry, font, width, y)
        blocks.append(block)
        y = block.rect.bottom()
    if more > 0:
        text = lay_out(f"and {more} more attachment{'s' if more > 1 else ''}", font, width)
        blocks.append(Block("", "text", _rect(text, y + GAP), text=text, muted=True))
    return blocks


def _block(url: str, entry: Entry, font: QFont, width: int, y: float) -> Block:
    media = entry.media
    name = media.name if media is not None else svc.display_name(url)
    if entry.state == svc.IMAGE and entry.size is not None:
        w, h = entry.size.width(), entry.size.height()
        if w > width:  # a narrow window: scaled down to the bubble
            w, h = width, h * width / w
        w, h = max(w, min(THUMB_MIN, width)), max(h, THUMB_MIN)
        return Block(url, "image", QRectF(0, y, w, h), target=("media-view", url))
    if entry.state in (LOADING, svc.FILE):
        return _chip(url, entry, name, font, width, y)
    assert media is not None
    if entry.state == svc.REFUSED:
        shown = url if len(url) <= 80 else url[:77] + "…"
        text = lay_out(f"{media.reason}\u2028{_plain(shown)}", font, width)
        return Block(url, "text", _rect(text, y), text=text, muted=True)
    # FAILED: the reason, the link (opens in the browser) and a Retry.
    reason = f"{media.reason}\u2028"
    link = _plain(url)
    words = f"{reason}{link}\u2028Retry"
    ranges = [
        (len(reason), len(link), ("url", QUrl(url))),
        (len(words) - 5, 5, ("media-retry", url)),
    ]
    text = lay_out(words, font, width, [(s, n) for s, n, _t in ranges])
    return Block(url, "text", _rect(text, y), text=text, ranges=ranges)


def _chip(url: str, entry: Entry, name: str, font: QFont, width: int, y: float) -> Block:
    media = entry.media
    small = theme.small_font(font)
    if entry.state == LOADING:
        detail, target = "Loading…", None
    else:
        assert media is not None
        bits = [svc.size_text(media.size), media.reason or _type_text(media.content_type)]
        detail, target = " · ".join(b for b in bits if b), ("url", QUrl(url))
    fm, small_fm = QFontMetrics(font), QFontMetrics(small)
    natural = max(fm.horizontalAdvance(name), small_fm.horizontalAdvance(detail))
    w = min(width, max(180, CHIP_ICON + 3 * CHIP_PAD + natural + 2))
    h = max(CHIP_ICON, fm.height() + small_fm.height()) + 2 * CHIP_PAD
    icon = (name.rsplit(".", 1)[-1][:4].upper() if "." in name else "") or "FILE"
    return Block(
        url, "chip", QRectF(0, y, w, h), title=name, detail=detail, icon=icon, target=target
    )


def _plain(text: str) -> str:
    """A link as one line of text, without the controls that could make it read otherwise
    (a right-to-left override turning "gpj.exe" into "exe.jpg")."""
    return svc.UNSAFE_TEXT.sub("", text.replace("\n", " ").replace("\r", " ")).replace(
        "\u2028", " "
    )


def _rect(text: Text, y: float) -> QRectF:
    return QRectF(0, y, text.width, text.height)


def _type_text(content_type: str) -> str:
    top = content_type.split("/", 1)[0]
    return {"video": "Video", "audio": "Audio", "image": "Picture"}.get(top, "File")


def width_of(blocks: list[Block]) -> float:
    return max((block.rect.right() for block in blocks), default=0.0)


def hit(blocks: list[Block], point: QPointF) -> tuple[str, object] | None:
    """What a click at point (relative to the bubble's text origin) does, if anything."""
    for block in blocks:
        if not block.rect.contains(point):
            continue
        if block.text is not None:
            char = position_in(block.text, point - block.rect.topLeft())
            for start, length, target in block.ranges:
                if char is not None and start <= char < start + length:
                    return target
            return None
        return block.target
    return None


def paint(
    painter: QPainter,
    blocks: list[Block],
    origin: QPointF,
    font: QFont,
    color: QColor,
    image_for: Callable[[str], QImage | None],
) -> None:
    """Draw the blocks at origin in the bubble's text colour; image_for(url) gives a
    thumbnail (None: being decoded again, a tinted box stands in)."""
    for block in blocks:
        rect = block.rect.translated(origin)
        if block.kind == "image":
            painter.save()
            path = QPainterPath()
            path.addRoundedRect(rect, 8, 8)
            painter.setClipPath(path)
            image = image_for(block.url)
            if image is None:
                painter.fillRect(rect, theme.tinted(color, 0.12))
            else:
                painter.setRenderHint(QPainter.RenderHint.SmoothPixmapTransform, True)
                painter.drawImage(rect, image)
            painter.restore()
        elif block.kind == "chip":
            _paint_chip(painter, block, rect, font, color)
        elif block.text is not None:
            painter.save()
            painter.setPen(theme.tinted(color, 0.75) if block.muted else color)
            block.text.layout.draw(painter, rect.topLeft())
            painter.restore()


def _paint_chip(painter: QPainter, block: Block, rect: QRectF, font: QFont, color: QColor) -> None:
    painter.save()
    painter.setPen(Qt.PenStyle.NoPen)
    painter.setBrush(theme.tinted(color, 0.12))
    painter.drawRoundedRect(rect, 8, 8)
    icon = QRectF(rect.left() + CHIP_PAD, rect.center().y() - CHIP_ICON / 2, CHIP_ICON, CHIP_ICON)
    painter.setBrush(theme.tinted(color, 0.22))
    painter.drawRoundedRect(icon, 6, 6)
    small = theme.small_font(font)
    bold = QFont(small)
    bold.setBold(True)
    bold.setPointSizeF(max(6.0, small.pointSizeF() * 0.8))
    painter.setFont(bold)
    painter.setPen(color)
    painter.drawText(icon, Qt.AlignmentFlag.AlignCenter, block.icon)
    left = icon.right() + CHIP_PAD
    room = max(0.0, rect.right() - CHIP_PAD - left)
    fm, small_fm = QFontMetrics(font), QFontMetrics(small)
    text_top = rect.center().y() - (fm.height() + small_fm.height()) / 2
    painter.setFont(font)
    title = fm.elidedText(block.title, Qt.TextElideMode.ElideMiddle, int(room))
    painter.drawText(QRectF(left, text_top, room, fm.height()), Qt.AlignmentFlag.AlignLeft, title)
    painter.setFont(small)
    painter.setPen(theme.tinted(color, 0.75))
    detail = small_fm.elidedText(block.detail, Qt.TextElideMode.ElideRight, int(room))
    painter.drawText(
        QRectF(left, text_top + fm.height(), room, small_fm.height()),
        Qt.AlignmentFlag.AlignLeft,
        detail,
    )
    painter.restore()
