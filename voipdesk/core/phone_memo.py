"""The numbers the window showed at start, as phonenumbers formatted them, kept in the data
folder (numbers-shown.json) for the next start: its first paint then shows them without
importing phonenumbers (15-20 ms of a ~250 ms start, see core/phone.py).

The record holds, for the phonenumbers installed when it was written (its file's path, size and
time; in a bundle, the bundle's), each (number, country) the window asked for and the text
shown, and the regions phonenumbers knows (settings.json's country is checked against them). It
is a cache: another phonenumbers, a damaged file or a number it lacks, and phonenumbers answers
as it would without it. The file is user-only, like the rest of the folder: it names numbers."""

from __future__ import annotations

import importlib.machinery
import json
import logging
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from voipdesk.core import phone

log = logging.getLogger(__name__)

FILE_NAME = "numbers-shown.json"


def library() -> str | None:
    """Which phonenumbers is installed, found without importing it (None: not told)."""
    if getattr(sys, "frozen", False):  # a bundle: a new bundle, a new phonenumbers maybe
        path: str | None = sys.executable
    else:
        spec = importlib.machinery.PathFinder.find_spec("phonenumbers")
        path = spec.origin if spec is not None else None
    if not path:
        return None
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return f"{path}:{stat.st_size}:{stat.st_mtime_ns}"


def recall(folder: Path) -> bool:
    """Take up the last run's record in `folder` (core/phone.py uses it); False when there is
    none this start can use."""
    phone.remembered, phone.remembered_regions = {}, frozenset()
    key = library()
    if key is None:
        return False
    try:
        record = json.loads((Path(folder) / FILE_NAME).read_text("utf-8"))
        if record["library"] != key:
            return False  # written beside another phonenumbers
        regions = frozenset(record["regions"])
        shown = {}
        for e164, country, text in record["shown"]:
            if not all(isinstance(v, str) for v in (e164, country, text)):
                raise ValueError("an entry is not text")
            shown[(e164, country)] = text
        if not regions or not all(isinstance(code, str) for code in regions):
            raise ValueError("no regions")
    except FileNotFoundError:
        return False
    except (OSError, ValueError, KeyError, TypeError) as exc:  # (JSONDecodeError: a ValueError)
        log.info("%s not used: %s", FILE_NAME, exc)
        return False
    phone.remembered, phone.remembered_regions = shown, regions
    return True


def keep(folder: Path, asked: Iterable[tuple[str, str]]) -> None:
    """Write the record of `asked` (phone.asked, copied on the GUI thread) for the next start.
    Runs on a worker: it may import phonenumbers. Not written when nothing changed."""
    key = library()
    if key is None:
        return
    shown = {(e164, country): phone.display(e164, country) for e164, country in asked}
    if phone.remembered_regions:
        regions = phone.remembered_regions
    else:
        import phonenumbers

        regions = frozenset(phonenumbers.SUPPORTED_REGIONS)
    if shown == phone.remembered and regions == phone.remembered_regions:
        return  # this start used the record as it is (and the same phonenumbers)
    record = {
        "library": key,
        "regions": sorted(regions),
        "shown": [[e164, country, text] for (e164, country), text in sorted(shown.items())],
    }
    from voipdesk.private import replace_private

    try:
        replace_private(Path(folder) / FILE_NAME, json.dumps(record).encode("utf-8"))
    except OSError as exc:  # (a full disk, a read-only folder: the next start imports it)
        log.warning("%s could not be written: %s", FILE_NAME, exc)
