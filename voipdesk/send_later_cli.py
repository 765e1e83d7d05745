"""`voipdesk send --at TIME`: store a message to be sent later (the app's outbox sends it)."""

from __future__ import annotations

import sys
import time
from pathlib import Path

from voipdesk.core.scheduled import BadTime, parse_when, when_text


def read_time(text: str) -> float | None:
    """TIME as unix seconds, or None after saying on stderr why it cannot be a send time."""
    try:
        return parse_when(text, time.time())
    except BadTime as exc:
        print(f"voipdesk: --at: {exc} Nothing was scheduled.", file=sys.stderr)
        return None


def schedule(
    location: Path | str,
    sender: str,
    to: str,
    text: str,
    send_at: float,
    sent_by: str | None = None,
) -> int:
    from voipdesk.store import open_store

    store = open_store(location)
    try:
        store.schedule(sender, to, text, send_at, sent_by=sent_by)
    finally:
        store.close()
    local = time.strftime("%Y-%m-%dT%H:%M:%S%z", time.localtime(send_at))
    local = f"{local[:-2]}:{local[-2:]}"
    print(f"Scheduled for {when_text(send_at)} ({local}).")
    print(
        "voipdesk: the message is stored to be sent then by the voipdesk app "
        "(if the app is closed at that time, it sends it when it next starts). "
        "`voipdesk serve` sends it too; `voipdesk listen` does not.",
        file=sys.stderr,
    )
    return 0
