"""The embedded VoIP Number stand-in: the send endpoint, webhook deliveries and demo contacts."""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import hmac
import json
import logging
import time
import uuid
from collections.abc import Callable, Coroutine, Iterable
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from voipdesk.sandbox import faults, webhook

log = logging.getLogger("voipdesk.sandbox")

SEND_PATH = "/v1/sms/send"
MEDIA_PATH = "/media/"  # MMS pictures the sandbox serves, as a provider's media store would
DELIVERY_TIMEOUT_S = 10.0
# The provider's own texts (reference/voipnumber-sms-mms.md); USER_NOT_FOUND as in its example.
ERROR_TEXTS: dict[str, str] = {
    "USER_ACCOUNT_MISSING": "AccountId not set or empty",
    "API_TOKEN_MISSING": "API token not set or empty",
    "USER_NOT_FOUND": "User not found",
    "API_TOKEN_INVALID": "API token doesn't match AccountId",
    "NUMBER_NOT_FOUND": "Number doesn't exist on VoIP Number",
    "NUMBER_OWNERSHIP": "Number doesn't belong to this account",
    "MESSAGE_INVALID": "Coding syntax error",
}
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


@dataclass
class Account:
    """An account the sandbox knows: its credentials and its numbers with SMS capability."""

    account_id: str
    api_token: str
    numbers: set[str] = field(default_factory=set)


DEMO_ACCOUNT = Account("demo-account", "demo-token", {"+447700900001", "+447700900002"})


@dataclass(frozen=True)
class SentRecord:
    """A message the sandbox accepted."""

    account_id: str
    sender: str
    to: str
    body: str
    id: str
    timestamp_s: int


@dataclass(frozen=True)
class DeliveryRecord:
    """One POST to a webhook: what was sent and what came back (status None: no HTTP answer)."""

    url: str | None
    payload: dict
    status: int | None
    error: str | None


def created_text(ts: int) -> str:
    """The provider's human-readable UTC time, e.g. '20 May 2024 08:28:37' (locale-free)."""
    t = dt.datetime.fromtimestamp(ts, dt.UTC)
    return f"{t.day:02d} {_MONTHS[t.month - 1]} {t.year} {t:%H:%M:%S}"


def _error(code: str) -> web.Response:
    return web.json_response(
        {"status": "Error", "result": {"error_code": code, "error": ERROR_TEXTS[code]}}
    )


def _filled(value: Any) -> bool:
    return isinstance(value, str) and bool(value.strip())


