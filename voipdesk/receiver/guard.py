"""Keeps the webhook listener answering while idle or trickling connections pile up.

A connection that sends nothing, or sends its headers a byte at a time, costs the listener one
open file for as long as it lasts; the tunnel agent is local, so they all come from 127.0.0.1
and per-address limits cannot tell them apart. Three defences:

- a header timeout: a request's headers must be complete within `Limits.headers` seconds of the
  connection opening (or of the first byte of the next request on a kept-alive connection);
  aiohttp has none of its own (one timer looks over the waiting connections every quarter of
  it, at most a second, rather than a timer made and cancelled per webhook). The body has
  `Limits.body` (the listener answers 408), and an idle kept-alive connection is closed after
  `Limits.idle` (aiohttp's keepalive_timeout);
- headroom below the open-file limit (open_files.py): `raise_open_file_limit` lifts the soft
  RLIMIT_NOFILE to the hard one (a desktop's default soft limit is often 1,024), and the
  listener keeps at most `connection_budget()` connections, well below what is left;
- when the budget is full, a new connection closes the oldest one that has not yet sent a whole
  request (idle or still sending headers first, then one still sending its body), so a
  legitimate webhook still gets in. A request being stored and answered is never closed.

Connections are accepted here rather than by asyncio's server on selector loops: asyncio accepts
up to `backlog` sockets per wake-up before any of them reaches us, and on EMFILE (Python 3.11)
it logs a traceback per retry, thousands a second. Accepting a few at a time after making room
keeps the open files in budget.
"""

from __future__ import annotations

import asyncio
import contextlib
import errno
import logging
import socket
import time
import weakref
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from aiohttp.web_protocol import RequestHandler

from voipdesk.receiver.open_files import ACCEPT_BATCH, connection_budget

log = logging.getLogger("voipdesk.receiver")

_PRESSURE_LOG_EVERY = 60.0  # seconds between "the listener is full" warnings
_TIMED_OUT = b"HTTP/1.1 408 Request Timeout\r\nConnection: close\r\nContent-Length: 0\r\n\r\n"


@dataclass(frozen=True)
class Limits:
    """How long a connection may take, and how many the listener keeps open.

    A provider's webhook reaches us through the local ngrok agent, which opens a connection (or
    reuses a kept-alive one) only when it has a request from ngrok's edge and writes its line
    and headers at once, from this machine: they arrive within milliseconds. 10 s still covers
    a laptop that stalls (swapping, waking up), and frees a silent connection soon. Bodies are
    a few KB and follow the headers in the same write; 30 s is far more than a slow link needs.
    The agent keeps idle connections to reuse: closing one can race with its next request (which
    then fails, and the provider retries), so idle ones stay 75 s; under pressure the budget
    closes them sooner.
    """

    headers: float = 10.0
    body: float = 30.0
    idle: float = 75.0
    max_connections: int | None = None  # None: connection_budget() from the open-file limit


# -- connections --------------------------------------------------------------------------------
_WAITING, _REQUEST, _CLOSING = "waiting", "request", "closing"


