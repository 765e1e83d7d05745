"""HttpThread: an httpx client on a loop of its own thread, used from the GUI's loop."""

from __future__ import annotations

import asyncio
import threading

import pytest

from voipdesk.provider.client import VoipNumberClient
from voipdesk.provider.errors import TransientError
from voipdesk.provider.http_loop import HttpThread

from .conftest import ACCOUNT, OWN, PEER, TOKEN, closed_port_url


def test_a_send_runs_on_the_client_thread_and_answers_on_the_callers_loop(sandbox):
    threads: list[str] = []

    async def note(_request) -> None:
        threads.append(threading.current_thread().name)

    async def go():
        http = HttpThread(event_hooks={"request": [note]})
        try:
            client = VoipNumberClient(
                http, url=sandbox.send_url, account_id=ACCOUNT.account_id, api_token=TOKEN
            )
            result = await client.send(OWN, PEER, "through the thread")
            return result, threading.current_thread().name
        finally:
            await http.aclose()

    result, caller = asyncio.run(go())
    assert result.status in ("queued", "delivered") and result.provider_id
    assert threads == ["voipdesk-http"] and caller != "voipdesk-http"


def test_errors_come_back_as_httpx_errors():
    async def go():
        http = HttpThread()
        try:
            client = VoipNumberClient(http, url=closed_port_url(), account_id="a", api_token="t")
            await client.send(OWN, PEER, "nobody listens")
        finally:
            await http.aclose()

    with pytest.raises(TransientError):
        asyncio.run(go())


def test_cancelling_the_caller_cancels_the_request_and_closing_ends_the_thread(sandbox):
    sandbox.call(sandbox.sandbox.inject, "delay", seconds=30)

    async def go():
        http = HttpThread()
        request = asyncio.ensure_future(http.post(sandbox.send_url, json={}))
        await asyncio.sleep(0.3)
        request.cancel()
        with pytest.raises(asyncio.CancelledError):
            await request
        await asyncio.wait_for(http.aclose(), 5)
        await http.aclose()  # twice is fine
        with pytest.raises(RuntimeError):
            await http.get(sandbox.url)
        return http

    http = asyncio.run(go())
    assert not http._thread.is_alive()


# A fresh process (in this one earlier tests have made requests already): an HttpThread once made
# has imported what any client's first request would (anyio's asyncio backend, ~20 ms), so that
# neither the first send nor the first picture fetched on the window's loop imports it.
FIRST_REQUEST = """
import asyncio, http.server, sys, threading
import httpx
from voipdesk.provider.http_loop import HttpThread

server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), http.server.SimpleHTTPRequestHandler)
threading.Thread(target=server.serve_forever, daemon=True).start()

async def main():
    http = HttpThread()
    http._client.result(timeout=30)  # made (on its thread)
    before = set(sys.modules)
    async with httpx.AsyncClient() as client:  # a first request on this thread's own loop
        answer = await client.get(f"http://127.0.0.1:{server.server_port}/")
    assert answer.status_code == 200
    print(sorted(m for m in set(sys.modules) - before if m.split(".")[0] in ("anyio", "httpcore")))
    await http.aclose()

asyncio.run(main())
"""


def test_once_made_the_client_thread_has_imported_what_a_first_request_imports(tmp_path):
    import subprocess
    import sys

    run = subprocess.run(
        [sys.executable, "-c", FIRST_REQUEST],
        cwd=tmp_path,  # (the server lists this empty folder)
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert run.returncode == 0, run.stderr[-2000:]
    assert run.stdout.strip() == "[]", f"imported by the first request: {run.stdout}"
