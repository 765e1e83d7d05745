"""The webhook listener: an aiohttp server on 127.0.0.1 in its own thread, committing before 200."""

from __future__ import annotations

import asyncio
import collections
import concurrent.futures
import contextlib
import errno
import hmac
import ipaddress
import logging
import re
import socket
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from voipdesk.core.models import InboundMessage, Message, StatusUpdate
from voipdesk.provider.wire import WebhookError, parse_webhook
from voipdesk.receiver.guard import Acceptor, GuardedServer, Limits, raise_open_file_limit

log = logging.getLogger("voipdesk.receiver")

WEBHOOK_PREFIX = "/webhook/"
READY_TEXT = "voipdesk webhook ready\n"
_ALLOWED = "GET, HEAD, POST"
_STORE_TIMEOUT = 30.0  # seconds a request waits for its commit before answering 503
_MAX_BATCH = 500  # webhooks per transaction
_BUSY_BATCH = 8  # a batch this big means a burst is on ...
_GATHER_DELAY = 0.0005  # ... and the next commit waits this long (s) for more to join it
# The first commit waits this long (s) at most for the full check of the database that starts
# with the listener (store.damage): a small file is checked by then, and nothing is written to
# it first; a big one whose pages are not cached (6 s for 388 MB) is checked meanwhile.
CHECK_WAIT = 2.0
# JSON escapes of UTF-16 surrogates: the only way a webhook can carry a lone surrogate.
_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89abcdefABCDEF]")

Item = InboundMessage | StatusUpdate
Outcome = tuple[Message | None, bool] | BaseException


class ListenerError(Exception):
    """The listener could not start; the text is a sentence for the user."""