class GuardedServer(web.Server):
    """aiohttp's low-level server with the timeouts and the connection budget above."""

    def __init__(self, handler: Any, *, limits: Limits, **kwargs: Any) -> None:
        super().__init__(handler, request_factory=self._request, **kwargs)
        self.limits = limits
        self.budget = limits.max_connections or connection_budget()
        self._handler_kwargs = dict(kwargs, keepalive_timeout=limits.idle)
        self._event_loop = asyncio.get_running_loop()
        # Open connections in the order they became evictable (dicts keep insertion order):
        self._waiting: dict[GuardedHandler, None] = {}  # no request yet, oldest first
        self._requests: dict[GuardedHandler, None] = {}  # handling a request, oldest first
        self.evicted = 0
        self._warned_at = -_PRESSURE_LOG_EVERY
        # Every connection's transport until it is gone, so that stopping can end the ones a
        # graceful close left half-closed (a write still pending to a client that went away):
        # left to the garbage collector after the loop ends, each is an unclosed socket.
        self._transports: weakref.WeakSet[asyncio.BaseTransport] = weakref.WeakSet()
        self._sweep_every = min(1.0, limits.headers / 4)
        self._sweeper: asyncio.TimerHandle | None = None  # while some header deadline is set

    def __call__(self) -> GuardedHandler:
        return GuardedHandler(self, loop=self._event_loop, **self._handler_kwargs)

    @property
    def open_count(self) -> int:
        return len(self._waiting) + len(self._requests)

    def make_room(self, incoming: int = 0) -> bool:
        """Close the oldest incomplete connections until `incoming` more fit in the budget;
        False if none can go. (Sockets accepted but not yet connected are not counted: at most
        one ACCEPT_BATCH, which RESERVE_FILES allows for.)"""
        while self.open_count + incoming > self.budget:
            victim = next(iter(self._waiting), None)
            if victim is None:  # then one whose body is still arriving
                victim = next((h for h in self._requests if h.body_incomplete), None)
            if victim is None:
                return False
            self._warn_full()
            self.evicted += 1
            self.drop(victim)
        return True

    def abort_all(self) -> None:
        """End every connection still open now, pending writes dropped (the last step of a
        stop: the loop then runs once more so that each closes its socket)."""
        for transport in list(self._transports):
            if not transport.is_closing() or transport.get_extra_info("socket") is not None:
                transport.abort()

    def drop(self, handler: GuardedHandler, answer: bytes = b"") -> None:
        self._forget(handler)
        handler.guard_state = _CLOSING
        handler.cancel_deadline()
        if answer and handler.transport is not None:
            handler.transport.write(answer)
        handler.force_close()

    def _forget(self, handler: GuardedHandler) -> None:
        self._waiting.pop(handler, None)
        self._requests.pop(handler, None)

    def _warn_full(self) -> None:
        now = time.monotonic()
        if now - self._warned_at >= _PRESSURE_LOG_EVERY:
            self._warned_at = now
            log.warning(
                "%d connections are open at once (the most the webhook listener keeps is %d): "
                "closing the oldest that have not sent a whole request",
                self.open_count,
                self.budget,
            )

    def _sweep(self) -> None:
        """Close the waiting connections whose header deadline has passed; look again later
        while any other still has one."""
        self._sweeper = None
        now = self._event_loop.time()
        pending = False
        for handler in list(self._waiting):
            deadline = handler.deadline
            if deadline is None:
                continue
            if deadline <= now:
                handler.headers_late()
            else:
                pending = True
        if pending:
            self.watch_deadlines()

    # -- called by GuardedHandler ----------------------------------------------------------
    def watch_deadlines(self) -> None:
        """A handler set a header deadline: make sure the sweep runs."""
        if self._sweeper is None:
            self._sweeper = self._event_loop.call_later(self._sweep_every, self._sweep)

    def admit(self, handler: GuardedHandler) -> None:
        self.handler_waiting(handler)
        self.make_room()  # over budget (asyncio's own accept, or a burst): the oldest go

    def handler_waiting(self, handler: GuardedHandler) -> None:
        self._requests.pop(handler, None)
        self._waiting.pop(handler, None)
        self._waiting[handler] = None  # now the newest
        handler.guard_state = _WAITING

    def handler_closed(self, handler: GuardedHandler) -> None:
        self._forget(handler)
        handler.guard_state = _CLOSING
        handler.cancel_deadline()

    def _request(
        self, message: Any, payload: Any, protocol: Any, writer: Any, task: Any
    ) -> web.BaseRequest:
        if isinstance(protocol, GuardedHandler) and protocol.guard_state != _CLOSING:
            protocol.cancel_deadline()
            protocol.guard_payload = payload
            protocol.guard_state = _REQUEST
            self._waiting.pop(protocol, None)
            self._requests[protocol] = None
        return web.BaseRequest(message, payload, protocol, writer, task, self._event_loop)


class GuardedHandler(RequestHandler):
    """aiohttp's connection protocol, told when a request starts and ends, with a header
    deadline of its own."""

    def __init__(self, manager: GuardedServer, **kwargs: Any) -> None:
        super().__init__(manager, **kwargs)
        self.guard = manager
        self.guard_state = _WAITING
        self.guard_payload: Any = None
        self.deadline: float | None = None  # (the loop's time) the headers must be in by
        self._started = False  # a byte of the next request has arrived

    @property
    def body_incomplete(self) -> bool:
        payload = self.guard_payload
        return payload is not None and not payload.is_eof()

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)
        self.guard._transports.add(transport)
        # The agent opens a connection to send a request at once: from now on, headers count.
        self._arm_deadline()
        self.guard.admit(self)

    def connection_lost(self, exc: BaseException | None) -> None:
        self.guard.handler_closed(self)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        if data and self.guard_state == _WAITING and not self._started:
            self._started = True
            if self.deadline is None:  # a kept-alive connection's next request begins
                self._arm_deadline()
        super().data_received(data)

    async def finish_response(self, request: Any, resp: Any, start_time: Any) -> Any:
        result = await super().finish_response(request, resp, start_time)
        if self.guard_state == _REQUEST:  # answered: idle until its next request
            self.guard_payload = None
            self._started = False
            self.guard.handler_waiting(self)
        return result

    def cancel_deadline(self) -> None:
        self.deadline = None

    def _arm_deadline(self) -> None:
        self.deadline = self._loop.time() + self.guard.limits.headers
        self.guard.watch_deadlines()

    def headers_late(self) -> None:
        self.deadline = None
        if self.guard_state == _WAITING:
            # A client that began a request is told why; a silent one is just closed.
            self.guard.drop(self, _TIMED_OUT if self._started else b"")


