"""An MMS's pictures and files in its bubble: a thumbnail, a file chip, or the link and a Retry.

MediaShelf fetches each link once (services.media, on the asyncio loop), decodes and scales a
picture on a worker thread, and keeps the thumbnails of the links seen lately. The delegate asks
it for blocks to lay out, paint and hit-test inside a bubble; nothing here touches the network
or decodes on the GUI thread, and no text here is rendered as HTML."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

from PySide6.QtCore import QObject, QPointF, QRectF, QSize, QSizeF, Qt, QTimer, QUrl, Signal
from PySide6.QtGui import (
    QColor,
    QFont,
    QFontMetrics,
    QImage,
    QImageIOHandler,
    QImageReader,
    QPainter,
    QPainterPath,
)

from voipdesk.core import media as svc
from voipdesk.ui import theme
from voipdesk.ui.thread.layout import Text, lay_out, position_in

THUMB_MAX = 240  # the longer side of a thumbnail, in logical pixels (×2 decoded at 2× scale)
THUMB_MIN = 48  # a thin picture's short side is not drawn thinner than this
MAX_PIXELS = 80_000_000  # larger pictures are not decoded at all (a "decompression bomb")
FETCHES = 4  # downloads at a time (a thread of many pictures opens no more connections)
KEPT = 5000  # links whose state is kept in memory (a few hundred bytes each), oldest dropped
IMAGES_KEPT = 150  # thumbnails kept decoded (up to ~1 MB each at 2x); others decoded again
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


def decode_thumbnail(path: Path, ratio: float) -> QImage | None:
    """The picture at `path` as a thumbnail (worker thread: QImage is not a widget). Its
    logical size fits THUMB_MAX, aspect kept, never enlarged; it has `ratio` times as many
    pixels where the picture has them (sharp at 2x). None when it cannot be read or is absurdly
    large."""
    reader = QImageReader(str(path))
    reader.setAutoTransform(True)  # a phone's portrait photo is stored sideways with a tag
    size = reader.size()
    if not size.isValid() or size.width() * size.height() > MAX_PIXELS:
        return None
    if reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90:
        size.transpose()  # (the size read is the stored one)
    w, h = size.width(), size.height()
    logical = min(1.0, THUMB_MAX / max(w, h))  # a logical pixel per picture pixel at most
    device = min(1.0, logical * ratio)
    target = QSize(max(1, round(w * device)), max(1, round(h * device)))
    if target != size:
        if reader.transformation() & QImageIOHandler.Transformation.TransformationRotate90:
            reader.setScaledSize(target.transposed())
        else:
            reader.setScaledSize(target)
    image = reader.read()
    if image.isNull():
        return None
    image.setDevicePixelRatio(image.width() / max(1.0, w * logical))
    return image


class MediaShelf(QObject):
    """Every link's state, its fetch and its thumbnail. changed(url) when one changes."""

    changed = Signal(str)  # a link's state changed: its bubble is measured again
    repaint = Signal(str)  # a dropped thumbnail was decoded again: same size, paint it

    def __init__(self, folder: Path | None = None, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._folder = folder
        self._cache = None  # services.media.MediaCache, made at the first fetch (httpx loads then)
        self._entries: OrderedDict[str, Entry] = OrderedDict()
        self._tasks: set = set()  # the fetches under way (asyncio tasks)
        self._slots = None  # an asyncio.Semaphore: FETCHES at a time, made on the loop
        self._version = 0
        self._images: OrderedDict[str, None] = OrderedDict()  # decoded, least recent first
        self._decoding: set[str] = set()

    def set_folder(self, folder: Path | None) -> None:
        """Where pictures are kept between runs (the data folder's media/)."""
        self._folder = folder
        if self._cache is not None:
            self._cache.folder = folder

    @property
    def cache(self):
        """The fetcher (services.media.MediaCache): imported when first needed, so that the
        window's first paint does not wait for httpx."""
        if self._cache is None:
            from voipdesk.services.media import MediaCache

            self._cache = MediaCache(self._folder)
        return self._cache

    # -- states --------------------------------------------------------------------------------
    def entry(self, url: str, ratio: float = 1.0) -> Entry:
        """The link's state, its fetch started the first time it is asked for."""
        entry = self._entries.get(url)
        if entry is not None:
            self._entries.move_to_end(url)
            return entry
        entry = self._entries[url] = Entry(LOADING, version=self._next())
        while len(self._entries) > KEPT:
            self._entries.popitem(last=False)
        self._start(url, ratio)
        return entry

    def stamp(self, attachments: tuple[str, ...], ratio: float) -> tuple[int, ...]:
        """What decides the size of a bubble's attachments now: their entries' versions."""
        return tuple(self.entry(url, ratio).version for url in attachments[:SHOWN])

    def image(self, url: str) -> QImage | None:
        """The link's thumbnail to paint; None while it is decoded again (it was dropped)."""
        entry = self._entries.get(url)
        if entry is None or entry.state != svc.IMAGE:
            return None
        if entry.image is None:
            self._decode_again(url, entry)
            return None
        self._images.move_to_end(url)
        return entry.image

    def _hold(self, url: str, entry: Entry, image: QImage) -> None:
        entry.image = image
        self._images[url] = None
        self._images.move_to_end(url)
        while len(self._images) > IMAGES_KEPT:
            old, _none = self._images.popitem(last=False)
            dropped = self._entries.get(old)
            if dropped is not None:
                dropped.image = None

    def _decode_again(self, url: str, entry: Entry) -> None:
        asyncio = sys.modules.get("asyncio")
        path = entry.media.path if entry.media is not None else None
        if url in self._decoding or asyncio is None or path is None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:
            return
        self._decoding.add(url)

        async def decode() -> None:
            try:
                image = await asyncio.to_thread(decode_thumbnail, path, entry.ratio)
            finally:
                self._decoding.discard(url)
            if image is not None and self._entries.get(url) is entry:
                self._hold(url, entry, image)
                self.repaint.emit(url)

        task = loop.create_task(decode())
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    def retry(self, url: str, ratio: float = 1.0) -> None:
        entry = self._entries.get(url)
        if entry is not None and entry.state == LOADING:
            return
        self._entries[url] = Entry(LOADING, version=self._next())
        self._start(url, ratio)
        self.changed.emit(url)

    def _next(self) -> int:
        self._version += 1
        return self._version

    def _start(self, url: str, ratio: float, tries: int = 0) -> None:
        # (Before the first paint asyncio is not even imported, and no loop can be running.)
        asyncio = sys.modules.get("asyncio")
        try:
            if asyncio is None:
                raise RuntimeError("no loop yet")
            loop = asyncio.get_running_loop()
        except RuntimeError:  # painted before the app's loop runs: try again in a moment
            if tries < 50:  # (a test without a loop: the link stays "loading")
                QTimer.singleShot(200, self, lambda: self._start(url, ratio, tries + 1))
            return
        task = loop.create_task(self._load(url, ratio))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _load(self, url: str, ratio: float) -> None:
        import asyncio

        if self._slots is None:
            self._slots = asyncio.Semaphore(FETCHES)
        async with self._slots:
            media = await self.cache.fetch(url)
        image = None
        if media.kind == svc.IMAGE and media.path is not None:
            image = await asyncio.to_thread(decode_thumbnail, media.path, ratio)
            if image is None:
                media = replace(media, kind=svc.FILE, reason="This picture could not be shown.")
        entry = Entry(media.kind, media, version=self._next(), ratio=ratio)
        if image is not None:
            entry.size = image.deviceIndependentSize()
            self._hold(url, entry, image)
        self._entries[url] = entry
        self._entries.move_to_end(url)
        self.changed.emit(url)

    async def settled(self) -> None:
        """Wait for the fetches under way (tests, shutdown)."""
        import asyncio

        while self._tasks:
            await asyncio.gather(*list(self._tasks), return_exceptions=True)

    # -- clicks ----------------------------------------------------------------------------------
    def follow(self, kind: str, url: str, open_url: Callable[[QUrl], object]) -> None:
        """A click on a thumbnail (opens the picture in the system's viewer) or on a Retry."""
        if kind == "media-retry":
            self.retry(url)
        elif kind == "media-view":
            entry = self._entries.get(url)
            if entry is not None and entry.media is not None and entry.media.path is not None:
                open_url(QUrl.fromLocalFile(str(entry.media.path)))

    # -- inside a bubble -------------------------------------------------------------------------
    def lay_out(
        self, attachments: tuple[str, ...], font: QFont, width: int, top: float, ratio: float
    ) -> list[Block]:
        """The blocks of a bubble's attachments, stacked from `top`, none wider than width."""
        blocks: list[Block] = []
        y = top
        for url in attachments[:SHOWN]:
            if blocks:
                y += GAP
            block = self._block(url, self.entry(url, ratio), font, width, y)
            blocks.append(block)
            y = block.rect.bottom()
        more = len(attachments) - SHOWN
        if more > 0:
            text = lay_out(f"and {more} more attachment{'s' if more > 1 else ''}", font, width)
            blocks.append(Block("", "text", _rect(text, y + GAP), text=text, muted=True))
        return blocks

    def _block(self, url: str, entry: Entry, font: QFont, width: int, y: float) -> Block:
        media = entry.media
        name = media.name if media is not None else svc.display_name(url)
        if entry.state == svc.IMAGE and entry.size is not None:
            w, h = entry.size.width(), entry.size.height()
            if w > width:  # a narrow window: scaled down to the bubble
                w, h = width, h * width / w
            w, h = max(w, min(THUMB_MIN, width)), max(h, THUMB_MIN)
            return Block(url, "image", QRectF(0, y, w, h), target=("media-view", url))
        if entry.state in (LOADING, svc.FILE):
            return self._chip(url, entry, name, font, width, y)
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

    def _chip(self, url: str, entry: Entry, name: str, font: QFont, width: int, y: float) -> Block:
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


def watch(view) -> None:
    """Re-measure the rows of `view` (a ThreadView) that show a link whose state changed."""

    def changed(url: str) -> None:
        model = view.model
        if model is None:
            return
        for row in range(model.rowCount()):
            message = model.message(row)
            if message is not None and url in message.attachments:
                model.changed(row)

    view.delegate.media.changed.connect(changed)
    view.delegate.media.repaint.connect(lambda _url: view.list_view.viewport().update())
