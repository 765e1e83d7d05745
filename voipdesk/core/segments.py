"""SMS length: GSM-7 vs UCS-2, characters and segments, and GSM-friendly replacements."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

import gsm0338  # noqa: F401 - registers the "gsm03.38" codec
from unidecode import unidecode

_CODEC = "gsm03.38"


@dataclass(frozen=True, slots=True)
class SmsLength:
    """How a text travels as SMS."""

    encoding: str  # "GSM-7" | "UCS-2"
    characters: int  # as the user counts them (code points)
    units: int  # septets (GSM-7) or UTF-16 code units (UCS-2)
    segments: int
    per_segment: int  # capacity of each segment in units
    remaining: int  # units left in the last segment


def is_gsm(text: str) -> bool:
    try:
        text.encode(_CODEC)
    except UnicodeEncodeError:
        return False
    return True


def measure(text: str) -> SmsLength:
    """Characters and segments of `text` (160/153 septets, or 70/67 UTF-16 units)."""
    if is_gsm(text):
        encoding, single, multi = "GSM-7", 160, 153
        sizes = [len(ch.encode(_CODEC)) for ch in text]  # 2 for € [ ] { } ~ ^ \\ |
    else:
        encoding, single, multi = "UCS-2", 70, 67
        sizes = [2 if ord(ch) > 0xFFFF else 1 for ch in text]  # surrogate pairs
    units = sum(sizes)
    if units <= single:
        segments = 1 if units else 0
        return SmsLength(encoding, len(text), units, segments, single, single - units)
    # Multipart: an escape pair or a surrogate pair is never split across two segments, so a
    # segment may end one unit short and the count can exceed ceil(units / multi).
    segments, used = 1, 0
    for size in sizes:
        if used + size > multi:
            segments, used = segments + 1, 0
        used += size
    return SmsLength(encoding, len(text), units, segments, multi, multi - used)


def gsm_replacement(text: str) -> str | None:
    """`text` with characters that force UCS-2 replaced by GSM look-alikes (“ → ", — → -),
    or None when some character has no GSM equivalent (an emoji, a script) or none is needed."""
    if is_gsm(text):
        return None
    out: list[str] = []
    for ch in text:
        if is_gsm(ch):
            out.append(ch)
            continue
        if unicodedata.category(ch).startswith("L") and "LATIN" not in unicodedata.name(ch, ""):
            return None  # transliterating another script changes the words, not their look
        alt = unidecode(ch)
        if ch in "—–":  # unidecode gives "--" for an em dash; a single hyphen reads better
            alt = "-"
        if not alt or not is_gsm(alt):
            return None
        out.append(alt)
    return "".join(out)