class Listener:
    """Accepts the provider's webhook POSTs and stores each message durably before answering 200.

    Runs its own asyncio loop in a daemon thread, so a busy GUI thread never delays acceptance.
    Requests that arrive together are committed in one transaction (group commit).
    `on_messages` is called on a listener thread with the messages each commit changed; it must
    return quickly (emit a Qt signal, put on a queue).
    """

    def __init__(
        self,
        db_path: Path | Callable[[], Any],  # a database file, or a store.StoreOpener
        secret: str,
        *,
        port: int | None = None,
        host: str = "127.0.0.1",
        max_body: int = 1 << 20,
        on_messages: Callable[[list[Message]], None] | None = None,
        limits: Limits | None = None,
    ) -> None:
        try:
            loopback = ipaddress.ip_address(host).is_loopback
        except ValueError:
            loopback = False
        if not loopback:
            raise ValueError(f"the listener only binds a loopback address, not {host!r}")
        self._db_path = db_path if callable(db_path) else Path(db_path)
        self._secret = secret.encode("utf-8")
        self._requested_port = port or 0
        self.host = host
        self.max_body = max_body
        self.on_messages = on_messages
        self.limits = limits or Limits()  # header, body and idle timeouts; connection budget
        self.port: int = self._requested_port  # the bound port once started
        self._thread: threading.Thread | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None
        self._idle = asyncio.Event()  # set when no request is being handled
        self._closing = False
        self._inflight = 0
        self._queue: asyncio.Queue[tuple[Item, asyncio.Future[Outcome]] | None] | None = None
        # (deadline, future) of each request waiting for its commit, oldest first.
        self._deadlines: collections.deque[tuple[float, asyncio.Future[Outcome]]] = (
            collections.deque()
        )
        self._expiry: asyncio.TimerHandle | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._store: Any = None
        self._checker: Any = None  # the Store of the full check while it runs
        self._check_cancelled = False
        self._check_until = 0.0
        self.damaged: Exception | None = None  # the store's StoreDamaged, once found
        self.checked = threading.Event()  # set once that check has ended (or could not run)
        self._lifecycle = threading.Lock()

    # -- public surface -------------------------------------------------------------------
    @property
    def local_url(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @property
    def webhook_path(self) -> str:
        return WEBHOOK_PREFIX + self._secret.decode("utf-8")

    @property
    def running(self) -> bool:
        return self._thread is not None and self._thread.is_alive()

    def set_secret(self, secret: str) -> None:
        """Use a new path secret from the next request on (the old one gets 404)."""
        self._secret = secret.encode("utf-8")  # one reference swap: atomic for the loop thread

    def start(self) -> None:
        """Bind, start the listener thread, return once requests are accepted."""
        with self._lifecycle:
            if self.running:
                return
            raise_open_file_limit()  # headroom for many connections (guard.py)
            sock = _bind(self.host, self._requested_port)
            self.port = sock.getsockname()[1]
            ready = threading.Event()
            failure: list[BaseException] = []
            self._thread = threading.Thread(
                target=self._run, args=(sock, ready, failure), name="voipdesk-listener", daemon=True
            )
            self._thread.start()
            ready.wait()
            if failure:
                self._thread.join()
                self._thread = None
                exc = failure[0]
                if isinstance(exc, ListenerError):
                    raise exc
                from voipdesk.store import StoreError

                if isinstance(exc, StoreError):  # damaged, or a read-only folder: a sentence
                    raise ListenerError(str(exc)) from exc
                raise ListenerError(
                    f"The message database {self._db_path} could not be opened ({exc}). "
                    "Check that the folder exists and is writable."
                ) from exc
            log.info("webhook listener accepting on %s", self.local_url)

    def stop(self, timeout: float = 5.0) -> None:
        """Stop accepting, let in-flight requests finish (each stored before its 200), close."""
        with self._lifecycle:
            thread, loop, stop = self._thread, self._loop, self._stop
            if thread is None:
                return
            self._stop_timeout = timeout
            if loop is not None and stop is not None and not loop.is_closed():
                with contextlib.suppress(RuntimeError):  # the loop ended on its own meanwhile
                    loop.call_soon_threadsafe(stop.set)
            thread.join(timeout + 5.0)
            if thread.is_alive():
                log.warning("webhook listener did not stop within %.1f s", timeout + 5.0)
            self._thread = None

    # -- the listener thread --------------------------------------------------------------
    _stop_timeout = 5.0

    def _run(self, sock: socket.socket, ready: threading.Event, failure: list) -> None:
        try:
            # asyncio.run also cancels stray tasks (a connection accepted during shut-down),
            # so no socket outlives the loop.
            asyncio.run(self._serve(sock, ready, failure))
        except BaseException as exc:  # the thread must always release start()
            log.exception("webhook listener stopped unexpectedly")
            if not ready.is_set():
                failure.append(exc)
        finally:
            ready.set()
            sock.close()

    async def _serve(self, sock: socket.socket, ready: threading.Event, failure: list) -> None:
        self._loop = loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._closing = False
        self._inflight = 0
        self._queue = asyncio.Queue()
        self._deadlines = collections.deque()
        self._expiry = None
        self._worker = concurrent.futures.ThreadPoolExecutor(1, "voipdesk-store")
        self.checked.clear()
        try:
            self._store = await loop.run_in_executor(self._worker, self._open_store)
        except BaseException as exc:
            failure.append(exc)
            self._worker.shutdown(wait=True)
            self.checked.set()
            return
        self._check_cancelled = False
        self._check_until = loop.time() + CHECK_WAIT
        checking = threading.Thread(
            target=self._check_store, name="voipdesk-store-check", daemon=True
        )
        checking.start()
        writer = asyncio.create_task(self._writer(), name="voipdesk-webhook-writer")
        server = GuardedServer(
            self._handle,
            limits=self.limits,
            access_log=None,  # the path carries the secret: never log it
            lingering_time=5.0,
            auto_decompress=False,  # the provider does not compress; no decompression bombs
            logger=_QuietLogger(log),
        )
        acceptor = Acceptor(loop, sock, server)
        await acceptor.start()
        ready.set()
        try:
            await self._stop.wait()
        finally:
            self._check_cancelled = True  # a long check must not hold up the stop
            if (checker := self._checker) is not None:
                checker.interrupt()
            await acceptor.close()
            self._closing = True
            # aiohttp's own graceful shutdown drops the rest of a body that is still arriving,
            # so first wait for the requests we are handling; only then close the connections.
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._idle.wait(), self._stop_timeout)
            server.pre_shutdown()
            with contextlib.suppress(Exception):
                await server.shutdown(1.0)
            for conn in server.connections:  # accepted while we were closing
                conn.force_close()
            await asyncio.sleep(0)
            await self._queue.put(None)
            with contextlib.suppress(Exception):
                await asyncio.wait_for(writer, self._stop_timeout)
            await loop.run_in_executor(self._worker, self._close_store)
            self._worker.shutdown(wait=True)
            await loop.run_in_executor(None, checking.join, self._stop_timeout)

    def _open_store(self) -> Any:
        if callable(self._db_path):  # a StoreOpener: opens its store on this thread
            return self._db_path()
        from voipdesk.store import Store  # imported here so the receiver loads without SQLite

        return Store(self._db_path)

    def _check_store(self) -> None:
        """Read every page once per start, on a connection of its own (store.damage says why)."""
        from voipdesk.store import StoreDamaged

        try:
            with self._open_store() as self._checker:
                if not self._check_cancelled:
                    self._checker.check()
        except StoreDamaged as exc:
            self.damaged = exc
        except Exception:  # interrupted by stop(), or the disk: the writes will say
            log.debug("the store check did not finish", exc_info=True)
        finally:
            self._checker = None
            self.checked.set()

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

    # -- requests -------------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if self._closing:  # a new request on a kept-alive connection while stopping
            resp = _text(503, "Shutting down, please retry")
            resp.force_close()
            return resp
        self._inflight += 1
        self._idle.clear()
        try:
            resp = await self._route(request)
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()
        if self._closing:
            resp.force_close()
        return resp

    async def _route(self, request: web.BaseRequest) -> web.StreamResponse:
        try:
            if not self._is_webhook_path(request.path):
                return _text(404, "Not Found")
            if request.method in ("GET", "HEAD"):
                if self.damaged is not None:  # the Test button must not say all is well
                    return _text(503, "voipdesk's message database is damaged")
                return _text(200, READY_TEXT)
            if request.method != "POST":
                resp = _text(405, "Method Not Allowed")
                resp.headers["Allow"] = _ALLOWED
                return resp
            return await self._post(request)
        except asyncio.CancelledError:
            raise
        except Exception:  # never a 500: log it, let the provider retry
            log.exception("webhook request failed")
            return _text(503, "Temporarily unavailable, please retry")

    def _is_webhook_path(self, path: str) -> bool:
        if not path.startswith(WEBHOOK_PREFIX):
            return False
        given = path[len(WEBHOOK_PREFIX) :].rstrip("/").encode("utf-8", "surrogateescape")
        return hmac.compare_digest(given, self._secret)

    async def _post(self, request: web.BaseRequest) -> web.StreamResponse:
        received = await self._receive(request)
        if isinstance(received, web.StreamResponse):
            return received
        outcome = await self._commit(received)
        if isinstance(outcome, BaseException):
            return _text(503, "Could not store the message, please retry")
        return _text(200, "OK")

    async def _receive(self, request: web.BaseRequest) -> Item | web.StreamResponse:
        """The parsed webhook, or the error response for a body we do not take."""
        body = await self._read_body(request)
        if isinstance(body, web.StreamResponse):
            return body
        try:
            item = parse_webhook(body)
            if _SURROGATE_ESCAPE.search(body):  # only escapes can make lone surrogates
                _check_text(item)
        except WebhookError as exc:
            return _text(400, f"Bad webhook: {exc}")
        except Exception as exc:  # e.g. RecursionError on absurdly nested JSON
            log.debug("webhook body rejected: %s", type(exc).__name__)
            return _text(400, "Bad webhook: body is not a readable JSON object")
        return item

    async def _read_body(self, request: web.BaseRequest) -> bytes | web.StreamResponse:
        try:
            declared = request.content_length
        except ValueError:
            return _text(400, "The Content-Length header is not a number")
        if declared is not None and declared > self.max_body:
            return _too_large(self.max_body)
        content = request.content
        try:
            if content.is_eof():  # the usual webhook: the whole body came with the headers
                body = content.read_nowait()
                return body if len(body) <= self.max_body else _too_large(self.max_body)
            chunks: list[bytes] = []
            size = 0
            async with asyncio.timeout(self.limits.body):
                while chunk := await content.readany():
                    size += len(chunk)
                    if size > self.max_body:
                        return _too_large(self.max_body)
                    chunks.append(chunk)
        except TimeoutError:
            return _text(408, "The request body did not arrive in time")
        except Exception as exc:  # client gone, body shorter than declared, bad chunking
            log.debug("webhook body unreadable: %s", type(exc).__name__)
            return _text(400, "The request body could not be read")
        return b"".join(chunks)

    async def _commit(self, item: Item) -> Outcome:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        fut: asyncio.Future[Outcome] = loop.create_future()
        self._queue.put_nowait((item, fut))
        # One timer for all waiting requests (_expire), not one each: a burst is cheaper.
        self._deadlines.append((loop.time() + _STORE_TIMEOUT, fut))
        if self._expiry is None:
            self._expiry = loop.call_at(self._deadlines[0][0], self._expire)
        return await fut

    def _expire(self) -> None:
        """Answer the requests whose commit took longer than _STORE_TIMEOUT (with 503). Their
        items stay in their batch: they may still be stored, and a retry is then a duplicate."""
        assert self._loop is not None
        now = self._loop.time()
        deadlines = self._deadlines
        while deadlines and (deadlines[0][1].done() or deadlines[0][0] <= now):
            _deadline, fut = deadlines.popleft()
            if not fut.done():
                log.error("storing a webhook took longer than %.0f s", _STORE_TIMEOUT)
                fut.set_result(TimeoutError("the commit took too long"))
        self._expiry = self._loop.call_at(deadlines[0][0], self._expire) if deadlines else None

    # -- group commit ---------------------------------------------------------------------
    async def _writer(self) -> None:
        assert self._queue is not None
        loop = asyncio.get_running_loop()
        done = False
        previous = 0  # size of the previous batch
        while not done:
            first = await self._queue.get()
            if first is None:
                break
            wait = self._check_until - loop.time()
            if wait > 0 and not self.checked.is_set():  # the first commits wait for the check
                await loop.run_in_executor(None, self.checked.wait, wait)
            if previous >= _BUSY_BATCH:
                # A burst: wait a moment so that more requests share this commit (and its
                # fsync). One message at a time, as usual, is committed at once.
                await asyncio.sleep(_GATHER_DELAY)
            batch = [first]
            while len(batch) < _MAX_BATCH and not self._queue.empty():
                entry = self._queue.get_nowait()
                if entry is None:
                    done = True
                    break
                batch.append(entry)
            previous = len(batch)
            try:
                outcomes = await loop.run_in_executor(
                    self._worker, self._store_batch, [item for item, _ in batch]
                )
            except asyncio.CancelledError:  # stop() gave up waiting: answer, then end
                for _, fut in batch:
                    if not fut.done():
                        fut.set_result(TimeoutError("the listener stopped"))
                raise
            except Exception as exc:  # the worker itself failed: every request gets 503
                outcomes = [exc] * len(batch)
            for (_, fut), outcome in zip(batch, outcomes, strict=True):
                if not fut.done():
                    fut.set_result(outcome)
            while self._deadlines and self._deadlines[0][1].done():  # answered: no timer needed
                self._deadlines.popleft()
            changed = [o[0] for o in outcomes if isinstance(o, tuple) and o[1] and o[0]]
            if changed and self.on_messages is not None:
                loop.run_in_executor(self._worker, self._notify, changed)

    def _store_batch(self, items: Sequence[Item]) -> list[Outcome]:
        """Runs on the store thread: one transaction; on failure, each item alone."""
        from voipdesk.store import StoreDamaged, StoreError

        try:
            return list(self._store.record_webhooks(items))
        except StoreError as exc:  # damaged, or read-only: every item would fail alike
            if isinstance(exc, StoreDamaged):
                self.damaged = exc
            return [exc] * len(items)
        except Exception as exc:
            if len(items) == 1:
                log.exception("storing a webhook failed")
                return [exc]
        # One bad item must not fail its neighbours: retry them one by one.
        log.warning("storing a batch of %d webhooks failed; retrying one by one", len(items))
        outcomes: list[Outcome] = []
        for item in items:
            try:
                outcomes.extend(self._store.record_webhooks([item]))
            except Exception as exc:
                log.exception("storing a webhook failed")
                outcomes.append(exc)
        return outcomes

    def _notify(self, changed: list[Message]) -> None:
        callback = self.on_messages
        if callback is None:
            return
        try:
            callback(changed)
        except Exception:
            log.exception("on_messages callback failed")


