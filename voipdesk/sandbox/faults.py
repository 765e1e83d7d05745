"""Faults the sandbox can inject into its next send answers, to exercise the client's retries."""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass

from aiohttp import web

KINDS: tuple[str, ...] = (
    "delay",  # sleep, then answer normally
    "http500",
    "http503",
    "http429",  # with Retry-After: 1 unless inject(retry_after=...) says otherwise
    "http408",
    "http400",  # a proxy's plain-text 4xx page: the request was refused, and it is not JSON
    "http403",
    "http404",
    # Take the message as the provider would (a valid one is recorded as sent), but answer 200
    # with a body that is not JSON / with JSON that is neither the OK nor the Error envelope.
    "garbage",
    "wrongshape",
    "drop",  # close the connection without any answer; nothing is recorded as sent
    "accept_then_drop",  # record the message as sent, then close without an answer
    # Record the message as sent, POST a `delivered` report for it to the sender's webhook and
    # wait for that answer, then answer the send: the report arrives before the send answer.
    "report_first",
)


@dataclass(frozen=True)
class Fault:
    """One queued fault: what to do with one send request."""

    kind: str
    seconds: float = 0.0
    retry_after: str = "1"  # the Retry-After header of http429 and http503 ("" for none)


class FaultQueue:
    """Faults waiting for the next send requests, first in first out."""

    def __init__(self) -> None:
        self._queue: deque[Fault] = deque()

    def add(
        self, kind: str, count: int = 1, *, seconds: float = 0.0, retry_after: str = "1"
    ) -> None:
        """Queue `kind` for the next `count` requests."""
        if kind not in KINDS:
            raise ValueError(f"unknown fault kind {kind!r}; expected one of {', '.join(KINDS)}")
        if count < 0 or seconds < 0:
            raise ValueError("count and seconds must not be negative")
        self._queue.extend(Fault(kind, seconds, retry_after) for _ in range(count))

    def pop(self) -> Fault | None:
        """The fault for the request being handled now, if any."""
        return self._queue.popleft() if self._queue else None

    def clear(self) -> None:
        self._queue.clear()

    def __len__(self) -> int:
        return len(self._queue)


def http_error(kind: str, retry_after: str = "1") -> web.Response:
    """The answer of an httpNNN fault: a plain text error page, as a proxy would give; 429 and
    503 carry `retry_after` as their Retry-After header (none when it is empty)."""
    status = int(kind.removeprefix("http"))
    headers = {"Retry-After": retry_after} if status in (429, 503) and retry_after else None
    return web.Response(status=status, text=f"{status} error from the sandbox", headers=headers)


def garbage() -> web.Response:
    """A 200 whose body is not JSON (a captive portal or a maintenance page)."""
    return web.Response(
        status=200,
        text="<html><body>Service temporarily unavailable</body></html>",
        content_type="text/html",
    )


def wrong_shape() -> web.Response:
    """A 200 with JSON that has neither the OK nor the Error envelope."""
    return web.json_response({"success": True, "data": {"message": "accepted"}})


def drop(request: web.Request) -> web.Response:
    """Close the connection without an answer.

    The returned response is never written: aiohttp sees the closed transport, treats it as a
    premature client disconnection and logs nothing, so the client gets EOF before any status line.
    """
    if request.transport is not None:
        request.transport.close()
    return web.Response(status=200)
