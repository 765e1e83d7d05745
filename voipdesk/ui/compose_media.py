"""Pictures and files dropped or pasted into a compose box: VoIP Number's API sends text only,
so they are not inserted, and the box says why instead of doing nothing."""

from __future__ import annotations

from PySide6.QtCore import QMimeData

PICTURE = (
    "Pictures can't be sent: VoIP Number sends text messages only. "
    "To share one, paste a link to it."
)
FILE = (
    "Files can't be sent: VoIP Number sends text messages only. To share one, paste a link to it."
)


def refusal(source: QMimeData | None) -> str | None:
    """The sentence to show instead of inserting `source`, or None to insert it as text.
    Text wins: a paragraph copied from a word processor also carries a picture of itself."""
    if source is None:
        return None
    urls = source.urls() if source.hasUrls() else []
    if urls and all(url.isLocalFile() for url in urls):
        return PICTURE if all(_is_picture(url.toLocalFile()) for url in urls) else FILE
    if source.hasImage() and not (source.hasText() and source.text().strip()):
        return PICTURE
    return None


def _is_picture(path: str) -> bool:
    return path.lower().rsplit(".", 1)[-1] in {
        "png", "jpg", "jpeg", "gif", "webp", "bmp", "heic", "heif", "tif", "tiff", "svg",
    }  # fmt: skip
