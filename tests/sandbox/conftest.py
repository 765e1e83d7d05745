"""Fixtures for the sandbox tests: a running sandbox, an HTTP client and a webhook receiver."""

from __future__ import annotations

import asyncio
import json
import threading
import time
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from aiohttp import web

from voipdesk.sandbox import DEMO_ACCOUNT, Account, Sandbox, SandboxThread

FIXED_TS = 1716193717  # the provider page's example: 20 May 2024 08:28:37 UTC
OTHER_ACCOUNT = Account("other-account", "other-token", {"+447700900009"})


class Receiver:
    """A tiny aiohttp webhook receiver on its own loop thread; records each POST it gets."""

    def __init__(self) -> None:
        self.status = 200
        self.received: list[dict[str, Any]] = []
        self.url = ""
        self._cond = threading.Condition()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, daemon=True)
        self._runner: web.AppRunner | None = None

    async def _handle(self, request: web.Request) -> web.Response:
        raw = await request.read()
        with self._cond:
            self.received.append(
                {"path": request.path, "headers": dict(request.headers), "json": json.loads(raw)}
            )
            self._cond.notify_all()
        return web.Response(status=self.status, text="ok")

    async def _start(self) -> str:
        app = web.Application()
        app.router.add_post("/{tail:.*}", self._handle)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        await web.TCPSite(self._runner, "127.0.0.1", 0).start()
        return f"http://127.0.0.1:{self._runner.addresses[0][1]}/hook"

    def start(self) -> Receiver:
        self._thread.start()
        self.url = asyncio.run_coroutine_threadsafe(self._start(), self._loop).result(5)
        return self

    def stop(self) -> None:
        """Stop listening (the port then refuses connections); safe to call twice."""
        if self._runner is not None:
            runner, self._runner = self._runner, None
            asyncio.run_coroutine_threadsafe(runner.cleanup(), self._loop).result(5)

    def close(self) -> None:
        self.stop()
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(5)
        self._loop.close()

    def wait_for(self, count: int, timeout: float = 5.0) -> list[dict[str, Any]]:
        """Block until at least `count` POSTs arrived; return them all."""
        with self._cond:
            self._cond.wait_for(lambda: len(self.received) >= count, timeout)
            assert len(self.received) >= count, f"got {len(self.received)} of {count} POSTs"
            return list(self.received)


def make_sandbox() -> Sandbox:
    return Sandbox((DEMO_ACCOUNT, OTHER_ACCOUNT), clock=lambda: FIXED_TS + 0.4)


@pytest.fixture
def sandbox() -> Iterator[SandboxThread]:
    """A started sandbox with the demo account and another account, on a fixed clock."""
    with SandboxThread(make_sandbox()) as running:
        yield running


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=5.0) as c:
        yield c


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    r = Receiver().start()
    yield r
    r.close()


def wait_until(predicate: Any, timeout: float = 5.0) -> bool:
    """Poll a predicate (sandbox state changes on the sandbox thread)."""
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if predicate():
            return True
        time.sleep(0.01)
    return bool(predicate())
