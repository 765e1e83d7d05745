"""The VoIP Number wire format: the only module that knows the JSON of the contract.

See shared/design/voipnumber-contract.md. A change at the provider is a change here.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import json
import re
import time
from dataclasses import dataclass
from typing import Any

from voipdesk.core.models import InboundMessage, StatusUpdate
from voipdesk.provider.errors import ProviderError, TransientError, rejected_request

DEFAULT_SEND_URL = "https://api.voipnumber.net/v1/sms/send"
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_MAX_DEPTH = 16
# A field named for media ("media", "media_urls", "MediaUrl0", "attachments"): every link in it
# is an attachment whatever its scheme, so that the window can say why a non-web one is not
# opened rather than drop it unseen. Elsewhere only http(s) links count.
_MEDIA_KEY = re.compile(r"media|attachment", re.IGNORECASE)
_ANY_LINK = re.compile(r"^[a-z][a-z0-9+.\-]{0,15}:\S{1,2000}$", re.IGNORECASE)
MAX_RETRY_AFTER_S = 3600.0  # a longer Retry-After is honoured as one hour
_RAW_KEEP = 4000  # characters of an unreadable answer kept for support
# Words a delivery report may use, mapped onto our statuses (others are kept in raw, ignored).
_REPORT_STATUS = {
    "delivered": "delivered",
    "failed": "failed",
    "undelivered": "failed",
    "rejected": "failed",
    "error": "failed",
}


@dataclass(frozen=True, slots=True)
class SendResult:
    """What the provider said about an accepted message. provider_id is None when a 2xx answer
    could not be read (not JSON, or neither shape): the provider took it but gave no id."""

    provider_id: str | None
    status: str
    timestamp_s: int | None
    raw: str


def retry_after_seconds(value: str | None, *, now: float | None = None) -> float | None:
    """The wait a Retry-After header asks for, in seconds, capped at MAX_RETRY_AFTER_S: either
    delta-seconds ("30") or an HTTP-date ("Wed, 21 Oct 2026 07:28:00 GMT"; a date already past
    is 0). None when there is no header or it cannot be read (garbage is ignored)."""
    if not value or not value.strip():
        return None
    value = value.strip()
    if value.isascii() and value.isdigit():
        seconds = float(int(value))
    else:
        try:
            when = email.utils.parsedate_to_datetime(value)
        except (TypeError, ValueError, IndexError, OverflowError):
            return None
        if when.tzinfo is None:  # "-0000" or no zone: HTTP-dates are always GMT
            when = when.replace(tzinfo=dt.UTC)
        try:
            seconds = when.timestamp() - (time.time() if now is None else now)
        except (OverflowError, OSError, ValueError):
            return None
    return min(MAX_RETRY_AFTER_S, max(0.0, seconds))


def send_payload(account_id: str, api_token: str, sender: str, to: str, body: str) -> dict:
    """The JSON body of a send request."""
    return {"accountId": account_id, "apiToken": api_token, "from": sender, "to": to, "body": body}


def parse_send_answer(
    status_code: int,
    content: bytes,
    *,
    sender: str | None = None,
    retry_after: str | None = None,
) -> SendResult:
    """Interpret a send answer; raise ProviderError or TransientError when it is not a success.

    HTTP 5xx, 429 and 408 are transient whatever the body, carrying the wait their Retry-After
    header asks for. Any other status is read as JSON. An answer that is not the provider's JSON
    is, at 2xx, an acceptance without an id (the provider took it: sending it again would send
    it twice); at 3xx transient (a redirect did not reach the provider); at 4xx a permanent
    refusal (a wrong endpoint, a proxy refusing it: the same request gets the same 4xx)."""
    if status_code in (408, 429) or status_code >= 500:
        raise TransientError(
            f"the provider answered HTTP {status_code}",
            retry_after=retry_after_seconds(retry_after),
        )
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # absurdly nested JSON recurses
        if 400 <= status_code < 500:
            raise rejected_request(status_code, content) from None
        if 200 <= status_code < 300:
            return _accepted_without_id(content)
        raise TransientError(f"the provider's answer (HTTP {status_code}) was not JSON") from None
    node: Any = doc
    for _ in range(_MAX_DEPTH):
        if not isinstance(node, dict):
            break
        if str(node.get("status", "")).lower() == "error":
            inner = node.get("result")
            if (
                isinstance(inner, dict)
                and not (inner.get("error_code") or node.get("error_code"))
                and isinstance(inner.get("result"), dict)
            ):
                node = inner  # an Error envelope around another envelope: the code is deeper
                continue
            # A bare string result is the provider's only explanation: keep it.
            said = inner if isinstance(inner, str) else ""
            inner = inner if isinstance(inner, dict) else {}
            code = str(inner.get("error_code") or node.get("error_code") or "UNKNOWN_ERROR")
            text = str(inner.get("error") or node.get("error") or said)
            raise ProviderError(code, text, sender=sender)
        if "id" in node and isinstance(node["id"], str | int) and str(node["id"]):
            ts = node.get("timestamp_s")
            return SendResult(
                provider_id=str(node["id"]),
                status=str(node.get("status") or "queued").lower(),
                timestamp_s=int(ts) if isinstance(ts, int | float) else None,
                raw=content.decode("utf-8", "replace"),
            )
        node = node.get("result")
    if 400 <= status_code < 500:
        raise rejected_request(status_code, content)
    if 200 <= status_code < 300:
        return _accepted_without_id(content)
    raise TransientError(f"the provider's answer (HTTP {status_code}) had an unknown shape")


def _accepted_without_id(content: bytes) -> SendResult:
    """A 2xx answer of neither shape: accepted, with no id (the body is kept, shortened)."""
    raw = content[: _RAW_KEEP * 4].decode("utf-8", "replace")[:_RAW_KEEP]
    return SendResult(provider_id=None, status="queued", timestamp_s=None, raw=raw)


class WebhookError(ValueError):
    """A webhook body we cannot accept; the text is a short reason for the 400 answer."""


def _clean(text: str) -> str:
    """`text` with lone UTF-16 surrogates replaced by U+FFFD. A gateway that splits a long SMS
    inside an emoji sends half of it ("\\ud83d"); SQLite cannot store that, and refusing the
    message would lose it. (Numbers and ids with one are garbage: the listener rejects them.)"""
    return text.encode("utf-16", "surrogatepass").decode("utf-16", "replace")


def _number(doc: dict, key: str) -> str:
    value = doc.get(key)
    if not isinstance(value, str) or not value.strip():
        raise WebhookError(f"'{key}' is missing or not a string")
    value = value.strip()
    if len(value) > 64:
        raise WebhookError(f"'{key}' is too long")
    return value


def _attachments(doc: dict) -> tuple[str, ...]:
    found: list[str] = []

    def walk(value: Any, depth: int, media: bool) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(value, str):
            if media and _ANY_LINK.match(value.strip()) and not _URL.match(value.strip()):
                found.append(value.strip())
            else:
                found.extend(m.group(0) for m in _URL.finditer(value))
        elif isinstance(value, dict):
            for k, v in value.items():
                walk(v, depth + 1, media or bool(_MEDIA_KEY.search(str(k))))
        elif isinstance(value, list):
            for v in value:
                walk(v, depth + 1, media)

    for key, value in doc.items():
        if key != "body":
            walk(value, 0, bool(_MEDIA_KEY.search(key)))
    return tuple(dict.fromkeys(found))


# Seconds since 1970 that a message can carry: up to the year 9999. JSON also says 1e999, NaN
# and 10**20, which no clock means and SQLite cannot store: the message is kept without it.
_MAX_TS = 253_402_300_799


def _timestamp(value: Any) -> int | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    if not (0 <= value <= _MAX_TS):  # also False for NaN
        return None
    return int(value)


def parse_webhook(content: bytes) -> InboundMessage | StatusUpdate:
    """Parse a webhook POST body. Raise WebhookError with a short reason for bad input."""
    try:
        text = content.decode("utf-8")
        doc = json.loads(text)
    except (UnicodeDecodeError, ValueError, RecursionError):  # absurdly nested JSON recurses
        raise WebhookError("body is not JSON") from None
    if not isinstance(doc, dict):
        raise WebhookError("body is not a JSON object")
    status = doc.get("status", "received")
    if not isinstance(status, str):
        raise WebhookError("'status' is not a string")
    status = status.strip().lower() or "received"
    if status != "received":
        ref = doc.get("id", doc.get("mdr_id"))
        if not isinstance(ref, str) or not ref:
            raise WebhookError("a status report needs 'id' or 'mdr_id'")
        return StatusUpdate(provider_id=ref, status=_REPORT_STATUS.get(status, status), raw=text)
    sender = _number(doc, "from")
    to = _number(doc, "to")
    mdr_id = doc.get("mdr_id")
    if not isinstance(mdr_id, str) or not mdr_id.strip():
        raise WebhookError("'mdr_id' is missing or not a string")
    body = doc.get("body", "")
    if body is None:
        body = ""
    if not isinstance(body, str):
        raise WebhookError("'body' is not a string")
    kind = doc.get("type", "sms")
    kind = kind.strip().lower() if isinstance(kind, str) else "sms"
    if kind not in ("sms", "mms"):
        kind = "sms"
    provider_ts = _timestamp(doc.get("mdr_timestamp_s"))
    return InboundMessage(
        from_number=sender,
        to_number=to,
        body=_clean(body),
        type=kind,
        mdr_id=mdr_id.strip(),
        provider_ts=provider_ts,
        raw=text,
        attachments=_attachments(doc) if kind == "mms" else (),
    )