# -- accepting ----------------------------------------------------------------------------------
class Acceptor:
    """Accepts connections on a listening socket for a GuardedServer, within its budget."""

    def __init__(self, loop: asyncio.AbstractEventLoop, sock: socket.socket, server: GuardedServer):
        self._loop = loop
        self._sock = sock
        self._server = server
        self._attaching: set[asyncio.Task[Any]] = set()
        self._resume: asyncio.TimerHandle | None = None
        self._reading = False
        self._closed = False
        self._fallback: asyncio.AbstractServer | None = None
        self._out_of_files_at = -_PRESSURE_LOG_EVERY

    async def start(self) -> None:
        try:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._reading = True
        except NotImplementedError:  # Windows' proactor loop: no open-file limit to mind there
            self._fallback = await self._loop.create_server(
                self._server, sock=self._sock, backlog=1024
            )

    async def close(self) -> None:
        """Stop accepting; connections accepted already are attached (then shut by the caller).
        Again later: nothing more to do unless a connection is still being set up."""
        if self._closed and not self._attaching:
            return
        self._closed = True
        if self._resume is not None:
            self._resume.cancel()
        self._pause()
        if self._fallback is not None:
            await _stop_accepting(self._loop, self._sock)
            self._fallback.close()
            with contextlib.suppress(Exception):
                await asyncio.wait_for(self._fallback.wait_closed(), 1.0)
        if self._attaching:
            await asyncio.wait(set(self._attaching), timeout=1.0)
        for task in list(self._attaching):  # still setting up: cancelled, its socket closed
            task.cancel()
        if self._attaching:
            await asyncio.wait(set(self._attaching), timeout=1.0)

    def _pause(self) -> None:
        if self._reading:
            self._reading = False
            with contextlib.suppress(Exception):
                self._loop.remove_reader(self._sock.fileno())

    def _pause_for(self, seconds: float) -> None:
        self._pause()
        self._resume = self._loop.call_later(seconds, self._restart)

    def _restart(self) -> None:
        self._resume = None
        if not self._closed and not self._reading:
            self._loop.add_reader(self._sock.fileno(), self._accept)
            self._reading = True

    def _accept(self) -> None:
        server = self._server
        for _ in range(ACCEPT_BATCH):
            if not server.make_room(1):  # every connection is busy with a request: wait a bit
                self._pause_for(0.05)
                return
            try:
                conn, _addr = self._sock.accept()
            except (BlockingIOError, InterruptedError, ConnectionAbortedError):
                return
            except OSError as exc:
                if exc.errno in (errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM):
                    self._out_of_files(exc)
                    self._pause_for(0.1)
                else:
                    log.debug("accept failed: %s", exc)
                return
            task = self._loop.create_task(self._attach(conn))
            self._attaching.add(task)
            task.add_done_callback(self._attaching.discard)

    async def _attach(self, conn: socket.socket) -> None:
        try:
            transport, _protocol = await self._loop.connect_accepted_socket(self._server, conn)
        except BaseException as exc:  # also cancelled by a stop: the socket is ours to close
            log.debug("an accepted connection could not be set up: %r", exc)
            conn.close()
            if not isinstance(exc, Exception):
                raise
        else:
            self._server._transports.add(transport)

    def _out_of_files(self, exc: OSError) -> None:
        # Something else in voipdesk holds the files: make room by closing idle connections.
        server = self._server
        server.budget = max(8, min(server.budget, server.open_count - ACCEPT_BATCH))
        server.make_room()
        now = time.monotonic()
        if now - self._out_of_files_at >= _PRESSURE_LOG_EVERY:
            self._out_of_files_at = now
            log.warning(
                "the webhook listener ran out of open files (%s); it now keeps at most %d "
                "connections",
                exc.strerror or exc,
                server.budget,
            )


async def _stop_accepting(loop: asyncio.AbstractEventLoop, sock: socket.socket) -> None:
    """Stop accepting before closing asyncio's server.

    Works around CPython gh-109564: Server.close() during the tick between accept() and the
    task that wraps the new socket leaves that socket in a transport nobody closes.
    """
    with contextlib.suppress(NotImplementedError, ValueError, OSError):  # proactor: no readers
        loop.remove_reader(sock.fileno())
    for _ in range(3):  # let accept tasks already scheduled attach their transports
        await asyncio.sleep(0)
