"""Data folders holding a damaged database: a few thousand messages, then 8 KB of noise."""

from __future__ import annotations

import random
from pathlib import Path

from voipdesk.store import database_path

from .bigfile import fill

__all__ = ["MESSAGES", "fill", "make"]

MESSAGES = 3000


def make(data_dir: Path, *, where: str = "middle", messages: int = MESSAGES) -> Path:
    """A data folder whose database has 8 KB of random bytes written at `where`: "middle"
    (pages no insert reads: only a full check or a read there finds them), "header" (the
    file is no database at all), "end" (the last pages, which every insert touches)."""
    data_dir.mkdir(parents=True, exist_ok=True)
    path = database_path(data_dir)
    fill(path, messages, 60)
    size = path.stat().st_size
    offset = {"middle": size // 2 // 4096 * 4096, "header": 0, "end": size - 8192}[where]
    with open(path, "r+b") as fh:
        fh.seek(offset)
        fh.write(random.Random(offset).randbytes(8192))
    return path
