"""An httpx.AsyncClient on an asyncio loop of its own thread, for callers on a busy loop."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import importlib
import threading
from collections.abc import Coroutine
from typing import Any

import httpx

# What an httpx client imports at its first request on asyncio (httpcore's locks load anyio's
# asyncio backend: ~20 ms here). Imported when the client is made, on its thread: the first
# send does not wait for it, and the first picture an MMS shows (fetched on the window's loop,
# services/media.py) does not import it in the frame that shows the bubble.
FIRST_REQUEST_IMPORTS = ("anyio._backends._asyncio",)


class HttpThread:
    """Runs an httpx.AsyncClient's requests on a loop in a daemon thread; awaitable from any
    other loop. On the GUI's loop a request would wait, between each of httpx's own awaits,
    for whatever the GUI does next (a relayout, a repaint): here it leaves at once. The client
    (and its TLS context, tens of ms to build) is made on that thread too, off the caller's, and
    the modules its first request would import are imported there with it."""

    def __init__(self, **client_options: Any) -> None:
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="voipdesk-http")
        self._thread.daemon = True
        self._thread.start()

        async def make() -> httpx.AsyncClient:
            client = httpx.AsyncClient(**client_options)
            for name in FIRST_REQUEST_IMPORTS:
                with contextlib.suppress(ImportError):  # (another httpcore may not need it)
                    importlib.import_module(name)
            return client

        self._client: concurrent.futures.Future[httpx.AsyncClient] = self._submit(make())
        self._closed = False

    def _submit(self, coro: Coroutine[Any, Any, Any]) -> concurrent.futures.Future:
        return asyncio.run_coroutine_threadsafe(coro, self._loop)

    async def _call(self, method: str, *args: Any, **kwargs: Any) -> httpx.Response:
        if self._closed:
            raise RuntimeError("the HTTP client is closed")

        async def run() -> httpx.Response:
            client = await asyncio.wrap_future(self._client)
            return await getattr(client, method)(*args, **kwargs)

        # Cancelling the caller cancels the request on the other loop too.
        return await asyncio.wrap_future(self._submit(run()))

    async def post(self, *args: Any, **kwargs: Any) -> httpx.Response:
        return await self._call("post", *args, **kwargs)

    async def get(self, *args: Any, **kwargs: Any) -> httpx.Response:
        return await self._call("get", *args, **kwargs)

    async def aclose(self) -> None:
        """Close the client and end the thread (a second call does nothing)."""
        if self._closed:
            return
        self._closed = True

        async def close() -> None:
            client = await asyncio.wrap_future(self._client)
            await client.aclose()

        try:
            await asyncio.wrap_future(self._submit(close()))
        finally:
            self._loop.call_soon_threadsafe(self._loop.stop)
            await asyncio.to_thread(self._thread.join, 5)
            if not self._thread.is_alive():
                self._loop.close()
