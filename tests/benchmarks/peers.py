"""The benchmarks' other side, each in its own process like the real provider.

    python -m tests.benchmarks.peers sandbox ACCOUNT TOKEN NUMBER...
        The sandbox; prints its send URL, then one JSON line per send request as it arrives:
        {"text": ..., "t": perf_counter at arrival}.
    python -m tests.benchmarks.peers webhooks URL FROM TO COUNT RATE
        POSTs COUNT webhooks at RATE per second (after a few unmeasured warm-ups) to URL and, the
        same way, to a bare aiohttp server in this process; prints one JSON object:
        {"sent": {mdr_id: perf_counter at POST}, "bare_ms": [round trips to the bare server]}.

time.perf_counter() is CLOCK_MONOTONIC on Linux (and system-wide on macOS and Windows), so the
benchmark process can compare these times with its own.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
import uuid

import aiohttp
from aiohttp import web

from tests.benchmarks.bench_burst import BareServer
from voipdesk.sandbox.server import Account, Sandbox
from voipdesk.sandbox.webhook import body as webhook_body

WARM_UP = 10


async def sandbox(account: str, token: str, numbers: list[str]) -> None:
    box = Sandbox([Account(account, token, set(numbers))])

    @web.middleware
    async def stamp(request: web.Request, handler):
        arrived = time.perf_counter()
        body = await request.read()  # aiohttp caches it for the handler
        try:
            text = json.loads(body).get("body")
        except (ValueError, AttributeError):
            text = None
        print(json.dumps({"text": text, "t": arrived}), flush=True)
        return await handler(request)

    box.app.middlewares.append(stamp)
    await box.start()
    print(box.send_url, flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)  # until stdin closes
    await box.stop()


async def _paced(session, url: str, frm: str, to: str, count: int, rate: float, tag: str):
    sent: dict[str, float] = {}
    round_trips: list[float] = []
    start = time.perf_counter()
    for i in range(count):
        await asyncio.sleep(max(0.0, start + i / rate - time.perf_counter()))
        mdr = f"bench-{tag}-{uuid.uuid4()}"
        body = webhook_body(frm, to, f"bench inbound {i}", mdr_id=mdr, ts=int(time.time()))
        sent[mdr] = t = time.perf_counter()
        async with session.post(url, json=body) as resp:
            await resp.read()
            if resp.status != 200:
                raise SystemExit(f"webhook answered {resp.status}")
        round_trips.append((time.perf_counter() - t) * 1000)
    return sent, round_trips


async def webhooks(url: str, frm: str, to: str, count: int, rate: float) -> None:
    with BareServer() as bare:
        async with aiohttp.ClientSession() as session:
            await _paced(session, url, frm, to, WARM_UP, rate, "warm")
            await _paced(session, bare.url, frm, to, WARM_UP, rate, "warm")
            sent, _ = await _paced(session, url, frm, to, count, rate, "app")
            _, bare_ms = await _paced(session, bare.url, frm, to, count, rate, "bare")
    print(json.dumps({"sent": sent, "bare_ms": bare_ms}), flush=True)


def main(argv: list[str]) -> int:
    if argv[0] == "sandbox":
        asyncio.run(sandbox(argv[1], argv[2], argv[3:]))
    elif argv[0] == "webhooks":
        url, frm, to, count, rate = argv[1:6]
        asyncio.run(webhooks(url, frm, to, int(count), float(rate)))
    else:
        raise SystemExit(__doc__)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
