"""What a test reads back from the data dir."""

from __future__ import annotations

import json


def read(path) -> dict:
    return json.loads((path / "settings.json").read_text("utf-8"))


def kept_aside(data_dir) -> list:
    return sorted(data_dir.glob("settings.json.bad-*"))
