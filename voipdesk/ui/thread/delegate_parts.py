"""The bubble delegate's parts that a first screen of texts does not use, each made when first
asked for: the selected text (selection.py) and an MMS's pictures and files (media.py, with
QImage and its readers). The window's first paint waits for neither import."""

from __future__ import annotations

import importlib
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from voipdesk.ui.thread.media import MediaShelf
    from voipdesk.ui.thread.selection import TextSelection


class DelegateParts:
    """Mixed into BubbleDelegate (which has the mediaShelfMade signal)."""

    _selection: TextSelection | None = None  # part of one message's text
    _media: MediaShelf | None = None  # an MMS's pictures and files
    _media_folder: Path | None = None

    @property
    def selection(self) -> TextSelection:
        if self._selection is None:
            from voipdesk.ui.thread.selection import TextSelection

            self._selection = TextSelection()
        return self._selection

    @property
    def media(self) -> MediaShelf:
        if self._media is None:
            from voipdesk.ui.thread.media import MediaShelf

            self._media = MediaShelf(self._media_folder, parent=self)  # type: ignore[arg-type]
            self.mediaShelfMade.emit()  # type: ignore[attr-defined]
        return self._media

    def set_media_folder(self, folder: Path | None) -> None:
        """Where MMS pictures are kept (the shelf's folder, once it is made)."""
        self._media_folder = folder
        if self._media is not None:
            self._media.set_folder(folder)


def warm_up() -> None:
    """Import what the first MMS in view needs (its pictures' shelf and blocks, the fetcher:
    ~10 ms here), on the reads worker once the window has one, so that the frame that first
    shows a picture does not import them. (The window's first paint still waits for neither.)"""
    for name in ("voipdesk.services.media", "voipdesk.ui.thread.media"):
        importlib.import_module(name)
