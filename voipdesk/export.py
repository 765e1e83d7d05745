"""Writing every stored message as JSON or CSV (the CLI and File → Export share this).

JSON is always literal. CSV is made safe for spreadsheets by default: message text is text, but
a spreadsheet runs a cell that starts with = + - @ (or a tab or carriage return) as a formula,
and a body, a number or an id that came in through the webhook is anyone's text. Such a cell
gets a leading ' (OWASP's advice: spreadsheets show it as plain text and hide the quote). Phone
numbers in E.164 (+ and digits only) are left alone: they are no formula, and scripts read them.
`safe=False` (voipdesk export --raw) writes every cell exactly as stored.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import os
import re
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
    "time",
    "created_at",
    "provider_ts",
    "error_code",
    "error_text",
    "attachments",
)


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
_E164 = re.compile(r"\+[0-9]{1,20}")


def spreadsheet_safe(value: object) -> object:
    """`value`, with a leading ' when a spreadsheet would run it as a formula."""
    if isinstance(value, str) and value.startswith(_FORMULA_START) and not _E164.fullmatch(value):
        return "'" + value
    return value


def local_time(seconds: float | None, *, ms: bool = False) -> str | None:
    """ISO 8601 in this computer's time zone, with its offset: 2026-12-04T13:45:00+01:00."""
    if seconds is None:
        return None
    spec = "milliseconds" if ms else "seconds"
    return dt.datetime.fromtimestamp(seconds).astimezone().isoformat(timespec=spec)


def row(message: Message) -> dict:
    """One message as export fields; times are unix seconds (JSON adds `time`, the local
    time of `timestamp`; CSV writes every time as local ISO 8601, see write)."""
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
        "time": local_time(message.timestamp),
        "created_at": round(message.created_at, 3),
        "provider_ts": message.provider_ts,
        "error_code": message.error_code,
        "error_text": message.error_text,
        "attachments": list(message.attachments),
    }


def write(
    messages: Iterable[Message], out: IO[str], fmt: str = "json", *, safe: bool = True
) -> int:
    """Write messages to a text stream; returns how many. `safe` (CSV only): formula-like
    cells get a leading ' (see the module's docstring); JSON is always literal."""
    count = 0
    if fmt == "csv":
        # CRLF line ends (RFC 4180): Python's writer quotes a field only for the characters of
        # its line terminator, so with "\n" alone a body holding a lone "\r" went out unquoted
        # and split its row in two for every reader.
        # A spreadsheet shows seconds since 1970 as a number: times are local ISO 8601 there.
        fields = [f for f in FIELDS if f != "time"]
        writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\r\n")
        writer.writeheader()
        for message in messages:
            values = row(message)
            del values["time"]
            values["timestamp"] = local_time(message.timestamp)
            values["created_at"] = local_time(message.created_at, ms=True)
            values["provider_ts"] = local_time(message.provider_ts)
            values["attachments"] = " ".join(values["attachments"])
            if safe:
                values = {k: spreadsheet_safe(v) for k, v in values.items()}
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


def write_file(
    messages: Iterable[Message], path: Path, fmt: str = "json", *, safe: bool = True
) -> int:
    """Write to `path` atomically (a crash never leaves half a file under that name)."""
    path = Path(path)
    tmp = path.with_name(path.name + ".part")
    try:
        with open(tmp, "w", encoding="utf-8", newline="") as fh:
            count = write(messages, fh, fmt, safe=safe)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)  # no stray FILE.part next to where the user wanted FILE
        raise
    return count
