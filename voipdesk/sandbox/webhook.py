"""The provider's inbound webhook as its documentation page shows it: the headers and the JSON
body VoIP Number POSTs for a received SMS/MMS. Written from that page, not from the client's
parser (provider/wire.py), so the contract tests check the client against something it did
not write."""

from __future__ import annotations

import datetime as dt
from typing import Any

# "Our message is sent to your webhook from api.voipnumber.net in JSON format and contains
# Host: 'api.voipnumber.net' header", with the forwarding headers of the page's example.
HEADERS = {
    "Content-Type": "application/json",
    "Host": "api.voipnumber.net",
    "X-Forwarded-Port": "443",
    "X-Forwarded-Proto": "https",
}


def body(
    sender: str, to: str, text: str, *, mdr_id: str, ts: int, kind: str = "sms", **extra: Any
) -> dict:
    """The page's example body for one received message; `extra` adds fields (MMS media, or
    fields the page does not name)."""
    doc = {
        "status": "received",
        "from": sender,
        "to": to,
        "type": kind,
        "body": text,
        "mdr_timestamp_s": ts,
        # The page's example: '20 May 2024 11:29:45' for 1716204585 (UTC).
        "mdr_created": dt.datetime.fromtimestamp(ts, dt.UTC).strftime("%d %b %Y %H:%M:%S"),
        "mdr_id": mdr_id,
    }
    doc.update(extra)
    return doc