class _QuietLogger(logging.LoggerAdapter):
    """aiohttp logs malformed HTTP from strangers as errors; anyone can send those to a public
    URL, so they are debug noise here. (Our handler catches its own failures.)"""

    def exception(self, msg: object, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("exc_info", True)
        self.debug(msg, *args, **kwargs)

    def error(self, msg: object, *args: Any, **kwargs: Any) -> None:
        self.debug(msg, *args, **kwargs)


def _text(status: int, text: str) -> web.Response:
    resp = web.Response(status=status, text=text, content_type="text/plain")
    resp.headers["Server"] = "voipdesk"
    resp.headers["Cache-Control"] = "no-store"
    return resp


def _too_large(limit: int) -> web.Response:
    resp = _text(413, f"The request body is larger than {limit} bytes")
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


def _bind(host: str, port: int) -> socket.socket:
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    try:
        if sys.platform == "win32":
            # SO_REUSEADDR on Windows lets another program steal the port: use exclusive use.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_EXCLUSIVEADDRUSE, 1)
        else:
            # Rebinding right after a restart must not fail on connections in TIME_WAIT.
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        sock.bind((host, port))
        sock.listen(1024)
        sock.setblocking(False)
    except OSError as exc:
        sock.close()
        raise ListenerError(_bind_message(port, exc)) from exc
    return sock


def _bind_message(port: int, exc: OSError) -> str:
    if exc.errno in (errno.EADDRINUSE, getattr(errno, "WSAEADDRINUSE", -1)):
        return (
            f"Port {port} is already in use by another program. Pick another listener port "
            "in Settings, or leave it empty to use a free one."
        )
    if exc.errno in (errno.EACCES, errno.EPERM, getattr(errno, "WSAEACCES", -1)):
        return (
            f"voipdesk is not allowed to listen on port {port}. Pick a port from 1024 to 65535 "
            "in Settings, or leave it empty to use a free one."
        )
    return f"The webhook listener could not start on port {port}: {exc.strerror or exc}."
