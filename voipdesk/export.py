"""Writing every stored message as JSON or CSV (the CLI and File → Export share this)."""

from __future__ import annotations

import csv
import json
import os
from collections.abc import Iterable
from pathlib import Path
from typing import IO

from voipdesk.core.models import Message

FIELDS = (
    "id",
    "direction",
    "own_number",
    "peer_number",
    "body",
    "type",
    "status",
    "provider_id",
    "timestamp",
    "created_at",
    "provider_ts",
    "error_code",
    "error_text",
    "attachments",
)


def row(message: Message) -> dict:
    """One message as export fields; timestamps are unix seconds."""
    return {
        "id": message.id,
        "direction": message.direction.value,
        "own_number": message.own_number,
        "peer_number": message.peer_number,
        "body": message.body,
        "type": message.type,
        "status": message.status.value,
        "provider_id": message.provider_id,
        "timestamp": int(message.timestamp),
        "created_at": round(message.created_at, 3),
        "provider_ts": message.provider_ts,
        "error_code": message.error_code,
        "error_text": message.error_text,
        "attachments": list(message.attachments),
    }


def write(messages: Iterable[Message], out: IO[str], fmt: str = "json") -> int:
    """Write messages to a text stream; returns how many."""
    count = 0
    if fmt == "csv":
        writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
        writer.writeheader()
        for message in messages:
            values = row(message)
            values["attachments"] = " ".join(values["attachments"])
            writer.writerow(values)
            count += 1
        return count
    out.write("[")
    for message in messages:
        out.write(",\n  " if count else "\n  ")
        out.write(json.dumps(row(message), ensure_ascii=False))
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def write_file(messages: Iterable[Message], path: Path, fmt: str = "json") -> int:
    """Write to `path` atomically (a crash never leaves half a file under that name)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            count = write(messages, fh, fmt)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no stray FILE.part next to where the user wanted FILE
        raise
    return count
