"""The webhook listener: an aiohttp server on 127.0.0.1 in its own thread, committing before 200."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import ipaddress
import logging
import socket
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

from aiohttp import web

from voipdesk.core.models import Message
from voipdesk.receiver.group_commit import GroupCommit
from voipdesk.receiver.guard import Acceptor, GuardedServer, Limits
from voipdesk.receiver.open_files import raise_open_file_limit
from voipdesk.receiver.port import ListenerError, bind
from voipdesk.receiver.routes import READY_TEXT, WEBHOOK_PREFIX, answer, text
from voipdesk.receiver.store_check import CHECK_WAIT, StoreCheck

__all__ = ["CHECK_WAIT", "READY_TEXT", "WEBHOOK_PREFIX", "Listener", "ListenerError"]

log = logging.getLogger("voipdesk.receiver")


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
        self._commits: GroupCommit | None = None
        self._worker: concurrent.futures.ThreadPoolExecutor | None = None
        self._store: Any = None
        self._check = StoreCheck(self._open_store)
        self.checked = self._check.checked  # set once the store's check has ended (or not run)
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

    @property
    def damaged(self) -> Exception | None:
        """The store's StoreDamaged, once found (by its check or a commit)."""
        return self._check.damaged

    def set_secret(self, secret: str) -> None:
        """Use a new path secret from the next request on (the old one gets 404)."""
        self._secret = secret.encode("utf-8")  # one reference swap: atomic for the loop thread

    def start(self) -> None:
        """Bind, start the listener thread, return once requests are accepted."""
        with self._lifecycle:
            if self.running:
                return
            raise_open_file_limit()  # headroom for many connections (open_files.py)
            sock = bind(self.host, self._requested_port)
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

    # -- the store ------------------------------------------------------------------------
    def _open_store(self) -> Any:
        """A connection to the message store (the writer's, and the check's own)."""
        if callable(self._db_path):  # a StoreOpener: opens its store on this thread
            return self._db_path()
        from voipdesk.store import Store  # imported here so the receiver loads without SQLite

        return Store(self._db_path)

    def _close_store(self) -> None:
        store, self._store = self._store, None
        if store is not None:
            store.close()

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
        self._worker = concurrent.futures.ThreadPoolExecutor(1, "voipdesk-store")
        self.checked.clear()
        try:
            self._store = await loop.run_in_executor(self._worker, self._open_store)
        except BaseException as exc:
            failure.append(exc)
            self._worker.shutdown(wait=True)
            self.checked.set()
            return
        self._check.start(loop)
        notify = self._notify if self.on_messages is not None else None
        self._commits = commits = GroupCommit(self._store, self._worker, self._check, notify)
        writer = asyncio.create_task(commits.run(), name="voipdesk-webhook-writer")
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
            try:
                self._check.cancel()  # a long check must not hold up the stop
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
                await commits.close()
                with contextlib.suppress(Exception):
                    await asyncio.wait_for(writer, self._stop_timeout)
                await loop.run_in_executor(self._worker, self._close_store)
                self._worker.shutdown(wait=True)
                await self._check.join(self._stop_timeout)
            finally:
                # Last, whatever happened above: any connection still open (closed with a write
                # pending to a client that is gone, or set up while we were stopping) is
                # aborted, and the loop turns so that each closes its socket before it ends.
                await acceptor.close()
                server.abort_all()
                for _ in range(3):
                    await asyncio.sleep(0)

    # -- requests -------------------------------------------------------------------------
    async def _handle(self, request: web.BaseRequest) -> web.StreamResponse:
        if self._closing:  # a new request on a kept-alive connection while stopping
            resp = text(503, "Shutting down, please retry")
            resp.force_close()
            return resp
        self._inflight += 1
        self._idle.clear()
        try:
            assert self._commits is not None
            resp = await answer(
                request,
                secret=self._secret,
                damaged=lambda: self.damaged is not None,
                max_body=self.max_body,
                body_timeout=self.limits.body,
                commit=self._commits.commit,
            )
        finally:
            self._inflight -= 1
            if not self._inflight:
                self._idle.set()
        if self._closing:
            resp.force_close()
        return resp

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
