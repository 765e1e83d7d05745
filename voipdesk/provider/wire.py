"""The VoIP Number wire format: the only module that knows the JSON of the contract.

See shared/design/voipnumber-contract.md. A change at the provider is a change here.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from voipdesk.core.models import InboundMessage, StatusUpdate
from voipdesk.provider.errors import ProviderError, TransientError, rejected_request

DEFAULT_SEND_URL = "https://api.voipnumber.net/v1/sms/send"
_URL = re.compile(r"https?://[^\s\"'<>]+", re.IGNORECASE)
_MAX_DEPTH = 16
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
    """What the provider said about an accepted message."""

    provider_id: str
    status: str
    timestamp_s: int | None
    raw: str


def send_payload(account_id: str, api_token: str, sender: str, to: str, body: str) -> dict:
    """The JSON body of a send request."""
    return {"accountId": account_id, "apiToken": api_token, "from": sender, "to": to, "body": body}


def parse_send_answer(status_code: int, content: bytes, *, sender: str | None = None) -> SendResult:
    """Interpret a send answer; raise ProviderError or TransientError when it is not a success.

    HTTP 5xx, 429 and 408 are transient whatever the body. Any other status is read as JSON; an
    answer that is not the provider's JSON is transient at 2xx/3xx (a captive portal, a
    maintenance page) but a permanent refusal at 4xx (a wrong endpoint, a proxy refusing it):
    retrying the same request would only get the same 4xx, forever."""
    if status_code in (408, 429) or status_code >= 500:
        raise TransientError(f"the provider answered HTTP {status_code}")
    try:
        doc = json.loads(content)
    except (ValueError, UnicodeDecodeError, RecursionError):  # absurdly nested JSON recurses
        if 400 <= status_code < 500:
            raise rejected_request(status_code, content) from None
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
    raise TransientError(f"the provider's answer (HTTP {status_code}) had an unknown shape")


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

    def walk(value: Any, depth: int) -> None:
        if depth > _MAX_DEPTH:
            return
        if isinstance(value, str):
            found.extend(m.group(0) for m in _URL.finditer(value))
        elif isinstance(value, dict):
            for v in value.values():
                walk(v, depth + 1)
        elif isinstance(value, list):
            for v in value:
                walk(v, depth + 1)

    for key, value in doc.items():
        if key != "body":
            walk(value, 0)
    return tuple(dict.fromkeys(found))


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
    ts = doc.get("mdr_timestamp_s")
    provider_ts = int(ts) if isinstance(ts, int | float) and not isinstance(ts, bool) else None
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
