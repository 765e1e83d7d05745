"""Run a Sandbox on its own asyncio loop in a daemon thread, next to a Qt loop or a sync test."""

from __future__ import annotations

import asyncio
import inspect
import threading
from collections.abc import Callable
from typing import Any, TypeVar

from voipdesk.sandbox.server import DeliveryRecord, Sandbox

T = TypeVar("T")
_CALL_TIMEOUT_S = 30.0


class SandboxThread:
    """A Sandbox served from a daemon thread; every method here is safe to call from any thread."""

    def __init__(
        self, sandbox: Sandbox | None = None, *, port: int = 0, host: str = "127.0.0.1"
    ) -> None:
        self.sandbox = sandbox if sandbox is not None else Sandbox()
        self.host = host
        self.port = port
        self.url = ""
        self.send_url = ""
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None

    def start(self) -> SandboxThread:
        """Start the thread and block until the sandbox listens."""
        if self._thread is not None:
            raise RuntimeError("the sandbox thread is already running")
        loop = asyncio.new_event_loop()
        self._loop = loop
        self._thread = threading.Thread(
            target=self._run, args=(loop,), name="voipdesk-sandbox", daemon=True
        )
        self._thread.start()
        try:
            self.url = self._submit(self.sandbox.start(self.host, self.port))
        except BaseException:
            self._shutdown()
            raise
        self.send_url = self.sandbox.send_url
        return self

    def stop(self) -> None:
        """Stop the sandbox, its loop and the thread. Safe to call twice."""
        if self._thread is None:
            return
        try:
            self._submit(self.sandbox.stop())
        finally:
            self._shutdown()

    def __enter__(self) -> SandboxThread:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()

    def call(self, fn: Callable[..., T], *args: Any, **kwargs: Any) -> T:
        """Run fn(*args, **kwargs) on the sandbox loop (awaiting it if it returns an awaitable)."""

        async def run() -> Any:
            result = fn(*args, **kwargs)
            if inspect.isawaitable(result):
                result = await result
            return result

        return self._submit(run())

    def inject(
        self, kind: str, count: int = 1, *, seconds: float = 0.0, retry_after: str = "1"
    ) -> None:
        """Sandbox.inject, from any thread."""
        self.call(self.sandbox.inject, kind, count, seconds=seconds, retry_after=retry_after)

    def set_webhook(self, number: str, url: str | None) -> None:
        """Sandbox.set_webhook, from any thread."""
        self.call(self.sandbox.set_webhook, number, url)

    def add_responder(
        self, number: str, reply: Callable[[str], str | None], *, delay: float = 1.5
    ) -> None:
        """Sandbox.add_responder, from any thread (reply runs on the sandbox thread)."""
        self.call(self.sandbox.add_responder, number, reply, delay=delay)

    def deliver(self, *args: Any, **kwargs: Any) -> DeliveryRecord:
        """Sandbox.deliver, blocking until the webhook answered or failed."""
        return self.call(self.sandbox.deliver, *args, **kwargs)

    def report_status(self, *args: Any, **kwargs: Any) -> DeliveryRecord:
        """Sandbox.report_status, blocking until the webhook answered or failed."""
        return self.call(self.sandbox.report_status, *args, **kwargs)

    def _submit(self, coro: Any) -> Any:
        loop = self._loop
        if loop is None or self._thread is None:
            coro.close()
            raise RuntimeError("the sandbox thread is not running")
        if threading.current_thread() is self._thread:
            coro.close()
            raise RuntimeError("blocking call from the sandbox's own thread would deadlock")
        return asyncio.run_coroutine_threadsafe(coro, loop).result(_CALL_TIMEOUT_S)

    @staticmethod
    def _run(loop: asyncio.AbstractEventLoop) -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_forever()
        finally:
            try:
                # Like asyncio.run: cancel what is left (e.g. a task started through call()).
                leftovers = asyncio.all_tasks(loop)
                for task in leftovers:
                    task.cancel()
                loop.run_until_complete(asyncio.gather(*leftovers, return_exceptions=True))
                loop.run_until_complete(loop.shutdown_asyncgens())
                loop.run_until_complete(loop.shutdown_default_executor())
            finally:
                asyncio.set_event_loop(None)
                loop.close()

    def _shutdown(self) -> None:
        loop, thread = self._loop, self._thread
        self._loop = self._thread = None
        if loop is not None and thread is not None:
            loop.call_soon_threadsafe(loop.stop)
            thread.join(_CALL_TIMEOUT_S)
