"""The webhook requests: which path and method get which answer, reading and parsing the body."""

from __future__ import annotations

import asyncio
import hmac
import logging
import re
from collections.abc import Awaitable, Callable
from typing import Any

from aiohttp import web

from voipdesk.provider.wire import WebhookError, parse_webhook
from voipdesk.receiver.group_commit import Item, Outcome

log = logging.getLogger("voipdesk.receiver")

WEBHOOK_PREFIX = "/webhook/"
READY_TEXT = "voipdesk webhook ready\n"
_ALLOWED = "GET, HEAD, POST"
# JSON escapes of UTF-16 surrogates: the only way a webhook can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")


async def answer(
    request: web.BaseRequest,
    *,
    secret: bytes,
    damaged: Callable[[], bool],
    max_body: int,
    body_timeout: float,
    commit: Callable[[Item], Awaitable[Outcome]],
) -> web.StreamResponse:
    """404 off the secret path; the ready text (503 on a damaged store) for GET and HEAD; 405
    for other methods; a POST is 200 once its webhook is stored. Never a 500."""
    try:
        if not is_webhook_path(request.path, secret):
            return text(404, "Not Found")
        if request.method in ("GET", "HEAD"):
            if damaged():  # the Test button must not say all is well
                return text(503, "voipdesk's message database is damaged")
            return text(200, READY_TEXT)
        if request.method != "POST":
            resp = text(405, "Method Not Allowed")
            resp.headers["Allow"] = _ALLOWED
            return resp
        received = await _receive(request, max_body, body_timeout)
        if isinstance(received, web.StreamResponse):
            return received
        outcome = await commit(received)
        if isinstance(outcome, BaseException):
            return text(503, "Could not store the message, please retry")
        return text(200, "OK")
    except asyncio.CancelledError:
        raise
    except Exception:  # never a 500: log it, let the provider retry
        log.exception("webhook request failed")
        return text(503, "Temporarily unavailable, please retry")


def is_webhook_path(path: str, secret: bytes) -> bool:
    if not path.startswith(WEBHOOK_PREFIX):
        return False
    given = path[len(WEBHOOK_PREFIX) :].rstrip("/").encode("utf-8", "surrogateescape")
    return hmac.compare_digest(given, secret)


async def _receive(
    request: web.BaseRequest, max_body: int, body_timeout: float
) -> Item | web.StreamResponse:
    """The parsed webhook, or the error response for a body we do not take."""
    body = await _read_body(request, max_body, body_timeout)
    if isinstance(body, web.StreamResponse):
        return body
    try:
        item = parse_webhook(body)
        if _SURROGATE_ESCAPE.search(body):  # only escapes can make lone surrogates
            _check_text(item)
    except WebhookError as exc:
        return text(400, f"Bad webhook: {exc}")
    except Exception as exc:  # e.g. RecursionError on absurdly nested JSON
        log.debug("webhook body rejected: %s", type(exc).__name__)
        return text(400, "Bad webhook: body is not a readable JSON object")
    return item


async def _read_body(
    request: web.BaseRequest, max_body: int, body_timeout: float
) -> bytes | web.StreamResponse:
    try:
        declared = request.content_length
    except ValueError:
        return text(400, "The Content-Length header is not a number")
    if declared is not None and declared > max_body:
        return _too_large(max_body)
    content = request.content
    try:
        if content.is_eof():  # the usual webhook: the whole body came with the headers
            body = content.read_nowait()
            return body if len(body) <= max_body else _too_large(max_body)
        chunks: list[bytes] = []
        size = 0
        async with asyncio.timeout(body_timeout):
            while chunk := await content.readany():
                size += len(chunk)
                if size > max_body:
                    return _too_large(max_body)
                chunks.append(chunk)
    except TimeoutError:
        return text(408, "The request body did not arrive in time")
    except Exception as exc:  # client gone, body shorter than declared, bad chunking
        log.debug("webhook body unreadable: %s", type(exc).__name__)
        return text(400, "The request body could not be read")
    return b"".join(chunks)


def text(status: int, body: str) -> web.Response:
    """A plain-text answer that no cache keeps."""
    resp = web.Response(status=status, text=body, content_type="text/plain")
    resp.headers["Server"] = "voipdesk"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _too_large(limit: int) -> web.Response:
    resp = text(413, f"The request body is larger than {limit} bytes")
    resp.force_close()  # the rest of the body is discarded, then the connection closes
    return resp


def _check_text(item: Item) -> None:
    """SQLite cannot store lone surrogates (JSON "\\ud800" escapes): reject them as bad input."""
    for value in _fields_of(item):
        if isinstance(value, str):
            try:
                value.encode("utf-8")
            except UnicodeEncodeError:
                raise WebhookError("a field contains an invalid character") from None


def _fields_of(item: Item) -> list[Any]:
    values: list[Any] = []
    for name in item.__slots__:
        value = getattr(item, name)
        values.extend(value if isinstance(value, tuple) else (value,))
    return values
