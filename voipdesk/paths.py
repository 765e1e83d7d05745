"""Where bundled resources are: in the package, in a source checkout, or in a frozen bundle."""

from __future__ import annotations

import sys
from pathlib import Path


def resource(name: str) -> Path:
    """Path of a file from resources/ (icons, .desktop, stylesheet)."""
    candidates = []
    frozen = getattr(sys, "_MEIPASS", None)
    if frozen:
        candidates.append(Path(frozen) / "voipdesk" / "resources" / name)
    candidates.append(Path(__file__).resolve().parent / "resources" / name)  # installed package
    candidates.append(Path(__file__).resolve().parent.parent / "resources" / name)  # checkout
    for path in candidates:
        if path.exists():
            return path
    return candidates[-1]
