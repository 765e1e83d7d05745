"""An MMS's links as the window names them: which links may be fetched (refusal), the file
name to show, the kind of attachment a link looks like, and what a fetch made of it (Media).
Light on purpose (no network, no asyncio): the window imports it before its first paint; the
fetching is services/media.py."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import unquote, urlsplit

MAX_URL = 2048
# Pictures the window decodes (Qt's built-in readers), each with the extension its cache file
# gets so the system's viewer knows it. SVG is not here: it is a document, not a picture.
IMAGE_TYPES = {
    "image/png": ".png",
    "image/jpeg": ".jpg",
    "image/jpg": ".jpg",
    "image/pjpeg": ".jpg",
    "image/gif": ".gif",
    "image/webp": ".webp",
    "image/bmp": ".bmp",
}
# Controls and bidirectional overrides: never shown in a name or a link.
UNSAFE_TEXT = re.compile(r"[\x00-\x1f\x7f\u200e\u200f\u202a-\u202e\u2066-\u2069]")

IMAGE, FILE, REFUSED, FAILED = "image", "file", "refused", "failed"


@dataclass(frozen=True)
class Media:
    """What became of one link: IMAGE (path is the cached picture), FILE (not a picture, or too
    big to show: name and size only, the link opens it), REFUSED (not a web link: never
    requested) or FAILED (the download did not work: retry)."""

    url: str
    kind: str
    name: str
    size: int | None = None
    content_type: str = ""
    path: Path | None = None
    reason: str = ""


def refusal(url: str) -> str | None:
    """Why `url` is not fetched, or None for a web link that may be."""
    if len(url) > MAX_URL:
        return "This link is too long to open."
    try:
        parts = urlsplit(url.strip())
        parts.port  # noqa: B018 (raises ValueError for a bad port)
    except ValueError:
        return "This link is not a valid web address."
    if parts.scheme.lower() not in ("http", "https"):
        scheme = parts.scheme.lower()[:12]
        if not scheme:
            return "Not opened: this is not a web link."
        return f"Not opened: this is a {scheme}: link, and only web links are opened."
    if not parts.hostname:
        return "This link names no server."
    if parts.username or parts.password:
        return "Not opened: this link carries a user name or password."
    return None


def display_name(url: str) -> str:
    """A short file name to show for a link: the last part of its path, else its server."""
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return "attachment"
    name = unquote(parts.path.rstrip("/").rsplit("/", 1)[-1]) if parts.path else ""
    name = name.replace("\\", "/").rsplit("/", 1)[-1]  # (an encoded "../" is no folder)
    name = UNSAFE_TEXT.sub("", name).strip() or UNSAFE_TEXT.sub("", parts.hostname or "")
    name = name or "attachment"
    return name if len(name) <= 48 else name[:22] + "…" + name[-22:]


def guess_kind(url: str) -> str:
    """One of photo, video, audio, file or "" (unknown), from the link's file name alone."""
    import mimetypes  # (its import and tables wait for the first link to name)

    guessed, _encoding = mimetypes.guess_type(display_name(url), strict=False)
    if not guessed:
        return ""
    top = guessed.split("/", 1)[0]
    if guessed in IMAGE_TYPES or (top == "image" and "svg" not in guessed):
        return "photo"
    return top if top in ("video", "audio") else "file"


def preview_word(attachments: tuple[str, ...] | list[str]) -> str:
    """What a conversation list says for a message that is only attachments: "Photo",
    "2 photos", "Video", "File", "Attachment"."""
    kinds = {guess_kind(url) for url in attachments}
    kind = kinds.pop() if len(kinds) == 1 else ""
    word = {"photo": "Photo", "video": "Video", "audio": "Audio clip", "file": "File"}.get(
        kind, "Attachment"
    )
    count = len(attachments)
    return word if count <= 1 else f"{count} {word.lower()}s"


def size_text(size: int | None) -> str:
    if size is None:
        return ""
    if size < 1024:
        return f"{size} bytes"
    if size < 1024 * 1024:
        return f"{size / 1024:.0f} KB"
    return f"{size / (1024 * 1024):.1f} MB"