class Sandbox:
    """A real HTTP server that answers like the VoIP Number API and calls webhooks like it."""

    def __init__(
        self,
        accounts: Iterable[Account] = (DEMO_ACCOUNT,),
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        # Copies, so that a test changing a token or a number never leaks into DEMO_ACCOUNT.
        self.accounts: dict[str, Account] = {
            a.account_id: Account(a.account_id, a.api_token, set(a.numbers)) for a in accounts
        }
        self.clock = clock
        self.sent: list[SentRecord] = []
        self.requests: list[dict] = []
        self.deliveries: list[DeliveryRecord] = []
        self.webhooks: dict[str, str] = {}
        self.delivery_reports: float | None = None
        self._responders: dict[str, tuple[Callable[[str], str | None], float]] = {}
        self._faults = faults.FaultQueue()
        self._tasks: set[asyncio.Task] = set()
        self._stopping: asyncio.Event | None = None
        self._session: aiohttp.ClientSession | None = None
        self._runner: web.AppRunner | None = None
        self.url = ""
        self.send_url = ""
        self.app = web.Application()
        self.app.router.add_post(SEND_PATH, self._handle_send)
        self.media: dict[str, tuple[bytes, str]] = {}  # name -> (body, content type)
        self.app.router.add_get(MEDIA_PATH + "{name}", self._handle_media)

    # --- configuration ---------------------------------------------------------------------

    def inject(
        self, kind: str, count: int = 1, *, seconds: float = 0.0, retry_after: str = "1"
    ) -> None:
        """Apply fault `kind` to the next `count` send requests (see faults.KINDS); http429
        and http503 answer with `retry_after` as their Retry-After header ("" for none)."""
        self._faults.add(kind, count, seconds=seconds, retry_after=retry_after)

    def set_webhook(self, number: str, url: str | None) -> None:
        """Set or clear the webhook of a number, like the provider's Numbers page."""
        if url:
            self.webhooks[number] = url
        else:
            self.webhooks.pop(number, None)

    def add_responder(
        self, number: str, reply: Callable[[str], str | None], *, delay: float = 1.5
    ) -> None:
        """Make `number` a contact that answers reply(text) `delay` seconds after a message."""
        self._responders[number] = (reply, delay)

    def add_media(self, name: str, body: bytes, content_type: str = "image/png") -> str:
        """Serve `body` at MEDIA_PATH + name (for an MMS's media link); the path is returned."""
        self.media[name] = (body, content_type)
        return MEDIA_PATH + name

    async def _handle_media(self, request: web.Request) -> web.Response:
        found = self.media.get(request.match_info["name"])
        if found is None:
            raise web.HTTPNotFound()
        return web.Response(body=found[0], content_type=found[1])

    # --- lifecycle ---------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> str:
        """Listen on host:port (0: a free port) and return the base URL."""
        if self._runner is not None:
            raise RuntimeError("the sandbox is already running")
        self._stopping = asyncio.Event()
        runner = web.AppRunner(self.app, access_log=None, shutdown_timeout=2.0)
        await runner.setup()
        try:
            await web.TCPSite(runner, host, port).start()
        except BaseException:
            await runner.cleanup()
            raise
        self._runner = runner
        bound_port = runner.addresses[0][1]
        self.url = f"http://{host}:{bound_port}"
        self.send_url = self.url + SEND_PATH
        log.info("sandbox listening on %s", self.send_url)
        return self.url

    async def stop(self) -> None:
        """Stop listening, end injected delays, cancel pending replies and reports."""
        if self._stopping is not None:
            self._stopping.set()
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        self._faults.clear()

    # --- the send endpoint ---------------------------------------------------------------------

    async def _handle_send(self, request: web.Request) -> web.StreamResponse:
        raw = await request.read()
        try:
            doc: Any = json.loads(raw)
        except (ValueError, UnicodeDecodeError):
            doc = None
        record: dict[str, Any] = {"json": doc, "time": self.clock(), "status": None, "fault": None}
        self.requests.append(record)
        fault = self._faults.pop()
        if fault is not None:
            record["fault"] = fault.kind
        response = await self._answer(request, doc, fault)
        transport = request.transport
        if transport is not None and not transport.is_closing():  # else dropped: no answer
            record["status"] = response.status
        return response

    async def _answer(
        self, request: web.Request, doc: Any, fault: faults.Fault | None
    ) -> web.StreamResponse:
        kind = fault.kind if fault else None
        if fault is not None and kind == "delay":
            assert self._stopping is not None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._stopping.wait(), fault.seconds)
            if self._stopping.is_set():  # shutting down: the client has long given up
                return faults.drop(request)
        elif fault is not None and fault.kind.startswith("http"):
            return faults.http_error(fault.kind, fault.retry_after)
        elif kind == "drop":
            return faults.drop(request)
        accepted = len(self.sent)
        response = self._accept_or_refuse(doc)
        if kind == "accept_then_drop":
            return faults.drop(request)
        if kind == "garbage":  # a 2xx is an acceptance, whatever its body says
            return faults.garbage()
        if kind == "wrongshape":
            return faults.wrong_shape()
        if kind == "report_first" and len(self.sent) > accepted:
            await self.report_status(self.sent[-1].id, "delivered")
        return response

    def _accept_or_refuse(self, doc: Any) -> web.Response:
        if not isinstance(doc, dict):
            return _error("MESSAGE_INVALID")
        account_id, token = doc.get("accountId"), doc.get("apiToken")
        if not _filled(account_id):
            return _error("USER_ACCOUNT_MISSING")
        if not _filled(token):
            return _error("API_TOKEN_MISSING")
        account = self.accounts.get(account_id)
        if account is None:
            return _error("USER_NOT_FOUND")
        if not hmac.compare_digest(token.encode(), account.api_token.encode()):
            return _error("API_TOKEN_INVALID")
        sender = doc.get("from")
        if not isinstance(sender, str) or not any(
            sender in a.numbers for a in self.accounts.values()
        ):
            return _error("NUMBER_NOT_FOUND")
        if sender not in account.numbers:
            return _error("NUMBER_OWNERSHIP")
        body, to = doc.get("body"), doc.get("to")
        if not isinstance(body, str) or not body or not _filled(to):
            return _error("MESSAGE_INVALID")
        ts = int(self.clock())
        sent = SentRecord(account.account_id, sender, to, body, str(uuid.uuid4()), ts)
        self.sent.append(sent)
        log.info("accepted %s from %s to %s", sent.id, sender, to)
        self._after_accept(sent)
        record = {
            "status": "queued",
            "body": body,
            "timestamp_s": ts,
            "created": created_text(ts),
            "id": sent.id,
        }
        return web.json_response({"status": "OK", "result": {"status": "OK", "result": record}})

    def _after_accept(self, sent: SentRecord) -> None:
        responder = self._responders.get(sent.to)
        if responder is not None:
            self._spawn(self._respond(sent, *responder))
        if self.delivery_reports is not None:
            self._spawn(self._report_later(sent, self.delivery_reports))

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> None:
        task = asyncio.get_running_loop().create_task(coro)
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _respond(
        self, sent: SentRecord, reply: Callable[[str], str | None], delay: float
    ) -> None:
        await asyncio.sleep(delay)
        try:
            text = reply(sent.body)
        except Exception:
            log.exception("responder for %s failed", sent.to)
            return
        if text is None:
            return
        if sent.sender not in self.webhooks:
            log.info("no webhook for %s: reply from %s not delivered", sent.sender, sent.to)
            return
        await self.deliver(sent.to, sent.sender, text)

    async def _report_later(self, sent: SentRecord, delay: float) -> None:
        await asyncio.sleep(delay)
        url = self.webhooks.get(sent.sender)
        if url is not None:
            await self.report_status(sent.id, "delivered", url=url)

    # --- webhook deliveries ----------------------------------------------------------------------

    async def deliver(
        self,
        sender: str,
        to: str,
        body: str,
        *,
        kind: str = "sms",
        mdr_id: str | None = None,
        ts: int | None = None,
        url: str | None = None,
        **extra: Any,
    ) -> DeliveryRecord:
        """POST an inbound message to `url` or to the webhook of `to`; never raises for HTTP."""
        payload = webhook.body(
            sender,
            to,
            body,
            mdr_id=mdr_id or str(uuid.uuid4()),
            ts=int(self.clock()) if ts is None else ts,
            kind=kind,
            **extra,
        )
        return await self._post(url or self.webhooks.get(to), payload)

    async def report_status(
        self, provider_id: str, status: str = "delivered", *, url: str | None = None
    ) -> DeliveryRecord:
        """POST a status report for a sent message (default url: its sender number's webhook)."""
        if url is None:
            sender = next((s.sender for s in self.sent if s.id == provider_id), None)
            url = self.webhooks.get(sender) if sender else None
        ts = int(self.clock())
        payload = {
            "status": status,
            "id": provider_id,
            "timestamp_s": ts,
            "created": created_text(ts),
        }
        return await self._post(url, payload)

    async def _post(self, url: str | None, payload: dict) -> DeliveryRecord:
        if url is None:
            record = DeliveryRecord(None, payload, None, "no webhook set for this number")
            self.deliveries.append(record)
            return record
        if self._session is None:
            self._session = aiohttp.ClientSession(
                timeout=aiohttp.ClientTimeout(total=DELIVERY_TIMEOUT_S)
            )
        status: int | None = None
        error: str | None = None
        try:
            async with self._session.post(
                url,
                data=json.dumps(payload).encode(),
                headers=webhook.HEADERS,
                allow_redirects=False,
            ) as response:
                status = response.status
                await response.read()
        except (aiohttp.ClientError, TimeoutError, OSError, ValueError) as exc:
            error = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
        record = DeliveryRecord(url, payload, status, error)
        self.deliveries.append(record)
        log.info("webhook %s -> %s", url, status if status is not None else error)
        return record
