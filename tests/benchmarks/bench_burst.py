"""Burst rate: webhooks acknowledged per second by the Listener vs a bare aiohttp server.

Run: /work/venv/bin/python -m tests.benchmarks.bench_burst [--count 2000] [--concurrency 50]
(tests/benchmarks/run.py runs it with the other measures.)
"""

from __future__ import annotations

import argparse
import asyncio
import concurrent.futures
import tempfile
import threading
import time
import uuid
from pathlib import Path

import aiohttp
from aiohttp import web

from voipdesk.receiver.listener import Listener
from voipdesk.sandbox.webhook import body as webhook_body


class BareServer:
    """An aiohttp server on 127.0.0.1 in its own thread that answers every request 200."""

    def __init__(self) -> None:
        self.url = ""
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._loop: asyncio.AbstractEventLoop | None = None
        self._stop: asyncio.Event | None = None

    def __enter__(self) -> BareServer:
        self._thread.start()
        self._ready.wait()
        return self

    def __exit__(self, *exc: object) -> None:
        assert self._loop is not None and self._stop is not None
        self._loop.call_soon_threadsafe(self._stop.set)
        self._thread.join()

    def _run(self) -> None:
        asyncio.run(self._serve())

    async def _serve(self) -> None:
        self._loop = asyncio.get_running_loop()
        self._stop = asyncio.Event()

        async def ok(request: web.BaseRequest) -> web.Response:
            await request.read()
            return web.Response(text="OK")

        server = web.Server(ok, access_log=None)
        tcp = await self._loop.create_server(server, "127.0.0.1", 0)
        self.url = f"http://127.0.0.1:{tcp.sockets[0].getsockname()[1]}/webhook/x"
        self._ready.set()
        await self._stop.wait()
        tcp.close()
        server.pre_shutdown()
        await server.shutdown(5)


async def burst(url: str, count: int, concurrency: int) -> tuple[float, int]:
    """POST `count` distinct webhooks, `concurrency` at a time; (messages/s answered 200, n200)."""
    bodies = [
        webhook_body(
            "+447445459147",
            "+447476553275",
            f"burst {i}",
            mdr_id=str(uuid.uuid4()),
            ts=1716204585 + i,
        )
        for i in range(count)
    ]
    connector = aiohttp.TCPConnector(limit=concurrency)
    ok = 0
    async with aiohttp.ClientSession(connector=connector) as session:
        queue: asyncio.Queue[dict] = asyncio.Queue()
        for body in bodies:
            queue.put_nowait(body)

        async def worker() -> None:
            nonlocal ok
            while not queue.empty():
                body = queue.get_nowait()
                async with session.post(url, json=body) as resp:
                    await resp.read()
                    ok += resp.status == 200

        start = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - start
    return ok / elapsed, ok


def _client(url: str, count: int, concurrency: int) -> tuple[float, int]:
    return asyncio.run(burst(url, count, concurrency))


def measure(
    db_path: Path, count: int = 2000, concurrency: int = 50, rounds: int = 3
) -> tuple[float, float]:
    """(listener msg/s, bare server msg/s), each the best of `rounds` bursts, interleaved."""
    # The client runs in its own process, like the provider: it must not share our GIL.
    with concurrent.futures.ProcessPoolExecutor(1) as client:
        listener = Listener(db_path, "bench-secret")
        listener.start()
        try:
            with BareServer() as bare:
                url = listener.local_url + listener.webhook_path

                def run(target: str, n: int) -> tuple[float, int]:
                    return client.submit(_client, target, n, concurrency).result()

                run(url, 200)  # warm-up
                run(bare.url, 200)
                best_listener = best_bare = 0.0
                for _ in range(rounds):
                    rate, ok = run(url, count)
                    assert ok == count, f"listener answered 200 to {ok}/{count}"
                    best_listener = max(best_listener, rate)
                    rate, ok = run(bare.url, count)
                    assert ok == count
                    best_bare = max(best_bare, rate)
        finally:
            listener.stop()
    return best_listener, best_bare


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--count", type=int, default=2000)
    parser.add_argument("--concurrency", type=int, default=50)
    parser.add_argument("--rounds", type=int, default=3, help="best of N rounds each")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        best_listener, best_bare = measure(
            Path(tmp) / "bench.sqlite3", args.count, args.concurrency, args.rounds
        )
    print(f"{args.count} webhooks, {args.concurrency} concurrent, best of {args.rounds}:")
    print(f"  listener (stored, fsync'd before 200): {best_listener:8.0f} msg/s")
    print(f"  bare aiohttp 200:                      {best_bare:8.0f} msg/s")
    print(f"  ratio listener/bare:                   {best_listener / best_bare:8.2f}")


if __name__ == "__main__":
    main()
