"""An MMS's pictures and files in its bubble: a thumbnail, a file chip, or the link and a Retry.

MediaShelf fetches each link once (services.media, on the asyncio loop), decodes and scales a
picture on a worker thread, and keeps the thumbnails of the links seen lately. The delegate asks
it for blocks (media_blocks.py) to lay out, paint and hit-test inside a bubble; nothing here
touches the network or decodes on the GUI thread, and no text here is rendered as HTML."""

from __future__ import annotations

import sys
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from PySide6.QtCore import QObject, QSize, QTimer, QUrl, Signal
from PySide6.QtGui import QFont, QImage, QImageIOHandler, QImageReader

from voipdesk.core import media as svc
from voipdesk.ui.thread.media_blocks import (  # noqa: F401 (the delegate's: media.hit ...)
    LOADING,
    SHOWN,
    Block,
    Entry,
    hit,
    paint,
    stack,
    width_of,
)

THUMB_MAX = 240  # the longer side of a thumbnail, in logical pixels (×2 decoded at 2× scale)
MAX_PIXELS = 80_000_000  # larger pictures are not decoded at all (a "decompression bomb")
FETCHES = 4  # downloads at a time (a thread of many pictures opens no more connections)
KEPT = 5000  # links whose state is kept in memory (a few hundred bytes each), oldest dropped
IMAGES_KEPT = 150  # thumbnails kept decoded (up to ~1 MB each at 2x); others decoded again


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
        if self._cache is not None:
            self._cache.forget_failures(url)  # the host is tried again, not failed from memory
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
        """The blocks of a bubble's attachments (media_blocks.stack), their fetches started."""
        entries = [(url, self.entry(url, ratio)) for url in attachments[:SHOWN]]
        return stack(entries, len(attachments) - SHOWN, font, width, top)


def watch(view) -> None:
    """Re-measure the rows of `view` (a ThreadView) that show a link whose state changed: the
    links that changed in one turn of the event loop (a host that cannot be reached fails all
    its links at once) are looked for in one pass and told to the view as one change, so that
    the rows are laid out again once rather than once per link; rows out of view wait for the
    next layout."""
    pending: set[str] = set()
    timer = QTimer(view)
    timer.setSingleShot(True)
    timer.setInterval(0)

    def changed(url: str) -> None:
        pending.add(url)
        timer.start()

    def flush() -> None:
        urls = set(pending)
        pending.clear()
        model = view.model
        if model is None or not urls:
            return
        rows = [
            row
            for row in range(model.rowCount())
            if (message := model.message(row)) is not None
            and not urls.isdisjoint(message.attachments)
        ]
        # Rows in view are measured again now; rows out of view are not laid out once per
        # picture but with the next layout (ListView.relayout_soon), when they are needed.
        shown = view.list_view.visible_rows()
        seen = [row for row in rows if row in shown]
        if seen:
            model.changed_rows(seen)
        if len(seen) < len(rows):
            view.list_view.relayout_soon()

    timer.timeout.connect(flush)
    view.delegate.media.changed.connect(changed)
    view.delegate.media.repaint.connect(lambda _url: view.list_view.viewport().update())
